//! How long each stage of making flats took, for `nurie bench flats`.

use std::time::{Duration, Instant};

/// One stage of [`crate::flats::make_flats_timed`] and its wall-clock time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StageTiming {
    pub stage: &'static str,
    #[serde(rename = "ms", serialize_with = "milliseconds")]
    pub duration: Duration,
}

fn milliseconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64() * 1e3)
}

/// Records the time since the previous lap under a stage's name.
pub(crate) struct StageClock {
    last: Instant,
    pub(crate) timings: Vec<StageTiming>,
}

impl StageClock {
    pub(crate) fn start() -> Self {
        Self { last: Instant::now(), timings: Vec::new() }
    }

    pub(crate) fn lap(&mut self, stage: &'static str) {
        let now = Instant::now();
        self.timings.push(StageTiming { stage, duration: now - self.last });
        self.last = now;
    }
}
