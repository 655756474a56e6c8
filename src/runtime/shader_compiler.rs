//! What the opened wgpu device compiles its kernels to, and which matrix units it offers: cubecl turns
//! every kernel into SPIR-V for a Vulkan adapter that has the features it needs (when Nurie is built
//! with burn's `vulkan` feature), into MSL on recent Apple GPUs (`metal`), and into WGSL otherwise; its
//! matmul and attention kernels use cooperative matrices (tensor cores, simdgroup matrices) only where
//! the device reports them, and only for f16 inputs on Vulkan.

use burn::tensor::wgpu::wgpu;
use std::collections::BTreeSet;

use cubecl::ir::features::MmaConfig;
use cubecl::ir::{DeviceProperties, ElemType, FloatKind};

use super::graphics_api::GraphicsApi;

/// The shader compiler and cooperative-matrix shapes of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShaderCompiler {
    /// "SPIR-V", "MSL" or "WGSL" (or cubecl's own name for one Nurie does not know).
    pub compiler: String,
    /// Each shape as "f16×f16→f32 16×16×16" (A×B→C/D, m×n×k); empty: none.
    pub cooperative_matrices: Vec<String>,
    /// The depth (k) of its f16 tiles, which fused attention needs head widths to be a multiple of
    /// ([`crate::model::attention_heads`]); 0 when it has no f16 cooperative matrices.
    pub f16_tile_depth: usize,
    /// Kernels can compute in f16 on it (what `--dtype auto` asks before choosing f16).
    pub computes_f16: bool,
    /// Its memory as cubecl reads it (the largest device-local Vulkan heap, Metal's recommended
    /// working set), where the API gives a figure.
    pub memory_bytes: Option<u64>,
}

impl std::fmt::Display for ShaderCompiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let f16 = if self.computes_f16 { "f16 kernels" } else { "no f16 kernels" };
        write!(f, "shader compiler {}, {f16}, cooperative matrices: ", self.compiler)?;
        match self.cooperative_matrices.as_slice() {
            [] => f.write_str("none")?,
            shapes => f.write_str(&shapes.join(", "))?,
        }
        match self.memory_bytes {
            Some(bytes) => write!(f, "; memory {:.1} GB", bytes as f64 / 1e9),
            None => Ok(()),
        }
    }
}

/// The compiler of burn's default wgpu device on `api`, which [`super::device::open`] opens (the same
/// cubecl client: the runtime keeps one per device). Call it after the device is open.
pub fn wgpu_shader_compiler(api: GraphicsApi) -> ShaderCompiler {
    let client = wgpu_client(api);
    let configs = &client.properties().features.matmul.cmma;
    ShaderCompiler {
        compiler: compiler_name(client.name()),
        cooperative_matrices: shapes(configs),
        f16_tile_depth: f16_tile_depth(configs),
        computes_f16: client.properties().supports_type(ElemType::Float(FloatKind::F16)),
        memory_bytes: client.properties().memory.max_memory(),
    }
}

/// The properties of burn's default wgpu device on `api` (open), the template
/// [`adapter_shader_compiler`] writes each adapter's features into.
pub fn wgpu_device_properties(api: GraphicsApi) -> DeviceProperties {
    wgpu_client(api).properties().clone()
}

/// cubecl's client of burn's default wgpu device on `api` (the same id burn opened it under).
fn wgpu_client(api: GraphicsApi) -> cubecl::client::Client {
    cubecl::Device::from(cubecl::wgpu::WgpuDevice::default().on(api.backend())).client()
}

/// The compiler cubecl would give `adapter` if it were opened, by the checks cubecl itself makes when it
/// opens one (`scratch`: the opened device's properties, a copy to write the adapter's features into).
/// Vulkan adapters are checked (SPIR-V, with cooperative matrices where listed); a Metal adapter is
/// decided only when opened (MSL on Metal 3 GPUs from macOS 15, else WGSL); the other APIs run WGSL.
pub fn adapter_shader_compiler(adapter: &wgpu::Adapter, scratch: &DeviceProperties) -> ShaderCompiler {
    let computes_f16 = adapter.features().contains(wgpu::Features::SHADER_F16);
    let wgsl = || ShaderCompiler {
        compiler: "WGSL".to_string(),
        cooperative_matrices: Vec::new(),
        f16_tile_depth: 0,
        computes_f16,
        memory_bytes: None,
    };
    match adapter.get_info().backend {
        wgpu::Backend::Vulkan => vulkan_compiler(adapter, scratch.clone()).unwrap_or_else(wgsl),
        wgpu::Backend::Metal => ShaderCompiler { compiler: "MSL or WGSL".to_string(), ..wgsl() },
        _ => wgsl(),
    }
}

#[cfg(not(target_os = "macos"))]
fn vulkan_compiler(adapter: &wgpu::Adapter, mut props: DeviceProperties) -> Option<ShaderCompiler> {
    props.features.matmul.cmma.clear();
    let mut options = cubecl::WgpuCompilationOptions::default();
    let supported = cubecl::wgpu::vulkan::register_vulkan_features(adapter, &mut props, &mut options);
    let configs = &props.features.matmul.cmma;
    supported.then(|| ShaderCompiler {
        compiler: "SPIR-V".to_string(),
        cooperative_matrices: shapes(configs),
        f16_tile_depth: f16_tile_depth(configs),
        computes_f16: adapter.features().contains(wgpu::Features::SHADER_F16),
        memory_bytes: props.memory.max_memory(),
    })
}

#[cfg(target_os = "macos")]
fn vulkan_compiler(_adapter: &wgpu::Adapter, _props: DeviceProperties) -> Option<ShaderCompiler> {
    None
}

/// Each cooperative-matrix shape as "f16×f16→f32 16×16×16".
fn shapes(configs: &BTreeSet<MmaConfig>) -> Vec<String> {
    configs
        .iter()
        .map(|shape| format!("{}×{}→{} {}×{}×{}", shape.a_type, shape.b_type, shape.cd_type, shape.m, shape.n, shape.k))
        .collect()
}

/// The deepest f16×f16 tile up to 16, the depth burn's tensor-core attention picks its tiles by.
fn f16_tile_depth(configs: &BTreeSet<MmaConfig>) -> usize {
    let f16 = ElemType::Float(FloatKind::F16);
    configs
        .iter()
        .filter(|shape| shape.a_type == f16 && shape.b_type == f16)
        .map(|shape| shape.k as usize)
        .filter(|&k| k <= 16)
        .max()
        .unwrap_or(0)
}

/// cubecl's runtime name (`wgpu<spirv>`) as users know the compiler.
fn compiler_name(runtime: &str) -> String {
    match runtime {
        "wgpu<spirv>" => "SPIR-V".to_string(),
        "wgpu<msl>" => "MSL".to_string(),
        "wgpu<wgsl>" => "WGSL".to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names_become_compiler_names() {
        assert_eq!(compiler_name("wgpu<spirv>"), "SPIR-V");
        assert_eq!(compiler_name("wgpu<wgsl>"), "WGSL");
        assert_eq!(compiler_name("cuda"), "cuda");
        let none = ShaderCompiler {
            compiler: "WGSL".into(),
            cooperative_matrices: vec![],
            f16_tile_depth: 0,
            computes_f16: true,
            memory_bytes: None,
        };
        assert_eq!(none.to_string(), "shader compiler WGSL, f16 kernels, cooperative matrices: none");
    }
}
