//! `nurie pages`: a chapter's folder colored page by page, killed part-way and resumed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::support::{Weights, nurie_in, temp_dir};

/// Five drawings whose names sort differently as text and as numbers (page10 after page3).
const PAGES: [&str; 5] = ["page1", "page2", "page3", "page10", "page11"];

/// A square at a different place on every page, black lines on white.
fn write_drawing(path: &Path, page: u32) {
    let (left, top) = (8 + 4 * page, 12 + 2 * page);
    image::GrayImage::from_fn(64, 64, |x, y| {
        let inside = |v: u32, start: u32| (start..start + 30).contains(&v);
        let edge = |v: u32, start: u32| v == start || v == start + 1 || v == start + 28 || v == start + 29;
        let line = (edge(x, left) && inside(y, top)) || (edge(y, top) && inside(x, left));
        image::Luma([if line { 0 } else { 255 }])
    })
    .save(path)
    .unwrap();
}

/// The finished pages in `out` (not the hidden temporary files of a write in progress, nor the contact
/// sheet).
fn pictures(out: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(out) else { return vec![] };
    let mut found: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "png"))
        .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
        .filter(|path| path.file_stem().unwrap() != "contact-sheet")
        .collect();
    found.sort();
    found
}

/// `nurie pages CHAPTER --out OUT` with the fixture checkpoint and ControlNet, 64×64 on the CPU, and `extra`.
fn pages_args(chapter: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let (checkpoint, controlnet) = (Weights::Fp16File.checkpoint(), Weights::Fp16File.controlnet());
    let paths = [chapter, out, &checkpoint, &controlnet].map(|path| path.to_str().unwrap().to_string());
    let [chapter, out, checkpoint, controlnet] = paths;
    let common = ["pages", &chapter, "--out", &out, "--checkpoint", &checkpoint, "--controlnet", &controlnet];
    let size = ["--width", "64", "--height", "64", "--device", "cpu"];
    common.iter().chain(extra).chain(&size).map(|arg| arg.to_string()).collect()
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn a_chapter_killed_after_two_pages_resumes_and_finishes_with_five_pictures() {
    let dir = temp_dir("pages");
    let (chapter, out, home) = (dir.join("第1話"), dir.join("colored"), dir.join("home"));
    std::fs::create_dir_all(&chapter).unwrap();
    for (page, name) in PAGES.iter().enumerate() {
        write_drawing(&chapter.join(format!("{name}.png")), page as u32);
    }
    std::fs::write(chapter.join("notes.txt"), "not a page").unwrap();
    let args = pages_args(&chapter, &out, &["--prompt", "flat colors", "--steps", "20"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_nurie"))
        .env("NURIE_HOME", &home)
        .args(&args)
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while pictures(&out).len() < 2 {
        assert!(first.try_wait().unwrap().is_none(), "the first run ended before its second page");
        assert!(started.elapsed() < Duration::from_secs(300), "two pages took over 5 minutes");
        std::thread::sleep(Duration::from_millis(10));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let kept = pictures(&out);
    assert!((2..5).contains(&kept.len()), "killed after two pages: {kept:?}");
    println!("killed with {} pages colored", kept.len());
    let times: Vec<SystemTime> = kept.iter().map(|path| modified(path)).collect();

    let output = nurie_in(&home, &args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("5 pages, {} colored already, {} to color", kept.len(), 5 - kept.len())), "{stderr}");
    let all = pictures(&out);
    let names: Vec<String> = all.iter().map(|p| p.file_stem().unwrap().to_string_lossy().into_owned()).collect();
    let mut expected: Vec<String> = PAGES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected, "exactly one picture per page, named after it");
    for (path, time) in kept.iter().zip(times) {
        assert_eq!(modified(path), time, "{} was colored again", path.display());
    }
    // The pages went in page order (page10 after page3), and every page kept the chapter's seed.
    let order: Vec<&str> = stderr.lines().filter_map(|line| line.split_once(": ").map(|(_, path)| path)).collect();
    let page10 = order.iter().position(|p| p.ends_with("page10.png"));
    let page3 = order.iter().position(|p| p.ends_with("page3.png"));
    assert!(page3.is_none() || page10.is_none() || page3 < page10, "{stderr}");
    let seeds: Vec<u64> =
        all.iter().map(|path| nurie::metadata::read_settings_from_png(path).unwrap().record.settings.seed).collect();
    assert!(seeds.iter().all(|&seed| seed == seeds[0]), "one seed for the chapter: {seeds:?}");
    // The pages side by side: 3 columns and 2 rows of 256-pixel cells, 8-pixel gutters.
    let sheet = image::open(out.join("contact-sheet.png")).unwrap().to_rgb8();
    assert_eq!(sheet.dimensions(), (3 * 256 + 4 * 8, 2 * 256 + 3 * 8));
}

/// A page of two pictures that a crash left with only its first is colored again when the chapter
/// resumes; its first picture moves to `earlier/` instead of blocking the page ("already there").
#[test]
fn a_page_left_half_done_is_colored_again_and_its_first_picture_kept() {
    let dir = temp_dir("pages-half");
    let (chapter, out, home) = (dir.join("chapter"), dir.join("colored"), dir.join("home"));
    std::fs::create_dir_all(&chapter).unwrap();
    write_drawing(&chapter.join("p1.png"), 0);
    let args = pages_args(&chapter, &out, &["--batch", "2", "--steps", "2"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = nurie_in(&home, &args);
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let (kept, lost) = (out.join("p1-1.png"), out.join("p1-2.png"));
    let kept_bytes = std::fs::read(&kept).unwrap();
    std::fs::remove_file(&lost).unwrap();

    let again = nurie_in(&home, &args);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("1 pages, 0 colored already, 1 to color"), "{stderr}");
    assert!(kept.is_file() && lost.is_file(), "both pictures of the page: {:?}", pictures(&out));
    assert_eq!(std::fs::read(out.join("earlier").join("p1-1 (1).png")).unwrap(), kept_bytes, "the first picture kept");
}

/// A character made from a crop of a sheet, shared as one file with another home, colors a page there
/// through `--character`: the picture records the character's reference unit and its picture.
#[test]
fn a_character_is_added_shared_and_colors_a_page() {
    let dir = temp_dir("characters");
    let (mine, theirs, out) = (dir.join("mine"), dir.join("theirs"), dir.join("out"));
    let (sheet, drawing, shared) = (dir.join("sheet.png"), dir.join("page.png"), dir.join("ハル.nurie-character"));
    image::RgbImage::from_fn(96, 64, |x, _| image::Rgb([(2 * x) as u8, 40, 160])).save(&sheet).unwrap();
    write_drawing(&drawing, 0);
    let add = [
        "character",
        "add",
        "ハル",
        "--reference",
        sheet.to_str().unwrap(),
        "--crop",
        "16,0,48,64",
        "--color",
        "髪=#2A1C5E",
        "--color",
        "eyes=#3b8f6a",
        "--reference-mode",
        "adain",
    ];
    assert!(nurie_in(&mine, &add).status.success());
    let listed = String::from_utf8(nurie_in(&mine, &["character", "list"]).stdout).unwrap();
    assert_eq!(listed, "ハル\treference_adain\t髪 #2a1c5e, eyes #3b8f6a\n");
    let exported = nurie_in(&mine, &["character", "export", "ハル", "--out", shared.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", String::from_utf8_lossy(&exported.stderr));
    assert!(nurie_in(&theirs, &["character", "import", shared.to_str().unwrap()]).status.success());
    let again = nurie_in(&theirs, &["character", "import", shared.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("already a character called `ハル`"));

    let (checkpoint, controlnet) = (Weights::Fp16File.checkpoint(), Weights::Fp16File.controlnet());
    let generate = [
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--lineart",
        drawing.to_str().unwrap(),
        "--character",
        "ハル",
        "--steps",
        "2",
        "--width",
        "64",
        "--height",
        "64",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ];
    let png = super::support::succeeded(nurie_in(&theirs, &generate)).remove(0);
    let record = nurie::metadata::read_settings_from_png(&png).unwrap().record;
    let kept = theirs.join("characters").join("ハル").join("reference.png");
    assert_eq!(image::open(&kept).unwrap().width(), 48, "the crop is kept, not the sheet");
    assert_eq!(record.references.len(), 1);
    assert_eq!(record.references[0].settings.mode, nurie::vocabulary::ReferenceMode::Adain);
    let sha256 = nurie::provenance::hash::file_sha256(&kept).unwrap();
    assert_eq!(record.references[0].picture_sha256.as_deref(), Some(sha256.as_str()));
    let unknown = nurie_in(&theirs, &[&generate[..], &["--character", "Aki"]].concat());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no character called `Aki`; the characters are: ハル"));
}
