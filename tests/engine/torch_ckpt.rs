//! Writes PyTorch zip checkpoints the way `torch.save` lays them out (protocol-2 pickle of
//! `{"state_dict": {name: tensor}, "global_step": N}` with one storage entry per tensor), so tests can
//! build `.ckpt` files from the fixtures instead of committing more binaries.

use std::io::Write;
use std::path::Path;

/// One tensor to store: name, shape, torch storage class (e.g. "HalfStorage") and little-endian bytes.
pub struct CkptTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub storage_class: &'static str,
    pub bytes: Vec<u8>,
    /// Element offset of the view into its storage.
    pub offset: usize,
    /// Storage size declared in the pickle, when a test wants it to differ from the bytes written.
    pub declared_numel: Option<usize>,
}

impl CkptTensor {
    pub fn new(name: &str, shape: &[usize], storage_class: &'static str, bytes: Vec<u8>) -> Self {
        Self { name: name.into(), shape: shape.to_vec(), storage_class, bytes, offset: 0, declared_numel: None }
    }
}

/// How an archive is laid out beyond its tensors, for tests of files not written by torch.
pub struct CkptLayout<'a> {
    /// A global injected into the pickle (to test that the reader refuses it).
    pub extra_global: Option<(&'a str, &'a str)>,
    /// How the storages and the pickle are compressed (torch stores them).
    pub storages: zip::CompressionMethod,
    pub pickle: zip::CompressionMethod,
    /// Bytes of a text field added to the pickle's root dict.
    pub pickle_padding: usize,
}

impl Default for CkptLayout<'_> {
    fn default() -> Self {
        let stored = zip::CompressionMethod::Stored;
        Self { extra_global: None, storages: stored, pickle: stored, pickle_padding: 0 }
    }
}

/// Writes `tensors` under `state_dict`, plus a `global_step` counter, as `archive/…` entries.
/// `extra_global` injects a global into the pickle (to test that the reader refuses it).
pub fn write_ckpt(path: &Path, tensors: &[CkptTensor], extra_global: Option<(&str, &str)>) {
    write_ckpt_as(path, tensors, &CkptLayout { extra_global, ..CkptLayout::default() });
}

/// [`write_ckpt`] with a layout of the test's choosing.
pub fn write_ckpt_as(path: &Path, tensors: &[CkptTensor], layout: &CkptLayout) {
    let mut pickle = Pickle::default();
    pickle.op(&[0x80, 2]); // PROTO 2
    pickle.op(b"}"); // EMPTY_DICT (root)
    pickle.op(b"(");
    pickle.text("state_dict");
    pickle.op(b"}(");
    for (key, tensor) in tensors.iter().enumerate() {
        pickle.text(&tensor.name);
        pickle.tensor(key, tensor);
    }
    pickle.op(b"u"); // SETITEMS into state_dict
    pickle.text("global_step");
    pickle.int(1234);
    if layout.pickle_padding > 0 {
        pickle.text("notes");
        pickle.text(&"x".repeat(layout.pickle_padding));
    }
    if let Some((module, name)) = layout.extra_global {
        pickle.text("callbacks");
        pickle.global(module, name);
        pickle.op(b")R"); // call it with no arguments
    }
    pickle.op(b"u."); // SETITEMS into root, STOP

    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let options = |method| zip::write::SimpleFileOptions::default().compression_method(method);
    let stored = options(zip::CompressionMethod::Stored);
    zip.start_file("archive/data.pkl", options(layout.pickle)).unwrap();
    zip.write_all(&pickle.bytes).unwrap();
    zip.start_file("archive/byteorder", stored).unwrap();
    zip.write_all(b"little").unwrap();
    for (key, tensor) in tensors.iter().enumerate() {
        zip.start_file(format!("archive/data/{key}"), options(layout.storages)).unwrap();
        zip.write_all(&tensor.bytes).unwrap();
    }
    zip.start_file("archive/version", stored).unwrap();
    zip.write_all(b"3\n").unwrap();
    zip.finish().unwrap();
}

#[derive(Default)]
struct Pickle {
    bytes: Vec<u8>,
}

impl Pickle {
    fn op(&mut self, op: &[u8]) {
        self.bytes.extend_from_slice(op);
    }

    fn text(&mut self, text: &str) {
        self.bytes.push(b'X'); // BINUNICODE
        self.bytes.extend_from_slice(&(text.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(text.as_bytes());
    }

    fn int(&mut self, value: i32) {
        self.bytes.push(b'J'); // BININT
        self.bytes.extend_from_slice(&value.to_le_bytes());
    }

    fn global(&mut self, module: &str, name: &str) {
        self.bytes.extend_from_slice(format!("c{module}\n{name}\n").as_bytes());
    }

    fn int_tuple(&mut self, values: &[usize]) {
        self.op(b"(");
        for &v in values {
            self.int(v as i32);
        }
        self.op(b"t");
    }

    /// `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`
    fn tensor(&mut self, key: usize, tensor: &CkptTensor) {
        let element = match tensor.storage_class {
            "HalfStorage" | "BFloat16Storage" => 2,
            "FloatStorage" => 4,
            other => panic!("storage class {other}"),
        };
        self.global("torch._utils", "_rebuild_tensor_v2");
        self.op(b"(");
        // persistent id ('storage', torch.HalfStorage, '0', 'cpu', numel)
        self.op(b"(");
        self.text("storage");
        self.global("torch", tensor.storage_class);
        self.text(&key.to_string());
        self.text("cpu");
        self.int(tensor.declared_numel.unwrap_or(tensor.bytes.len() / element) as i32);
        self.op(b"tQ");
        self.int(tensor.offset as i32);
        self.int_tuple(&tensor.shape);
        let mut strides = vec![1usize; tensor.shape.len()];
        for i in (0..tensor.shape.len().saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * tensor.shape[i + 1];
        }
        self.int_tuple(&strides);
        self.op(b"\x89"); // NEWFALSE: requires_grad
        self.global("collections", "OrderedDict");
        self.op(b")R"); // backward_hooks = OrderedDict()
        self.op(b"tR");
    }
}
