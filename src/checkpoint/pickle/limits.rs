//! Limits. Real checkpoints stay far below all of them (an SD 1.5 checkpoint
//! has ~1,100 tensors and a pickle of ~100 KB); they exist so that a hostile
//! file fails fast instead of eating memory or time.

/// Values on the VM stack (torch's pickler batches containers by 1,000 items).
pub(super) const MAX_STACK: usize = 1 << 20;
/// Open MARKs, i.e. nesting of containers being built.
pub(super) const MAX_MARKS: usize = 1 << 16;
/// Memo entries.
pub(super) const MAX_MEMO: usize = 1 << 22;
/// Tuples, lists and dicts created (torch writes about six per tensor).
pub(super) const MAX_OBJECTS: usize = 1 << 21;
/// Items in one tuple, list or dict.
pub(super) const MAX_CONTAINER_LEN: usize = 1 << 24;
/// Metered work: guards against input that reuses one big memoized value many
/// times to cause quadratic work. Only operations whose cost is not bounded by
/// a constant per input byte are metered: dict insertions (one unit, plus one
/// per 256 key bytes hashed) and copying a container into an OrderedDict.
/// A 100,000-tensor checkpoint uses well under a million units.
pub(super) const MAX_WORK: usize = 1 << 24;
/// Dimensions of one tensor.
pub(super) const MAX_DIMS: usize = 64;
/// Container nesting when collecting tensors.
pub(super) const MAX_DEPTH: usize = 64;
/// Values visited when collecting tensors (shared sub-objects are visited once
/// per path, so a chain of shared lists could otherwise explode exponentially).
pub(super) const MAX_VISITS: usize = 1 << 22;
/// Tensor records returned (SD 1.5 with EMA weights has ~2,200; SDXL ~2,500).
/// Together with `MAX_DIMS` and the name limits this bounds the output size.
pub(super) const MAX_RECORDS: usize = 1 << 17;
/// Bytes in one dotted tensor name.
pub(super) const MAX_NAME_LEN: usize = 4096;
/// Bytes in all tensor names together.
pub(super) const MAX_NAME_BYTES: usize = 1 << 26;
/// Bytes in a storage key. Keys become archive entry names, so they are also
/// restricted to `[0-9A-Za-z_-]` (torch writes decimal numbers).
pub(super) const MAX_STORAGE_KEY_LEN: usize = 64;
/// Highest pickle protocol (Python 3.8+ writes up to 5).
pub(super) const MAX_PROTOCOL: u8 = 5;
