//! What the Model tab shows: reports of the model files in use (asked for once per file), the
//! composition inputs the user chose, the analysis under way and its result; and the question asked
//! before generating with a model whose license forbids commercial use.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::provenance::composition::{AnalysisProgress, Composition};
use crate::provenance::{CommercialUse, ModelReport};

use super::info_thread::{InfoEvent, InfoThread};
use crate::app::i18n::Texts;
use crate::app::service::Waker;

/// An analysis under way.
pub struct Analysis {
    id: u64,
    pub target: PathBuf,
    pub progress: AnalysisProgress,
    cancel: Arc<AtomicBool>,
}

/// A generation waiting for the user's answer about its model's license.
#[derive(Debug, Clone, PartialEq)]
pub struct LicenseQuestion {
    pub model: PathBuf,
    pub sha256: String,
    pub license: String,
}

pub struct ModelInfo {
    thread: Option<InfoThread>,
    reports: HashMap<PathBuf, ModelReport>,
    pub failures: HashMap<PathBuf, String>,
    requested: HashSet<PathBuf>,
    /// The file being hashed, bytes done, size.
    pub hashing: Option<(PathBuf, u64, u64)>,
    pub base: Option<PathBuf>,
    pub references: Vec<PathBuf>,
    pub analysis: Option<Analysis>,
    /// The last finished analysis: its target, result and duration in seconds.
    pub composition: Option<(PathBuf, Composition, f64)>,
    pub analysis_error: Option<String>,
    next_id: u64,
    /// Messages for the window's message area.
    pub messages: Vec<InfoMessage>,
}

/// What model identification tells the user, put into words by the window in its language.
#[derive(Debug, Clone, PartialEq)]
pub enum InfoMessage {
    /// The identifying thread could not start.
    Unavailable(String),
    /// The user's known-models file could not be read.
    RegistryNotUsed(String),
}

impl InfoMessage {
    pub fn text(&self, texts: &Texts) -> String {
        match self {
            InfoMessage::Unavailable(e) => (texts.model_info_unavailable)(e),
            InfoMessage::RegistryNotUsed(problem) => (texts.registry_not_used)(problem),
        }
    }
}

impl ModelInfo {
    pub fn start(home: &Path, waker: Waker) -> Self {
        let mut messages = Vec::new();
        let thread = match InfoThread::start(home.to_path_buf(), waker) {
            Ok(thread) => Some(thread),
            Err(e) => {
                messages.push(InfoMessage::Unavailable(e.to_string()));
                None
            }
        };
        Self {
            thread,
            reports: HashMap::new(),
            failures: HashMap::new(),
            requested: HashSet::new(),
            hashing: None,
            base: None,
            references: Vec::new(),
            analysis: None,
            composition: None,
            analysis_error: None,
            next_id: 0,
            messages,
        }
    }

    /// Asks for the report of `path` unless it was asked for already.
    pub fn want(&mut self, path: &Path) {
        if self.requested.contains(path) {
            return;
        }
        if self.thread.as_ref().is_some_and(|thread| thread.inspect(path)) {
            self.requested.insert(path.to_path_buf());
        }
    }

    pub fn report(&self, path: &Path) -> Option<&ModelReport> {
        self.reports.get(path)
    }

    /// `path` was asked for and neither its report nor its failure has come yet.
    pub fn is_identifying(&self, path: &Path) -> bool {
        self.requested.contains(path) && !self.reports.contains_key(path) && !self.failures.contains_key(path)
    }

    /// The question to ask before generating with `model`, unless its license allows commercial use,
    /// is not known yet, or the user said not to ask again (`acknowledged` SHA-256s).
    pub fn license_question(&self, model: &Path, acknowledged: &[String]) -> Option<LicenseQuestion> {
        let report = self.reports.get(model)?;
        let license = report.license()?;
        if license.commercial_use != CommercialUse::NotAllowed || acknowledged.contains(&report.identity.sha256) {
            return None;
        }
        Some(LicenseQuestion { model: model.to_path_buf(), sha256: report.identity.sha256.clone(), license: license.name })
    }

    /// Starts estimating the composition of `target` from the chosen base and references.
    pub fn analyze(&mut self, target: PathBuf) {
        let (Some(thread), Some(base)) = (&self.thread, self.base.clone()) else { return };
        if self.analysis.is_some() || self.references.is_empty() {
            return;
        }
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        match thread.analyze(self.next_id, target.clone(), base, self.references.clone(), cancel.clone()) {
            Ok(()) => {
                self.analysis_error = None;
                let progress = AnalysisProgress { done: 0, total: 0 };
                self.analysis = Some(Analysis { id: self.next_id, target, progress, cancel });
            }
            Err(e) => self.analysis_error = Some(e.to_string()),
        }
    }

    pub fn cancel_analysis(&self) {
        if let Some(analysis) = &self.analysis {
            analysis.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Reads the threads' answers.
    pub fn pump(&mut self) {
        while let Some(event) = self.thread.as_ref().and_then(InfoThread::try_event) {
            self.on_event(event);
        }
    }

    fn on_event(&mut self, event: InfoEvent) {
        match event {
            InfoEvent::Hashing { path, done, total } => self.hashing = Some((path, done, total)),
            InfoEvent::Report(report) => {
                self.hashing = None;
                self.failures.remove(&report.path);
                self.reports.insert(report.path.clone(), *report);
            }
            InfoEvent::Failed { path, message } => {
                self.hashing = None;
                self.failures.insert(path, message);
            }
            InfoEvent::RegistryProblem(problem) => self.messages.push(InfoMessage::RegistryNotUsed(problem)),
            InfoEvent::AnalysisProgress { id, progress } => {
                if let Some(analysis) = self.analysis.as_mut().filter(|a| a.id == id) {
                    analysis.progress = progress;
                }
            }
            InfoEvent::AnalysisDone { id, result, seconds } => {
                let Some(analysis) = self.analysis.take_if(|a| a.id == id) else { return };
                match result {
                    Ok(composition) => self.composition = Some((analysis.target, *composition, seconds)),
                    Err(message) => self.analysis_error = Some(message),
                }
            }
        }
    }
}
