//! Valid model files to mutate: the pickle fixtures written by `torch.save`, PyTorch zip archives laid
//! out as `torch.save` lays them out (stored and deflated), and safetensors files of every element
//! type, with and without `__metadata__`.

use std::collections::HashMap;
use std::io::{Cursor, Read, Write};

use zip::CompressionMethod;

/// Fixture bytes from `tests/fixtures/pickle/`.
macro_rules! pickle_fixture {
    ($name:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pickle/", $name)) as &[u8]
    };
}

/// A real `torch.save` checkpoint (`tests/fixtures/pickle/make_pickle_fixtures.py`).
pub const TINY_TORCH_SAVE: &[u8] = pickle_fixture!("tiny_torch_save.ckpt");

/// Every `data.pkl`-style fixture, the refused ones included (their prefixes reach other code).
pub fn pickle_seeds() -> Vec<Vec<u8>> {
    let fixtures = [
        pickle_fixture!("state_dict_nested.pkl"),
        pickle_fixture!("state_dict_proto5.pkl"),
        pickle_fixture!("shared_views.pkl"),
        pickle_fixture!("scalar.pkl"),
        pickle_fixture!("root_tensor.pkl"),
        pickle_fixture!("parameters.pkl"),
        pickle_fixture!("v3_untyped.pkl"),
        pickle_fixture!("with_device.pkl"),
        pickle_fixture!("unsupported_uint16.pkl"),
        pickle_fixture!("evil_proto4.pkl"),
        pickle_fixture!("lightning_callbacks.pkl"),
        pickle_fixture!("legacy_format.pkl"),
    ];
    let mut seeds: Vec<Vec<u8>> = fixtures.iter().map(|bytes| bytes.to_vec()).collect();
    seeds.extend(zip_entries(TINY_TORCH_SAVE).into_iter().filter(|(name, _)| name.ends_with("data.pkl")).map(|(_, b)| b));
    seeds.push(torch_pickle(&sample_tensors()));
    seeds
}

/// Opcodes and globals of torch's pickles, for the dictionary.
pub const PICKLE_TOKENS: &[&[u8]] = &[
    b"\x80\x02",
    b"(",
    b")",
    b"t",
    b"}",
    b"]",
    b"u",
    b"e",
    b"R",
    b"Q",
    b"\x85",
    b"\x86",
    b"\x87",
    b"\x88",
    b"\x89",
    b"\x94",
    b"q\x00",
    b"h\x00",
    b"r\xff\xff\xff\xff",
    b"j\xff\xff\xff\x7f",
    b"K\xff",
    b"M\xff\xff",
    b"J\xff\xff\xff\x7f",
    b"\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f",
    b"X\xff\xff\xff\x7f",
    b"\x8c\xff",
    b"ctorch._utils\n_rebuild_tensor_v2\n",
    b"ctorch\nFloatStorage\n",
    b"ctorch\nHalfStorage\n",
    b"ctorch\nLongStorage\n",
    b"ccollections\nOrderedDict\n",
    b"\x8c\x07storage",
    b".",
];

/// One tensor of a built checkpoint: a view on storage `key`.
struct Tensor {
    name: &'static str,
    storage: &'static str,
    key: &'static str,
    numel: u32,
    offset: u32,
    shape: &'static [u32],
    strides: &'static [u32],
}

/// Float, half, bfloat16 and integer tensors, a transposed and an offset view on one shared storage,
/// a broadcast view (stride 0) and an empty tensor.
fn sample_tensors() -> Vec<Tensor> {
    let t = |name, storage, key, numel, offset, shape, strides| Tensor { name, storage, key, numel, offset, shape, strides };
    vec![
        t("model.weight", "FloatStorage", "0", 6, 0, &[2, 3], &[3, 1]),
        t("model.weight_t", "FloatStorage", "0", 6, 0, &[3, 2], &[1, 3]),
        t("model.row", "FloatStorage", "0", 6, 3, &[3], &[1]),
        t("model.bias", "HalfStorage", "1", 3, 0, &[3], &[1]),
        t("vae.scale", "BFloat16Storage", "2", 4, 0, &[2, 2], &[2, 1]),
        t("steps", "LongStorage", "3", 1, 0, &[1], &[1]),
        t("mask", "BoolStorage", "4", 2, 0, &[2], &[1]),
        t("expanded", "FloatStorage", "5", 4, 0, &[4], &[0]), // stride 0, within its storage
        t("empty", "FloatStorage", "6", 0, 0, &[0, 3], &[3, 1]),
    ]
}

fn element_size(storage: &str) -> usize {
    match storage {
        "LongStorage" | "DoubleStorage" => 8,
        "FloatStorage" | "IntStorage" => 4,
        "HalfStorage" | "BFloat16Storage" => 2,
        _ => 1,
    }
}

/// A protocol-2 pickle being written.
#[derive(Default)]
struct Pickle(Vec<u8>);

impl Pickle {
    fn raw(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
    }

    fn text(&mut self, s: &str) {
        self.0.push(b'X'); // BINUNICODE
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.raw(s.as_bytes());
    }

    fn int(&mut self, value: u32) {
        self.0.push(b'J'); // BININT
        self.raw(&value.to_le_bytes());
    }

    fn tuple(&mut self, values: &[u32]) {
        self.0.push(b'(');
        values.iter().for_each(|&v| self.int(v));
        self.0.push(b't');
    }
}

/// `{"state_dict": {name: _rebuild_tensor_v2(persistent storage id, offset, shape, strides, False,
/// OrderedDict())}}`, as `torch.save` writes it in protocol 2.
fn torch_pickle(tensors: &[Tensor]) -> Vec<u8> {
    let mut p = Pickle::default();
    p.raw(b"\x80\x02}(");
    p.text("state_dict");
    p.raw(b"}(");
    for tensor in tensors {
        p.text(tensor.name);
        p.raw(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        p.text("storage");
        p.raw(format!("ctorch\n{}\n", tensor.storage).as_bytes());
        p.text(tensor.key);
        p.text("cpu");
        p.int(tensor.numel);
        p.raw(b"tQ");
        p.int(tensor.offset);
        p.tuple(tensor.shape);
        p.tuple(tensor.strides);
        p.raw(b"\x89ccollections\nOrderedDict\n)RtR");
    }
    p.raw(b"uu.");
    p.0
}

/// The bytes of each storage the tensors use, in key order, filled with a counting pattern.
fn storages(tensors: &[Tensor]) -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    for tensor in tensors {
        if out.iter().all(|(key, _)| *key != tensor.key) {
            let len = tensor.numel as usize * element_size(tensor.storage);
            out.push((tensor.key, (0..len).map(|i| (i * 7 % 5) as u8).collect()));
        }
    }
    out
}

/// A zip archive of `entries`, compressed with `method`.
pub fn zip_archive(entries: &[(String, Vec<u8>)], method: CompressionMethod) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        // Writing to memory fails only for names or sizes zip cannot store; such an entry is left out.
        if writer.start_file(name.as_str(), options).is_ok() {
            let _ = writer.write_all(bytes);
        }
    }
    writer.finish().map(Cursor::into_inner).unwrap_or_default()
}

/// The entries of a zip archive, by name, in order; what cannot be read is left out.
pub fn zip_entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let Ok(mut zip) = zip::ZipArchive::new(Cursor::new(archive)) else { return Vec::new() };
    (0..zip.len())
        .filter_map(|i| {
            let mut entry = zip.by_index(i).ok()?;
            let mut bytes = Vec::new();
            entry.by_ref().take(1 << 20).read_to_end(&mut bytes).ok()?;
            Some((entry.name().to_string(), bytes))
        })
        .collect()
}

/// The `archive/…` entries `torch.save` writes for these tensors.
fn torch_entries(tensors: &[Tensor]) -> Vec<(String, Vec<u8>)> {
    let mut entries = vec![("archive/data.pkl".to_string(), torch_pickle(tensors))];
    entries.push(("archive/byteorder".to_string(), b"little".to_vec()));
    entries.extend(storages(tensors).into_iter().map(|(key, bytes)| (format!("archive/data/{key}"), bytes)));
    entries.push(("archive/version".to_string(), b"3\n".to_vec()));
    entries
}

/// PyTorch zip checkpoints: the real `torch.save` fixture, and built ones stored and deflated.
pub fn torch_zip_seeds() -> Vec<Vec<u8>> {
    let tensors = sample_tensors();
    let entries = torch_entries(&tensors);
    vec![
        TINY_TORCH_SAVE.to_vec(),
        zip_archive(&entries, CompressionMethod::Stored),
        zip_archive(&entries, CompressionMethod::Deflated),
        zip_archive(&torch_entries(&tensors[..1]), CompressionMethod::Stored),
    ]
}

/// Zip records and torch names, for the dictionary.
pub const ZIP_TOKENS: &[&[u8]] = &[
    b"PK\x03\x04",
    b"PK\x01\x02",
    b"PK\x05\x06",
    b"PK\x06\x06",
    b"PK\x06\x07",
    b"PK\x07\x08",
    b"archive/data.pkl",
    b"archive/data/0",
    b"\x08\x00",
    b"\x00\x00",
    b"\xff\xff\xff\xff",
];

/// One safetensors tensor: name, element type, shape.
type Spec = (&'static str, safetensors::Dtype, &'static [usize]);

/// Views of `data` for `specs` (each takes the first bytes it needs).
fn views<'d>(data: &'d [u8], specs: &[Spec]) -> Vec<(&'static str, safetensors::tensor::TensorView<'d>)> {
    specs
        .iter()
        .filter_map(|&(name, dtype, shape)| {
            let bytes = shape.iter().product::<usize>() * dtype.bitsize() / 8;
            Some((name, safetensors::tensor::TensorView::new(dtype, shape.to_vec(), &data[..bytes]).ok()?))
        })
        .collect()
}

/// Safetensors files: every element type Nurie reads, a zero-dimensional and an empty tensor, and
/// `__metadata__`.
pub fn safetensors_seeds() -> Vec<Vec<u8>> {
    use safetensors::Dtype;
    let data: Vec<u8> = (0..64u8).collect();
    let specs: [Spec; 10] = [
        ("f32", Dtype::F32, &[2, 3]),
        ("f16", Dtype::F16, &[3]),
        ("bf16", Dtype::BF16, &[2, 2]),
        ("f64", Dtype::F64, &[2]),
        ("i64", Dtype::I64, &[1]),
        ("i32", Dtype::I32, &[2]),
        ("u8", Dtype::U8, &[4]),
        ("bool", Dtype::BOOL, &[2]),
        ("scalar", Dtype::F32, &[]),
        ("empty", Dtype::F32, &[0, 5]),
    ];
    let metadata = HashMap::from([
        ("modelspec.title".to_string(), "fuzz".to_string()),
        ("license".to_string(), "creativeml-openrail-m".to_string()),
    ]);
    [(views(&data, &specs), None), (views(&data, &specs[..1]), Some(metadata))]
        .into_iter()
        .filter_map(|(views, metadata)| safetensors::serialize(views, metadata).ok())
        .collect()
}

/// Header keys and values of safetensors, for the dictionary.
pub const SAFETENSORS_TOKENS: &[&[u8]] = &[
    b"\"dtype\":\"F32\"",
    b"\"dtype\":\"I64\"",
    b"\"shape\":[",
    b"\"data_offsets\":[",
    b"\"__metadata__\":{",
    b"18446744073709551615",
    b"4294967296",
    b"-1",
    b"1e999",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::pickle::read_tensor_records;

    #[test]
    fn the_built_pickle_reads_as_torch_would() {
        let records = read_tensor_records(&torch_pickle(&sample_tensors())).unwrap();
        let names: Vec<&str> = records.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), sample_tensors().len());
        assert_eq!(names[0], "state_dict.model.weight");
        assert_eq!(records[2].storage_offset, 3);
        assert_eq!(records[7].strides, [0]);
    }

    #[test]
    fn every_seed_is_made() {
        assert_eq!(torch_zip_seeds().iter().filter(|z| zip_entries(z).len() >= 4).count(), 4);
        assert_eq!(safetensors_seeds().len(), 2);
        assert!(pickle_seeds().len() >= 14);
    }
}
