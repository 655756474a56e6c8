//! The one thread that owns the compute device and the loaded networks. The window sends it jobs and
//! reads its events through bounded channels; loading, generating and decoding never block a frame.

mod engine;
mod messages;
mod reporter;

use std::path::PathBuf;

pub use messages::{
    Command, DeviceReport, ErrorKind, Event, Job, JobId, JobSpec, ModelSelection, PageJob, StepInfo, WorkerError,
};

use super::service::{Service, ServiceGone, Waker};

/// Commands waiting for the worker; the window only sends a job when the previous one ended.
const COMMAND_CAPACITY: usize = 8;
/// Events waiting for the window: previews beyond this are dropped, other events wait.
const EVENT_CAPACITY: usize = 64;

/// The window's side of the worker.
pub struct WorkerHandle {
    service: Service<Command, Event>,
}

impl WorkerHandle {
    /// Starts the `nurie-worker` thread for Nurie's `home`; `waker` is called after each event.
    pub fn spawn(home: PathBuf, waker: Waker) -> std::io::Result<Self> {
        let service = Service::start("worker", (COMMAND_CAPACITY, EVENT_CAPACITY), waker, move |commands, emitter| {
            engine::Engine::new(emitter, &home).serve(commands)
        })?;
        Ok(Self { service })
    }

    pub fn send(&self, command: Command) -> Result<(), ServiceGone> {
        self.service.send(command)
    }

    /// The next event, if one is waiting.
    pub fn try_event(&self) -> Result<Option<Event>, ServiceGone> {
        self.service.try_event()
    }

    /// Asks the worker to stop after its current job and waits for it (used at exit, after the
    /// running job was cancelled).
    pub fn shut_down(self) {
        self.service.stop(Command::Shutdown);
    }
}
