//! `nurie history`: import a folder of other tools' pictures, search it, and survive a damaged
//! database by rebuilding from the pictures (and saying so).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn nurie(home: &Path, args: &[&str]) -> Output {
    let output =
        Command::new(env!("CARGO_BIN_EXE_nurie")).env("NURIE_HOME", home).args(args).output().expect("nurie runs");
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
