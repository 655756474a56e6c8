//! Values. Compound values live in an arena (`Machine::heap`) and are referred
//! to by index, which gives Python's shared-reference semantics for the memo,
//! makes copies O(1), and keeps drops non-recursive.

use std::collections::HashMap;
use std::rc::Rc;

use super::ElementType;
use super::allow_list::{Global, StorageKind};

pub(super) type ObjId = usize;

#[derive(Debug, Clone)]
pub(super) enum Value {
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
    pub(super) fn kind(&self) -> &'static str {
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
pub(super) enum Object {
    Tuple(Vec<Value>),
    List(Vec<Value>),
    Dict(Dict),
}

/// A Python dict: insertion-ordered, and setting an existing str/int key
/// replaces its value in place, as Python does.
#[derive(Debug, Default)]
pub(super) struct Dict {
    pub(super) entries: Vec<(Value, Value)>,
    pub(super) index: HashMap<DictKey, usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) enum DictKey {
    Str(Rc<str>),
    Int(i64),
    None,
}

impl DictKey {
    /// Hashable view of a key (True == 1 in Python, so bools map to ints).
    pub(super) fn of(value: &Value) -> Option<Self> {
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
pub(super) struct Storage {
    pub(super) kind: StorageKind,
    pub(super) key: String,
    /// As written in the persistent id: elements for typed storages, bytes for untyped ones.
    pub(super) numel: usize,
}

#[derive(Debug)]
pub(super) struct Tensor {
    pub(super) storage: Rc<Storage>,
    pub(super) dtype: ElementType,
    pub(super) shape: Vec<usize>,
    pub(super) strides: Vec<usize>,
    pub(super) offset: usize,
    pub(super) storage_numel: usize,
}
