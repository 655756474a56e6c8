//! The one thread that owns the compute device and the loaded networks. The window sends it jobs and
//! reads its events through bounded channels; loading, generating and decoding never block a frame.

mod engine;
mod messages;
mod prepare;
mod reporter;

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

pub use messages::{
    Command, DeviceReport, ErrorKind, Event, InitSpec, Job, JobId, JobSpec, ModelSelection, StepInfo, UnitSpec, WorkerError,
};

/// Commands waiting for the worker; the window only sends a job when the previous one ended.
const COMMAND_CAPACITY: usize = 8;
/// Events waiting for the window: previews beyond this are dropped, other events wait.
const EVENT_CAPACITY: usize = 64;

/// The window's side of the worker.
pub struct WorkerHandle {
    commands: SyncSender<Command>,
    events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
}

/// The worker thread is gone (it can only end by `Shutdown` or by a bug).
#[derive(Debug, thiserror::Error)]
#[error("the generation worker has stopped; restart Nurie")]
pub struct WorkerGone;

impl WorkerHandle {
    /// Starts the `nurie-worker` thread for Nurie's `home`; `wake` is called after each event (the
    /// window's repaint).
    pub fn spawn(home: PathBuf, wake: impl Fn() + Send + 'static) -> std::io::Result<Self> {
        let (commands, command_rx) = sync_channel(COMMAND_CAPACITY);
        let (event_tx, events) = sync_channel(EVENT_CAPACITY);
        let emitter = engine::Emitter { events: event_tx, wake: Box::new(wake) };
        let thread = std::thread::Builder::new()
            .name("nurie-worker".into())
            .spawn(move || engine::Engine::new(emitter, home).serve(command_rx))?;
        Ok(Self { commands, events, thread: Some(thread) })
    }

    pub fn send(&self, command: Command) -> Result<(), WorkerGone> {
        self.commands.send(command).map_err(|_| WorkerGone)
    }

    /// The next event, if one is waiting.
    pub fn try_event(&self) -> Result<Option<Event>, WorkerGone> {
        match self.events.try_recv() {
            Ok(event) => Ok(Some(event)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(WorkerGone),
        }
    }

    /// Asks the worker to stop after its current job and waits for it (used at exit, after the
    /// running job was cancelled).
    pub fn shut_down(mut self) {
        let _ = self.commands.send(Command::Shutdown);
        // Drain so a worker blocked on a full event channel can finish.
        while self.events.recv_timeout(std::time::Duration::from_millis(10)).is_ok() {}
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
