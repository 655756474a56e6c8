//! A restricted reader for the pickle inside PyTorch checkpoints (`.ckpt`, `.pt`).
//!
//! `torch.save` writes a zip archive whose `<prefix>/data.pkl` entry is a Python
//! pickle describing the saved object (usually a dict holding a `state_dict`),
//! while the raw tensor bytes live in `<prefix>/data/<key>` entries. A pickle is
//! a small stack-machine program, and Python's own unpickler will import and call
//! *any* function the program names — which is how malicious model files run
//! code. This module runs the program in a tiny virtual machine that knows only
//! the handful of globals torch uses to rebuild tensors; any other global is
//! refused the moment it is named, before anything else happens.
//!
//! Nothing is ever executed: "calling" an allowed global only builds a plain
//! Rust value (a dict, a tensor description, ...). The result is the list of
//! tensors reachable from the root object through dicts, lists and tuples, with
//! where their bytes are and how to view them ([`TensorRecord`]).
//!
//! The input is treated as hostile: every read is bounds-checked, every
//! container, stack and memo has a size limit, compound values live in a flat
//! arena (so deeply nested input cannot overflow the Rust stack, not even when
//! dropped), and work that could grow quadratically is metered.

use std::collections::HashMap;
use std::rc::Rc;

use super::ElementType;

impl ElementType {
    /// The dtype of a legacy typed storage class `torch.<name>`, which is what
    /// every torch version (2.x included) writes in a tensor's persistent id.
    fn from_storage_class(name: &str) -> Option<Self> {
        Some(match name {
            "DoubleStorage" => Self::F64,
            "FloatStorage" => Self::F32,
            "HalfStorage" => Self::F16,
            "BFloat16Storage" => Self::BF16,
            "LongStorage" => Self::I64,
            "IntStorage" => Self::I32,
            "ShortStorage" => Self::I16,
            "CharStorage" => Self::I8,
            "ByteStorage" => Self::U8,
            "BoolStorage" => Self::Bool,
            _ => return None,
        })
    }

    /// The dtype named by the global `torch.<name>` (a pickled `torch.dtype`).
    /// Pickles use the canonical names; the aliases cost nothing to accept.
    fn from_dtype_name(name: &str) -> Option<Self> {
        Some(match name {
            "float64" | "double" => Self::F64,
            "float32" | "float" => Self::F32,
            "float16" | "half" => Self::F16,
            "bfloat16" => Self::BF16,
            "int64" | "long" => Self::I64,
            "int32" | "int" => Self::I32,
            "int16" | "short" => Self::I16,
            "int8" => Self::I8,
            "uint8" => Self::U8,
            "bool" => Self::Bool,
            _ => return None,
        })
    }
}

/// One tensor found in the pickle: where its bytes live and how to view them.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRecord {
    /// Dotted path of dict keys from the root, e.g. "state_dict.model.diffusion_model.out.0.weight".
    pub name: String,
    pub dtype: ElementType,
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,   // in elements
    pub storage_offset: usize, // in elements
    pub storage_key: String,   // archive entry name under data/, e.g. "0"
    pub storage_numel: usize,  // element count of the whole storage, from the persistent id
}

/// Why a checkpoint's pickle could not be read. The messages are written for
/// the person who picked the file.
#[derive(Debug, thiserror::Error)]
pub enum PickleError {
    #[error(
        "the checkpoint's pickle asks for `{module}.{name}`, which is not a tensor-rebuild function; \
         Nurie refuses to run code from model files. Convert the file to .safetensors or get a \
         safetensors version."
    )]
    ForbiddenGlobal { module: String, name: String },

    #[error(
        "the checkpoint uses `{module}.{name}`, a PyTorch type Nurie cannot load (only plain \
         float, integer and bool tensors are supported). Convert the file to .safetensors or get \
         a safetensors version."
    )]
    UnsupportedGlobal { module: String, name: String },

    #[error(
        "the checkpoint's pickle has an unknown or unsupported instruction (opcode 0x{opcode:02x}) \
         at byte {offset}; the file is damaged or was not written by torch.save"
    )]
    UnknownOpcode { opcode: u8, offset: usize },

    #[error(
        "the checkpoint's pickle ends unexpectedly at byte {offset}; the file is truncated or \
         damaged (try downloading it again)"
    )]
    Truncated { offset: usize },

    #[error(
        "the checkpoint's pickle is malformed at byte {offset}: {reason}; the file is damaged or \
         was not written by torch.save"
    )]
    Malformed { offset: usize, reason: String },

    #[error(
        "the checkpoint stores a tensor in a form Nurie cannot load ({reason}, at byte {offset}). \
         Convert the file to .safetensors or get a safetensors version."
    )]
    UnsupportedTensor { offset: usize, reason: String },

    #[error(
        "the checkpoint's pickle is too large or too deeply nested to read safely ({what} is over \
         the limit of {limit})"
    )]
    LimitExceeded { what: &'static str, limit: usize },
}

type Result<T> = std::result::Result<T, PickleError>;

/// Walk the pickle and return every tensor reachable through dicts (and lists/tuples, named by index), in pickle order.
pub fn read_tensor_records(pickle_bytes: &[u8]) -> Result<Vec<TensorRecord>> {
    let mut machine = Machine::new(pickle_bytes);
    let root = machine.run()?;
    Walker::new(&machine.heap, pickle_bytes.len()).run(&root)
}

// ---------------------------------------------------------------------------
// Limits. Real checkpoints stay far below all of them (an SD 1.5 checkpoint
// has ~1,100 tensors and a pickle of ~100 KB); they exist so that a hostile
// file fails fast instead of eating memory or time.
// ---------------------------------------------------------------------------

/// Values on the VM stack (torch's pickler batches containers by 1,000 items).
const MAX_STACK: usize = 1 << 20;
/// Open MARKs, i.e. nesting of containers being built.
const MAX_MARKS: usize = 1 << 16;
/// Memo entries.
const MAX_MEMO: usize = 1 << 22;
/// Tuples, lists and dicts created (torch writes about six per tensor).
const MAX_OBJECTS: usize = 1 << 21;
/// Items in one tuple, list or dict.
const MAX_CONTAINER_LEN: usize = 1 << 24;
/// Metered work: guards against input that reuses one big memoized value many
/// times to cause quadratic work. Only operations whose cost is not bounded by
/// a constant per input byte are metered: dict insertions (one unit, plus one
/// per 256 key bytes hashed) and copying a container into an OrderedDict.
/// A 100,000-tensor checkpoint uses well under a million units.
const MAX_WORK: usize = 1 << 24;
/// Dimensions of one tensor.
const MAX_DIMS: usize = 64;
/// Container nesting when collecting tensors.
const MAX_DEPTH: usize = 64;
/// Values visited when collecting tensors (shared sub-objects are visited once
/// per path, so a chain of shared lists could otherwise explode exponentially).
const MAX_VISITS: usize = 1 << 22;
/// Tensor records returned (SD 1.5 with EMA weights has ~2,200; SDXL ~2,500).
/// Together with `MAX_DIMS` and the name limits this bounds the output size.
const MAX_RECORDS: usize = 1 << 17;
/// Bytes in one dotted tensor name.
const MAX_NAME_LEN: usize = 4096;
/// Bytes in all tensor names together.
const MAX_NAME_BYTES: usize = 1 << 26;
/// Bytes in a storage key. Keys become archive entry names, so they are also
/// restricted to `[0-9A-Za-z_-]` (torch writes decimal numbers).
const MAX_STORAGE_KEY_LEN: usize = 64;
/// Highest pickle protocol (Python 3.8+ writes up to 5).
const MAX_PROTOCOL: u8 = 5;

// ---------------------------------------------------------------------------
// Opcodes (see CPython's Lib/pickletools.py for the reference descriptions).
// ---------------------------------------------------------------------------

mod op {
    pub const MARK: u8 = b'(';
    pub const STOP: u8 = b'.';
    pub const POP: u8 = b'0';
    pub const POP_MARK: u8 = b'1';
    pub const DUP: u8 = b'2';
    pub const BINBYTES: u8 = b'B';
    pub const SHORT_BINBYTES: u8 = b'C';
    pub const BINFLOAT: u8 = b'G';
    pub const BININT: u8 = b'J';
    pub const BININT1: u8 = b'K';
    pub const BININT2: u8 = b'M';
    pub const NONE: u8 = b'N';
    pub const BINPERSID: u8 = b'Q';
    pub const REDUCE: u8 = b'R';
    pub const BINSTRING: u8 = b'T';
    pub const SHORT_BINSTRING: u8 = b'U';
    pub const BINUNICODE: u8 = b'X';
    pub const EMPTY_LIST: u8 = b']';
    pub const APPEND: u8 = b'a';
    pub const BUILD: u8 = b'b';
    pub const GLOBAL: u8 = b'c';
    pub const DICT: u8 = b'd';
    pub const APPENDS: u8 = b'e';
    pub const BINGET: u8 = b'h';
    pub const LONG_BINGET: u8 = b'j';
    pub const LIST: u8 = b'l';
    pub const BINPUT: u8 = b'q';
    pub const LONG_BINPUT: u8 = b'r';
    pub const SETITEM: u8 = b's';
    pub const TUPLE: u8 = b't';
    pub const SETITEMS: u8 = b'u';
    pub const EMPTY_TUPLE: u8 = b')';
    pub const EMPTY_DICT: u8 = b'}';
    pub const PROTO: u8 = 0x80;
    pub const NEWOBJ: u8 = 0x81;
    pub const TUPLE1: u8 = 0x85;
    pub const TUPLE2: u8 = 0x86;
    pub const TUPLE3: u8 = 0x87;
    pub const NEWTRUE: u8 = 0x88;
    pub const NEWFALSE: u8 = 0x89;
    pub const LONG1: u8 = 0x8a;
    pub const LONG4: u8 = 0x8b;
    pub const SHORT_BINUNICODE: u8 = 0x8c;
    pub const BINUNICODE8: u8 = 0x8d;
    pub const BINBYTES8: u8 = 0x8e;
    pub const EMPTY_SET: u8 = 0x8f;
    pub const ADDITEMS: u8 = 0x90;
    pub const FROZENSET: u8 = 0x91;
    pub const NEWOBJ_EX: u8 = 0x92;
    pub const STACK_GLOBAL: u8 = 0x93;
    pub const MEMOIZE: u8 = 0x94;
    pub const FRAME: u8 = 0x95;
    pub const BYTEARRAY8: u8 = 0x96;
}

// ---------------------------------------------------------------------------
// Globals: the only names a pickle may import.
// ---------------------------------------------------------------------------

/// What a storage persistent id says about its element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StorageKind {
    /// A legacy typed storage class such as `torch.HalfStorage`; its numel counts elements.
    Typed(ElementType),
    /// `torch.storage.UntypedStorage`; its numel counts bytes.
    Untyped,
}

impl StorageKind {
    fn element_size(self) -> usize {
        match self {
            Self::Typed(dtype) => dtype.size_bytes(),
            Self::Untyped => 1,
        }
    }
}

/// An allowed global. "Calling" one builds a plain value; nothing runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Global {
    OrderedDict,
    RebuildTensor,
    RebuildTensorV2,
    RebuildTensorV3,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromTypeV2,
    TensorClass,
    ParameterClass,
    Size,
    /// `torch.device`: an inert leaf (e.g. a saved `device` setting).
    Device,
    Storage(StorageKind),
    Dtype(ElementType),
}

impl Global {
    /// The Python name, for error messages.
    fn describe(self) -> &'static str {
        match self {
            Self::OrderedDict => "collections.OrderedDict",
            Self::RebuildTensor => "torch._utils._rebuild_tensor",
            Self::RebuildTensorV2 => "torch._utils._rebuild_tensor_v2",
            Self::RebuildTensorV3 => "torch._utils._rebuild_tensor_v3",
            Self::RebuildParameter => "torch._utils._rebuild_parameter",
            Self::RebuildParameterWithState => "torch._utils._rebuild_parameter_with_state",
            Self::RebuildFromTypeV2 => "torch._tensor._rebuild_from_type_v2",
            Self::TensorClass => "torch.Tensor",
            Self::ParameterClass => "torch.nn.parameter.Parameter",
            Self::Size => "torch.Size",
            Self::Device => "torch.device",
            Self::Storage(_) => "a torch storage class",
            Self::Dtype(_) => "a torch dtype",
        }
    }

    /// Functions that produce a tensor, i.e. valid as `func` of `_rebuild_from_type_v2`.
    fn rebuilds_tensor(self) -> bool {
        matches!(
            self,
            Self::RebuildTensor
                | Self::RebuildTensorV2
                | Self::RebuildTensorV3
                | Self::RebuildParameter
                | Self::RebuildParameterWithState
        )
    }
}

/// Resolve `module.name`, refusing everything outside the allow-list.
fn resolve_global(module: &str, name: &str) -> Result<Global> {
    let module = python3_module(module);
    if let Some(global) = allowed_global(module, name) {
        return Ok(global);
    }
    let (module, name) = (module.to_owned(), name.to_owned());
    if is_known_unsupported(&module, &name) {
        Err(PickleError::UnsupportedGlobal { module, name })
    } else {
        Err(PickleError::ForbiddenGlobal { module, name })
    }
}

/// Protocol 0-2 pickles written by Python 3 use Python 2 module names
/// (`builtins.eval` is written as `__builtin__.eval`); Python's unpickler maps
/// them back, so error messages name what would really have been imported.
fn python3_module(module: &str) -> &str {
    match module {
        "__builtin__" | "exceptions" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    }
}

fn allowed_global(module: &str, name: &str) -> Option<Global> {
    let global = match (module, name) {
        ("collections", "OrderedDict") => Global::OrderedDict,
        ("torch._utils", "_rebuild_tensor") => Global::RebuildTensor,
        ("torch._utils", "_rebuild_tensor_v2") => Global::RebuildTensorV2,
        ("torch._utils", "_rebuild_tensor_v3") => Global::RebuildTensorV3,
        ("torch._utils", "_rebuild_parameter") => Global::RebuildParameter,
        ("torch._utils", "_rebuild_parameter_with_state") => Global::RebuildParameterWithState,
        ("torch._tensor", "_rebuild_from_type_v2") => Global::RebuildFromTypeV2,
        ("torch" | "torch._tensor", "Tensor") => Global::TensorClass,
        ("torch.nn.parameter", "Parameter") => Global::ParameterClass,
        ("torch", "Size") => Global::Size,
        ("torch", "device") => Global::Device,
        ("torch" | "torch.storage", "UntypedStorage") => Global::Storage(StorageKind::Untyped),
        ("torch", other) => torch_type(other)?,
        _ => return None,
    };
    Some(global)
}

/// `torch.<name>` as a legacy storage class or a dtype.
fn torch_type(name: &str) -> Option<Global> {
    if let Some(dtype) = ElementType::from_storage_class(name) {
        return Some(Global::Storage(StorageKind::Typed(dtype)));
    }
    ElementType::from_dtype_name(name).map(Global::Dtype)
}

/// Harmless torch names for tensor kinds Nurie does not load (complex,
/// quantized, sparse, float8, ...). They get a "not supported" error instead of
/// the "refuses to run code" one, which would be misleading.
fn is_known_unsupported(module: &str, name: &str) -> bool {
    #[rustfmt::skip]
    const TORCH_NAMES: &[&str] = &[
        // dtypes without an ElementType
        "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf", "bcomplex32",
        "uint16", "uint32", "uint64", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7",
        "int1", "int2", "int3", "int4", "int5", "int6", "int7",
        "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu",
        "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
        "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
        // layouts and quantization schemes
        "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn",
        "jagged", "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
        "per_channel_symmetric", "per_channel_affine_float_qparams",
    ];
    match module {
        // Every `torch.*Storage` class: complex, quantized, TypedStorage.
        "torch" => name.ends_with("Storage") || TORCH_NAMES.contains(&name),
        "torch.storage" => name == "TypedStorage",
        // Quantized, sparse, nested, meta, numpy-backed, wrapper-subclass tensors.
        "torch._utils" => name.starts_with("_rebuild_"),
        "torch.serialization" => name == "_get_layout",
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Values. Compound values live in an arena (`Machine::heap`) and are referred
// to by index, which gives Python's shared-reference semantics for the memo,
// makes copies O(1), and keeps drops non-recursive.
// ---------------------------------------------------------------------------

type ObjId = usize;

#[derive(Debug, Clone)]
enum Value {
    None,
    Bool(bool),
    Int(i64),
    /// An integer too large for i64 (never a tensor field).
    BigInt,
    Float,
    Str(Rc<str>),
    Bytes,
    /// A set or frozenset; never holds tensors in a checkpoint, so its items are dropped.
    Set,
    /// A `torch.device` or similar inert object.
    Inert,
    Object(ObjId),
    Global(Global),
    Storage(Rc<Storage>),
    Tensor(Rc<Tensor>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Self::None => "None",
            Self::Bool(_) => "a bool",
            Self::Int(_) | Self::BigInt => "an int",
            Self::Float => "a float",
            Self::Str(_) => "a string",
            Self::Bytes => "bytes",
            Self::Set => "a set",
            Self::Inert => "an object",
            Self::Object(_) => "a container",
            Self::Global(_) => "a class or function",
            Self::Storage(_) => "a storage",
            Self::Tensor(_) => "a tensor",
        }
    }
}

#[derive(Debug)]
enum Object {
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Dict),
}

/// A Python dict: insertion-ordered, and setting an existing str/int key
/// replaces its value in place, as Python does.
#[derive(Debug, Default)]
struct Dict {
    entries: Vec<(Value, Value)>,
    index: HashMap<DictKey, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum DictKey {
    Str(Rc<str>),
    Int(i64),
    None,
}

impl DictKey {
    /// Hashable view of a key (True == 1 in Python, so bools map to ints).
    fn of(value: &Value) -> Option<Self> {
        match value {
            Value::Str(s) => Some(Self::Str(s.clone())),
            Value::Int(i) => Some(Self::Int(*i)),
            Value::Bool(b) => Some(Self::Int(i64::from(*b))),
            Value::None => Some(Self::None),
            _ => None,
        }
    }
}

/// A storage reference from a persistent id.
#[derive(Debug)]
struct Storage {
    kind: StorageKind,
    key: String,
    /// As written in the persistent id: elements for typed storages, bytes for untyped ones.
    numel: usize,
}

#[derive(Debug)]
struct Tensor {
    storage: Rc<Storage>,
    dtype: ElementType,
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
    storage_numel: usize,
}

// ---------------------------------------------------------------------------
// Input reader.
// ---------------------------------------------------------------------------

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let bytes = self.pos.checked_add(n).and_then(|end| self.data.get(self.pos..end));
        let bytes = bytes.ok_or(PickleError::Truncated { offset: self.data.len() })?;
        self.pos += n;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A length that does not fit in memory cannot be satisfied by the input either.
    fn len_u64(&mut self) -> Result<usize> {
        let n = self.u64()?;
        usize::try_from(n).map_err(|_| PickleError::Truncated { offset: self.data.len() })
    }

    /// Bytes up to (not including) the next newline, which is consumed.
    fn line(&mut self) -> Result<&'a [u8]> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == b'\n').ok_or(PickleError::Truncated { offset: self.data.len() })?;
        let line = self.take(len)?;
        self.take(1)?;
        Ok(line)
    }
}

/// Python ints are two's complement little-endian in LONG1/LONG4.
fn decode_long(bytes: &[u8]) -> Value {
    if bytes.len() > 8 {
        return Value::BigInt;
    }
    let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    buf[..bytes.len()].copy_from_slice(bytes);
    Value::Int(i64::from_le_bytes(buf))
}

/// BINSTRING holds Python 2 `str` bytes; latin-1 maps each byte to one char.
fn latin1(bytes: &[u8]) -> Rc<str> {
    bytes.iter().map(|&b| char::from(b)).collect::<String>().into()
}

fn valid_storage_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_STORAGE_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

// ---------------------------------------------------------------------------
// The virtual machine.
// ---------------------------------------------------------------------------

struct Machine<'a> {
    input: Reader<'a>,
    /// Offset of the opcode being executed, for error messages.
    op_offset: usize,
    stack: Vec<Value>,
    /// Stack heights at each open MARK.
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    heap: Vec<Object>,
    work: usize,
    /// `MAX_WORK`, lowered by tests that exercise the metering.
    work_limit: usize,
}

impl<'a> Machine<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self {
            input: Reader { data, pos: 0 },
            op_offset: 0,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: HashMap::new(),
            heap: Vec::new(),
            work: 0,
            work_limit: MAX_WORK,
        }
    }

    /// Execute until STOP and return the pickled root object.
    fn run(&mut self) -> Result<Value> {
        loop {
            self.op_offset = self.input.pos;
            let opcode = self.input.u8()?;
            if opcode == op::STOP {
                return self.pop();
            }
            self.step(opcode)?;
        }
    }

    fn step(&mut self, opcode: u8) -> Result<()> {
        match opcode {
            op::PROTO => self.proto(),
            op::FRAME => self.input.u64().map(drop),
            op::MARK => self.mark(),
            op::POP => self.pop_any(),
            op::POP_MARK => self.pop_mark().map(drop),
            op::DUP => self.dup(),
            op::NONE => self.push(Value::None),
            op::NEWTRUE => self.push(Value::Bool(true)),
            op::NEWFALSE => self.push(Value::Bool(false)),
            op::BINFLOAT => self.input.take(8).and_then(|_| self.push(Value::Float)),
            op::BININT | op::BININT1 | op::BININT2 | op::LONG1 | op::LONG4 => self.int(opcode),
            op::BINUNICODE | op::SHORT_BINUNICODE | op::BINUNICODE8 => self.unicode(opcode),
            op::BINSTRING | op::SHORT_BINSTRING => self.binstring(opcode),
            op::BINBYTES | op::SHORT_BINBYTES | op::BINBYTES8 | op::BYTEARRAY8 => self.bytes(opcode),
            op::BINPUT | op::LONG_BINPUT | op::MEMOIZE => self.put(opcode),
            op::BINGET | op::LONG_BINGET => self.get(opcode),
            op::GLOBAL => self.global(),
            op::STACK_GLOBAL => self.stack_global(),
            op::BINPERSID => self.persistent_id(),
            op::REDUCE => self.reduce(),
            op::NEWOBJ => self.newobj(false),
            op::NEWOBJ_EX => self.newobj(true),
            op::BUILD => self.build(),
            _ => self.container_op(opcode),
        }
    }

    fn container_op(&mut self, opcode: u8) -> Result<()> {
        match opcode {
            op::EMPTY_TUPLE => self.push_object(Object::Tuple(Vec::new())),
            op::TUPLE1 | op::TUPLE2 | op::TUPLE3 => self.small_tuple(opcode),
            op::TUPLE => self.tuple_from_mark(),
            op::EMPTY_LIST => self.push_object(Object::List(Vec::new())),
            op::LIST => self.list_from_mark(),
            op::APPEND => self.append(),
            op::APPENDS => self.appends(),
            op::EMPTY_DICT => self.push_object(Object::Dict(Dict::default())),
            op::DICT => self.dict_from_mark(),
            op::SETITEM => self.setitem(),
            op::SETITEMS => self.setitems(),
            op::EMPTY_SET => self.push(Value::Set),
            op::ADDITEMS => self.additems(),
            op::FROZENSET => self.pop_mark().and_then(|_| self.push(Value::Set)),
            _ => Err(PickleError::UnknownOpcode { opcode, offset: self.op_offset }),
        }
    }

    // ----- errors and metering -----

    fn malformed(&self, reason: impl Into<String>) -> PickleError {
        PickleError::Malformed { offset: self.op_offset, reason: reason.into() }
    }

    fn unsupported_tensor(&self, reason: impl Into<String>) -> PickleError {
        PickleError::UnsupportedTensor { offset: self.op_offset, reason: reason.into() }
    }

    fn charge(&mut self, units: usize) -> Result<()> {
        self.work = self.work.saturating_add(units);
        if self.work > self.work_limit {
            return Err(PickleError::LimitExceeded { what: "work on repeated data", limit: self.work_limit });
        }
        Ok(())
    }

    // ----- stack, marks, memo -----

    /// The lowest stack index the current (innermost-MARK) frame may touch.
    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn push(&mut self, value: Value) -> Result<()> {
        if self.stack.len() >= MAX_STACK {
            return Err(PickleError::LimitExceeded { what: "stack size", limit: MAX_STACK });
        }
        self.stack.push(value);
        Ok(())
    }

    fn pop(&mut self) -> Result<Value> {
        if self.stack.len() <= self.floor() {
            return Err(self.malformed("stack underflow"));
        }
        self.stack.pop().ok_or_else(|| self.malformed("stack underflow"))
    }

    fn top(&self) -> Result<&Value> {
        if self.stack.len() <= self.floor() {
            return Err(self.malformed("stack underflow"));
        }
        self.stack.last().ok_or_else(|| self.malformed("stack underflow"))
    }

    fn mark(&mut self) -> Result<()> {
        if self.marks.len() >= MAX_MARKS {
            return Err(PickleError::LimitExceeded { what: "nesting of MARKs", limit: MAX_MARKS });
        }
        self.marks.push(self.stack.len());
        Ok(())
    }

    /// Everything pushed since the innermost MARK, which is closed.
    fn pop_mark(&mut self) -> Result<Vec<Value>> {
        let at = self.marks.pop().ok_or_else(|| self.malformed("no MARK to close"))?;
        if at > self.stack.len() {
            return Err(self.malformed("MARK above the stack"));
        }
        Ok(self.stack.split_off(at))
    }

    /// POP drops the top value, or the whole frame if the top frame is empty (as in CPython).
    fn pop_any(&mut self) -> Result<()> {
        if self.stack.len() > self.floor() { self.pop().map(drop) } else { self.pop_mark().map(drop) }
    }

    fn dup(&mut self) -> Result<()> {
        let top = self.top()?.clone();
        self.push(top)
    }

    fn put(&mut self, opcode: u8) -> Result<()> {
        let index = match opcode {
            op::BINPUT => u32::from(self.input.u8()?),
            op::LONG_BINPUT => self.input.u32()?,
            _ => u32::try_from(self.memo.len()).map_err(|_| self.memo_full())?,
        };
        let value = self.top()?.clone();
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&index) {
            return Err(self.memo_full());
        }
        self.memo.insert(index, value);
        Ok(())
    }

    fn memo_full(&self) -> PickleError {
        PickleError::LimitExceeded { what: "memo size", limit: MAX_MEMO }
    }

    fn get(&mut self, opcode: u8) -> Result<()> {
        let index = match opcode {
            op::BINGET => u32::from(self.input.u8()?),
            _ => self.input.u32()?,
        };
        let value = self.memo.get(&index).cloned();
        let value = value.ok_or_else(|| self.malformed(format!("memo entry {index} is missing")))?;
        self.push(value)
    }

    // ----- scalars -----

    fn proto(&mut self) -> Result<()> {
        let version = self.input.u8()?;
        if version > MAX_PROTOCOL {
            return Err(self.malformed(format!("unsupported pickle protocol {version}")));
        }
        Ok(())
    }

    fn int(&mut self, opcode: u8) -> Result<()> {
        let value = match opcode {
            op::BININT => Value::Int(i64::from(self.input.i32()?)),
            op::BININT1 => Value::Int(i64::from(self.input.u8()?)),
            op::BININT2 => Value::Int(i64::from(self.input.u16()?)),
            op::LONG1 => {
                let len = usize::from(self.input.u8()?);
                decode_long(self.input.take(len)?)
            }
            _ => {
                let len = self.signed_len()?;
                decode_long(self.input.take(len)?)
            }
        };
        self.push(value)
    }

    /// A 4-byte signed length (LONG4, BINSTRING); negative is malformed.
    fn signed_len(&mut self) -> Result<usize> {
        let len = self.input.i32()?;
        usize::try_from(len).map_err(|_| self.malformed("negative length"))
    }

    fn unicode(&mut self, opcode: u8) -> Result<()> {
        let len = match opcode {
            op::SHORT_BINUNICODE => usize::from(self.input.u8()?),
            op::BINUNICODE => self.input.u32()? as usize,
            _ => self.input.len_u64()?,
        };
        let bytes = self.input.take(len)?;
        let text = std::str::from_utf8(bytes).map_err(|_| self.malformed("string is not valid UTF-8"))?;
        self.push(Value::Str(text.into()))
    }

    fn binstring(&mut self, opcode: u8) -> Result<()> {
        let len = match opcode {
            op::SHORT_BINSTRING => usize::from(self.input.u8()?),
            _ => self.signed_len()?,
        };
        let bytes = self.input.take(len)?;
        self.push(Value::Str(latin1(bytes)))
    }

    fn bytes(&mut self, opcode: u8) -> Result<()> {
        let len = match opcode {
            op::SHORT_BINBYTES => usize::from(self.input.u8()?),
            op::BINBYTES => self.input.u32()? as usize,
            _ => self.input.len_u64()?,
        };
        self.input.take(len)?;
        self.push(Value::Bytes)
    }

    // ----- containers -----

    fn alloc(&mut self, object: Object) -> Result<ObjId> {
        if self.heap.len() >= MAX_OBJECTS {
            return Err(PickleError::LimitExceeded { what: "number of containers", limit: MAX_OBJECTS });
        }
        self.heap.push(object);
        Ok(self.heap.len() - 1)
    }

    fn push_object(&mut self, object: Object) -> Result<()> {
        let id = self.alloc(object)?;
        self.push(Value::Object(id))
    }

    fn check_len(len: usize) -> Result<()> {
        if len > MAX_CONTAINER_LEN {
            return Err(PickleError::LimitExceeded { what: "container length", limit: MAX_CONTAINER_LEN });
        }
        Ok(())
    }

    fn small_tuple(&mut self, opcode: u8) -> Result<()> {
        let n = usize::from(opcode - op::TUPLE1) + 1;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        self.push_object(Object::Tuple(items))
    }

    fn tuple_from_mark(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        Self::check_len(items.len())?;
        self.push_object(Object::Tuple(items))
    }

    fn list_from_mark(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        Self::check_len(items.len())?;
        self.push_object(Object::List(items))
    }

    fn dict_from_mark(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        let id = self.alloc(Object::Dict(Dict::default()))?;
        self.insert_pairs(id, items)?;
        self.push(Value::Object(id))
    }

    /// The id of the list on top of the stack (the target of APPEND/APPENDS).
    fn top_list(&self) -> Result<ObjId> {
        match self.top()? {
            Value::Object(id) if matches!(self.heap.get(*id), Some(Object::List(_))) => Ok(*id),
            other => Err(self.malformed(format!("cannot append to {}", other.kind()))),
        }
    }

    fn top_dict(&self) -> Result<ObjId> {
        match self.top()? {
            Value::Object(id) if matches!(self.heap.get(*id), Some(Object::Dict(_))) => Ok(*id),
            other => Err(self.malformed(format!("cannot set items on {}", other.kind()))),
        }
    }

    fn append(&mut self) -> Result<()> {
        let item = self.pop()?;
        let id = self.top_list()?;
        self.extend_list(id, vec![item])
    }

    fn appends(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        let id = self.top_list()?;
        self.extend_list(id, items)
    }

    fn extend_list(&mut self, id: ObjId, items: Vec<Value>) -> Result<()> {
        if let Some(Object::List(list)) = self.heap.get_mut(id) {
            Self::check_len(list.len().saturating_add(items.len()))?;
            list.extend(items);
        }
        Ok(())
    }

    fn setitem(&mut self) -> Result<()> {
        let value = self.pop()?;
        let key = self.pop()?;
        let id = self.top_dict()?;
        self.insert_pairs(id, vec![key, value])
    }

    fn setitems(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        let id = self.top_dict()?;
        self.insert_pairs(id, items)
    }

    /// Insert `[k0, v0, k1, v1, ...]` into the dict `id`.
    fn insert_pairs(&mut self, id: ObjId, items: Vec<Value>) -> Result<()> {
        if !items.len().is_multiple_of(2) {
            return Err(self.malformed("odd number of items for a dict"));
        }
        let mut items = items.into_iter();
        while let (Some(key), Some(value)) = (items.next(), items.next()) {
            self.dict_insert(id, key, value)?;
        }
        Ok(())
    }

    fn dict_insert(&mut self, id: ObjId, key: Value, value: Value) -> Result<()> {
        let hash_key = DictKey::of(&key);
        let cost = match &hash_key {
            Some(DictKey::Str(s)) => 1 + s.len() / 256,
            _ => 1,
        };
        self.charge(cost)?;
        let Some(Object::Dict(dict)) = self.heap.get_mut(id) else {
            return Err(self.malformed("dict target vanished"));
        };
        match hash_key.as_ref().and_then(|k| dict.index.get(k)).copied() {
            Some(at) => {
                if let Some(slot) = dict.entries.get_mut(at) {
                    slot.1 = value;
                }
            }
            None => {
                Self::check_len(dict.entries.len() + 1)?;
                if let Some(k) = hash_key {
                    dict.index.insert(k, dict.entries.len());
                }
                dict.entries.push((key, value));
            }
        }
        Ok(())
    }

    fn additems(&mut self) -> Result<()> {
        self.pop_mark()?;
        match self.top()? {
            Value::Set => Ok(()),
            other => Err(self.malformed(format!("cannot add set items to {}", other.kind()))),
        }
    }

    // ----- globals, persistent ids, calls -----

    fn global(&mut self) -> Result<()> {
        let module = self.input.line()?;
        let name = self.input.line()?;
        let utf8 = |b| std::str::from_utf8(b).map_err(|_| self.malformed("global name is not valid UTF-8"));
        let global = resolve_global(utf8(module)?, utf8(name)?)?;
        self.push(Value::Global(global))
    }

    fn stack_global(&mut self) -> Result<()> {
        let name = self.pop()?;
        let module = self.pop()?;
        let (Value::Str(module), Value::Str(name)) = (&module, &name) else {
            return Err(self.malformed("STACK_GLOBAL needs two strings"));
        };
        let global = resolve_global(module, name)?;
        self.push(Value::Global(global))
    }

    /// The items of a tuple (or list) value, cloned, after checking the count is
    /// at most `max` (so reusing a huge tuple as arguments stays cheap).
    fn items(&self, value: &Value, max: usize, what: &str) -> Result<Vec<Value>> {
        let items = match value {
            Value::Object(id) => match self.heap.get(*id) {
                Some(Object::Tuple(items) | Object::List(items)) => items,
                _ => return Err(self.malformed(format!("{what} must be a tuple"))),
            },
            other => {
                return Err(self.malformed(format!("{what} must be a tuple, not {}", other.kind())));
            }
        };
        if items.len() > max {
            return Err(self.malformed(format!("{what} has {} items, at most {max} expected", items.len())));
        }
        Ok(items.clone())
    }

    fn usize_of(&self, value: &Value, what: &str) -> Result<usize> {
        match value {
            Value::Int(i) => usize::try_from(*i).map_err(|_| self.malformed(format!("{what} is negative"))),
            other => Err(self.malformed(format!("{what} must be an int, not {}", other.kind()))),
        }
    }

    fn str_of<'v>(&self, value: &'v Value, what: &str) -> Result<&'v str> {
        match value {
            Value::Str(s) => Ok(s),
            other => Err(self.malformed(format!("{what} must be a string, not {}", other.kind()))),
        }
    }

    /// BINPERSID: `('storage', storage_class, key, location, numel[, view_metadata])`.
    /// The 6-item form is torch's legacy (pre-1.6, non-zip) format.
    fn persistent_id(&mut self) -> Result<()> {
        let pid = self.pop()?;
        let items = self.items(&pid, 6, "persistent id")?;
        let [tag, class, key, location, numel, rest @ ..] = items.as_slice() else {
            return Err(self.malformed("persistent id has fewer than 5 items"));
        };
        if self.str_of(tag, "persistent id tag")? != "storage" {
            return Err(self.malformed("persistent id is not a storage"));
        }
        let Value::Global(Global::Storage(kind)) = class else {
            return Err(self.malformed("persistent id does not name a storage class"));
        };
        if !matches!(rest, [] | [Value::None]) {
            return Err(self.unsupported_tensor("a legacy storage view"));
        }
        let key = self.str_of(key, "storage key")?;
        if !valid_storage_key(key) {
            return Err(self.malformed("storage key is not a short alphanumeric name"));
        }
        self.str_of(location, "storage location")?;
        let numel = self.usize_of(numel, "storage size")?;
        let storage = Storage { kind: *kind, key: key.to_owned(), numel };
        self.push(Value::Storage(Rc::new(storage)))
    }

    fn reduce(&mut self) -> Result<()> {
        let args = self.pop()?;
        let func = self.pop()?;
        let Value::Global(global) = func else {
            return Err(self.malformed(format!("cannot call {}", func.kind())));
        };
        let args = self.items(&args, 8, "call arguments")?;
        let result = self.call(global, &args)?;
        self.push(result)
    }

    /// NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args)`; only OrderedDict and torch.Size.
    fn newobj(&mut self, with_kwargs: bool) -> Result<()> {
        if with_kwargs {
            self.pop()?;
        }
        let args = self.pop()?;
        let class = self.pop()?;
        let result = match class {
            Value::Global(Global::OrderedDict) => Value::Object(self.alloc(Object::Dict(Dict::default()))?),
            Value::Global(Global::Size) => {
                let args = self.items(&args, 1, "torch.Size arguments")?;
                self.call(Global::Size, &args)?
            }
            other => return Err(self.malformed(format!("cannot instantiate {}", other.kind()))),
        };
        self.push(result)
    }

    /// BUILD sets object state. Tensors and dicts carry nothing we need in it
    /// (an OrderedDict state dict's `_metadata`, a parameter's Python attributes).
    fn build(&mut self) -> Result<()> {
        self.pop()?;
        match self.top()? {
            Value::Tensor(_) | Value::Inert => Ok(()),
            Value::Object(id) if matches!(self.heap.get(*id), Some(Object::Dict(_))) => Ok(()),
            other => Err(self.malformed(format!("cannot set the state of {}", other.kind()))),
        }
    }

    fn call(&mut self, global: Global, args: &[Value]) -> Result<Value> {
        match global {
            Global::OrderedDict => self.ordered_dict(args),
            Global::Size => self.size(args),
            Global::Device => Ok(Value::Inert),
            Global::RebuildFromTypeV2 => self.rebuild_from_type(args),
            g if g.rebuilds_tensor() => self.rebuild_tensor(g, args),
            _ => Err(self.malformed(format!("cannot call {}", global.describe()))),
        }
    }

    /// `OrderedDict()`, `OrderedDict(iterable_of_pairs)` or `OrderedDict(dict)`.
    fn ordered_dict(&mut self, args: &[Value]) -> Result<Value> {
        let id = self.alloc(Object::Dict(Dict::default()))?;
        match args {
            [] => {}
            [Value::Object(src)] => {
                let flat = self.flat_pairs(*src)?;
                self.insert_pairs(id, flat)?;
            }
            _ => return Err(self.malformed("OrderedDict takes a list of pairs")),
        }
        Ok(Value::Object(id))
    }

    /// `[k0, v0, k1, v1, ...]` from a dict or a sequence of 2-item tuples/lists.
    fn flat_pairs(&mut self, src: ObjId) -> Result<Vec<Value>> {
        let len = match self.heap.get(src) {
            Some(Object::Dict(dict)) => dict.entries.len(),
            Some(Object::Tuple(items) | Object::List(items)) => items.len(),
            None => 0,
        };
        self.charge(len)?;
        let flat = match self.heap.get(src) {
            Some(Object::Dict(dict)) => dict.entries.iter().flat_map(|(k, v)| [k.clone(), v.clone()]).collect(),
            Some(Object::Tuple(items) | Object::List(items)) => {
                let mut flat = Vec::with_capacity(items.len().saturating_mul(2));
                for item in items {
                    flat.extend(self.pair(item)?);
                }
                flat
            }
            None => return Err(self.malformed("OrderedDict argument vanished")),
        };
        Ok(flat)
    }

    fn pair(&self, item: &Value) -> Result<[Value; 2]> {
        if let Value::Object(id) = item
            && let Some(Object::Tuple(kv) | Object::List(kv)) = self.heap.get(*id)
            && let [k, v] = kv.as_slice()
        {
            return Ok([k.clone(), v.clone()]);
        }
        Err(self.malformed("OrderedDict item is not a (key, value) pair"))
    }

    /// `torch.Size(dims)` is a tuple of ints.
    fn size(&mut self, args: &[Value]) -> Result<Value> {
        let [dims] = args else {
            return Err(self.malformed("torch.Size takes one argument"));
        };
        let dims = self.items(dims, MAX_DIMS, "torch.Size")?;
        self.push_tuple(dims)
    }

    fn push_tuple(&mut self, items: Vec<Value>) -> Result<Value> {
        Ok(Value::Object(self.alloc(Object::Tuple(items))?))
    }

    /// `_rebuild_from_type_v2(func, new_type, args, state)`: a tensor (or
    /// subclass) with Python state; `func(*args)` builds it.
    fn rebuild_from_type(&mut self, args: &[Value]) -> Result<Value> {
        let [Value::Global(func), Value::Global(new_type), inner, _state] = args else {
            return Err(self.malformed("_rebuild_from_type_v2 takes (func, type, args, state)"));
        };
        if !matches!(new_type, Global::TensorClass | Global::ParameterClass) {
            return Err(self.malformed(format!("_rebuild_from_type_v2 cannot make {}", new_type.describe())));
        }
        if !func.rebuilds_tensor() {
            return Err(self.malformed(format!("_rebuild_from_type_v2 cannot call {}", func.describe())));
        }
        let inner = self.items(inner, 8, "_rebuild_from_type_v2 arguments")?;
        self.rebuild_tensor(*func, &inner)
    }

    fn rebuild_tensor(&mut self, func: Global, args: &[Value]) -> Result<Value> {
        match (func, args) {
            (Global::RebuildParameter, [data, _, _]) | (Global::RebuildParameterWithState, [data, _, _, _]) => match data {
                Value::Tensor(_) => Ok(data.clone()),
                other => Err(self.malformed(format!("parameter data is {}", other.kind()))),
            },
            (Global::RebuildTensor, [storage, offset, size, stride]) => self.tensor(storage, offset, size, stride, None),
            (Global::RebuildTensorV2, [storage, offset, size, stride, _grad, _hooks, metadata @ ..]) if metadata.len() <= 1 => {
                self.check_metadata(metadata)?;
                self.tensor(storage, offset, size, stride, None)
            }
            (Global::RebuildTensorV3, [storage, offset, size, stride, _grad, _hooks, dtype, metadata @ ..])
                if metadata.len() <= 1 =>
            {
                let Value::Global(Global::Dtype(dtype)) = dtype else {
                    return Err(self.malformed("_rebuild_tensor_v3 needs a dtype"));
                };
                self.check_metadata(metadata)?;
                self.tensor(storage, offset, size, stride, Some(*dtype))
            }
            _ => Err(self.malformed(format!("wrong arguments for {}", func.describe()))),
        }
    }

    /// Tensor metadata flags (`{'neg': True}`, `{'conj': True}`) change what the
    /// stored numbers mean; refuse them rather than return wrong weights.
    fn check_metadata(&self, metadata: &[Value]) -> Result<()> {
        let Some(Value::Object(id)) = metadata.first() else {
            return Ok(());
        };
        if let Some(Object::Dict(dict)) = self.heap.get(*id)
            && dict.entries.iter().any(|(_, v)| !matches!(v, Value::Bool(false) | Value::None))
        {
            return Err(self.unsupported_tensor("a tensor with a negation or conjugation flag"));
        }
        Ok(())
    }

    fn dims(&mut self, value: &Value, what: &str) -> Result<Vec<usize>> {
        let items = self.items(value, MAX_DIMS, what)?;
        items.iter().map(|v| self.usize_of(v, what)).collect()
    }

    fn tensor(
        &mut self,
        storage: &Value,
        offset: &Value,
        size: &Value,
        stride: &Value,
        dtype: Option<ElementType>,
    ) -> Result<Value> {
        let Value::Storage(storage) = storage else {
            return Err(self.malformed(format!("tensor storage is {}", storage.kind())));
        };
        let dtype = match (dtype, storage.kind) {
            (Some(dtype), _) | (None, StorageKind::Typed(dtype)) => dtype,
            (None, StorageKind::Untyped) => ElementType::U8,
        };
        let storage_numel = self.storage_numel(storage, dtype)?;
        let offset = self.usize_of(offset, "storage offset")?;
        let shape = self.dims(size, "tensor size")?;
        let strides = self.dims(stride, "tensor stride")?;
        if shape.len() != strides.len() {
            return Err(self.malformed("tensor size and stride differ in length"));
        }
        self.check_size(&shape, dtype)?;
        let tensor = Tensor { storage: storage.clone(), dtype, shape, strides, offset, storage_numel };
        Ok(Value::Tensor(Rc::new(tensor)))
    }

    /// The storage size in elements of `dtype` (untyped storages count bytes).
    fn storage_numel(&self, storage: &Storage, dtype: ElementType) -> Result<usize> {
        let nbytes = storage
            .numel
            .checked_mul(storage.kind.element_size())
            .filter(|&n| isize::try_from(n).is_ok())
            .ok_or_else(|| self.malformed("storage size overflows"))?;
        if !nbytes.is_multiple_of(dtype.size_bytes()) {
            return Err(self.malformed("storage size is not a whole number of elements"));
        }
        Ok(nbytes / dtype.size_bytes())
    }

    /// The view's total byte count must fit in memory arithmetic. Whether the view lies inside its
    /// storage is checked by the archive reader, which knows the tensor's name and the storage's
    /// real length.
    fn check_size(&self, shape: &[usize], dtype: ElementType) -> Result<()> {
        let numel = shape.iter().try_fold(1usize, |acc, &n| acc.checked_mul(n));
        let nbytes = numel.and_then(|n| n.checked_mul(dtype.size_bytes()));
        if nbytes.is_none_or(|n| isize::try_from(n).is_err()) {
            return Err(self.malformed("tensor size overflows"));
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Collecting tensors: an iterative walk over the result, so hostile nesting
// cannot overflow the stack, with limits on depth, visits and name sizes.
// ---------------------------------------------------------------------------

/// A container being walked: its children from `next` on are still to visit.
struct Frame {
    id: ObjId,
    next: usize,
    name: String,
    depth: usize,
}

/// A child of a container: its name segment (if nameable) and its value.
struct Child<'h> {
    key: Option<String>,
    value: &'h Value,
}

struct Walker<'h> {
    heap: &'h [Object],
    end_offset: usize,
    frames: Vec<Frame>,
    records: Vec<TensorRecord>,
    visits: usize,
    name_bytes: usize,
}

impl<'h> Walker<'h> {
    fn new(heap: &'h [Object], end_offset: usize) -> Self {
        Self { heap, end_offset, frames: Vec::new(), records: Vec::new(), visits: 0, name_bytes: 0 }
    }

    fn run(mut self, root: &Value) -> Result<Vec<TensorRecord>> {
        self.visit(root, String::new(), 0)?;
        while let Some(frame) = self.frames.last_mut() {
            let Some(child) = child_at(self.heap, frame.id, frame.next) else {
                self.frames.pop();
                continue;
            };
            frame.next += 1;
            let (parent, depth) = (&frame.name, frame.depth + 1);
            let Some(key) = child.key else {
                self.check_unnamed(child.value)?;
                continue;
            };
            let name = join_name(parent, &key)?;
            self.visit(child.value, name, depth)?;
        }
        Ok(self.records)
    }

    fn visit(&mut self, value: &Value, name: String, depth: usize) -> Result<()> {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return Err(PickleError::LimitExceeded { what: "values visited", limit: MAX_VISITS });
        }
        match value {
            Value::Tensor(tensor) => self.record(tensor, name),
            Value::Object(id) => {
                if depth > MAX_DEPTH {
                    return Err(PickleError::LimitExceeded { what: "nesting depth", limit: MAX_DEPTH });
                }
                self.frames.push(Frame { id: *id, next: 0, name, depth });
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A dict key that is neither str, int, bool nor None cannot name a
    /// tensor; that is fine as long as nothing of interest sits under it.
    fn check_unnamed(&self, value: &Value) -> Result<()> {
        match value {
            Value::Tensor(_) | Value::Object(_) => Err(PickleError::Malformed {
                offset: self.end_offset,
                reason: "tensors are stored under a dict key that is not a string or number".into(),
            }),
            _ => Ok(()),
        }
    }

    fn record(&mut self, tensor: &Tensor, name: String) -> Result<()> {
        if self.records.len() >= MAX_RECORDS {
            return Err(PickleError::LimitExceeded { what: "number of tensors", limit: MAX_RECORDS });
        }
        self.name_bytes += name.len();
        if self.name_bytes > MAX_NAME_BYTES {
            return Err(PickleError::LimitExceeded { what: "total size of tensor names", limit: MAX_NAME_BYTES });
        }
        self.records.push(TensorRecord {
            name,
            dtype: tensor.dtype,
            shape: tensor.shape.clone(),
            strides: tensor.strides.clone(),
            storage_offset: tensor.offset,
            storage_key: tensor.storage.key.clone(),
            storage_numel: tensor.storage_numel,
        });
        Ok(())
    }
}

/// The `index`-th child of container `id`, or None past the end.
fn child_at(heap: &[Object], id: ObjId, index: usize) -> Option<Child<'_>> {
    match heap.get(id)? {
        Object::Tuple(items) | Object::List(items) => items.get(index).map(|value| Child { key: Some(index.to_string()), value }),
        Object::Dict(dict) => dict.entries.get(index).map(|(k, value)| Child { key: key_name(k), value }),
    }
}

/// How a dict key appears in a dotted name (Python's `str(key)` for the usual types).
fn key_name(key: &Value) -> Option<String> {
    match key {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Bool(true) => Some("True".into()),
        Value::Bool(false) => Some("False".into()),
        Value::None => Some("None".into()),
        _ => None,
    }
}

fn join_name(parent: &str, key: &str) -> Result<String> {
    let len = parent.len() + usize::from(!parent.is_empty()) + key.len();
    if len > MAX_NAME_LEN {
        return Err(PickleError::LimitExceeded { what: "length of a tensor name", limit: MAX_NAME_LEN });
    }
    let mut name = String::with_capacity(len);
    if !parent.is_empty() {
        name.push_str(parent);
        name.push('.');
    }
    name.push_str(key);
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ElementType::*;

    /// Fixture bytes from `tests/fixtures/pickle/` (see `make_pickle_fixtures.py` there).
    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pickle/", $name)) as &[u8]
        };
    }

    /// Every `data.pkl`-style fixture, for the robustness loops.
    const PICKLES: &[(&str, &[u8])] = &[
        ("state_dict_nested", fixture!("state_dict_nested.pkl")),
        ("state_dict_proto5", fixture!("state_dict_proto5.pkl")),
        ("shared_views", fixture!("shared_views.pkl")),
        ("scalar", fixture!("scalar.pkl")),
        ("root_tensor", fixture!("root_tensor.pkl")),
        ("parameters", fixture!("parameters.pkl")),
        ("v3_untyped", fixture!("v3_untyped.pkl")),
        ("unsupported_uint16", fixture!("unsupported_uint16.pkl")),
        ("unsupported_complex", fixture!("unsupported_complex.pkl")),
        ("with_device", fixture!("with_device.pkl")),
        ("evil_eval", fixture!("evil_eval.pkl")),
        ("evil_proto4", fixture!("evil_proto4.pkl")),
        ("evil_os_system", fixture!("evil_os_system.pkl")),
        ("lightning_callbacks", fixture!("lightning_callbacks.pkl")),
        ("legacy_format", fixture!("legacy_format.pkl")),
    ];

    fn rec(
        name: &str,
        dtype: ElementType,
        shape: &[usize],
        strides: &[usize],
        offset: usize,
        key: &str,
        numel: usize,
    ) -> TensorRecord {
        TensorRecord {
            name: name.into(),
            dtype,
            shape: shape.into(),
            strides: strides.into(),
            storage_offset: offset,
            storage_key: key.into(),
            storage_numel: numel,
        }
    }

    fn names(records: &[TensorRecord]) -> Vec<&str> {
        records.iter().map(|r| r.name.as_str()).collect()
    }

    fn nested_expected() -> Vec<TensorRecord> {
        let sd = |n: &str| format!("state_dict.{n}");
        vec![
            rec(&sd("model.diffusion_model.out.0.weight"), F32, &[2, 3], &[3, 1], 0, "0", 6),
            rec(&sd("model.diffusion_model.out.0.bias"), F16, &[3], &[1], 0, "1", 3),
            rec(&sd("first_stage_model.scale"), BF16, &[2, 2], &[2, 1], 0, "2", 4),
            rec(&sd("model.num_updates"), I64, &[1], &[1], 0, "3", 1),
            rec(&sd("cond_stage_model.f64"), F64, &[2], &[1], 0, "4", 2),
            rec(&sd("cond_stage_model.i32"), I32, &[2], &[1], 0, "5", 2),
            rec(&sd("cond_stage_model.i16"), I16, &[2], &[1], 0, "6", 2),
            rec(&sd("cond_stage_model.i8"), I8, &[2], &[1], 0, "7", 2),
            rec(&sd("cond_stage_model.u8"), U8, &[2], &[1], 0, "8", 2),
            rec(&sd("cond_stage_model.mask"), Bool, &[2], &[1], 0, "9", 2),
            rec("optimizer_states.0.state.0.exp_avg", F32, &[2], &[1], 0, "10", 2),
            rec("pair.0", F32, &[1], &[1], 0, "11", 1),
        ]
    }

    // ----- real torch.save output -----

    #[test]
    fn nested_state_dict_with_all_dtypes() {
        let records = read_tensor_records(fixture!("state_dict_nested.pkl")).unwrap();
        assert_eq!(records, nested_expected());
    }

    #[test]
    fn protocol_5_gives_the_same_records() {
        let records = read_tensor_records(fixture!("state_dict_proto5.pkl")).unwrap();
        assert_eq!(records, nested_expected());
    }

    #[test]
    fn shared_storage_offsets_and_transposed_views() {
        let records = read_tensor_records(fixture!("shared_views.pkl")).unwrap();
        let expected = vec![
            rec("grid", F32, &[4, 6], &[6, 1], 0, "0", 24),
            rec("row2", F32, &[6], &[1], 12, "0", 24),
            rec("col1", F32, &[4], &[6], 1, "0", 24),
            rec("gridT", F32, &[6, 4], &[1, 6], 0, "0", 24),
            rec("slice", F32, &[4], &[1], 5, "0", 24),
        ];
        assert_eq!(records, expected);
    }

    #[test]
    fn zero_dim_and_empty_tensors() {
        let records = read_tensor_records(fixture!("scalar.pkl")).unwrap();
        let expected = vec![
            rec("scale", F32, &[], &[], 0, "0", 1),
            rec("count", I64, &[], &[], 0, "1", 1),
            rec("empty", F32, &[0, 3], &[3, 1], 0, "2", 0),
        ];
        assert_eq!(records, expected);
    }

    #[test]
    fn root_tensor_has_empty_name() {
        let records = read_tensor_records(fixture!("root_tensor.pkl")).unwrap();
        assert_eq!(records, vec![rec("", I64, &[3], &[1], 0, "0", 3)]);
    }

    #[test]
    fn parameters_and_tensors_with_python_state() {
        let records = read_tensor_records(fixture!("parameters.pkl")).unwrap();
        let expected = vec![
            rec("named.weight", F32, &[2, 3], &[3, 1], 0, "0", 6),
            rec("named.bias", F32, &[2], &[1], 0, "1", 2),
            rec("list.0", F32, &[2, 3], &[3, 1], 0, "0", 6),
            rec("list.1", F32, &[2], &[1], 0, "1", 2),
            rec("tagged", F32, &[2], &[1], 0, "2", 2),
            rec("plain_with_attr", F32, &[2], &[1], 0, "3", 2),
            rec("as_param", F32, &[4], &[1], 0, "4", 4),
        ];
        assert_eq!(records, expected);
    }

    #[test]
    fn rebuild_tensor_v3_with_untyped_storage() {
        let records = read_tensor_records(fixture!("v3_untyped.pkl")).unwrap();
        assert_eq!(records, vec![rec("w", F16, &[4], &[1], 0, "0", 4)]);
    }

    #[test]
    fn device_size_and_dtype_leaves_are_skipped() {
        let records = read_tensor_records(fixture!("with_device.pkl")).unwrap();
        assert_eq!(records, vec![rec("w", F32, &[1], &[1], 0, "0", 1)]);
    }

    #[test]
    fn legacy_non_zip_format() {
        let records = read_tensor_records(fixture!("legacy_format.pkl")).unwrap();
        assert_eq!(names(&records), ["a", "b"]);
        let key = &records[0].storage_key;
        assert!(key.bytes().all(|b| b.is_ascii_digit()), "{key}");
        assert_eq!(records[0], rec("a", F32, &[4], &[1], 0, key, 4));
        assert_eq!(records[1], rec("b", F32, &[2], &[1], 1, key, 4));
    }

    #[test]
    fn unsupported_dtypes_are_named() {
        for (bytes, want) in
            [(fixture!("unsupported_uint16.pkl"), "uint16"), (fixture!("unsupported_complex.pkl"), "ComplexFloatStorage")]
        {
            match read_tensor_records(bytes) {
                Err(PickleError::UnsupportedGlobal { module, name }) => {
                    assert_eq!((module.as_str(), name.as_str()), ("torch", want));
                }
                other => panic!("expected UnsupportedGlobal for {want}, got {other:?}"),
            }
        }
    }

    fn forbidden(bytes: &[u8]) -> (String, String, String) {
        match read_tensor_records(bytes) {
            Err(err @ PickleError::ForbiddenGlobal { .. }) => {
                let message = err.to_string();
                let PickleError::ForbiddenGlobal { module, name } = err else { unreachable!() };
                (module, name, message)
            }
            other => panic!("expected ForbiddenGlobal, got {other:?}"),
        }
    }

    #[test]
    fn eval_is_forbidden() {
        // Protocol 2 writes `__builtin__.eval`, protocol 4 `builtins.eval`.
        for bytes in [fixture!("evil_eval.pkl"), fixture!("evil_proto4.pkl")] {
            let (module, name, message) = forbidden(bytes);
            assert_eq!((module.as_str(), name.as_str()), ("builtins", "eval"));
            assert!(message.contains("`builtins.eval`"), "{message}");
            assert!(message.contains("refuses to run code"), "{message}");
            assert!(message.contains(".safetensors"), "{message}");
        }
    }

    #[test]
    fn os_system_is_forbidden() {
        let (module, name, _) = forbidden(fixture!("evil_os_system.pkl"));
        assert_eq!((module.as_str(), name.as_str()), ("posix", "system"));
    }

    #[test]
    fn lightning_callback_is_forbidden_and_named() {
        let (module, name, message) = forbidden(fixture!("lightning_callbacks.pkl"));
        assert_eq!(module, "pytorch_lightning.callbacks.model_checkpoint");
        assert_eq!(name, "ModelCheckpoint");
        assert!(message.contains("`pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint`"));
    }

    // ----- the whole tiny checkpoint, as the zip-level reader will see it -----

    fn zip_entry(archive: &[u8], name: &str) -> Vec<u8> {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive)).unwrap();
        let mut entry = zip.by_name(name).unwrap();
        let mut out = Vec::new();
        entry.read_to_end(&mut out).unwrap();
        out
    }

    /// Element `index` (per dimension) of a record's view, as raw little-endian bytes.
    fn element<'s>(storage: &'s [u8], r: &TensorRecord, index: &[usize]) -> &'s [u8] {
        let at = r.storage_offset + index.iter().zip(&r.strides).map(|(i, s)| i * s).sum::<usize>();
        let size = r.dtype.size_bytes();
        &storage[at * size..(at + 1) * size]
    }

    #[test]
    fn tiny_torch_save_checkpoint_end_to_end() {
        let archive = fixture!("tiny_torch_save.ckpt");
        let records = read_tensor_records(&zip_entry(archive, "archive/data.pkl")).unwrap();
        let md = |n: &str| format!("state_dict.model.diffusion_model.{n}");
        let expected = vec![
            rec(&md("input.weight"), F32, &[2, 3], &[3, 1], 0, "0", 6),
            rec(&md("input.weight_t"), F32, &[3, 2], &[1, 3], 0, "0", 6),
            rec(&md("input.row1"), F32, &[3], &[1], 3, "0", 6),
            rec(&md("half"), F16, &[4], &[1], 0, "1", 4),
            rec("state_dict.first_stage_model.bf16", BF16, &[4], &[1], 0, "2", 4),
            rec("state_dict.cond_stage_model.steps", I64, &[3], &[1], 0, "3", 3),
        ];
        assert_eq!(records, expected);

        let data = |r: &TensorRecord| zip_entry(archive, &format!("archive/data/{}", r.storage_key));
        for r in &records {
            assert_eq!(data(r).len(), r.storage_numel * r.dtype.size_bytes(), "{}", r.name);
        }
        let f32_at = |r: &TensorRecord, ix: &[usize]| f32::from_le_bytes(element(&data(r), r, ix).try_into().unwrap());
        assert_eq!(f32_at(&records[0], &[1, 2]), 5.0);
        assert_eq!(f32_at(&records[1], &[2, 1]), 5.0); // transposed
        assert_eq!(f32_at(&records[2], &[0]), 3.0); // row 1
        let u16s = |r: &TensorRecord| -> Vec<u16> { data(r).chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect() };
        assert_eq!(u16s(&records[3]), [0x0000, 0x3800, 0x3c00, 0x3e00]); // f16 0, .5, 1, 1.5
        assert_eq!(u16s(&records[4]), [0xc000, 0xbf80, 0x0000, 0x3f80]); // bf16 -2, -1, 0, 1
        let steps: Vec<i64> = data(&records[5]).chunks(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(steps, [10, 11, 12]);
        assert_eq!(zip_entry(archive, "archive/byteorder"), b"little");
    }

    // ----- robustness -----

    #[test]
    fn every_truncation_is_an_error() {
        let tiny = zip_entry(fixture!("tiny_torch_save.ckpt"), "archive/data.pkl");
        for (name, bytes) in PICKLES.iter().copied().chain([("tiny", tiny.as_slice())]) {
            // A file refused for a global is refused as soon as the global is
            // read, so its longer prefixes fail that way instead.
            let refused = read_tensor_records(bytes).is_err();
            for cut in 0..bytes.len() {
                match read_tensor_records(&bytes[..cut]) {
                    Err(PickleError::Truncated { offset }) => {
                        assert_eq!(offset, cut, "{name} cut at {cut}")
                    }
                    Err(PickleError::ForbiddenGlobal { .. } | PickleError::UnsupportedGlobal { .. }) if refused => {}
                    other => panic!("{name} cut at {cut}: {other:?}"),
                }
            }
        }
    }

    /// xorshift64*: a deterministic source of junk.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn random_garbage_never_panics() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..5000 {
            let len = rng.below(600);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if rng.below(2) == 0 && len >= 2 {
                bytes[..2].copy_from_slice(&[0x80, 2]);
            }
            let _ = read_tensor_records(&bytes);
        }
    }

    #[test]
    fn mutated_fixtures_never_panic() {
        let mut rng = Rng(42);
        for (_, original) in PICKLES {
            for _ in 0..400 {
                let mut bytes = original.to_vec();
                for _ in 0..=rng.below(4) {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }
                let _ = read_tensor_records(&bytes);
            }
        }
    }

    // ----- hand-assembled pickles for opcodes and attacks torch never writes -----

    /// A tiny pickle assembler (protocol 2 header).
    struct P(Vec<u8>);
    impl P {
        fn new() -> Self {
            P(vec![op::PROTO, 2])
        }
        fn op(mut self, byte: u8) -> Self {
            self.0.push(byte);
            self
        }
        fn raw(mut self, bytes: &[u8]) -> Self {
            self.0.extend_from_slice(bytes);
            self
        }
        fn int(self, i: u8) -> Self {
            self.op(op::BININT1).op(i)
        }
        fn s(self, text: &str) -> Self {
            let len = (text.len() as u32).to_le_bytes();
            self.op(op::BINUNICODE).raw(&len).raw(text.as_bytes())
        }
        fn global(self, module: &str, name: &str) -> Self {
            self.op(op::GLOBAL).raw(format!("{module}\n{name}\n").as_bytes())
        }
        fn dims(self, dims: &[u8]) -> Self {
            dims.iter().fold(self.op(op::MARK), |p, &d| p.int(d)).op(op::TUPLE)
        }
        fn storage(self, key: &str, numel: u8) -> Self {
            self.op(op::MARK)
                .s("storage")
                .global("torch", "FloatStorage")
                .s(key)
                .s("cpu")
                .int(numel)
                .op(op::TUPLE)
                .op(op::BINPERSID)
        }
        fn hooks(self) -> Self {
            self.global("collections", "OrderedDict").op(op::EMPTY_TUPLE).op(op::REDUCE)
        }
        /// `_rebuild_tensor_v2` of a 1-d float tensor on storage `key`.
        fn tensor(self, key: &str, numel: u8, len: u8) -> Self {
            self.global("torch._utils", "_rebuild_tensor_v2")
                .op(op::MARK)
                .storage(key, numel)
                .int(0)
                .dims(&[len])
                .dims(&[1])
                .op(op::NEWFALSE)
                .hooks()
                .op(op::TUPLE)
                .op(op::REDUCE)
        }
        fn stop(self) -> Vec<u8> {
            self.op(op::STOP).0
        }
    }

    fn read(p: P) -> Result<Vec<TensorRecord>> {
        read_tensor_records(&p.stop())
    }

    fn t1(name: &str, key: &str) -> TensorRecord {
        rec(name, F32, &[1], &[1], 0, key, 1)
    }

    #[test]
    fn python2_strings_and_long_ints() {
        // {"café": _rebuild_tensor(storage(numel=300), 0, (300,), (1,))} with
        // SHORT_BINSTRING key, LONG1 numel, BININT offset, BININT2 size, via DICT.
        let p = P::new()
            .op(op::MARK)
            .op(op::SHORT_BINSTRING)
            .raw(&[4, b'c', b'a', b'f', 0xe9])
            .global("torch._utils", "_rebuild_tensor")
            .op(op::MARK)
            .op(op::MARK)
            .op(op::BINSTRING)
            .raw(&7i32.to_le_bytes())
            .raw(b"storage")
            .global("torch", "HalfStorage")
            .s("0")
            .s("cpu")
            .op(op::LONG1)
            .raw(&[2, 0x2c, 0x01])
            .op(op::TUPLE)
            .op(op::BINPERSID)
            .op(op::BININT)
            .raw(&0i32.to_le_bytes())
            .op(op::BININT2)
            .raw(&300u16.to_le_bytes())
            .op(op::TUPLE1)
            .op(op::LONG4)
            .raw(&[1, 0, 0, 0, 1])
            .op(op::TUPLE1)
            .op(op::TUPLE)
            .op(op::REDUCE)
            .op(op::DICT);
        assert_eq!(read(p).unwrap(), vec![rec("caf\u{e9}", F16, &[300], &[1], 0, "0", 300)]);
    }

    #[test]
    fn memo_shares_mutable_containers() {
        // d = {"a": L, "b": L}; then L.append(t): both names see the tensor.
        let p = P::new()
            .op(op::FRAME)
            .raw(&0u64.to_le_bytes())
            .op(op::EMPTY_DICT)
            .op(op::BINUNICODE8)
            .raw(&1u64.to_le_bytes())
            .raw(b"a")
            .op(op::EMPTY_LIST)
            .op(op::LONG_BINPUT)
            .raw(&70_000u32.to_le_bytes())
            .op(op::SETITEM)
            .op(op::SHORT_BINUNICODE)
            .raw(b"\x01b")
            .op(op::LONG_BINGET)
            .raw(&70_000u32.to_le_bytes())
            .op(op::SETITEM)
            .op(op::LONG_BINGET)
            .raw(&70_000u32.to_le_bytes())
            .tensor("0", 1, 1)
            .op(op::APPEND)
            .op(op::POP);
        assert_eq!(read(p).unwrap(), vec![t1("a.0", "0"), t1("b.0", "0")]);
    }

    #[test]
    fn ordered_dict_constructors_and_build() {
        // {"x": NEWOBJ(OrderedDict) + {"k": t0}, "y": OrderedDict([("k", t1)])}, then BUILD(state).
        let p = P::new()
            .op(op::EMPTY_DICT)
            .s("x")
            .global("collections", "OrderedDict")
            .op(op::EMPTY_TUPLE)
            .op(op::NEWOBJ)
            .s("k")
            .tensor("0", 1, 1)
            .op(op::SETITEM)
            .op(op::EMPTY_DICT)
            .op(op::BUILD)
            .op(op::SETITEM)
            .s("y")
            .global("collections", "OrderedDict")
            .op(op::EMPTY_LIST)
            .s("k")
            .tensor("1", 1, 1)
            .op(op::TUPLE2)
            .op(op::APPEND)
            .op(op::TUPLE1)
            .op(op::REDUCE)
            .op(op::SETITEM);
        assert_eq!(read(p).unwrap(), vec![t1("x.k", "0"), t1("y.k", "1")]);
    }

    #[test]
    fn duplicate_keys_replace_in_place() {
        let p = P::new()
            .op(op::EMPTY_DICT)
            .op(op::MARK)
            .s("a")
            .tensor("0", 1, 1)
            .s("b")
            .tensor("1", 1, 1)
            .s("a")
            .tensor("2", 1, 1)
            .op(op::SETITEMS);
        assert_eq!(read(p).unwrap(), vec![t1("a", "2"), t1("b", "1")]);
    }

    #[test]
    fn leaves_are_skipped_and_odd_keys_named() {
        let p = P::new()
            .op(op::EMPTY_DICT)
            .op(op::MARK)
            .s("float")
            .op(op::BINFLOAT)
            .raw(&1.5f64.to_be_bytes())
            .s("bytes")
            .op(op::SHORT_BINBYTES)
            .raw(b"\x02hi")
            .s("set")
            .op(op::EMPTY_SET)
            .op(op::MARK)
            .int(1)
            .op(op::ADDITEMS)
            .s("big")
            .op(op::LONG1)
            .raw(&[9, 0, 0, 0, 0, 0, 0, 0, 0x80, 0])
            .s("device")
            .global("torch", "device")
            .s("cuda")
            .int(0)
            .op(op::TUPLE2)
            .op(op::REDUCE)
            .s("dtype")
            .global("torch", "bfloat16")
            .int(7)
            .tensor("0", 1, 1)
            .op(op::NEWTRUE)
            .tensor("1", 1, 1)
            .op(op::NONE)
            .tensor("2", 1, 1)
            .op(op::SETITEMS);
        assert_eq!(read(p).unwrap(), vec![t1("7", "0"), t1("True", "1"), t1("None", "2")]);
    }

    #[test]
    fn tuple_keys_hold_leaves_only() {
        let leaf = P::new().op(op::EMPTY_DICT).int(1).int(2).op(op::TUPLE2).int(3).op(op::SETITEM);
        assert_eq!(read(leaf).unwrap(), vec![]);
        let tensor = P::new().op(op::EMPTY_DICT).int(1).int(2).op(op::TUPLE2).tensor("0", 1, 1).op(op::SETITEM);
        assert!(matches!(read(tensor), Err(PickleError::Malformed { .. })));
    }

    #[test]
    fn pop_pop_mark_and_dup() {
        let p = P::new()
            .op(op::MARK)
            .s("junk")
            .int(1)
            .op(op::POP_MARK)
            .op(op::EMPTY_LIST)
            .op(op::MARK)
            .op(op::POP) // POP on an empty frame closes the MARK
            .tensor("0", 1, 1)
            .op(op::DUP)
            .op(op::TUPLE2)
            .op(op::APPEND);
        assert_eq!(read(p).unwrap(), vec![t1("0.0", "0"), t1("0.1", "0")]);
    }

    #[test]
    fn rebuild_from_type_v2_rules() {
        let wrap = |func: (&str, &str), class: (&str, &str)| {
            P::new()
                .global("torch._tensor", "_rebuild_from_type_v2")
                .op(op::MARK)
                .global(func.0, func.1)
                .global(class.0, class.1)
                .op(op::MARK)
                .storage("0", 1)
                .int(0)
                .dims(&[1])
                .dims(&[1])
                .op(op::NEWFALSE)
                .hooks()
                .op(op::TUPLE)
                .op(op::EMPTY_DICT)
                .op(op::TUPLE)
                .op(op::REDUCE)
        };
        let v2 = ("torch._utils", "_rebuild_tensor_v2");
        assert_eq!(read(wrap(v2, ("torch.nn.parameter", "Parameter"))).unwrap(), vec![t1("", "0")]);
        assert_eq!(read(wrap(v2, ("torch", "Tensor"))).unwrap(), vec![t1("", "0")]);
        let bad_func = read(wrap(("collections", "OrderedDict"), ("torch", "Tensor")));
        assert!(matches!(bad_func, Err(PickleError::Malformed { .. })), "{bad_func:?}");
        let bad_type = read(wrap(v2, ("torch", "Size")));
        assert!(matches!(bad_type, Err(PickleError::Malformed { .. })), "{bad_type:?}");
        let evil_type = read(wrap(v2, ("__main__", "Evil")));
        assert!(matches!(evil_type, Err(PickleError::ForbiddenGlobal { .. })), "{evil_type:?}");
    }

    #[test]
    fn forbidden_global_fails_before_anything_else_runs() {
        let bytes = [b"\x80\x02cbuiltins\neval\n".as_slice(), &[0xff; 16]].concat();
        match read_tensor_records(&bytes) {
            Err(PickleError::ForbiddenGlobal { module, name }) => {
                assert_eq!((module.as_str(), name.as_str()), ("builtins", "eval"))
            }
            other => panic!("{other:?}"),
        }
        let stack_global = P::new().s("os").s("system").op(op::STACK_GLOBAL).raw(&[0xff; 4]);
        assert!(matches!(read(stack_global), Err(PickleError::ForbiddenGlobal { .. })));
    }

    #[test]
    fn unknown_opcode_reports_its_offset() {
        let p = P::new().op(op::EMPTY_DICT).raw(b"I1\n");
        match read(p) {
            Err(e @ PickleError::UnknownOpcode { opcode: b'I', offset: 3 }) => assert!(e.to_string().contains("0x49")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn storage_keys_must_be_plain_names() {
        for key in ["../etc/passwd", "", "a/b", "0\n"] {
            assert!(matches!(read(P::new().tensor(key, 1, 1)), Err(PickleError::Malformed { .. })), "{key:?}");
        }
    }

    #[test]
    fn negation_flag_is_refused() {
        let p = P::new()
            .global("torch._utils", "_rebuild_tensor_v2")
            .op(op::MARK)
            .storage("0", 1)
            .int(0)
            .dims(&[1])
            .dims(&[1])
            .op(op::NEWFALSE)
            .hooks()
            .op(op::EMPTY_DICT)
            .s("neg")
            .op(op::NEWTRUE)
            .op(op::SETITEM)
            .op(op::TUPLE)
            .op(op::REDUCE);
        assert!(matches!(read(p), Err(PickleError::UnsupportedTensor { .. })));
    }

    #[test]
    fn huge_lengths_do_not_allocate() {
        let p = P::new().op(op::BINUNICODE8).raw(&u64::MAX.to_le_bytes());
        assert!(matches!(read(p), Err(PickleError::Truncated { .. })));
        let p = P::new().op(op::LONG4).raw(&(-1i32).to_le_bytes());
        assert!(matches!(read(p), Err(PickleError::Malformed { .. })));
        let p = P::new().op(op::NONE).op(op::LONG_BINPUT).raw(&u32::MAX.to_le_bytes());
        assert_eq!(read(p).unwrap(), vec![]);
    }

    #[test]
    fn deep_nesting_is_limited() {
        let mut p = P::new();
        for _ in 0..100 {
            p = p.op(op::EMPTY_LIST);
        }
        p = p.tensor("0", 1, 1);
        for _ in 0..100 {
            p = p.op(op::APPEND);
        }
        assert!(matches!(read(p), Err(PickleError::LimitExceeded { what: "nesting depth", .. })));

        // A million nested tuples: no recursion when building, walking or dropping.
        let mut bytes = vec![op::PROTO, 2, op::EMPTY_TUPLE];
        bytes.extend(std::iter::repeat_n(op::TUPLE1, 1_000_000));
        bytes.push(op::STOP);
        assert!(matches!(read_tensor_records(&bytes), Err(PickleError::LimitExceeded { .. })));
    }

    #[test]
    fn self_containing_list_is_limited() {
        let p = P::new().op(op::EMPTY_LIST).op(op::BINPUT).op(0).op(op::BINGET).op(0).op(op::APPEND);
        assert!(matches!(read(p), Err(PickleError::LimitExceeded { .. })));
    }

    #[test]
    fn shared_sublists_cannot_explode() {
        // L0 = [t]; Li = [L(i-1), L(i-1)] for 50 levels: 2^50 paths.
        let mut p = P::new().op(op::EMPTY_LIST).tensor("0", 1, 1).op(op::APPEND).op(op::BINPUT).op(0).op(op::POP);
        for i in 1..50u8 {
            p = p.op(op::EMPTY_LIST).op(op::MARK).op(op::BINGET).op(i - 1).op(op::BINGET).op(i - 1);
            p = p.op(op::APPENDS).op(op::BINPUT).op(i).op(op::POP);
        }
        p = p.op(op::BINGET).op(49);
        let result = read(p);
        // Either the visit or the record limit trips first; both are fine.
        assert!(matches!(result, Err(PickleError::LimitExceeded { .. })), "{result:?}");
    }

    #[test]
    fn reusing_a_big_list_is_metered() {
        // pairs = [(1, None)] * 2000, then OrderedDict(pairs) 1000 times: quadratic
        // without metering. (With the real MAX_WORK this takes seconds in a debug
        // build, so the limit is lowered here.)
        let mut p = P::new().op(op::EMPTY_LIST).op(op::MARK);
        for _ in 0..2_000 {
            p = p.int(1).op(op::NONE).op(op::TUPLE2);
        }
        p = p.op(op::APPENDS).op(op::TUPLE1).op(op::BINPUT).op(0).op(op::POP);
        for _ in 0..1_000 {
            p = p.global("collections", "OrderedDict").op(op::BINGET).op(0).op(op::REDUCE).op(op::POP);
        }
        let bytes = p.op(op::NONE).stop();
        let mut machine = Machine::new(&bytes);
        machine.work_limit = 1_000_000;
        let result = machine.run();
        assert!(matches!(result, Err(PickleError::LimitExceeded { what: "work on repeated data", .. })), "{result:?}");
    }

    #[test]
    fn real_checkpoints_use_little_metered_work() {
        let mut machine = Machine::new(fixture!("state_dict_nested.pkl"));
        machine.run().unwrap();
        assert!(machine.work < 100, "{}", machine.work);
    }

    #[test]
    fn stack_underflow_and_stray_marks_are_errors() {
        for p in [
            P::new().op(op::APPEND),
            P::new().op(op::EMPTY_LIST).op(op::MARK).op(op::APPEND),
            P::new().op(op::TUPLE),
            P::new().op(op::MARK),
            P::new().int(1).op(op::MARK).op(op::DUP),
            P::new().op(op::EMPTY_DICT).int(1).op(op::SETITEMS),
            P::new().op(op::BINGET).op(3),
            P::new().raw(&[op::PROTO, 9]),
        ] {
            assert!(matches!(read(p), Err(PickleError::Malformed { .. })));
        }
    }
}
