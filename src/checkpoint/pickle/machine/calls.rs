//! Globals, persistent ids and calls: where allowed globals are "called" to build plain values.

use std::rc::Rc;

use super::Machine;
use crate::checkpoint::ElementType;
use crate::checkpoint::pickle::Result;
use crate::checkpoint::pickle::allow_list::{Global, StorageKind, resolve_global};
use crate::checkpoint::pickle::limits::MAX_DIMS;
use crate::checkpoint::pickle::reader::valid_storage_key;
use crate::checkpoint::pickle::values::{Dict, ObjId, Object, Storage, Tensor, Value};

impl Machine<'_> {
    pub(super) fn global(&mut self) -> Result<()> {
        let module = self.input.line()?;
        let name = self.input.line()?;
        let utf8 = |b| std::str::from_utf8(b).map_err(|_| self.malformed("global name is not valid UTF-8"));
        let global = resolve_global(utf8(module)?, utf8(name)?)?;
        self.push(Value::Global(global))
    }

    pub(super) fn stack_global(&mut self) -> Result<()> {
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
    pub(super) fn persistent_id(&mut self) -> Result<()> {
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

    pub(super) fn reduce(&mut self) -> Result<()> {
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
    pub(super) fn newobj(&mut self, with_kwargs: bool) -> Result<()> {
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
    pub(super) fn build(&mut self) -> Result<()> {
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
