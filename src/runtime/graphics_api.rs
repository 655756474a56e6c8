//! The graphics API the GPU is reached through. cubecl picks Vulkan first (then DX12, then OpenGL) off
//! macOS and Metal on it, taking the first API with a hardware adapter; `NURIE_GPU_API` pins one, for a
//! driver that misbehaves on one API but not another, and for running the WGSL kernels on a machine
//! whose Vulkan driver takes SPIR-V (CI runs the wgpu tests once each way on lavapipe).

use burn::tensor::wgpu::WgpuBackend;

use super::device::DeviceError;

/// The environment variable that pins the graphics API.
pub const GPU_API_ENV: &str = "NURIE_GPU_API";

/// A graphics API as `NURIE_GPU_API` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GraphicsApi {
    /// cubecl's choice (Vulkan, DX12, OpenGL; Metal on macOS).
    #[default]
    Auto,
    Vulkan,
    Dx12,
    Metal,
    Gl,
}

impl GraphicsApi {
    const NAMES: [(&'static str, GraphicsApi); 5] = [
        ("auto", GraphicsApi::Auto),
        ("vulkan", GraphicsApi::Vulkan),
        ("dx12", GraphicsApi::Dx12),
        ("metal", GraphicsApi::Metal),
        ("gl", GraphicsApi::Gl),
    ];

    /// The API `NURIE_GPU_API` asks for; unset or empty is [`GraphicsApi::Auto`].
    pub fn from_env() -> Result<Self, DeviceError> {
        match std::env::var(GPU_API_ENV) {
            Ok(value) => Self::parse(&value),
            Err(_) => Ok(Self::Auto),
        }
    }

    fn parse(value: &str) -> Result<Self, DeviceError> {
        let wanted = value.trim().to_ascii_lowercase();
        if wanted.is_empty() {
            return Ok(Self::Auto);
        }
        Self::NAMES.iter().find(|(name, _)| *name == wanted).map(|(_, api)| *api).ok_or_else(|| {
            let names: Vec<&str> = Self::NAMES.iter().map(|(name, _)| *name).collect();
            DeviceError::UnknownApi { value: value.to_string(), known: names.join(", ") }
        })
    }

    /// burn's and cubecl's name for it.
    pub fn backend(self) -> WgpuBackend {
        match self {
            Self::Auto => WgpuBackend::Auto,
            Self::Vulkan => WgpuBackend::Vulkan,
            Self::Dx12 => WgpuBackend::Dx12,
            Self::Metal => WgpuBackend::Metal,
            Self::Gl => WgpuBackend::Gl,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_in_any_case_and_unknown_ones_are_refused_with_the_known_ones() {
        assert_eq!(GraphicsApi::parse("Vulkan").ok(), Some(GraphicsApi::Vulkan));
        assert_eq!(GraphicsApi::parse(" gl ").ok(), Some(GraphicsApi::Gl));
        assert_eq!(GraphicsApi::parse("").ok(), Some(GraphicsApi::Auto));
        let refused = GraphicsApi::parse("opengl").err().map(|error| error.to_string()).unwrap_or_default();
        assert!(refused.contains("NURIE_GPU_API=opengl") && refused.contains("vulkan, dx12, metal, gl"), "{refused}");
    }
}
