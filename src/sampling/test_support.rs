//! Shared test code: reading the reference fixtures, the parity tolerance rule, and the two reference
//! checks every sampler runs.
//!
//! * `tests/fixtures/parity/refs-fp16w.safetensors` (+ `manifest.json`, `tolerances.json`): diffusers
//!   pipeline runs with a real (tiny, random) UNet. Replaying the recorded noise predictions must give
//!   the recorded UNet inputs and latents after every step.
//! * `tests/fixtures/sampling/scheduler_refs.safetensors` (made by `make_scheduler_refs.py` beside it):
//!   the diffusers schedulers alone, driven by [`fake_eps`], for many step counts and img2img starts;
//!   `lcm_refs.safetensors` (`make_lcm_refs.py`) holds the same kind of runs for LCM.

use std::path::PathBuf;

use safetensors::{Dtype, SafeTensors};

use super::{guide, sampler, start_step};
use crate::vocabulary::{Choice, SamplerKind};

const PARITY_REFS: &str = "parity/refs-fp16w.safetensors";
const SCHEDULER_REFS: &str = "sampling/scheduler_refs.safetensors";
const GUIDANCE_SCALE: f32 = 7.0;
/// Timesteps must agree to this (the brief's bound; in practice they are equal).
const TIMESTEP_TOLERANCE: f64 = 1e-4;

fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(relative)
}

/// A safetensors fixture, read whole; values come back as f64 whatever their stored type.
pub(crate) struct Fixture {
    bytes: Vec<u8>,
}

impl Fixture {
    pub(crate) fn open(relative: &str) -> Self {
        let path = fixture_path(relative);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Fixture { bytes }
    }

    fn tensors(&self) -> SafeTensors<'_> {
        SafeTensors::deserialize(&self.bytes).unwrap()
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.tensors().names().into_iter().map(str::to_string).collect()
    }

    pub(crate) fn has(&self, name: &str) -> bool {
        self.tensors().tensor(name).is_ok()
    }

    pub(crate) fn shape(&self, name: &str) -> Vec<usize> {
        self.tensors().tensor(name).unwrap_or_else(|_| panic!("no tensor {name}")).shape().to_vec()
    }

    pub(crate) fn values(&self, name: &str) -> Vec<f64> {
        let tensors = self.tensors();
        let view = tensors.tensor(name).unwrap_or_else(|_| panic!("no tensor {name}"));
        let data = view.data();
        match view.dtype() {
            Dtype::F32 => data.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap()) as f64).collect(),
            Dtype::F64 => data.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap())).collect(),
            Dtype::I64 => data.chunks_exact(8).map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f64).collect(),
            other => panic!("{name}: unexpected dtype {other:?}"),
        }
    }

    pub(crate) fn f32s(&self, name: &str) -> Vec<f32> {
        self.values(name).into_iter().map(|v| v as f32).collect()
    }

    /// Row `index` of a tensor whose first dimension stacks rows.
    pub(crate) fn row(&self, name: &str, index: usize) -> Vec<f32> {
        let all = self.f32s(name);
        let rows = self.shape(name)[0];
        let width = all.len() / rows;
        all[index * width..(index + 1) * width].to_vec()
    }
}

/// The parity kit's rule: all(|a − r| ≤ atol + rtol·|r|) and ‖a − r‖/‖r‖ ≤ max_rel_l2.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tolerance {
    atol: f64,
    rtol: f64,
    max_rel_l2: f64,
}

impl Tolerance {
    /// For the scheduler-only trajectories, where nothing but the sampler's own arithmetic differs
    /// (diffusers' float32 tensor ops against our f64 with one rounding): 5–10× the worst deviation
    /// measured, and 50× tighter than the pipeline row, so that a wrong coefficient cannot hide.
    pub(crate) fn scheduler_only() -> Self {
        Tolerance { atol: 1e-4, rtol: 1e-5, max_rel_l2: 2e-6 }
    }

    /// The fp32 `pipeline_latents` row of `tolerances.json`.
    pub(crate) fn pipeline_latents_fp32() -> Self {
        let text = std::fs::read_to_string(fixture_path("parity/tolerances.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let row = &json["fp32"]["pipeline_latents"];
        let get = |key: &str| row[key].as_f64().unwrap_or_else(|| panic!("tolerances.json: no fp32.pipeline_latents.{key}"));
        Tolerance { atol: get("atol"), rtol: get("rtol"), max_rel_l2: get("max_rel_l2") }
    }
}

/// Largest deviations seen over a whole check, for the report.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Worst {
    max_abs: f64,
    rel_l2: f64,
    /// max |a − r| / (atol + rtol·|r|): below 1 passes the element-wise part of the rule.
    bound_used: f64,
}

impl Worst {
    pub(crate) fn assert_close(&mut self, what: &str, actual: &[f32], reference: &[f32], tolerance: Tolerance) {
        assert_eq!(actual.len(), reference.len(), "{what}: length");
        let (mut diff_sq, mut ref_sq) = (0.0, 0.0);
        let mut max_abs: f64 = 0.0;
        let mut bound_used: f64 = 0.0;
        for (&a, &r) in actual.iter().zip(reference) {
            let (a, r) = (a as f64, r as f64);
            let diff = (a - r).abs();
            assert!(diff.is_finite(), "{what}: non-finite value {a} vs {r}");
            max_abs = max_abs.max(diff);
            bound_used = bound_used.max(diff / (tolerance.atol + tolerance.rtol * r.abs()));
            diff_sq += diff * diff;
            ref_sq += r * r;
        }
        let rel_l2 = if ref_sq > 0.0 { (diff_sq / ref_sq).sqrt() } else { diff_sq.sqrt() };
        assert!(bound_used <= 1.0, "{what}: max |diff| {max_abs:e} exceeds atol + rtol·|ref| ({bound_used:.3} of it)");
        assert!(rel_l2 <= tolerance.max_rel_l2, "{what}: rel_l2 {rel_l2:e} > {:e}", tolerance.max_rel_l2);
        self.max_abs = self.max_abs.max(max_abs);
        self.rel_l2 = self.rel_l2.max(rel_l2);
        self.bound_used = self.bound_used.max(bound_used);
    }

    pub(crate) fn report(&self, what: &str) {
        println!(
            "{what}: worst max|diff| {:.3e}, worst rel_l2 {:.3e}, worst share of atol+rtol·|ref| {:.2e}",
            self.max_abs, self.rel_l2, self.bound_used
        );
    }
}

fn assert_timesteps(what: &str, actual: &[f64], reference: &[f64]) {
    assert_eq!(actual.len(), reference.len(), "{what}: step count");
    for (i, (a, r)) in actual.iter().zip(reference).enumerate() {
        assert!((a - r).abs() <= TIMESTEP_TOLERANCE, "{what}: timestep {i} is {a}, diffusers {r}");
    }
}

/// Replays one diffusers pipeline run (`pipe.euler`, `pipe_cn.ddim`, ...) of the parity fixtures from
/// its recorded [uncond, cond] noise predictions, checking timesteps, init_noise_sigma, the UNet inputs
/// and the latents after every step.
pub(crate) fn check_pipeline_fixture_run(run: &str, kind: SamplerKind) {
    let refs = Fixture::open(PARITY_REFS);
    let tolerance = Tolerance::pipeline_latents_fp32();
    let steps = (0..).take_while(|i| refs.has(&format!("{run}.step{i}.timestep"))).count();
    let mut s = sampler(kind, steps).unwrap();

    let reference_timesteps: Vec<f64> = (0..steps).map(|i| refs.values(&format!("{run}.step{i}.timestep"))[0]).collect();
    assert_timesteps(run, s.timesteps(), &reference_timesteps);
    assert_same_f32("init_noise_sigma", run, s.init_noise_sigma() as f64, manifest_init_noise_sigma(run));

    let mut worst = Worst::default();
    let mut latents = s.init_latents(&refs.f32s(&format!("{run}.init_noise")));
    for i in 0..steps {
        let unet_input = s.scale_model_input(i, &latents).unwrap();
        let batch_of_two = [unet_input.clone(), unet_input].concat();
        worst.assert_close(
            &format!("{run} step {i} unet_input"),
            &batch_of_two,
            &refs.f32s(&format!("{run}.step{i}.unet_input")),
            tolerance,
        );

        let eps = refs.f32s(&format!("{run}.step{i}.eps"));
        let (uncond, cond) = eps.split_at(eps.len() / 2);
        let guided = guide(uncond, cond, GUIDANCE_SCALE).unwrap();
        let noise_name = format!("{run}.ancestral_noise");
        let noise = refs.has(&noise_name).then(|| refs.row(&noise_name, i));
        assert_eq!(s.needs_noise(i), noise.is_some() && i + 1 < steps, "{run}: needs_noise({i})");
        latents = s.step(i, &guided, &latents, noise.as_deref()).unwrap();
        worst.assert_close(
            &format!("{run} step {i} latents"),
            &latents,
            &refs.f32s(&format!("{run}.step{i}.latents")),
            tolerance,
        );
    }
    worst.report(&format!("{run} vs refs-fp16w"));
}

/// Equal up to the last bit or two: torch's float32 `sqrt` on the reference machine is not correctly
/// rounded (about 15% of its results are 1 ulp off), so σ values can differ by one ulp.
fn assert_same_f32(what: &str, run: &str, actual: f64, reference: f64) {
    let relative = if reference == 0.0 { actual.abs() } else { ((actual - reference) / reference).abs() };
    assert!(relative <= 2.0 * f32::EPSILON as f64, "{run}: {what} is {actual}, diffusers {reference}");
}

fn manifest_init_noise_sigma(run: &str) -> f64 {
    let text = std::fs::read_to_string(fixture_path("parity/manifest.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let value = json["variants"]["fp16w"]["runs"][run]["init_noise_sigma"].as_f64();
    value.unwrap_or_else(|| panic!("manifest.json: no init_noise_sigma for {run}"))
}

/// The stand-in for the UNet in `make_scheduler_refs.py`:
/// ε = tanh(0.3x)·(0.6 + 0.0004t) + 0.2·sin(0.006t + 0.9c) + 0.05x, c the channel of the element.
pub(crate) fn fake_eps(unet_input: &[f32], timestep: f64, channels: usize, plane: usize) -> Vec<f32> {
    unet_input
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let (x, c) = (x as f64, ((i / plane) % channels) as f64);
            ((0.3 * x).tanh() * (0.6 + 0.0004 * timestep) + 0.2 * (0.006 * timestep + 0.9 * c).sin() + 0.05 * x) as f32
        })
        .collect()
}

/// The runs of `kind` in the scheduler trajectories fixture (`t2i_s5`, `i2i_s20_str75`, ...).
fn scheduler_runs(refs: &Fixture, kind: SamplerKind) -> Vec<String> {
    scheduler_runs_in(refs, SCHEDULER_REFS, kind)
}

fn scheduler_runs_in(refs: &Fixture, fixture: &str, kind: SamplerKind) -> Vec<String> {
    let prefix = format!("{}.", kind.id());
    let mut runs: Vec<String> = refs
        .names()
        .into_iter()
        .filter_map(|n| n.strip_prefix(&prefix)?.strip_suffix(".timesteps").map(|r| format!("{prefix}{r}")))
        .collect();
    runs.sort();
    assert!(runs.len() >= 10, "{}: only {} runs in {fixture}", kind.id(), runs.len());
    runs
}

/// The img2img strength a run name encodes (`..._str75` → 0.75); `None` for txt2img runs.
fn strength_of(run: &str) -> Option<f64> {
    let percent: u32 = run.rsplit_once("_str")?.1.parse().ok()?;
    Some(percent as f64 / 100.0)
}

/// Drives `kind` through every run of the scheduler trajectories fixture with [`fake_eps`], checking
/// timesteps, init_noise_sigma, the img2img start, the UNet inputs and the latents after every step.
pub(crate) fn check_scheduler_refs(kind: SamplerKind) {
    check_scheduler_refs_in(SCHEDULER_REFS, kind);
}

/// [`check_scheduler_refs`] on the runs of `kind` in another fixture of the same layout.
pub(crate) fn check_scheduler_refs_in(fixture: &str, kind: SamplerKind) {
    let refs = Fixture::open(fixture);
    let tolerance = Tolerance::scheduler_only();
    let mut worst = Worst::default();
    for run in scheduler_runs_in(&refs, fixture, kind) {
        let reference_timesteps = refs.values(&format!("{run}.timesteps"));
        let steps = reference_timesteps.len();
        let mut s = sampler(kind, steps).unwrap();
        assert_timesteps(&run, s.timesteps(), &reference_timesteps);
        let reference_sigma = refs.values(&format!("{run}.init_noise_sigma"))[0];
        assert_same_f32("init_noise_sigma", &run, s.init_noise_sigma() as f64, reference_sigma);

        let noise = refs.f32s(&format!("{run}.noise"));
        let shape = refs.shape(&format!("{run}.noise"));
        let (channels, plane) = (shape[1], shape[2] * shape[3]);
        let (start, mut latents) = match strength_of(&run) {
            None => (0, s.init_latents(&noise)),
            Some(strength) => {
                let start = start_step(steps, strength).unwrap();
                (start, s.add_noise(start, &refs.f32s(&format!("{run}.x0")), &noise).unwrap())
            }
        };
        assert_eq!(start as f64, refs.values(&format!("{run}.start_step"))[0], "{run}: start step");
        worst.assert_close(&format!("{run} start"), &latents, &refs.f32s(&format!("{run}.start")), tolerance);

        for (k, i) in (start..steps).enumerate() {
            let unet_input = s.scale_model_input(i, &latents).unwrap();
            let input_name = format!("{run}.unet_input");
            let expected_input = if refs.has(&input_name) { refs.row(&input_name, k) } else { latents.clone() };
            worst.assert_close(&format!("{run} step {i} unet_input"), &unet_input, &expected_input, tolerance);

            let eps = fake_eps(&unet_input, s.timesteps()[i], channels, plane);
            let noise_name = format!("{run}.ancestral_noise");
            let noise = refs.has(&noise_name).then(|| refs.row(&noise_name, k));
            assert_eq!(s.needs_noise(i), noise.is_some() && i + 1 < steps, "{run}: needs_noise({i})");
            latents = s.step(i, &eps, &latents, noise.as_deref()).unwrap();
            worst.assert_close(&format!("{run} step {i} latents"), &latents, &refs.row(&format!("{run}.latents"), k), tolerance);
        }
    }
    worst.report(&format!("{} vs diffusers scheduler trajectories ({fixture})", kind.id()));
}

/// Compares a sampler's own σ table with diffusers' `scheduler.sigmas` for every txt2img run.
pub(crate) fn check_reference_sigmas(kind: SamplerKind, sigmas_of: impl Fn(usize) -> Vec<f64>) {
    let refs = Fixture::open(SCHEDULER_REFS);
    let mut worst_relative: f64 = 0.0;
    for run in scheduler_runs(&refs, kind).into_iter().filter(|r| strength_of(r).is_none()) {
        let reference = refs.values(&format!("{run}.sigmas"));
        let ours = sigmas_of(reference.len() - 1);
        assert_eq!(ours.len(), reference.len(), "{run}: sigma count");
        for (i, (&a, &r)) in ours.iter().zip(&reference).enumerate() {
            worst_relative = worst_relative.max(if r == 0.0 { a.abs() } else { ((a - r) / r).abs() });
            assert_same_f32(&format!("sigma {i}"), &run, a, r);
        }
    }
    println!("{}: sigmas vs diffusers, worst relative difference {worst_relative:.2e}", kind.id());
}
