//! PyTorch-style `.ckpt` archives whose compressed entries inflate to gigabytes: the zip bombs of the
//! hostile-input benchmark. The deflate streams are made by repeating one byte-aligned block of
//! compressed zeros, so a 4 GB entry costs megabytes and milliseconds to make.

use std::path::Path;

use anyhow::Context;
use flate2::{Compress, Compression, FlushCompress};

/// Uncompressed bytes per repeated deflate block.
const BLOCK: usize = 1 << 20;

/// An archive whose pickle describes three float tensors of `bytes` each, stored in deflated entries
/// of zeros. Returns the file's size.
pub fn write_storage_bomb(path: &Path, bytes: u64) -> anyhow::Result<u64> {
    let stream = zeros_stream(bytes)?;
    let numel = stream.inflated / 4;
    let mut archive = ZipFile::default();
    archive.add("archive/data.pkl", Method::Stored, &tensor_pickle(&["a", "b", "c"], numel)?, None);
    for key in 0..3 {
        archive.add(&format!("archive/data/{key}"), Method::Deflated, &stream.bytes, Some((stream.crc, stream.inflated)));
    }
    archive.write(path)
}

/// An archive whose `data.pkl` is a deflated entry of `bytes` zeros. Returns the file's size.
pub fn write_pickle_bomb(path: &Path, bytes: u64) -> anyhow::Result<u64> {
    let stream = zeros_stream(bytes)?;
    let mut archive = ZipFile::default();
    archive.add("archive/data.pkl", Method::Deflated, &stream.bytes, Some((stream.crc, stream.inflated)));
    archive.write(path)
}

/// A raw deflate stream of zeros, its CRC-32 and how many bytes it inflates to.
struct Stream {
    bytes: Vec<u8>,
    crc: u32,
    inflated: u64,
}

/// At most `bytes` zeros (a whole number of [`BLOCK`]s) as one deflate stream.
fn zeros_stream(bytes: u64) -> anyhow::Result<Stream> {
    let blocks = bytes / BLOCK as u64;
    anyhow::ensure!(blocks > 0 && blocks * (BLOCK as u64) < u64::from(u32::MAX), "bomb size {bytes}: 1 MiB to 4 GiB");
    let mut compressor = Compress::new(Compression::best(), false);
    let mut block = Vec::with_capacity(BLOCK);
    // A full flush ends the block byte-aligned with an empty dictionary: the same bytes repeat.
    compressor.compress_vec(&vec![0; BLOCK], &mut block, FlushCompress::Full).context("deflating")?;
    let mut end = Vec::with_capacity(64);
    Compress::new(Compression::best(), false).compress_vec(&[], &mut end, FlushCompress::Finish).context("deflating")?;
    let mut stream = Vec::with_capacity(block.len() * blocks as usize + end.len());
    let mut crc = crc32fast::Hasher::new();
    let block_crc = {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&vec![0; BLOCK]);
        hasher
    };
    for _ in 0..blocks {
        stream.extend_from_slice(&block);
        crc.combine(&block_crc);
    }
    stream.extend_from_slice(&end);
    Ok(Stream { bytes: stream, crc: crc.finalize(), inflated: blocks * BLOCK as u64 })
}

/// `{name: torch._utils._rebuild_tensor_v2(storage i, 0, (numel,), (1,), False, OrderedDict())}` as
/// torch pickles it (protocol 2), storage `i` being archive entry `data/i`.
fn tensor_pickle(names: &[&str], numel: u64) -> anyhow::Result<Vec<u8>> {
    let numel = i32::try_from(numel).context("at most 2^31 elements per tensor")?;
    let mut pickle = vec![0x80, 2, b'}', b'('];
    let text = |pickle: &mut Vec<u8>, text: &str| {
        pickle.push(b'X');
        pickle.extend_from_slice(&(text.len() as u32).to_le_bytes());
        pickle.extend_from_slice(text.as_bytes());
    };
    let int = |pickle: &mut Vec<u8>, value: i32| {
        pickle.push(b'J');
        pickle.extend_from_slice(&value.to_le_bytes());
    };
    for (key, name) in names.iter().enumerate() {
        text(&mut pickle, name);
        pickle.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        text(&mut pickle, "storage");
        pickle.extend_from_slice(b"ctorch\nFloatStorage\n");
        text(&mut pickle, &key.to_string());
        text(&mut pickle, "cpu");
        int(&mut pickle, numel);
        pickle.extend_from_slice(b"tQ");
        int(&mut pickle, 0);
        pickle.push(b'(');
        int(&mut pickle, numel);
        pickle.extend_from_slice(b"t(");
        int(&mut pickle, 1);
        pickle.extend_from_slice(b"t\x89ccollections\nOrderedDict\n)RtR");
    }
    pickle.extend_from_slice(b"u.");
    Ok(pickle)
}

#[derive(Clone, Copy)]
enum Method {
    Stored = 0,
    Deflated = 8,
}

/// A minimal zip writer: the zip crate cannot take an already-deflated stream, and these entries'
/// declared sizes are the point of the exercise.
#[derive(Default)]
struct ZipFile {
    bytes: Vec<u8>,
    directory: Vec<u8>,
    entries: u16,
}

impl ZipFile {
    /// Adds an entry; `inflated` gives the CRC and size of a compressed entry's content.
    fn add(&mut self, name: &str, method: Method, data: &[u8], inflated: Option<(u32, u64)>) {
        let (crc, size) = inflated.unwrap_or_else(|| (crc32fast::hash(data), data.len() as u64));
        let offset = self.bytes.len() as u32;
        let fields = |out: &mut Vec<u8>| {
            out.extend_from_slice(&20u16.to_le_bytes()); // version needed
            out.extend_from_slice(&0u16.to_le_bytes()); // flags
            out.extend_from_slice(&(method as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0, 0x21, 0]); // time, date (1980-01-01)
            out.extend_from_slice(&crc.to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(size as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        };
        self.bytes.extend_from_slice(b"PK\x03\x04");
        fields(&mut self.bytes);
        self.bytes.extend_from_slice(name.as_bytes());
        self.bytes.extend_from_slice(data);
        self.directory.extend_from_slice(b"PK\x01\x02");
        self.directory.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fields(&mut self.directory);
        self.directory.extend_from_slice(&[0; 8]); // comment length, disk, internal and external attributes (part)
        self.directory.extend_from_slice(&[0; 2]); // rest of the external attributes
        self.directory.extend_from_slice(&offset.to_le_bytes());
        self.directory.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    fn write(mut self, path: &Path) -> anyhow::Result<u64> {
        let directory_offset = self.bytes.len() as u32;
        self.bytes.extend_from_slice(&self.directory);
        self.bytes.extend_from_slice(b"PK\x05\x06");
        self.bytes.extend_from_slice(&[0; 4]); // disk numbers
        self.bytes.extend_from_slice(&self.entries.to_le_bytes());
        self.bytes.extend_from_slice(&self.entries.to_le_bytes());
        self.bytes.extend_from_slice(&(self.directory.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(&directory_offset.to_le_bytes());
        self.bytes.extend_from_slice(&0u16.to_le_bytes()); // comment length
        std::fs::write(path, &self.bytes).with_context(|| format!("writing {}", path.display()))?;
        Ok(self.bytes.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The repeated-block stream is one valid deflate stream of exactly the zeros it claims.
    #[test]
    fn the_zeros_stream_inflates_to_what_it_claims() {
        let stream = zeros_stream(3 * BLOCK as u64 + 5).unwrap();
        assert_eq!(stream.inflated, 3 * BLOCK as u64);
        let mut inflated = Vec::new();
        flate2::read::DeflateDecoder::new(&stream.bytes[..]).read_to_end(&mut inflated).unwrap();
        assert_eq!(inflated.len(), 3 * BLOCK);
        assert!(inflated.iter().all(|&b| b == 0));
        assert_eq!(crc32fast::hash(&inflated), stream.crc);
    }

    /// The archive reads as a checkpoint whose tensors claim the bomb's size, and a tensor reads only
    /// as far as it reaches.
    #[test]
    fn the_storage_bomb_opens_as_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bomb.ckpt");
        write_storage_bomb(&path, 2 * BLOCK as u64).unwrap();
        let checkpoint = crate::checkpoint::Checkpoint::open(&path).unwrap();
        assert_eq!(checkpoint.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(checkpoint.shape("b").unwrap(), [2 * BLOCK / 4]);
        assert!(checkpoint.read_f32("c").unwrap().values.iter().all(|&v| v == 0.0));
    }
}
