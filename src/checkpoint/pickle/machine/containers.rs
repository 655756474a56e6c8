//! Containers: tuples, lists, dicts and sets.

use super::Machine;
use crate::checkpoint::pickle::limits::{MAX_CONTAINER_LEN, MAX_OBJECTS};
use crate::checkpoint::pickle::opcodes as op;
use crate::checkpoint::pickle::values::{Dict, DictKey, ObjId, Object, Value};
use crate::checkpoint::pickle::{PickleError, Result};

impl Machine<'_> {
    pub(super) fn alloc(&mut self, object: Object) -> Result<ObjId> {
        if self.heap.len() >= MAX_OBJECTS {
            return Err(PickleError::LimitExceeded { what: "number of containers", limit: MAX_OBJECTS });
        }
        self.heap.push(object);
        Ok(self.heap.len() - 1)
    }

    pub(super) fn push_object(&mut self, object: Object) -> Result<()> {
        let id = self.alloc(object)?;
        self.push(Value::Object(id))
    }

    fn check_len(len: usize) -> Result<()> {
        if len > MAX_CONTAINER_LEN {
            return Err(PickleError::LimitExceeded { what: "container length", limit: MAX_CONTAINER_LEN });
        }
        Ok(())
    }

    pub(super) fn small_tuple(&mut self, opcode: u8) -> Result<()> {
        let n = usize::from(opcode - op::TUPLE1) + 1;
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        self.push_object(Object::Tuple(items))
    }

    pub(super) fn tuple_from_mark(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        Self::check_len(items.len())?;
        self.push_object(Object::Tuple(items))
    }

    pub(super) fn list_from_mark(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        Self::check_len(items.len())?;
        self.push_object(Object::List(items))
    }

    pub(super) fn dict_from_mark(&mut self) -> Result<()> {
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

    pub(super) fn append(&mut self) -> Result<()> {
        let item = self.pop()?;
        let id = self.top_list()?;
        self.extend_list(id, vec![item])
    }

    pub(super) fn appends(&mut self) -> Result<()> {
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

    pub(super) fn setitem(&mut self) -> Result<()> {
        let value = self.pop()?;
        let key = self.pop()?;
        let id = self.top_dict()?;
        self.insert_pairs(id, vec![key, value])
    }

    pub(super) fn setitems(&mut self) -> Result<()> {
        let items = self.pop_mark()?;
        let id = self.top_dict()?;
        self.insert_pairs(id, items)
    }

    /// Insert `[k0, v0, k1, v1, ...]` into the dict `id`.
    pub(super) fn insert_pairs(&mut self, id: ObjId, items: Vec<Value>) -> Result<()> {
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

    pub(super) fn additems(&mut self) -> Result<()> {
        self.pop_mark()?;
        match self.top()? {
            Value::Set => Ok(()),
            other => Err(self.malformed(format!("cannot add set items to {}", other.kind()))),
        }
    }
}
