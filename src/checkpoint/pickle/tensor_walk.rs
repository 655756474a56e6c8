//! Collecting tensors: an iterative walk over the result, so hostile nesting
//! cannot overflow the stack, with limits on depth, visits and name sizes.

use super::limits::{MAX_DEPTH, MAX_NAME_BYTES, MAX_NAME_LEN, MAX_RECORDS, MAX_VISITS};
use super::values::{ObjId, Object, Tensor, Value};
use super::{PickleError, Result, TensorRecord};

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

pub(super) struct Walker<'h> {
    heap: &'h [Object],
    end_offset: usize,
    frames: Vec<Frame>,
    records: Vec<TensorRecord>,
    visits: usize,
    name_bytes: usize,
}

impl<'h> Walker<'h> {
    pub(super) fn new(heap: &'h [Object], end_offset: usize) -> Self {
        Self { heap, end_offset, frames: Vec::new(), records: Vec::new(), visits: 0, name_bytes: 0 }
    }

    pub(super) fn run(mut self, root: &Value) -> Result<Vec<TensorRecord>> {
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
