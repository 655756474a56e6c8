//! Where a model comes from: file identities (hashes) now; architecture, known-model registry and merge
//! composition to come.

pub mod hash;
