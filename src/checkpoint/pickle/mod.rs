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

mod allow_list;
mod limits;
mod machine;
mod opcodes;
mod reader;
mod tensor_walk;
#[cfg(test)]
mod tests;
mod values;

use super::ElementType;
use machine::Machine;
use tensor_walk::Walker;

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
