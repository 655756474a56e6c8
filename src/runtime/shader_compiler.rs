//! What the opened wgpu device compiles its kernels to, and which matrix units it offers: cubecl turns
//! every kernel into SPIR-V for a Vulkan adapter that has the features it needs (when Nurie is built
//! with burn's `vulkan` feature), into MSL on recent Apple GPUs (`metal`), and into WGSL otherwise; its
//! matmul and attention kernels use cooperative matrices (tensor cores, simdgroup matrices) only where
//! the device reports them, and only for f16 inputs on Vulkan.

/// The shader compiler and cooperative-matrix shapes of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShaderCompiler {
    /// "SPIR-V", "MSL" or "WGSL" (or cubecl's own name for one Nurie does not know).
    pub compiler: String,
    /// Each shape as "f16×f16→f32 16×16×16" (A×B→C/D, m×n×k); empty: none.
    pub cooperative_matrices: Vec<String>,
}

impl std::fmt::Display for ShaderCompiler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "shader compiler {}, cooperative matrices: ", self.compiler)?;
        match self.cooperative_matrices.as_slice() {
            [] => f.write_str("none"),
            shapes => f.write_str(&shapes.join(", ")),
        }
    }
}

/// The compiler of burn's default wgpu device, which [`super::device::open`] opens (the same cubecl
/// client: the runtime keeps one per device). Call it after the device is open.
pub fn wgpu_shader_compiler() -> ShaderCompiler {
    let client = cubecl::Device::from(cubecl::wgpu::WgpuDevice::default()).client();
    let compiler = compiler_name(client.name());
    let cooperative_matrices = client
        .properties()
        .features
        .matmul
        .cmma
        .iter()
        .map(|shape| format!("{}×{}→{} {}×{}×{}", shape.a_type, shape.b_type, shape.cd_type, shape.m, shape.n, shape.k))
        .collect();
    ShaderCompiler { compiler, cooperative_matrices }
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
        let none = ShaderCompiler { compiler: "WGSL".into(), cooperative_matrices: vec![] };
        assert_eq!(none.to_string(), "shader compiler WGSL, cooperative matrices: none");
    }
}
