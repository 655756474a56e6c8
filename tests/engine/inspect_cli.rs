//! `nurie inspect`: hashes checked against `sha256sum` and `dd`, the registry read from the user's
//! file, and the composition of a synthetic merge in the JSON contract's shape.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::model_variant::write_variant;

fn nurie(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nurie")).env("NURIE_HOME", home).args(args).output().expect("nurie runs")
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

/// `sh -c COMMAND` with `$1` = `file`: the first word it prints.
fn shell(command: &str, file: &Path) -> String {
    let output = Command::new("sh").args(["-c", command, "sh"]).arg(file).output().expect("sh runs");
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

fn fixture() -> PathBuf {
    super::support::sd15_dev()
}

#[test]
fn inspect_hashes_like_sha256sum_and_reads_the_users_registry() {
    let home = tempfile::tempdir().expect("temp");
    let file = fixture();
    let report = json(&nurie(home.path(), &["inspect", file.to_str().expect("utf-8"), "--json"]));
    let sha256 = shell("sha256sum \"$1\"", &file);
    let autov1 = shell("dd if=\"$1\" bs=65536 skip=16 count=1 2>/dev/null | sha256sum", &file);
    assert_eq!(report["sha256"], sha256);
    assert_eq!(report["autov2"], sha256[..10]);
    assert_eq!(report["autov1"], autov1[..8]);
    assert_eq!(report["family"], "sd1");
    assert_eq!(
        (report["license"].clone(), report["known"].clone()),
        (serde_json::Value::Null, serde_json::Value::Null),
        "an unknown model is unknown"
    );
    assert_eq!(report["commercial_use"], "unknown");
    assert_eq!(report["summary"]["text_encoder_layout"], "ldm");
    assert!(report["summary"]["components"]["unet"]["parameters"].as_u64().is_some_and(|n| n > 0));

    let registry = format!(
        "[[model]]\nsha256 = \"{sha256}\"\nname = \"sd15-dev-fp16.safetensors\"\ntitle = \"the tiny test model\"\nkind = \"checkpoint\"\n\
         origin = \"Nurie's parity kit\"\nlicense = \"CC BY-NC-SA 4.0\"\ncommercial_use = false\nsource = \"https://example.org/test\"\n"
    );
    std::fs::write(home.path().join("known_models.toml"), registry).expect("registry");
    let report = json(&nurie(home.path(), &["inspect", file.to_str().expect("utf-8"), "--json"]));
    assert_eq!(report["license"], "CC BY-NC-SA 4.0");
    assert_eq!(report["commercial_use"], "not_allowed");
    assert_eq!(report["known"]["matched_by"], "sha256");
    let text = nurie(home.path(), &["inspect", file.to_str().expect("utf-8")]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("commercial use: NOT allowed") && text.contains(&sha256), "{text}");
}

#[test]
fn inspect_with_references_reports_the_composition_per_group() {
    let home = tempfile::tempdir().expect("temp");
    let (reference, target) = (home.path().join("nai-v1.safetensors"), home.path().join("merge.safetensors"));
    // The same noise (same seed) at 0.4 of the reference's size: a 0.4 merge of base and reference.
    write_variant(&fixture(), &reference, 1.0, 7);
    write_variant(&fixture(), &target, 0.4, 7);
    let paths = [fixture(), reference.clone(), target.clone()].map(|p| p.to_string_lossy().into_owned());
    let report = json(&nurie(home.path(), &["inspect", &paths[2], "--base", &paths[0], "--reference", &paths[1], "--json"]));
    let composition = &report["composition"];
    assert_eq!(composition["references"], serde_json::json!(["nai-v1.safetensors"]));
    let groups = composition["groups"].as_array().expect("groups");
    let names: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    for name in ["input_blocks", "middle_block", "output_blocks", "text_encoder", "vae", "IN00", "OUT11"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    for group in groups {
        let a = group["coefficients"]["nai-v1.safetensors"].as_f64().expect("a coefficient");
        assert!((a - 0.4).abs() < 0.02, "{group}");
        assert!(group["residual"].as_f64().is_some_and(|r| r < 0.05), "{group}");
        assert!(group["cosine"].as_f64().is_some_and(|c| c > 0.99), "{group}");
    }

    let same = nurie(home.path(), &["inspect", &paths[2], "--base", &paths[0], "--reference", &paths[0]]);
    assert!(!same.status.success());
    let message = String::from_utf8_lossy(&same.stderr);
    assert!(message.contains("exactly the base's weights"), "{message}");
    let missing_base = nurie(home.path(), &["inspect", &paths[2], "--reference", &paths[1]]);
    assert!(!missing_base.status.success(), "a reference needs a base");
}

/// Text a downloaded model declares is printed with its escape sequences shown, never sent: a title
/// that clears the screen, recolors it or sets the window title (OSC) cannot reach the terminal.
#[test]
fn inspect_shows_escape_sequences_in_declared_text_instead_of_sending_them() {
    let home = tempfile::tempdir().expect("temp");
    let file = home.path().join("hostile.safetensors");
    let weights = [0u8; 8];
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2], &weights).unwrap();
    let metadata = [
        ("modelspec.title".to_string(), "nice\u{1b}[2J\u{1b}]0;owned\u{7}".to_string()),
        ("modelspec.author".to_string(), "\u{9b}31mred".to_string()),
    ];
    safetensors::serialize_to_file([("w", view)], Some(metadata.into_iter().collect()), &file).unwrap();
    let output = nurie(home.path(), &["inspect", file.to_str().unwrap()]);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains('\u{1b}') && !stdout.contains('\u{7}') && !stdout.contains('\u{9b}'), "{stdout:?}");
    assert!(stdout.contains("nice\\u{1b}[2J\\u{1b}]0;owned\\u{7}"), "{stdout}");
}
