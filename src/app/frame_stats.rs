//! How long the UI thread takes per frame while models load or a job runs: the measure of "the window
//! never freezes". Always kept (two clock reads a frame); with `NURIE_FRAME_STATS=1` a summary is printed
//! on stderr when each job ends. Frames come when something asks for one (input, a worker event, an
//! animation), so `scripts/frame-times.sh` keeps moving the mouse over the window, as a user would.

use std::time::{Duration, Instant};

/// The environment variable that turns the report on.
pub const REPORT_VARIABLE: &str = "NURIE_FRAME_STATS";

/// Frame timings of one busy stretch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameSummary {
    /// Time from the start of `logic` to the end of `ui`, per frame.
    pub work: Vec<Duration>,
    /// Time from one frame's start to the next one's (work, painting, presenting), per pair of busy
    /// frames.
    pub gaps: Vec<Duration>,
    /// The window's very first frame (building the font atlas, the first layout), kept apart: it
    /// happens once, before anything can be clicked. Only in the first summary.
    pub first_frame: Option<Duration>,
}

impl FrameSummary {
    pub fn longest_work(&self) -> Duration {
        self.work.iter().copied().max().unwrap_or_default()
    }

    pub fn longest_gap(&self) -> Duration {
        self.gaps.iter().copied().max().unwrap_or_default()
    }

    /// The 99th percentile of `values` (nearest rank).
    pub fn percentile_99(values: &[Duration]) -> Duration {
        let mut sorted = values.to_vec();
        sorted.sort();
        let rank = (sorted.len() * 99).div_ceil(100);
        sorted.get(rank.saturating_sub(1)).copied().unwrap_or_default()
    }

    /// One line for a log: frame count, longest and p99 work, longest and p99 gap.
    pub fn report(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut line = format!(
            "{} frames; UI work per frame: longest {:.1} ms, p99 {:.1} ms; time between frames: longest {:.1} ms, p99 {:.1} ms",
            self.work.len(),
            ms(self.longest_work()),
            ms(Self::percentile_99(&self.work)),
            ms(self.longest_gap()),
            ms(Self::percentile_99(&self.gaps)),
        );
        if let Some(first) = self.first_frame {
            line.push_str(&format!(" (the window's first frame, not counted: {:.1} ms)", ms(first)));
        }
        line
    }
}

/// Collects frame timings while the app is busy.
#[derive(Debug)]
pub struct FrameStats {
    pub report: bool,
    frame_start: Option<Instant>,
    previous_busy_start: Option<Instant>,
    seen_first_frame: bool,
    current: FrameSummary,
}

impl FrameStats {
    pub fn from_environment() -> Self {
        let report = std::env::var_os(REPORT_VARIABLE).is_some_and(|v| !v.is_empty() && v != "0");
        Self::new(report)
    }

    pub fn new(report: bool) -> Self {
        Self { report, frame_start: None, previous_busy_start: None, seen_first_frame: false, current: FrameSummary::default() }
    }

    pub fn frame_begins(&mut self, now: Instant) {
        self.frame_start = Some(now);
    }

    /// Ends the frame; only frames while `busy` are counted, and a gap only between two busy frames.
    pub fn frame_ends(&mut self, now: Instant, busy: bool) {
        let Some(start) = self.frame_start.take() else { return };
        if !self.seen_first_frame {
            self.seen_first_frame = true;
            self.current.first_frame = Some(now.saturating_duration_since(start));
            return;
        }
        if !busy {
            self.previous_busy_start = None;
            return;
        }
        self.current.work.push(now.saturating_duration_since(start));
        if let Some(previous) = self.previous_busy_start {
            self.current.gaps.push(start.saturating_duration_since(previous));
        }
        self.previous_busy_start = Some(start);
    }

    /// The timings since the last call, and a fresh start.
    pub fn take(&mut self) -> FrameSummary {
        self.previous_busy_start = None;
        std::mem::take(&mut self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_busy_frames_count_and_gaps_join_busy_frames() {
        let mut stats = FrameStats::new(false);
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        stats.frame_begins(at(0));
        stats.frame_ends(at(150), true);
        stats.frame_begins(at(160));
        stats.frame_ends(at(162), false);
        stats.frame_begins(at(10));
        stats.frame_ends(at(13), true);
        stats.frame_begins(at(30));
        stats.frame_ends(at(38), true);
        stats.frame_begins(at(40));
        stats.frame_ends(at(41), false);
        stats.frame_begins(at(100));
        stats.frame_ends(at(101), true);
        let summary = stats.take();
        assert_eq!(summary.work, [3, 8, 1].map(Duration::from_millis));
        assert_eq!(summary.gaps, [Duration::from_millis(20)], "no gap across an idle frame");
        assert_eq!(summary.longest_work(), Duration::from_millis(8));
        assert_eq!(summary.first_frame, Some(Duration::from_millis(150)), "the first frame is kept apart");
        assert!(summary.report().ends_with("not counted: 150.0 ms)"), "{}", summary.report());
        assert_eq!(stats.take(), FrameSummary::default());
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let values: Vec<Duration> = (1..=200).map(Duration::from_millis).collect();
        assert_eq!(FrameSummary::percentile_99(&values), Duration::from_millis(198));
        assert_eq!(FrameSummary::percentile_99(&[]), Duration::ZERO);
        assert!(FrameSummary::default().report().starts_with("0 frames"));
    }
}
