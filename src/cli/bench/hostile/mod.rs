//! `nurie bench hostile`: the peak memory of Nurie refusing hostile inputs, each run as its own `nurie`
//! process on files made here: `.ckpt` zip bombs (storages and pickle), a prompt of 5,000 BREAKs and a
//! picture whose `parameters` text is a megabyte of garbage. The bound to hold: 1 GB plus the size of
//! the legitimate model the input claims to be (none of these claims a real one).

mod zip_bombs;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;

use super::memory::gigabytes;

/// Peak resident memory every hostile input must stay under.
const BOUND_BYTES: u64 = 1_000_000_000;

#[derive(Debug, clap::Args)]
pub struct HostileBenchArgs {
    /// Bytes each bomb storage inflates to (the case: three of about 4 GB in a 12 MB file).
    #[arg(long, default_value_t = 4_000_000_000)]
    bomb_bytes: u64,
}

/// One hostile input: what it is, and the `nurie` arguments that meet it.
struct Case {
    name: &'static str,
    args: Vec<String>,
}

pub fn run(args: HostileBenchArgs) -> anyhow::Result<()> {
    let scratch = tempfile::tempdir().context("making a scratch folder")?;
    let dir = scratch.path();
    errln!("making the hostile files in {} …", dir.display());
    let cases = make_cases(dir, args.bomb_bytes)?;
    outln!("{:<28} {:>10} {:>9} {:>7}  first line of the message", "input", "peak RSS", "seconds", "exit");
    let mut worst = 0;
    for case in cases {
        let (peak, seconds, code, message) = run_case(dir, &case)?;
        worst = worst.max(peak);
        let exit = code.map_or_else(|| "signal".to_string(), |c| c.to_string());
        outln!("{:<28} {:>7.3} GB {seconds:>9.2} {exit:>7}  {message}", case.name, gigabytes(peak));
    }
    let verdict = if worst < BOUND_BYTES { "within" } else { "OVER" };
    outln!("worst peak {:.3} GB: {verdict} the {:.1} GB bound", gigabytes(worst), gigabytes(BOUND_BYTES));
    Ok(())
}

fn make_cases(dir: &Path, bomb_bytes: u64) -> anyhow::Result<Vec<Case>> {
    let storages = dir.join("storage-bomb.ckpt");
    let size = zip_bombs::write_storage_bomb(&storages, bomb_bytes)?;
    errln!("{}: {:.1} MB, three storages of {bomb_bytes} bytes", storages.display(), size as f64 / 1e6);
    let pickle = dir.join("pickle-bomb.ckpt");
    let size = zip_bombs::write_pickle_bomb(&pickle, bomb_bytes)?;
    errln!("{}: {:.1} MB, a data.pkl of {bomb_bytes} bytes", pickle.display(), size as f64 / 1e6);
    let garbage = dir.join("garbage-parameters.png");
    write_garbage_png(&garbage)?;
    // Any model file will do: every case is refused before a model would be used.
    let model = dir.join("model.safetensors");
    write_small_model(&model)?;
    let out = dir.join("out");
    let generate = |extra: Vec<String>| {
        let mut args = vec!["generate".to_string(), "--checkpoint".into(), path(&model), "--device".into(), "cpu".into()];
        args.extend(["--out".into(), path(&out), "--no-history".into()]);
        args.extend(extra);
        args
    };
    Ok(vec![
        Case { name: "inspect storage bomb", args: vec!["inspect".into(), path(&storages)] },
        Case { name: "inspect pickle bomb", args: vec!["inspect".into(), path(&pickle)] },
        Case { name: "generate, BREAK × 5000", args: generate(vec!["--prompt".into(), "BREAK ".repeat(5000)]) },
        Case { name: "generate --from-png garbage", args: generate(vec!["--from-png".into(), path(&garbage)]) },
    ])
}

fn path(path: &Path) -> String {
    path.display().to_string()
}

/// Runs `nurie ARGS` with a home of its own; its peak RSS, wall time, exit code and first message line.
fn run_case(dir: &Path, case: &Case) -> anyhow::Result<(u64, f64, Option<i32>, String)> {
    let started = Instant::now();
    let child = Command::new(std::env::current_exe()?)
        .args(&case.args)
        .env("NURIE_HOME", dir.join("home"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("running {}", case.name))?;
    let (peak, code, stderr) = wait_with_peak_rss(child)?;
    let message = match stderr.lines().rfind(|line| line.starts_with("error")) {
        Some(line) => line.chars().take(160).collect(),
        None => "(no error)".to_string(),
    };
    Ok((peak, started.elapsed().as_secs_f64(), code, message))
}

/// Waits for `child`, returning the most memory it ever had resident (Linux's `ru_maxrss`), its exit
/// code and what it wrote to stderr.
#[cfg(unix)]
fn wait_with_peak_rss(mut child: std::process::Child) -> anyhow::Result<(u64, Option<i32>, String)> {
    use std::io::Read;
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        pipe.read_to_string(&mut stderr).context("reading the child's messages")?;
    }
    let pid = libc::pid_t::try_from(child.id()).context("process id")?;
    let mut status = 0;
    // SAFETY: an all-zero `rusage` is a valid value of the plain C struct, which wait4 overwrites.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for (std's `Child` has not reaped it), and both
    // out-pointers point at live locals of the right types.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if waited != pid {
        anyhow::bail!("waiting for the child failed: {}", std::io::Error::last_os_error());
    }
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let peak_kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    Ok((peak_kib * 1024, code, stderr))
}

#[cfg(not(unix))]
fn wait_with_peak_rss(child: std::process::Child) -> anyhow::Result<(u64, Option<i32>, String)> {
    let output = child.wait_with_output()?;
    Ok((0, output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned()))
}

/// A safetensors file with one small tensor: a model file that is not a Stable Diffusion model.
fn write_small_model(path: &Path) -> anyhow::Result<()> {
    let weights = [0u8; 16];
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![4], &weights)?;
    safetensors::serialize_to_file([("weight", view)], None, path).with_context(|| format!("writing {}", path.display()))
}

/// A picture whose `parameters` text is a megabyte of garbage, as a downloaded one once was.
fn write_garbage_png(path: &Path) -> anyhow::Result<()> {
    use crate::metadata::{A1111_KEYWORD, RgbImage, TextEncoding, TextEntry, write_png_atomic};
    let garbage: String = (0..1_000_000u32).map(|i| char::from(b'!' + (i.wrapping_mul(2_654_435_761) % 90) as u8)).collect();
    let text = [TextEntry { keyword: A1111_KEYWORD, text: &garbage, encoding: TextEncoding::Utf8 }];
    write_png_atomic(path, RgbImage { width: 8, height: 8, pixels: &[200; 8 * 8 * 3] }, &text)
        .with_context(|| format!("writing {}", path.display()))
}
