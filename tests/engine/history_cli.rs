//! `nurie history`: import a folder of other tools' pictures, search it, and survive a damaged
//! database by rebuilding from the pictures (and saying so).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nurie(home: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_nurie")).env("NURIE_HOME", home).args(args).output().expect("nurie runs");
    assert!(output.status.success(), "nurie {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The metadata fixtures (A1111, ComfyUI, InvokeAI, no metadata), copied into a folder of their own.
fn picture_folder(parent: &Path) -> PathBuf {
    let folder = parent.join("webui outputs/txt2img-images");
    std::fs::create_dir_all(&folder).expect("folder");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata");
    for entry in std::fs::read_dir(fixtures).expect("fixtures").flatten() {
        if entry.path().extension().is_some_and(|e| e == "png") {
            std::fs::copy(entry.path(), folder.join(entry.file_name())).expect("copy");
        }
    }
    std::fs::write(folder.join("notes.png"), "not a picture").expect("a bad file");
    folder
}

#[test]
fn history_import_search_and_rebuild_after_damage() {
    let scratch = tempfile::tempdir().expect("temp");
    let home = scratch.path().join("home");
    let pictures = picture_folder(scratch.path());
    let pictures_arg = pictures.to_str().expect("utf-8 path");

    let import = stdout(&nurie(&home, &["history", "import", pictures_arg]));
    assert!(import.contains("added") && import.contains("1 skipped"), "{import}");

    let found = stdout(&nurie(&home, &["history", "search", "桜", "--json"]));
    let rows: Vec<serde_json::Value> = found.lines().map(|l| serde_json::from_str(l).expect("json line")).collect();
    assert!(!rows.is_empty(), "a Japanese word finds the A1111 picture");
    assert!(rows.iter().all(|r| r["prompt"].as_str().is_some_and(|p| p.contains('桜'))), "{found}");
    let by_seed = stdout(&nurie(&home, &["history", "search", "seed:42", "--json"]));
    assert!(by_seed.lines().count() >= 1 && by_seed.lines().all(|l| l.contains("\"seed\":42")), "{by_seed}");

    // Damage the database: the next command sets it aside, says so, and rebuilds it from the pictures.
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(home.join(format!("history.sqlite3{suffix}")));
    }
    std::fs::write(home.join("history.sqlite3"), b"this is no longer a database").expect("damage");
    let after = nurie(&home, &["history", "search", "桜", "--json"]);
    let message = String::from_utf8_lossy(&after.stderr);
    assert!(message.contains("damaged") && message.contains("rebuilt"), "{message}");
    assert_eq!(stdout(&after), found, "the same pictures are found after the rebuild");
    assert!(home.join("history.sqlite3.broken").exists(), "the damaged file is kept aside");
}

#[test]
fn history_benchmark_measures_import_search_and_scrolling() {
    let scratch = tempfile::tempdir().expect("temp");
    let dir = scratch.path().to_str().expect("utf-8 path");
    let args = ["bench", "history", "--images", "300", "--side", "24", "--frames", "30", "--dir", dir, "--json"];
    let output = nurie(scratch.path(), &args);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["images"], 300);
    assert!(report["import_per_second"].as_f64().is_some_and(|rate| rate > 0.0), "{report}");
    let searches = report["searches"].as_array().expect("searches");
    let hits = |query: &str| searches.iter().find(|s| s["query"] == query).map(|s| s["hits"].clone());
    assert_eq!(hits("model:meina"), Some(75.into()), "a quarter of the pictures use each model");
    assert_eq!(hits(""), Some(300.into()));
    assert_eq!(hits("青い空"), Some(8.into()), "pictures 10, 50, …, 290");
    let scroll = &report["scroll"];
    assert_eq!((scroll["frames"].clone(), scroll["pictures"].clone()), (30.into(), 300.into()));
    assert!(scroll["thumbnails_loaded"].as_u64().is_some_and(|n| n > 0), "scrolling brings new thumbnails: {scroll}");
    assert!(scroll["work_max_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{scroll}");
}

/// The pictures a user sees in `folder` (hidden temporary files of unfinished writes excluded).
fn visible_pictures(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut pictures: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "png"))
        .filter(|path| !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
        .collect();
    pictures.sort();
    pictures
}

/// Paths of every picture the history has, after a search for everything.
fn history_paths(home: &Path) -> Vec<PathBuf> {
    let output = nurie(home, &["history", "search", "", "--json", "--limit", "100000"]);
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(!said.contains("damaged"), "the database survived the kills: {said}");
    let mut paths: Vec<PathBuf> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).expect("json line"))
        .map(|row| PathBuf::from(row["path"].as_str().expect("path")))
        .collect();
    paths.sort();
    paths
}

/// `nurie generate` killed with SIGKILL at varied moments of a batch, six times into one folder: every
/// picture in the folder is whole (decodes, carries its settings), the history opens undamaged and
/// lists no picture that is not on disk, and a rebuild finds every one.
#[test]
fn generation_killed_mid_batch_leaves_whole_pictures_and_a_sound_history() {
    let scratch = tempfile::tempdir().expect("temp");
    let (home, out) = (scratch.path().join("home"), scratch.path().join("out"));
    let checkpoint = super::support::sd15_dev();
    const KILLS: usize = 6;
    for (round, pictures_first) in (1..=KILLS).enumerate() {
        let seed = (round * 100).to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_nurie"))
            .env("NURIE_HOME", &home)
            .args(["generate", "--checkpoint", checkpoint.to_str().expect("utf-8"), "--prompt", "線画, kill -9"])
            .args(["--steps", "1", "--width", "64", "--height", "64", "--batch", "60", "--seed", &seed, "--device", "cpu"])
            .arg("--out")
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nurie generate starts");
        let before = visible_pictures(&out).len();
        let started = std::time::Instant::now();
        while visible_pictures(&out).len() < before + pictures_first {
            assert!(child.try_wait().expect("child").is_none(), "generate ended before it was killed");
            assert!(started.elapsed().as_secs() < 300, "no pictures came");
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(std::time::Duration::from_micros(2_300 * round as u64));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        for picture in visible_pictures(&out) {
            let decoded = image::open(&picture).unwrap_or_else(|e| panic!("{} is not whole: {e}", picture.display()));
            assert_eq!((decoded.width(), decoded.height()), (64, 64));
            let settings = nurie::metadata::read_settings_from_png(&picture).expect("settings");
            assert_eq!(settings.record.settings.prompt, "線画, kill -9");
        }
    }
    let on_disk = visible_pictures(&out);
    assert!(on_disk.len() >= 21, "{} pictures", on_disk.len());
    let recorded = history_paths(&home);
    assert!(recorded.iter().all(|path| on_disk.contains(path)), "the history lists only pictures on disk");
    assert!(recorded.len() + KILLS >= on_disk.len(), "at most the picture being recorded at each kill is missing");
    nurie(&home, &["history", "rebuild"]);
    assert_eq!(history_paths(&home), on_disk, "a rebuild finds every picture");
}
