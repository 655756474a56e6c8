//! The thread that identifies model files, and the analyses it starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::Receiver;
use std::time::Instant;

use crate::app::service::{Emitter, Service, Waker, event_channel, spawn};
use crate::provenance::composition::{AnalysisProgress, Composition, analyze};
use crate::provenance::{HashCache, ModelReport, Registry};

const COMMAND_CAPACITY: usize = 16;
const EVENT_CAPACITY: usize = 64;

pub enum InfoEvent {
    /// Hashing `path`: bytes read of its size.
    Hashing {
        path: PathBuf,
        done: u64,
        total: u64,
    },
    Report(Box<ModelReport>),
    Failed {
        path: PathBuf,
        message: String,
    },
    /// The user's known-models file could not be read.
    RegistryProblem(String),
    AnalysisProgress {
        id: u64,
        progress: AnalysisProgress,
    },
    AnalysisDone {
        id: u64,
        result: Result<Box<Composition>, String>,
        seconds: f64,
    },
}

pub struct InfoThread {
    service: Service<PathBuf, InfoEvent>,
    /// Analyses run on threads of their own and report through this channel.
    analysis_events: Emitter<InfoEvent>,
    analysis_receiver: Receiver<InfoEvent>,
}

impl InfoThread {
    /// Starts the identifying thread (`nurie-provenance`) on Nurie's `home` (hash cache, registry).
    pub fn start(home: PathBuf, waker: Waker) -> std::io::Result<Self> {
        let (analysis_events, analysis_receiver) = event_channel(EVENT_CAPACITY, waker.clone());
        let service = Service::<PathBuf, InfoEvent>::start(
            "provenance",
            (COMMAND_CAPACITY, EVENT_CAPACITY),
            waker,
            move |commands, events| {
                let (registry, problem) = Registry::load(&home);
                if let Some(problem) = problem {
                    events.send(InfoEvent::RegistryProblem(problem));
                }
                let mut hashes = HashCache::in_home(&home);
                while let Ok(path) = commands.recv() {
                    events.send(identify(&path, &mut hashes, &registry, &events));
                }
            },
        )?;
        Ok(Self { service, analysis_events, analysis_receiver })
    }

    /// Asks for the report of `path`; false when the thread is gone or busy (ask again later).
    pub fn inspect(&self, path: &Path) -> bool {
        self.service.try_send(path.to_path_buf())
    }

    /// Starts analysis `id` of `target` against `references` from `base`, on the thread
    /// `nurie-composition`.
    pub fn analyze(
        &self,
        id: u64,
        target: PathBuf,
        base: PathBuf,
        references: Vec<PathBuf>,
        cancel: Arc<AtomicBool>,
    ) -> std::io::Result<()> {
        let events = self.analysis_events.clone();
        spawn("composition", move || {
            let started = Instant::now();
            let mut progress = |progress| {
                // Progress is lossy: a full channel skips an update rather than waiting.
                events.offer(InfoEvent::AnalysisProgress { id, progress });
            };
            let result = analyze(&target, &base, &references, &mut progress, &cancel).map(Box::new).map_err(|e| e.to_string());
            events.send(InfoEvent::AnalysisDone { id, result, seconds: started.elapsed().as_secs_f64() });
        })?;
        Ok(())
    }

    /// The next event of the identifying thread or of an analysis.
    pub fn try_event(&self) -> Option<InfoEvent> {
        self.service.try_event().ok().flatten().or_else(|| self.analysis_receiver.try_recv().ok())
    }
}

/// The report of `path`, with hashing progress sent on the way (lossy).
fn identify(path: &Path, hashes: &mut HashCache, registry: &Registry, events: &Emitter<InfoEvent>) -> InfoEvent {
    let mut last_percent = u64::MAX;
    let mut progress = |done: u64, total: u64| {
        let percent = done * 100 / total.max(1);
        if percent != last_percent {
            last_percent = percent;
            events.offer(InfoEvent::Hashing { path: path.to_path_buf(), done, total });
        }
    };
    match ModelReport::build(path, hashes, registry, &mut progress, &AtomicBool::new(false)) {
        Ok(report) => InfoEvent::Report(Box::new(report)),
        Err(e) => InfoEvent::Failed { path: path.to_path_buf(), message: e.to_string() },
    }
}
