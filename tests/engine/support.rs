//! Shared test helpers: fixture paths, devices, and the parity kit's comparison rule.

use std::path::PathBuf;

use nurie::checkpoint::{Checkpoint, F32Tensor};
use nurie::runtime::{ComputeDevice, DeviceChoice, device};

pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path)
}

pub fn sd15_dev() -> PathBuf {
    Weights::Fp16File.checkpoint()
}

pub fn references() -> Checkpoint {
    Weights::Fp16File.references()
}

/// Which weights a parity test loads, and so which references it compares with: the parity kit's
/// `refs-fp16w` were computed in f32 from the fp16 file's weights upcast, `refs-fp32w` from the fp32 file
/// (whose UNet and VAE are committed without the text encoder, see the fixtures README).
#[derive(Debug, Clone, Copy)]
pub enum Weights {
    Fp16File,
    Fp32File,
}

impl Weights {
    pub fn checkpoint(self) -> PathBuf {
        match self {
            Weights::Fp16File => fixture("parity/sd15-dev-fp16.safetensors"),
            Weights::Fp32File => fixture("parity/sd15-dev-fp32-unet-vae.safetensors"),
        }
    }

    pub fn controlnet(self) -> PathBuf {
        match self {
            Weights::Fp16File => fixture("parity/controlnet-lineart-dev-fp16.safetensors"),
            Weights::Fp32File => fixture("parity/controlnet-lineart-dev-fp32.safetensors"),
        }
    }

    pub fn references(self) -> Checkpoint {
        let name = match self {
            Weights::Fp16File => "parity/refs-fp16w.safetensors",
            Weights::Fp32File => "parity/refs-fp32w.safetensors",
        };
        Checkpoint::open(fixture(name)).expect("reference tensors")
    }

    /// A reference input tensor on `compute`'s device, in `dtype`.
    pub fn tensor<const D: usize>(
        self,
        name: &str,
        compute: &ComputeDevice,
        dtype: burn::tensor::DType,
    ) -> burn::tensor::Tensor<D> {
        let t = self.references().read_f32(name).expect("reference tensor");
        burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(t.values, t.shape), (&compute.device, dtype))
    }
}

/// The parity kit's `te.input_ids` ([4, 77]) as row-major ids.
pub fn reference_ids() -> Vec<u32> {
    references().read_f32("te.input_ids").expect("te.input_ids").values.iter().map(|&v| v as u32).collect()
}

/// Writes f32 tensors given as (name, shape, little-endian bytes) to a `.safetensors` file.
pub fn write_f32_safetensors(path: &std::path::Path, tensors: &[(String, Vec<usize>, Vec<u8>)]) {
    let views: Vec<_> = tensors
        .iter()
        .map(|(n, s, b)| (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

pub fn cpu() -> ComputeDevice {
    device::open(DeviceChoice::Cpu).expect("the CPU backend always opens")
}

/// wgpu on whatever adapter exists — Mesa lavapipe in CI. A missing adapter fails the test: the GPU
/// path must be exercised, not silently skipped.
pub fn gpu() -> ComputeDevice {
    device::open(DeviceChoice::Gpu).expect("a wgpu adapter (install mesa-vulkan-drivers: scripts/install-deps.sh)")
}

/// One row of `tolerances.json`.
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
    pub max_rel_l2: f64,
}

/// The pipeline row widened for a run that torch itself computes less exactly than the kit's pipelines:
/// by the run's fp32-vs-fp64 error (measured by its generator, `torch_fp32_vs_fp64[run]` in the fixture
/// JSON `refs_json`) over the kit's (`tolerances.json`, `pipeline_latents`), when above 1.
pub fn conditioned(row: Tolerance, refs_json: &str, run: &str) -> Tolerance {
    let read =
        |path: &str| -> serde_json::Value { serde_json::from_str(&std::fs::read_to_string(fixture(path)).unwrap()).unwrap() };
    let ours = read(refs_json)["torch_fp32_vs_fp64"][run]["rel_l2"].as_f64().unwrap();
    let kit = read("parity/tolerances.json")["measured_max"]["fp32_vs_fp64"]["pipeline_latents"]["rel_l2"].as_f64().unwrap();
    let factor = (ours / kit).max(1.0);
    Tolerance { atol: row.atol * factor, rtol: row.rtol * factor, max_rel_l2: row.max_rel_l2 * factor }
}

impl Tolerance {
    /// The bound between two implementations that each pass this row against the true result: by the
    /// triangle inequality, twice the row.
    pub fn between_two_implementations(self) -> Tolerance {
        Tolerance { atol: 2.0 * self.atol, rtol: 2.0 * self.rtol, max_rel_l2: 2.0 * self.max_rel_l2 }
    }
}

/// The tolerance of `group` (e.g. "text_encoder") in row `row` ("fp32" or "fp16").
pub fn tolerance(group: &str, row: &str) -> Tolerance {
    let text = std::fs::read_to_string(fixture("parity/tolerances.json")).expect("tolerances.json");
    let json: serde_json::Value = serde_json::from_str(&text).expect("tolerances.json parses");
    let entry = &json[row][group];
    let get = |name: &str| entry[name].as_f64().unwrap_or_else(|| panic!("tolerance {row}.{group}.{name}"));
    Tolerance { atol: get("atol"), rtol: get("rtol"), max_rel_l2: get("max_rel_l2") }
}

/// ‖actual − reference‖ / ‖reference‖, summed in f64.
pub fn relative_l2(actual: &[f32], reference: &[f32]) -> f64 {
    let (mut diff2, mut ref2) = (0.0f64, 0.0f64);
    for (&a, &r) in actual.iter().zip(reference) {
        let (a, r) = (a as f64, r as f64);
        diff2 += (a - r) * (a - r);
        ref2 += r * r;
    }
    (diff2 / ref2.max(f64::MIN_POSITIVE)).sqrt()
}

/// The parity kit's rule: every element within atol + rtol·|r|, and relative L2 error within bound.
pub fn assert_close(name: &str, actual: &[f32], reference: &F32Tensor, tol: Tolerance) {
    assert_eq!(actual.len(), reference.values.len(), "{name}: element count");
    let mut worst = (0.0f64, 0usize);
    for (i, (&a, &r)) in actual.iter().zip(&reference.values).enumerate() {
        let (a, r) = (a as f64, r as f64);
        let excess = (a - r).abs() - (tol.atol + tol.rtol * r.abs());
        if excess > worst.0 || a.is_nan() {
            worst = (excess.max(f64::MIN_POSITIVE), i);
        }
    }
    let rel_l2 = relative_l2(actual, &reference.values);
    println!("{name}: relative L2 error {rel_l2:.3e} (bound {:.1e})", tol.max_rel_l2);
    assert!(
        worst.0 <= 0.0,
        "{name}: element {} is {} vs reference {} (atol {} rtol {})",
        worst.1,
        actual[worst.1],
        reference.values[worst.1],
        tol.atol,
        tol.rtol
    );
    assert!(rel_l2 <= tol.max_rel_l2, "{name}: relative L2 error {rel_l2:e} > {:e}", tol.max_rel_l2);
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nurie-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Collects the finished images of a generation; every step continues.
#[derive(Default)]
pub struct Images(pub Vec<nurie::generate::FinishedImage>);

impl nurie::generate::Observer for Images {
    fn step(&mut self, _progress: &nurie::generate::StepProgress) -> nurie::generate::Flow {
        nurie::generate::Flow::Continue
    }

    fn image(&mut self, image: nurie::generate::FinishedImage) -> Result<(), String> {
        self.0.push(image);
        Ok(())
    }
}

/// The `nurie` binary run with `args`, its home at `home`.
pub fn nurie_in(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_nurie"))
        .env("NURIE_HOME", home)
        .args(args)
        .output()
        .expect("the nurie binary runs")
}

/// The paths a successful run printed, one per line (fails the test, with its stderr, otherwise).
pub fn succeeded(output: std::process::Output) -> Vec<PathBuf> {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).lines().map(PathBuf::from).collect()
}
