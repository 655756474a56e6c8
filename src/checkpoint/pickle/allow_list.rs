//! Globals: the only names a pickle may import.

use super::{ElementType, PickleError, Result};

impl ElementType {
    /// The dtype of a legacy typed storage class `torch.<name>`, which is what
    /// every torch version (2.x included) writes in a tensor's persistent id.
    fn from_storage_class(name: &str) -> Option<Self> {
        Some(match name {
            "DoubleStorage" => Self::F64,
            "FloatStorage" => Self::F32,
            "HalfStorage" => Self::F16,
            "BFloat16Storage" => Self::BF16,
            "LongStorage" => Self::I64,
            "IntStorage" => Self::I32,
            "ShortStorage" => Self::I16,
            "CharStorage" => Self::I8,
            "ByteStorage" => Self::U8,
            "BoolStorage" => Self::Bool,
            _ => return None,
        })
    }

    /// The dtype named by the global `torch.<name>` (a pickled `torch.dtype`).
    /// Pickles use the canonical names; the aliases cost nothing to accept.
    fn from_dtype_name(name: &str) -> Option<Self> {
        Some(match name {
            "float64" | "double" => Self::F64,
            "float32" | "float" => Self::F32,
            "float16" | "half" => Self::F16,
            "bfloat16" => Self::BF16,
            "int64" | "long" => Self::I64,
            "int32" | "int" => Self::I32,
            "int16" | "short" => Self::I16,
            "int8" => Self::I8,
            "uint8" => Self::U8,
            "bool" => Self::Bool,
            _ => return None,
        })
    }
}

/// What a storage persistent id says about its element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StorageKind {
    /// A legacy typed storage class such as `torch.HalfStorage`; its numel counts elements.
    Typed(ElementType),
    /// `torch.storage.UntypedStorage`; its numel counts bytes.
    Untyped,
}

impl StorageKind {
    pub(super) fn element_size(self) -> usize {
        match self {
            Self::Typed(dtype) => dtype.size_bytes(),
            Self::Untyped => 1,
        }
    }
}

/// An allowed global. "Calling" one builds a plain value; nothing runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Global {
    OrderedDict,
    RebuildTensor,
    RebuildTensorV2,
    RebuildTensorV3,
    RebuildParameter,
    RebuildParameterWithState,
    RebuildFromTypeV2,
    TensorClass,
    ParameterClass,
    Size,
    /// `torch.device`: an inert leaf (e.g. a saved `device` setting).
    Device,
    Storage(StorageKind),
    Dtype(ElementType),
}

impl Global {
    /// The Python name, for error messages.
    pub(super) fn describe(self) -> &'static str {
        match self {
            Self::OrderedDict => "collections.OrderedDict",
            Self::RebuildTensor => "torch._utils._rebuild_tensor",
            Self::RebuildTensorV2 => "torch._utils._rebuild_tensor_v2",
            Self::RebuildTensorV3 => "torch._utils._rebuild_tensor_v3",
            Self::RebuildParameter => "torch._utils._rebuild_parameter",
            Self::RebuildParameterWithState => "torch._utils._rebuild_parameter_with_state",
            Self::RebuildFromTypeV2 => "torch._tensor._rebuild_from_type_v2",
            Self::TensorClass => "torch.Tensor",
            Self::ParameterClass => "torch.nn.parameter.Parameter",
            Self::Size => "torch.Size",
            Self::Device => "torch.device",
            Self::Storage(_) => "a torch storage class",
            Self::Dtype(_) => "a torch dtype",
        }
    }

    /// Functions that produce a tensor, i.e. valid as `func` of `_rebuild_from_type_v2`.
    pub(super) fn rebuilds_tensor(self) -> bool {
        matches!(
            self,
            Self::RebuildTensor
                | Self::RebuildTensorV2
                | Self::RebuildTensorV3
                | Self::RebuildParameter
                | Self::RebuildParameterWithState
        )
    }
}

/// Resolve `module.name`, refusing everything outside the allow-list.
pub(super) fn resolve_global(module: &str, name: &str) -> Result<Global> {
    let module = python3_module(module);
    if let Some(global) = allowed_global(module, name) {
        return Ok(global);
    }
    let (module, name) = (module.to_owned(), name.to_owned());
    if is_known_unsupported(&module, &name) {
        Err(PickleError::UnsupportedGlobal { module, name })
    } else {
        Err(PickleError::ForbiddenGlobal { module, name })
    }
}

/// Protocol 0-2 pickles written by Python 3 use Python 2 module names
/// (`builtins.eval` is written as `__builtin__.eval`); Python's unpickler maps
/// them back, so error messages name what would really have been imported.
fn python3_module(module: &str) -> &str {
    match module {
        "__builtin__" | "exceptions" => "builtins",
        "copy_reg" => "copyreg",
        other => other,
    }
}

fn allowed_global(module: &str, name: &str) -> Option<Global> {
    let global = match (module, name) {
        ("collections", "OrderedDict") => Global::OrderedDict,
        ("torch._utils", "_rebuild_tensor") => Global::RebuildTensor,
        ("torch._utils", "_rebuild_tensor_v2") => Global::RebuildTensorV2,
        ("torch._utils", "_rebuild_tensor_v3") => Global::RebuildTensorV3,
        ("torch._utils", "_rebuild_parameter") => Global::RebuildParameter,
        ("torch._utils", "_rebuild_parameter_with_state") => Global::RebuildParameterWithState,
        ("torch._tensor", "_rebuild_from_type_v2") => Global::RebuildFromTypeV2,
        ("torch" | "torch._tensor", "Tensor") => Global::TensorClass,
        ("torch.nn.parameter", "Parameter") => Global::ParameterClass,
        ("torch", "Size") => Global::Size,
        ("torch", "device") => Global::Device,
        ("torch" | "torch.storage", "UntypedStorage") => Global::Storage(StorageKind::Untyped),
        ("torch", other) => torch_type(other)?,
        _ => return None,
    };
    Some(global)
}

/// `torch.<name>` as a legacy storage class or a dtype.
fn torch_type(name: &str) -> Option<Global> {
    if let Some(dtype) = ElementType::from_storage_class(name) {
        return Some(Global::Storage(StorageKind::Typed(dtype)));
    }
    ElementType::from_dtype_name(name).map(Global::Dtype)
}

/// Harmless torch names for tensor kinds Nurie does not load (complex,
/// quantized, sparse, float8, ...). They get a "not supported" error instead of
/// the "refuses to run code" one, which would be misleading.
fn is_known_unsupported(module: &str, name: &str) -> bool {
    #[rustfmt::skip]
    const TORCH_NAMES: &[&str] = &[
        // dtypes without an ElementType
        "complex32", "complex64", "complex128", "cfloat", "cdouble", "chalf", "bcomplex32",
        "uint16", "uint32", "uint64", "uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7",
        "int1", "int2", "int3", "int4", "int5", "int6", "int7",
        "float8_e5m2", "float8_e4m3fn", "float8_e5m2fnuz", "float8_e4m3fnuz", "float8_e8m0fnu",
        "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8", "bits2x4", "bits4x2",
        "qint8", "quint8", "qint32", "quint4x2", "quint2x4",
        // layouts and quantization schemes
        "strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "_mkldnn",
        "jagged", "per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
        "per_channel_symmetric", "per_channel_affine_float_qparams",
    ];
    match module {
        // Every `torch.*Storage` class: complex, quantized, TypedStorage.
        "torch" => name.ends_with("Storage") || TORCH_NAMES.contains(&name),
        "torch.storage" => name == "TypedStorage",
        // Quantized, sparse, nested, meta, numpy-backed, wrapper-subclass tensors.
        "torch._utils" => name.starts_with("_rebuild_"),
        "torch.serialization" => name == "_get_layout",
        _ => false,
    }
}
