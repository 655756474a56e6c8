//! An opt-in profile of the networks, layer by layer (`nurie bench --profile`).
//!
//! Off, it costs one atomic load per layer. On, the device is synchronized before and after each
//! timed layer, so the time is the layer's own even on wgpu, where kernels otherwise run
//! asynchronously and fuse across layers (a wgpu profile therefore shows each layer unfused).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use burn::tensor::{Device, Tensor};

static ENABLED: AtomicBool = AtomicBool::new(false);
static TOTALS: Mutex<Option<HashMap<(&'static str, String), Totals>>> = Mutex::new(None);

#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    calls: usize,
    time: Duration,
    flop: f64,
}

/// One kind of layer at one shape, summed over its calls.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProfileRow {
    /// "convolution", "linear", "attention", "group norm", "layer norm".
    pub kind: &'static str,
    /// Shape, e.g. "3×3 320→320 at 64×64, batch 2".
    pub shape: String,
    pub calls: usize,
    pub seconds: f64,
    /// Floating-point operations of all calls (0 where not counted: the norms).
    pub flop: f64,
}

/// Starts or stops recording; starting clears what was recorded before.
pub fn set_enabled(enabled: bool) {
    if let Ok(mut totals) = TOTALS.lock() {
        *totals = enabled.then(HashMap::new);
    }
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// What was recorded since recording started, slowest first.
pub fn rows() -> Vec<ProfileRow> {
    let Ok(totals) = TOTALS.lock() else { return Vec::new() };
    let mut rows: Vec<ProfileRow> = totals
        .iter()
        .flatten()
        .map(|((kind, shape), t)| ProfileRow {
            kind,
            shape: shape.clone(),
            calls: t.calls,
            seconds: t.time.as_secs_f64(),
            flop: t.flop,
        })
        .collect();
    rows.sort_by(|a, b| b.seconds.total_cmp(&a.seconds));
    rows
}

/// A layer being timed; `None` from [`start`] when profiling is off.
pub struct Probe {
    device: Device,
    started: Instant,
}

/// Starts timing a layer whose input is `input`, once the device has finished the work before it.
pub fn start<const D: usize>(input: &Tensor<D>) -> Option<Probe> {
    if !ENABLED.load(Ordering::Relaxed) {
        return None;
    }
    let device = input.device();
    let _ = device.sync();
    Some(Probe { device, started: Instant::now() })
}

impl Probe {
    /// Waits for the layer's work and records it under `kind`; `describe` gives the shape label and
    /// the layer's floating-point operations.
    pub fn finish(self, kind: &'static str, describe: impl FnOnce() -> (String, f64)) {
        let _ = self.device.sync();
        let time = self.started.elapsed();
        let (shape, flop) = describe();
        let Ok(mut guard) = TOTALS.lock() else { return };
        let Some(totals) = guard.as_mut() else { return };
        let entry = totals.entry((kind, shape)).or_default();
        entry.calls += 1;
        entry.time += time;
        entry.flop += flop;
    }
}

/// Records the layer `probe` times (from [`start`]; `None` when profiling is off) under `kind` and
/// hands `output` back, so a timed layer ends in one call. `describe` gives the shape label and the
/// layer's floating-point operations, from the output.
pub fn record<const D: usize>(
    probe: Option<Probe>,
    kind: &'static str,
    output: Tensor<D>,
    describe: impl FnOnce(&Tensor<D>) -> (String, f64),
) -> Tensor<D> {
    if let Some(probe) = probe {
        probe.finish(kind, || describe(&output));
    }
    output
}

/// "at 64×64, batch 2" for an NCHW shape.
pub fn image_shape(dims: [usize; 4]) -> String {
    format!("at {}×{}, batch {}", dims[2], dims[3], dims[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_calls_per_shape_only_while_enabled() {
        let device = Device::flex();
        let x = Tensor::<2>::zeros([2, 3], &device);
        let layer = |kind, shape: &str, flop, pause| {
            let probe = start(&x);
            std::thread::sleep(pause);
            if let Some(probe) = probe {
                probe.finish(kind, || (shape.to_string(), flop));
            }
        };
        layer("linear", "before", 1.0, Duration::ZERO);
        set_enabled(true);
        for _ in 0..3 {
            layer("linear", "2×3", 12.0, Duration::from_millis(2));
        }
        layer("attention", "other", 0.0, Duration::ZERO);
        // Other tests may run layers meanwhile: only this test's shapes are looked at.
        let ours = ["before", "2×3", "other"];
        let rows: Vec<ProfileRow> = rows().into_iter().filter(|r| ours.contains(&r.shape.as_str())).collect();
        set_enabled(false);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!((rows[0].kind, rows[0].shape.as_str(), rows[0].calls, rows[0].flop), ("linear", "2×3", 3, 36.0));
        assert!(rows[0].seconds >= 0.006, "{rows:?}");
        assert_eq!(rows[1].calls, 1);
        assert!(super::rows().is_empty());
    }
}
