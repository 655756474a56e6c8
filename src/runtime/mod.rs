//! Where and how the networks run.

pub mod cpu;
pub mod device;
pub mod graphics_api;
pub mod shader_compiler;

pub use device::{ComputeDevice, DeviceChoice, DeviceError, DeviceSummary, Fallback, Precision, dtype_name};
