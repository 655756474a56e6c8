//! Seeded, in-tree fuzzing of the code that reads files from strangers: the pickle VM, safetensors and
//! PyTorch zip checkpoints, PNG text chunks, and the A1111, Nurie, ComfyUI and InvokeAI settings
//! readers. No nightly toolchain or coverage instrumentation: each target mutates a corpus of valid
//! inputs (the fixtures and what the writers make) with deterministic random mutations, byte-level
//! and format-aware (JSON values, safetensors headers, zip entries rebuilt with valid CRCs, PNG CRCs
//! fixed), and checks every execution for panics, time, heap and the properties the code promises.
//!
//! A plain `cargo test` runs each target for a fixed small budget. A longer run:
//!
//! ```sh
//! NURIE_FUZZ_EXECS=200000 cargo test --lib fuzz_ -- --nocapture --test-threads=1
//! NURIE_FUZZ_SECS=120 cargo test --lib fuzz_ -- --nocapture --test-threads=1   # per target
//! NURIE_FUZZ_SEED=7 …                    # another sequence of inputs
//! NURIE_FUZZ_REPLAY=0x… …                # only the execution a finding names
//! ```
//!
//! Each target prints executions per second, its slowest execution and its largest heap. A finding is
//! shrunk, printed with its seed and escaped input, and saved to `target/fuzz-findings/`; once fixed,
//! the input goes to `tests/fixtures/fuzz/<target>/`, which every run replays first.
//!
//! Layout: [`rng`] (the generator), [`mutate`] (bytes and text), [`json_mutate`], [`harness`]
//! (running, shrinking, reporting), [`alloc_meter`] (the heap), the seeds and targets for model files
//! ([`checkpoint_seeds`], [`checkpoint_targets`]), for LoRA files ([`network_targets`]) and for metadata ([`metadata_targets`]); the PNG
//! header reader's target is in `history::png_header`.

mod alloc_meter;
mod checkpoint_seeds;
mod checkpoint_targets;
pub(crate) mod harness;
mod json_mutate;
pub(crate) mod metadata_targets;
mod mutate;
mod network_targets;
pub(crate) mod rng;
