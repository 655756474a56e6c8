//! The jobs the user queued: one runs on the worker, the rest wait here where they can be reordered
//! or removed. A job is handed to the worker only when the previous one ended.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::progress::ProgressTracker;
use super::worker::{Job, JobId, JobSpec};

pub struct QueuedJob {
    pub id: JobId,
    pub spec: JobSpec,
}

pub struct RunningJob {
    pub id: JobId,
    pub spec: JobSpec,
    pub cancel: Arc<AtomicBool>,
    pub progress: ProgressTracker,
}

impl RunningJob {
    pub fn cancel_requested(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

#[derive(Default)]
pub struct JobQueue {
    next_id: u64,
    pending: VecDeque<QueuedJob>,
    running: Option<RunningJob>,
}

impl JobQueue {
    pub fn push(&mut self, spec: JobSpec) -> JobId {
        self.next_id += 1;
        let id = JobId(self.next_id);
        self.pending.push_back(QueuedJob { id, spec });
        id
    }

    pub fn pending(&self) -> impl Iterator<Item = &QueuedJob> {
        self.pending.iter()
    }

    pub fn running(&self) -> Option<&RunningJob> {
        self.running.as_ref()
    }

    pub fn running_mut(&mut self) -> Option<&mut RunningJob> {
        self.running.as_mut()
    }

    pub fn is_idle(&self) -> bool {
        self.running.is_none() && self.pending.is_empty()
    }

    /// The next job for the worker, when none is running.
    pub fn start_next(&mut self) -> Option<Job> {
        if self.running.is_some() {
            return None;
        }
        let next = self.pending.pop_front()?;
        let cancel = Arc::new(AtomicBool::new(false));
        let job = Job { id: next.id, spec: next.spec.clone(), cancel: cancel.clone() };
        self.running = Some(RunningJob { id: next.id, spec: next.spec, cancel, progress: ProgressTracker::default() });
        Some(job)
    }

    /// The running job `id` ended (done, cancelled or failed).
    pub fn finished(&mut self, id: JobId) {
        if self.running.as_ref().is_some_and(|r| r.id == id) {
            self.running = None;
        }
    }

    /// Cancels `id`: a waiting job leaves the queue; the running one stops after its current step.
    pub fn cancel(&mut self, id: JobId) {
        self.pending.retain(|job| job.id != id);
        if let Some(running) = self.running.as_ref().filter(|r| r.id == id) {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }

    pub fn cancel_running(&mut self) {
        if let Some(running) = &self.running {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Moves a waiting job one place towards the front (`-1`) or the back (`+1`).
    pub fn move_by(&mut self, id: JobId, offset: isize) {
        let Some(from) = self.pending.iter().position(|job| job.id == id) else { return };
        let to = from.saturating_add_signed(offset).min(self.pending.len().saturating_sub(1));
        if let Some(job) = self.pending.remove(from) {
            self.pending.insert(to, job);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::form::GenerationForm;
    use crate::runtime::{DeviceChoice, Precision};

    fn spec(prompt: &str) -> JobSpec {
        let mut form = GenerationForm::default();
        form.settings.prompt = prompt.into();
        let plan = form.to_plan(Some(std::path::Path::new("m")), None, 1).unwrap();
        JobSpec {
            plan,
            device: DeviceChoice::Cpu,
            precision: Precision::F32,
            output_folder: "out".into(),
            lora_folders: vec![],
            embedding_folders: vec![],
            color_hints: None,
            mask: None,
            page: None,
        }
    }

    fn prompts(queue: &JobQueue) -> Vec<String> {
        queue.pending().map(|j| j.spec.plan.settings.prompt.clone()).collect()
    }

    #[test]
    fn one_job_runs_at_a_time_in_queue_order() {
        let mut queue = JobQueue::default();
        let a = queue.push(spec("a"));
        queue.push(spec("b"));
        assert_eq!(queue.start_next().unwrap().id, a);
        assert!(queue.start_next().is_none(), "a is still running");
        queue.finished(a);
        assert_eq!(queue.start_next().unwrap().spec.plan.settings.prompt, "b");
    }

    #[test]
    fn waiting_jobs_can_be_reordered_and_removed() {
        let mut queue = JobQueue::default();
        let ids: Vec<JobId> = ["a", "b", "c"].iter().map(|p| queue.push(spec(p))).collect();
        queue.move_by(ids[2], -1);
        assert_eq!(prompts(&queue), ["a", "c", "b"]);
        queue.move_by(ids[0], -1);
        queue.move_by(ids[1], 5);
        assert_eq!(prompts(&queue), ["a", "c", "b"]);
        queue.cancel(ids[2]);
        assert_eq!(prompts(&queue), ["a", "b"]);
    }

    #[test]
    fn cancelling_the_running_job_raises_its_flag() {
        let mut queue = JobQueue::default();
        let id = queue.push(spec("a"));
        let job = queue.start_next().unwrap();
        queue.cancel(id);
        assert!(job.cancel.load(Ordering::Relaxed));
        assert!(queue.running().unwrap().cancel_requested(), "it runs until the worker says it ended");
    }
}
