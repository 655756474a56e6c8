//! Runs one fuzz target: its seed corpus and saved regressions first, then mutated inputs, each
//! execution under `catch_unwind`, timed and with its heap metered; a failure is shrunk, saved and
//! reported with the seed that made it.

use std::cell::{Cell, RefCell};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use super::alloc_meter::peak_heap;
use super::rng::Rng;

/// An execution slower than this is a finding (a debug build on a slow machine; real work here is
/// microseconds to milliseconds).
const SLOW: Duration = Duration::from_secs(2);
/// An execution still running after this is a hang: the watchdog reports it and ends the process.
const HANG: Duration = Duration::from_secs(60);
/// Executions spent shrinking one failing input.
const SHRINK_BUDGET: usize = 4000;
/// Distinct findings kept per target (the rest are counted).
const MAX_FINDINGS: usize = 8;
/// The base seed when `NURIE_FUZZ_SEED` is not set ("nurie").
const DEFAULT_SEED: u64 = 0x6e_7572_6965;

/// A fuzz input: bytes, or text that must stay valid UTF-8.
pub trait Input: Clone {
    fn size(&self) -> usize;
    /// The input without `len` bytes at `start` (widened to character boundaries for text).
    fn without(&self, start: usize, len: usize) -> Self;
    fn bytes(&self) -> &[u8];
    fn from_bytes(bytes: Vec<u8>) -> Self;
    /// A printable, escaped form for reports (cut after a few KiB; the saved file is whole).
    fn dump(&self) -> String {
        let bytes = self.bytes();
        let shown: String = bytes.iter().take(4096).flat_map(|&b| std::ascii::escape_default(b)).map(char::from).collect();
        let more = if bytes.len() > 4096 { format!("… ({} bytes in all)", bytes.len()) } else { String::new() };
        format!("b\"{shown}\"{more}")
    }
}

impl Input for Vec<u8> {
    fn size(&self) -> usize {
        self.len()
    }
    fn without(&self, start: usize, len: usize) -> Self {
        let end = (start + len).min(self.len());
        [&self[..start.min(end)], &self[end..]].concat()
    }
    fn bytes(&self) -> &[u8] {
        self
    }
    fn from_bytes(bytes: Vec<u8>) -> Self {
        bytes
    }
}

impl Input for String {
    fn size(&self) -> usize {
        self.len()
    }
    fn without(&self, start: usize, len: usize) -> Self {
        let (mut start, mut end) = (start.min(self.len()), (start + len).min(self.len()));
        while !self.is_char_boundary(start) {
            start -= 1;
        }
        while !self.is_char_boundary(end) {
            end += 1;
        }
        [&self[..start], &self[end..]].concat()
    }
    fn bytes(&self) -> &[u8] {
        self.as_bytes()
    }
    fn from_bytes(bytes: Vec<u8>) -> Self {
        String::from_utf8_lossy(&bytes).into_owned()
    }
    fn dump(&self) -> String {
        let shown: String = self.chars().take(4096).collect();
        let more = if shown.len() < self.len() { format!("… ({} bytes in all)", self.len()) } else { String::new() };
        format!("{shown:?}{more}")
    }
}

/// Makes a new input from a corpus entry (the parent) and the whole corpus (to splice with).
pub type Mutate<'a, I> = dyn Fn(&mut Rng, &I, &[I]) -> I + 'a;
/// Runs the code under test on an input; `Err` is a broken property (a panic is caught separately).
pub type Check<'a, I> = dyn Fn(&I) -> Result<(), String> + 'a;

/// One fuzz target.
pub struct Target<'a, I: Input> {
    /// Also the folder of its saved regressions, `tests/fixtures/fuzz/<name>/`.
    pub name: &'static str,
    /// Valid inputs; each must pass unmutated.
    pub seeds: Vec<I>,
    /// Executions in a plain `cargo test` (`NURIE_FUZZ_EXECS` overrides it).
    pub default_execs: usize,
    pub mutate: &'a Mutate<'a, I>,
    pub check: &'a Check<'a, I>,
    /// The most heap one execution may hold for an input of this size, in bytes.
    pub heap_limit: &'a dyn Fn(usize) -> usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    Panic,
    Property,
    Heap,
    Slow,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub kind: FailureKind,
    /// Where the input came from: `seed 0x…` (replay with `NURIE_FUZZ_REPLAY`) or a corpus file.
    pub origin: String,
    pub message: String,
    /// The shrunk input, escaped.
    pub dump: String,
    pub saved: Option<PathBuf>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub name: &'static str,
    pub execs: usize,
    pub elapsed: Duration,
    /// The slowest execution and its input's size.
    pub slowest: (Duration, usize),
    /// The most heap one execution held, and its input's size.
    pub peak_heap: (usize, usize),
    pub findings: Vec<Finding>,
    /// Failing executions, the repeats of a kept finding included.
    pub failures: usize,
}

impl Report {
    /// One line for the log.
    pub fn summary(&self) -> String {
        let rate = self.execs as f64 / self.elapsed.as_secs_f64().max(1e-9);
        format!(
            "fuzz {}: {} execs in {:.1} s ({rate:.0}/s); slowest {:.2} ms (input {} B); peak heap {} KiB (input {} B); \
             {} findings, {} failing execs",
            self.name,
            self.execs,
            self.elapsed.as_secs_f64(),
            self.slowest.0.as_secs_f64() * 1e3,
            self.slowest.1,
            self.peak_heap.0 >> 10,
            self.peak_heap.1,
            self.findings.len(),
            self.failures,
        )
    }

    /// Fails the test with every finding's origin, message and input.
    pub fn assert_clean(&self) {
        let details: Vec<String> = self
            .findings
            .iter()
            .map(|f| format!("{:?} ({}): {}\n  input: {}\n  saved: {:?}", f.kind, f.origin, f.message, f.dump, f.saved))
            .collect();
        assert!(self.findings.is_empty(), "{}\n{}", self.summary(), details.join("\n"));
    }
}

/// How long a run lasts: `NURIE_FUZZ_EXECS` executions and/or `NURIE_FUZZ_SECS` seconds per target.
struct Budget {
    execs: usize,
    until: Option<Instant>,
}

impl Budget {
    fn from_env(default_execs: usize) -> Budget {
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<u64>().ok());
        let seconds = number("NURIE_FUZZ_SECS");
        let execs = number("NURIE_FUZZ_EXECS").map(|n| n as usize);
        let execs = execs.unwrap_or(if seconds.is_some() { usize::MAX } else { default_execs });
        Budget { execs, until: seconds.map(|s| Instant::now() + Duration::from_secs(s)) }
    }

    fn allows(&self, done: usize) -> bool {
        done < self.execs && self.until.is_none_or(|until| Instant::now() < until)
    }
}

/// Runs `target` and returns what happened; the caller asserts.
pub fn run<I: Input + Send + 'static>(target: &Target<I>) -> Report {
    install_panic_hook();
    let started = Instant::now();
    let mut run =
        Run { target, report: Report { name: target.name, ..Report::default() }, watchdog: Watchdog::start(target.name) };
    let corpus = run.replay_corpus();
    run.fuzz(&corpus);
    run.report.elapsed = started.elapsed();
    run.report
}

struct Run<'t, 'a, I: Input> {
    target: &'t Target<'a, I>,
    report: Report,
    watchdog: Watchdog,
}

impl<I: Input + Send + 'static> Run<'_, '_, I> {
    /// Executes the seeds and the saved regressions unmutated; together they are the corpus.
    fn replay_corpus(&mut self) -> Vec<I> {
        let mut corpus = Vec::new();
        let target = self.target;
        let seeds = target.seeds.iter().cloned().enumerate().map(|(i, seed)| (format!("seed input {i}"), seed));
        for (origin, input) in seeds.chain(saved_regressions(target.name)) {
            self.execute(&origin, &input);
            corpus.push(input);
        }
        corpus
    }

    fn fuzz(&mut self, corpus: &[I]) {
        if corpus.is_empty() {
            return;
        }
        // Scrambled, so that neighbouring base seeds give unrelated sequences (not the same one shifted).
        let target_seed = Rng::new(base_seed()).next_u64() ^ fnv1a(self.target.name.as_bytes());
        let replay = replay_seed();
        let budget =
            if replay.is_some() { Budget { execs: 1, until: None } } else { Budget::from_env(self.target.default_execs) };
        let mut done = 0;
        while budget.allows(done) {
            let seed = replay.unwrap_or_else(|| Rng::new(target_seed.wrapping_add(done as u64)).next_u64());
            let mut rng = Rng::new(seed);
            let parent = &corpus[rng.below(corpus.len())];
            let input = (self.target.mutate)(&mut rng, parent, corpus);
            self.execute(&format!("seed {seed:#018x}"), &input);
            done += 1;
        }
    }

    fn execute(&mut self, origin: &str, input: &I) {
        self.watchdog.begin(origin, input.bytes());
        let outcome = execute_once(self.target, input);
        self.watchdog.end();
        let report = &mut self.report;
        report.execs += 1;
        if outcome.duration > report.slowest.0 {
            report.slowest = (outcome.duration, input.size());
        }
        if outcome.peak_heap > report.peak_heap.0 {
            report.peak_heap = (outcome.peak_heap, input.size());
        }
        if let Some((kind, message)) = outcome.failure {
            self.record_failure(origin, input, kind, message);
        }
    }

    fn record_failure(&mut self, origin: &str, input: &I, kind: FailureKind, message: String) {
        self.report.failures += 1;
        let key = first_line(&message);
        let known = self.report.findings.iter().any(|f| f.kind == kind && first_line(&f.message) == key);
        if known || self.report.findings.len() >= MAX_FINDINGS {
            return;
        }
        let (shrunk, message) = match kind {
            FailureKind::Slow => (input.clone(), message),
            _ => {
                let shrunk = shrink(self.target, input, kind, &key);
                let message = execute_once(self.target, &shrunk).failure.map_or(message, |(_, message)| message);
                (shrunk, message)
            }
        };
        let saved = save_finding(self.target.name, origin, &shrunk);
        eprintln!("fuzz {}: {kind:?} ({origin}): {message}\n  input: {}", self.target.name, shrunk.dump());
        self.report.findings.push(Finding { kind, origin: origin.to_string(), message, dump: shrunk.dump(), saved });
    }
}

struct Outcome {
    duration: Duration,
    peak_heap: usize,
    failure: Option<(FailureKind, String)>,
}

fn execute_once<I: Input>(target: &Target<I>, input: &I) -> Outcome {
    LAST_PANIC.set(None);
    let started = Instant::now();
    let (result, peak_heap) = peak_heap(|| {
        IN_EXECUTION.set(true);
        let result = catch_unwind(AssertUnwindSafe(|| (target.check)(input)));
        IN_EXECUTION.set(false);
        result
    });
    let duration = started.elapsed();
    let heap_limit = (target.heap_limit)(input.size());
    let failure = match result {
        Err(payload) => Some((FailureKind::Panic, LAST_PANIC.take().unwrap_or_else(|| panic_text(payload.as_ref())))),
        Ok(Err(broken)) => Some((FailureKind::Property, broken)),
        Ok(Ok(())) if peak_heap > heap_limit => Some((
            FailureKind::Heap,
            format!("held more heap than allowed\n{peak_heap} bytes for a {}-byte input (limit {heap_limit})", input.size()),
        )),
        Ok(Ok(())) if duration > SLOW => Some((FailureKind::Slow, format!("slower than {SLOW:?}\ntook {duration:?}"))),
        Ok(Ok(())) => None,
    };
    Outcome { duration, peak_heap, failure }
}

/// Removes ever smaller ranges while the input still fails the same way (same kind, same first line
/// of the message: for a panic, its location).
fn shrink<I: Input>(target: &Target<I>, input: &I, kind: FailureKind, key: &str) -> I {
    let mut best = input.clone();
    let mut spent = 0;
    let mut chunk = best.size().div_ceil(2).max(1);
    loop {
        let mut start = 0;
        while start < best.size() && spent < SHRINK_BUDGET {
            let candidate = best.without(start, chunk);
            spent += 1;
            let same = execute_once(target, &candidate).failure.is_some_and(|(k, m)| k == kind && first_line(&m) == key);
            if same && candidate.size() < best.size() {
                best = candidate;
            } else {
                start += chunk;
            }
        }
        if chunk == 1 || spent >= SHRINK_BUDGET {
            return best;
        }
        chunk = chunk.div_ceil(2);
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or("").to_string()
}

thread_local! {
    static IN_EXECUTION: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Keeps the message and location of panics inside executions (and keeps them off the log, where
/// thousands would drown everything); other panics go to the hook that was there before.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_EXECUTION.get() {
                LAST_PANIC.set(Some(info.to_string()));
            } else {
                previous(info);
            }
        }));
    });
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

fn base_seed() -> u64 {
    std::env::var("NURIE_FUZZ_SEED").ok().and_then(|v| parse_seed(&v)).unwrap_or(DEFAULT_SEED)
}

/// `NURIE_FUZZ_REPLAY=0x…`: run only the execution with this seed (as a finding reports it).
fn replay_seed() -> Option<u64> {
    std::env::var("NURIE_FUZZ_REPLAY").ok().and_then(|v| parse_seed(&v))
}

fn parse_seed(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// FNV-1a, so that each target draws its own sequence from the base seed.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn regression_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz").join(name)
}

/// The inputs saved under `tests/fixtures/fuzz/<target>/` after a finding was fixed, by file name.
fn saved_regressions<I: Input>(name: &str) -> Vec<(String, I)> {
    let Ok(entries) = std::fs::read_dir(regression_dir(name)) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    paths.sort();
    paths.into_iter().filter_map(|path| Some((path.display().to_string(), I::from_bytes(std::fs::read(&path).ok()?)))).collect()
}

/// Writes a failing input to `target/fuzz-findings/`, to be moved to `tests/fixtures/fuzz/<target>/`
/// once fixed.
fn save_finding<I: Input>(name: &str, origin: &str, input: &I) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-findings");
    std::fs::create_dir_all(&dir).ok()?;
    let tag: String = origin.chars().filter(char::is_ascii_alphanumeric).take(24).collect();
    let path = dir.join(format!("{name}-{tag}.bin"));
    std::fs::write(&path, input.bytes()).ok()?;
    Some(path)
}

/// Watches the running execution from another thread: one that runs past [`HANG`] is reported with
/// its input, and the process ends (a hung test would otherwise say nothing).
struct Watchdog {
    current: Arc<Mutex<Option<Running>>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

struct Running {
    since: Instant,
    origin: String,
    input: Vec<u8>,
}

impl Watchdog {
    fn start(name: &'static str) -> Watchdog {
        let current: Arc<Mutex<Option<Running>>> = Arc::default();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (watched, stopped) = (Arc::clone(&current), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let guard = watched.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some(running) = guard.as_ref().filter(|r| r.since.elapsed() > HANG) {
                    let saved = save_finding(name, &running.origin, &running.input);
                    let dump = running.input.dump();
                    eprintln!(
                        "fuzz {name}: HANG ({}): still running after {HANG:?}\n  input: {dump}\n  saved: {saved:?}",
                        running.origin
                    );
                    std::process::exit(3);
                }
            }
        });
        Watchdog { current, stop }
    }

    fn begin(&self, origin: &str, input: &[u8]) {
        let running = Running { since: Instant::now(), origin: origin.to_string(), input: input.to_vec() };
        *self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(running);
    }

    fn end(&self) {
        *self.current.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A target that panics on any input holding `!!` and breaks a property on `?`: both are found,
    /// shrunk to the bytes that matter, and reported with a replayable seed.
    #[test]
    fn findings_are_caught_shrunk_and_reported() {
        let mutate: &Mutate<Vec<u8>> = &|rng, parent, _| {
            let mut input = parent.clone();
            let at = rng.below(input.len() + 1);
            for _ in 0..2 {
                input.insert(at, *rng.pick(&b"!?ab"[..]).unwrap_or(&b'a'));
            }
            input
        };
        let check: &Check<Vec<u8>> = &|input| {
            assert!(!input.windows(2).any(|w| w == b"!!"), "two bangs");
            if input.contains(&b'?') { Err("a question".to_string()) } else { Ok(()) }
        };
        let target = Target {
            name: "harness_self_test",
            seeds: vec![b"hello world, a longer text to shrink".to_vec()],
            default_execs: 300,
            mutate,
            check,
            heap_limit: &|_| usize::MAX,
        };
        let report = run(&target);
        assert_eq!(report.execs, 301);
        let panic = report.findings.iter().find(|f| f.kind == FailureKind::Panic).unwrap();
        assert!(panic.message.contains("two bangs") && panic.message.contains("harness.rs"), "{}", panic.message);
        assert_eq!(panic.dump, "b\"!!\"");
        assert!(panic.origin.starts_with("seed 0x"));
        let property = report.findings.iter().find(|f| f.kind == FailureKind::Property).unwrap();
        assert_eq!(property.dump, "b\"?\"");
        assert_eq!(report.findings.len(), 2);
    }

    #[test]
    fn text_inputs_shrink_on_character_boundaries() {
        let text = "a桜b".to_string();
        assert_eq!(text.without(2, 1), "ab");
        assert_eq!(text.without(0, 1), "桜b");
        assert_eq!("x\u{1}".to_string().dump(), "\"x\\u{1}\"");
    }
}
