//! Choosing where the networks run, at run time: a GPU through wgpu (Vulkan, Metal, DX12), or the CPU
//! through burn's Flex backend.

use std::sync::OnceLock;

use burn::tensor::wgpu::wgpu;
use burn::tensor::{DType, Device, DeviceKind};

use super::graphics_api::GraphicsApi;

/// What the user asked for (`--device`, `NURIE_DEVICE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChoice {
    /// A hardware GPU when one exists, else the CPU.
    #[default]
    Auto,
    /// wgpu, on whatever adapter it finds — including a software one such as Mesa's lavapipe.
    Gpu,
    /// burn's Flex CPU backend.
    Cpu,
}

/// Compute precision of the networks (`--dtype`). The VAE decodes in f32 whatever is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// f16 on a hardware GPU whose shaders compute in f16 (half the memory, and the only precision its
    /// tensor cores take), f32 elsewhere: the CPU backend has no fast f16 arithmetic, and a software
    /// rasterizer gains nothing from it.
    #[default]
    Auto,
    F32,
    F16,
}

impl Precision {
    /// The precision the networks compute in on `compute`; f16 asked of a device that cannot compute
    /// in it is an error that says so.
    pub fn dtype_on(self, compute: &ComputeDevice) -> Result<DType, DeviceError> {
        match self {
            Precision::F32 => Ok(DType::F32),
            Precision::F16 if compute.computes_f16 => Ok(DType::F16),
            Precision::F16 => Err(DeviceError::NoF16(compute.description.clone())),
            Precision::Auto if compute.is_gpu && compute.computes_f16 => Ok(DType::F16),
            Precision::Auto => Ok(DType::F32),
        }
    }
}

/// A precision as the command line and reports write it ("f16", "f32").
pub fn dtype_name(dtype: DType) -> String {
    format!("{dtype:?}").to_lowercase()
}

/// An opened compute device and a human description of it.
#[derive(Debug, Clone)]
pub struct ComputeDevice {
    pub device: Device,
    /// In English, for the command line and logs ("CPU (burn Flex, 8 threads)").
    pub description: String,
    /// The same in parts, for a window that words it in its own language.
    pub summary: DeviceSummary,
    /// A hardware GPU (not a software rasterizer such as lavapipe, and not the CPU backend).
    pub is_gpu: bool,
    /// Its kernels can compute in f16 (wgpu's `SHADER_F16`; burn's CPU backend always can).
    pub computes_f16: bool,
    /// Set when `auto` had to fall back to the CPU, with the reason.
    pub fallback_note: Option<Fallback>,
}

/// Why `auto` runs on the CPU. Displayed in English (the command line); the window words it itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// No graphics driver offers Vulkan, Metal or DX12.
    NoDriver,
    /// Only software renderers were found (their names).
    OnlySoftware(Vec<String>),
    /// wgpu's own choice was a software adapter (its description).
    SoftwareChosen(String),
    /// The GPU could not be opened (why).
    CannotOpen(String),
}

impl std::fmt::Display for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fallback::NoDriver => f.write_str("no graphics driver offers Vulkan, Metal or DX12"),
            Fallback::OnlySoftware(names) => write!(f, "only software renderers were found ({})", names.join(", ")),
            Fallback::SoftwareChosen(adapter) => write!(f, "wgpu chose {adapter}, a software adapter; using the CPU instead"),
            Fallback::CannotOpen(error) => write!(f, "{error}; using the CPU instead"),
        }
    }
}

/// What a device is, in parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSummary {
    Cpu {
        threads: usize,
    },
    /// `kind` and `backend` are wgpu's names (`DiscreteGpu`, `Vulkan`).
    Gpu {
        name: String,
        kind: String,
        backend: String,
        driver: String,
    },
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DeviceError {
    #[error("no GPU adapter found (is a Vulkan driver installed? `vulkaninfo --summary` shows what the system offers)")]
    NoAdapter,
    #[error("the GPU could not be opened: {0}")]
    Init(String),
    #[error("NURIE_GPU_API={value} is not a graphics API Nurie knows; use one of {known}, or leave it unset")]
    UnknownApi { value: String, known: String },
    #[error("{0} cannot compute in f16 (its driver offers no f16 shaders): choose the precision f32 or auto")]
    NoF16(String),
}

/// Opens the device the user chose.
pub fn open(choice: DeviceChoice) -> Result<ComputeDevice, DeviceError> {
    match choice {
        DeviceChoice::Cpu => Ok(cpu(None)),
        DeviceChoice::Gpu => open_wgpu(),
        DeviceChoice::Auto => Ok(open_auto()),
    }
}

fn cpu(fallback_note: Option<Fallback>) -> ComputeDevice {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    ComputeDevice {
        device: Device::flex(),
        description: format!("CPU (burn Flex, {threads} threads)"),
        summary: DeviceSummary::Cpu { threads },
        is_gpu: false,
        computes_f16: true,
        fallback_note,
    }
}

/// Takes a hardware GPU when the system has one; software rasterizers (lavapipe, SwiftShader) are
/// slower than the CPU backend, so `auto` never picks them.
fn open_auto() -> ComputeDevice {
    let adapters = list_adapters();
    if !adapters.iter().any(|info| info.device_type != wgpu::DeviceType::Cpu) {
        let note = if adapters.is_empty() {
            Fallback::NoDriver
        } else {
            Fallback::OnlySoftware(adapters.iter().map(|info| info.name.clone()).collect())
        };
        return cpu(Some(note));
    }
    match open_wgpu() {
        Ok(device) if device.is_gpu => device,
        // wgpu's own choice can still be a software adapter when the GPU sits on another graphics API.
        Ok(device) => cpu(Some(Fallback::SoftwareChosen(device.description))),
        Err(error) => cpu(Some(Fallback::CannotOpen(error.to_string()))),
    }
}

/// burn registers one wgpu runtime per process, so the device is opened once and shared after.
fn open_wgpu() -> Result<ComputeDevice, DeviceError> {
    static WGPU: OnceLock<Result<ComputeDevice, DeviceError>> = OnceLock::new();
    WGPU.get_or_init(init_wgpu).clone()
}

fn init_wgpu() -> Result<ComputeDevice, DeviceError> {
    let api = GraphicsApi::from_env()?;
    let (device, setup) = Device::wgpu_options()
        .device_kind(DeviceKind::DefaultDevice)
        .graphics_api(api.backend())
        .init_with_setup()
        .map_err(|e| if list_adapters().is_empty() { DeviceError::NoAdapter } else { DeviceError::Init(e.to_string()) })?;
    let compiler = super::shader_compiler::wgpu_shader_compiler(api);
    crate::model::attention_heads::set_tile_depth(compiler.f16_tile_depth);
    crate::generate::batching::set_device_memory(compiler.memory_bytes);
    let info = setup.adapter.get_info();
    let (kind, backend) = (format!("{:?}", info.device_type), format!("{:?}", info.backend));
    Ok(ComputeDevice {
        device,
        description: format!("{} ({kind}, {backend}, driver {})", info.name, info.driver),
        summary: DeviceSummary::Gpu { name: info.name.clone(), kind, backend, driver: info.driver.clone() },
        is_gpu: info.device_type != wgpu::DeviceType::Cpu,
        computes_f16: compiler.computes_f16,
        fallback_note: None,
    })
}

/// Every adapter wgpu can see, on every graphics API compiled in.
pub fn list_adapters() -> Vec<wgpu::AdapterInfo> {
    adapters().iter().map(|adapter| adapter.get_info()).collect()
}

/// The adapters themselves, to ask what each one offers (`nurie devices`).
pub fn adapters() -> Vec<wgpu::Adapter> {
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hardware_gpu(computes_f16: bool) -> ComputeDevice {
        ComputeDevice { is_gpu: true, computes_f16, ..cpu(None) }
    }

    #[test]
    fn auto_precision_is_f16_only_on_a_gpu_that_computes_in_f16() {
        assert_eq!(Precision::Auto.dtype_on(&hardware_gpu(true)).unwrap(), DType::F16);
        assert_eq!(Precision::Auto.dtype_on(&hardware_gpu(false)).unwrap(), DType::F32);
        assert_eq!(Precision::Auto.dtype_on(&cpu(None)).unwrap(), DType::F32);
        assert_eq!(Precision::F16.dtype_on(&cpu(None)).unwrap(), DType::F16, "an explicit choice stands");
        assert_eq!(Precision::F32.dtype_on(&hardware_gpu(true)).unwrap(), DType::F32);
        let refused = Precision::F16.dtype_on(&hardware_gpu(false)).unwrap_err().to_string();
        assert!(refused.starts_with("CPU (burn Flex") && refused.contains("choose the precision f32 or auto"), "{refused}");
        assert_eq!(dtype_name(DType::F16), "f16");
    }
}
