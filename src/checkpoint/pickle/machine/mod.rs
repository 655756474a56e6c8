//! The virtual machine: the opcode dispatch, errors and metering, the stack, marks and memo, and
//! the scalar opcodes. The handlers for containers are in [`containers`]; those for globals,
//! persistent ids and calls in [`calls`].

mod calls;
mod containers;

use std::collections::HashMap;

use super::limits::{MAX_MARKS, MAX_MEMO, MAX_PROTOCOL, MAX_STACK, MAX_WORK};
use super::opcodes as op;
use super::reader::{Reader, decode_long, latin1};
use super::values::{Dict, Object, Value};
use super::{PickleError, Result};

pub(super) struct Machine<'a> {
    input: Reader<'a>,
    /// Offset of the opcode being executed, for error messages.
    op_offset: usize,
    stack: Vec<Value>,
    /// Stack heights at each open MARK.
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    pub(super) heap: Vec<Object>,
    pub(super) work: usize,
    /// `MAX_WORK`, lowered by tests that exercise the metering.
    pub(super) work_limit: usize,
}

impl<'a> Machine<'a> {
    pub(super) fn new(data: &'a [u8]) -> Self {
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
    pub(super) fn run(&mut self) -> Result<Value> {
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
}
