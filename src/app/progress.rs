//! Progress of the running job as the window shows it: step i/n, it/s, ETA.

use std::time::{Duration, Instant};

use super::worker::StepInfo;

/// Weight of the newest step time in the smoothed rate.
const SMOOTHING: f64 = 0.3;

#[derive(Debug, Clone, Default)]
pub struct ProgressTracker {
    pub latest: Option<StepInfo>,
    last_step_at: Option<Instant>,
    /// Smoothed seconds per step, from steps that followed another step of the same image.
    seconds_per_step: Option<f64>,
}

impl ProgressTracker {
    pub fn on_step(&mut self, info: StepInfo, now: Instant) {
        let follows = self.latest.is_some_and(|l| l.image == info.image && l.step + 1 == info.step);
        if let (true, Some(last)) = (follows, self.last_step_at) {
            let seconds = (now - last).as_secs_f64();
            self.seconds_per_step = Some(match self.seconds_per_step {
                Some(s) => s + SMOOTHING * (seconds - s),
                None => seconds,
            });
        }
        self.latest = Some(info);
        self.last_step_at = Some(now);
    }

    /// Steps done and in all, over every image of the job.
    pub fn steps(&self) -> Option<(usize, usize)> {
        self.latest.map(|l| (l.image * l.steps + l.together * l.step, l.images * l.steps))
    }

    pub fn fraction(&self) -> f32 {
        self.steps().map_or(0.0, |(done, all)| done as f32 / all.max(1) as f32)
    }

    pub fn iterations_per_second(&self) -> Option<f64> {
        self.seconds_per_step.filter(|s| *s > 0.0).map(|s| 1.0 / s)
    }

    pub fn eta(&self) -> Option<Duration> {
        let (done, all) = self.steps()?;
        let per_step = self.seconds_per_step?;
        // A step advances every image of the UNet batch at once.
        let together = self.latest.map_or(1, |l| l.together.max(1));
        Some(Duration::from_secs_f64(per_step * (all - done).div_ceil(together) as f64))
    }
}

/// `1:05` or `12 s`.
/// `m:ss` from a minute on; seconds below, in the window's language (`seconds`).
pub fn format_duration(duration: Duration, seconds_text: fn(u64) -> String) -> String {
    let seconds = duration.as_secs();
    if seconds >= 60 { format!("{}:{:02}", seconds / 60, seconds % 60) } else { seconds_text(seconds) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(image: usize, step: usize) -> StepInfo {
        StepInfo { image, together: 1, images: 2, step, steps: 10 }
    }

    #[test]
    fn rate_and_eta_come_from_consecutive_steps() {
        let start = Instant::now();
        let mut tracker = ProgressTracker::default();
        tracker.on_step(info(0, 1), start);
        assert!(tracker.eta().is_none(), "one step gives no rate");
        tracker.on_step(info(0, 2), start + Duration::from_secs(2));
        assert_eq!(tracker.iterations_per_second(), Some(0.5));
        assert_eq!(tracker.steps(), Some((2, 20)));
        assert_eq!(tracker.eta(), Some(Duration::from_secs(36)));
        // The pause between images (decode, save) does not count as a step.
        tracker.on_step(info(1, 1), start + Duration::from_secs(30));
        assert_eq!(tracker.iterations_per_second(), Some(0.5));
        assert!((tracker.fraction() - 11.0 / 20.0).abs() < 1e-6);
    }

    #[test]
    fn durations_read_naturally() {
        let english = crate::app::i18n::EN.seconds;
        assert_eq!(format_duration(Duration::from_secs(12), english), "12 s");
        assert_eq!(format_duration(Duration::from_secs(65), english), "1:05");
        assert_eq!(format_duration(Duration::from_secs(12), crate::app::i18n::JA.seconds), "12 秒");
    }
}
