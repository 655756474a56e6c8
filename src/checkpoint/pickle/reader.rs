//! Input reader.

use std::rc::Rc;

use super::limits::MAX_STORAGE_KEY_LEN;
use super::values::Value;
use super::{PickleError, Result};

pub(super) struct Reader<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
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

    pub(super) fn u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }

    pub(super) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub(super) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(super) fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(super) fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A length that does not fit in memory cannot be satisfied by the input either.
    pub(super) fn len_u64(&mut self) -> Result<usize> {
        let n = self.u64()?;
        usize::try_from(n).map_err(|_| PickleError::Truncated { offset: self.data.len() })
    }

    /// Bytes up to (not including) the next newline, which is consumed.
    pub(super) fn line(&mut self) -> Result<&'a [u8]> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let len = rest.iter().position(|&b| b == b'\n').ok_or(PickleError::Truncated { offset: self.data.len() })?;
        let line = self.take(len)?;
        self.take(1)?;
        Ok(line)
    }
}

/// Python ints are two's complement little-endian in LONG1/LONG4.
pub(super) fn decode_long(bytes: &[u8]) -> Value {
    if bytes.len() > 8 {
        return Value::BigInt;
    }
    let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
    let mut buf = if negative { [0xff; 8] } else { [0; 8] };
    buf[..bytes.len()].copy_from_slice(bytes);
    Value::Int(i64::from_le_bytes(buf))
}

/// BINSTRING holds Python 2 `str` bytes; latin-1 maps each byte to one char.
pub(super) fn latin1(bytes: &[u8]) -> Rc<str> {
    bytes.iter().map(|&b| char::from(b)).collect::<String>().into()
}

pub(super) fn valid_storage_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_STORAGE_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
