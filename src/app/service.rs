//! The one pattern of the window's background services (the worker, the history, model
//! identification and composition, the model search, line-art previews, thumbnails, file dialogs): a
//! thread named `nurie-…`, bounded channels, and an [`Emitter`] that sends an event and wakes the
//! window. Nothing a service does blocks a frame; a service that is behind drops what may be dropped
//! (progress, previews) and makes the sender wait for the rest.

use std::io;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::thread::JoinHandle;

/// Wakes the window (asks egui for a repaint); cheap to clone, callable from any thread.
#[derive(Clone)]
pub struct Waker(Arc<dyn Fn() + Send + Sync>);

impl Waker {
    pub fn new(wake: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Arc::new(wake))
    }

    /// Wakes `ctx`'s window.
    pub fn of(ctx: &egui::Context) -> Self {
        let ctx = ctx.clone();
        Self::new(move || ctx.request_repaint())
    }

    /// Wakes nothing (tests that poll).
    pub fn none() -> Self {
        Self::new(|| {})
    }

    pub fn wake(&self) {
        (self.0)();
    }
}

impl std::fmt::Debug for Waker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Waker")
    }
}

/// A service's side of its event channel: each event is followed by a wake-up.
pub struct Emitter<E> {
    events: SyncSender<E>,
    waker: Waker,
}

impl<E> Clone for Emitter<E> {
    fn clone(&self) -> Self {
        Self { events: self.events.clone(), waker: self.waker.clone() }
    }
}

impl<E> Emitter<E> {
    /// Sends an event that must arrive, waiting while the window catches up. False when the window is
    /// gone (the service should then end).
    pub fn send(&self, event: E) -> bool {
        let sent = self.events.send(event).is_ok();
        self.waker.wake();
        sent
    }

    /// Sends an event that may be dropped when the window is behind (progress, previews). True when
    /// it was sent.
    pub fn offer(&self, event: E) -> bool {
        match self.events.try_send(event) {
            Ok(()) => {
                self.waker.wake();
                true
            }
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

/// A bounded event channel whose sending side wakes the window.
pub fn event_channel<E>(capacity: usize, waker: Waker) -> (Emitter<E>, Receiver<E>) {
    let (events, receiver) = sync_channel(capacity);
    (Emitter { events, waker }, receiver)
}

/// Starts the thread `nurie-{name}`.
pub fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new().name(format!("nurie-{name}")).spawn(body)
}

/// Runs `work` once on the thread `nurie-{name}`; its answer arrives on the returned receiver (and
/// wakes the window). Used for file dialogs and model searches.
pub fn spawn_task<T: Send + 'static>(
    name: &str,
    waker: Waker,
    work: impl FnOnce() -> T + Send + 'static,
) -> io::Result<Receiver<T>> {
    let (emitter, receiver) = event_channel(1, waker);
    spawn(name, move || {
        emitter.send(work());
    })?;
    Ok(receiver)
}

/// The service thread is gone (it ended, or a bug stopped it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a background service of the window has stopped; restart Nurie")]
pub struct ServiceGone;

/// The window's end of a long-lived service: commands in, events out, and the thread to join.
pub struct Service<C, E> {
    commands: SyncSender<C>,
    events: Receiver<E>,
    thread: Option<JoinHandle<()>>,
}

impl<C: Send + 'static, E: Send + 'static> Service<C, E> {
    /// Starts `serve` on the thread `nurie-{name}` with channels of the given capacities. `serve` runs
    /// until its commands end (the window dropped its end) or it returns.
    pub fn start(
        name: &str,
        (command_capacity, event_capacity): (usize, usize),
        waker: Waker,
        serve: impl FnOnce(Receiver<C>, Emitter<E>) + Send + 'static,
    ) -> io::Result<Self> {
        let (commands, command_receiver) = sync_channel(command_capacity);
        let (emitter, events) = event_channel(event_capacity, waker);
        let thread = spawn(name, move || serve(command_receiver, emitter))?;
        Ok(Self { commands, events, thread: Some(thread) })
    }
}

impl<C, E> Service<C, E> {
    /// Sends a command, waiting while the service catches up.
    pub fn send(&self, command: C) -> Result<(), ServiceGone> {
        self.commands.send(command).map_err(|_| ServiceGone)
    }

    /// Sends a command unless the service is gone or too far behind (the window asks again later).
    pub fn try_send(&self, command: C) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// The next event, if one is waiting.
    pub fn try_event(&self) -> Result<Option<E>, ServiceGone> {
        match self.events.try_recv() {
            Ok(event) => Ok(Some(event)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(ServiceGone),
        }
    }

    /// Sends `last` (the service's stop command), drains events so a service waiting on a full
    /// channel can finish, and waits for the thread.
    pub fn stop(mut self, last: C) {
        let _ = self.commands.send(last);
        let Some(thread) = self.thread.take() else { return };
        while !thread.is_finished() {
            let _ = self.events.recv_timeout(std::time::Duration::from_millis(10));
        }
        let _ = thread.join();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_service_answers_commands_and_wakes_the_window() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let counted = wakes.clone();
        let waker = Waker::new(move || {
            counted.fetch_add(1, Ordering::SeqCst);
        });
        let service: Service<Option<u32>, u32> = Service::start("test-echo", (2, 2), waker, |commands, emitter| {
            while let Ok(Some(n)) = commands.recv() {
                emitter.send(n * 2);
            }
        })
        .unwrap();
        service.send(Some(21)).unwrap();
        let answer = loop {
            if let Some(answer) = service.try_event().unwrap() {
                break answer;
            }
            std::thread::yield_now();
        };
        assert_eq!(answer, 42);
        assert!(wakes.load(Ordering::SeqCst) >= 1);
        service.stop(None);
    }

    #[test]
    fn offered_events_are_dropped_when_the_window_is_behind() {
        let (emitter, receiver) = event_channel(1, Waker::none());
        assert!(emitter.offer(1));
        assert!(!emitter.offer(2), "the channel is full");
        assert_eq!(receiver.try_recv(), Ok(1));
        drop(receiver);
        assert!(!emitter.send(3), "the window is gone");
    }

    #[test]
    fn a_task_answers_once_on_a_named_thread() {
        let answer = spawn_task("test-task", Waker::none(), || std::thread::current().name().map(str::to_string)).unwrap();
        assert_eq!(answer.recv().unwrap().as_deref(), Some("nurie-test-task"));
    }
}
