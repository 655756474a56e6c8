//! The thread that identifies model files, and the analyses it starts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Instant;

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
    commands: SyncSender<PathBuf>,
    events: Receiver<InfoEvent>,
    analysis_events: SyncSender<InfoEvent>,
    wake: Arc<dyn Fn() + Send + Sync>,
}

impl InfoThread {
    /// Starts the identifying thread on Nurie's `home` (hash cache, registry).
    pub fn start(home: PathBuf, wake: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<Self> {
        let (commands, command_rx) = sync_channel::<PathBuf>(COMMAND_CAPACITY);
        let (event_tx, events) = sync_channel(EVENT_CAPACITY);
        let (analysis_events, thread_wake) = (event_tx.clone(), wake.clone());
        std::thread::Builder::new().name("nurie-provenance".into()).spawn(move || {
            let (registry, problem) = Registry::load(&home);
            let emit = |event| {
                let _ = event_tx.send(event);
                thread_wake();
            };
            if let Some(problem) = problem {
                emit(InfoEvent::RegistryProblem(problem));
            }
            let mut hashes = HashCache::in_home(&home);
            while let Ok(path) = command_rx.recv() {
                emit(identify(&path, &mut hashes, &registry, &event_tx, &*thread_wake));
            }
        })?;
        Ok(Self { commands, events, analysis_events, wake })
    }

    /// Asks for the report of `path`; false when the thread is gone or busy (ask again later).
    pub fn inspect(&self, path: &Path) -> bool {
        self.commands.try_send(path.to_path_buf()).is_ok()
    }

    /// Starts analysis `id` of `target` against `references` from `base`.
    pub fn analyze(
        &self,
        id: u64,
        target: PathBuf,
        base: PathBuf,
        references: Vec<PathBuf>,
        cancel: Arc<AtomicBool>,
    ) -> std::io::Result<()> {
        let (events, wake) = (self.analysis_events.clone(), self.wake.clone());
        std::thread::Builder::new().name("nurie-composition".into()).spawn(move || {
            let started = Instant::now();
            let mut progress = |progress| {
                // Progress is lossy: a full channel skips an update rather than waiting.
                if events.try_send(InfoEvent::AnalysisProgress { id, progress }).is_ok() {
                    wake();
                }
            };
            let result = analyze(&target, &base, &references, &mut progress, &cancel).map(Box::new).map_err(|e| e.to_string());
            let _ = events.send(InfoEvent::AnalysisDone { id, result, seconds: started.elapsed().as_secs_f64() });
            wake();
        })?;
        Ok(())
    }

    pub fn try_event(&self) -> Option<InfoEvent> {
        self.events.try_recv().ok()
    }
}

/// The report of `path`, with hashing progress sent on the way (lossy).
fn identify(
    path: &Path,
    hashes: &mut HashCache,
    registry: &Registry,
    events: &SyncSender<InfoEvent>,
    wake: &dyn Fn(),
) -> InfoEvent {
    let mut last_percent = u64::MAX;
    let mut progress = |done: u64, total: u64| {
        let percent = done * 100 / total.max(1);
        if percent != last_percent {
            last_percent = percent;
            if events.try_send(InfoEvent::Hashing { path: path.to_path_buf(), done, total }).is_ok() {
                wake();
            }
        }
    };
    match ModelReport::build(path, hashes, registry, &mut progress, &AtomicBool::new(false)) {
        Ok(report) => InfoEvent::Report(Box::new(report)),
        Err(e) => InfoEvent::Failed { path: path.to_path_buf(), message: e.to_string() },
    }
}
