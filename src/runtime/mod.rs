//! Where and how the networks run.

pub mod cpu;
pub mod device;

pub use device::{ComputeDevice, DeviceChoice, DeviceError, DeviceSummary, Fallback, Precision};
