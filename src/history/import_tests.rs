//! Importing folders: every metadata format, broken and hostile files.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use super::test_images::*;
use super::*;
use crate::metadata::{ControlNetUnit, GenerationRecord, GenerationSettings, ModelRef, ReadLimits, settings_from_infotext};
use crate::vocabulary::RecordedSampler;

pub fn import(library: &Library, dir: &Path) -> ImportReport {
    import_folder(library, dir, &mut |_| {}, &AtomicBool::new(false)).unwrap()
}

pub fn counts(report: &ImportReport) -> [usize; 4] {
    [report.added, report.updated, report.removed, report.unchanged]
}

pub fn row(library: &Library, path: &Path) -> ImageRow {
    library.image_at(path).unwrap().unwrap_or_else(|| panic!("{} is not indexed", path.display()))
}

pub fn nurie_record() -> GenerationRecord {
    GenerationRecord {
        settings: GenerationSettings {
            prompt: "線画に色を塗る、青い空と白い雲, watercolor".into(),
            negative_prompt: "lowres".into(),
            sampler: RecordedSampler::from_stored_name("euler_a"),
            seed: 42,
            ..Default::default()
        },
        model: ModelRef::from_sha256("counterfeitV30_v30.safetensors", &"0123456789abcdef".repeat(4)),
        controlnets: vec![ControlNetUnit::default()],
        ..Default::default()
    }
}

#[test]
fn every_kind_of_image_is_indexed_with_its_settings() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = pictures.path();
    fs::create_dir(dir.join("txt2img-images")).unwrap();
    write_a1111(&dir.join("txt2img-images/00000-1944526060.png"), A1111_CONTROLNET);
    write_a1111(&dir.join("00001-965400086.png"), A1111_OLD);
    write_comfyui(&dir.join("ComfyUI_00001_.png"));
    write_invokeai(&dir.join("invokeai.png"));
    write_nurie(&dir.join("00002-42.png"), &nurie_record());
    write_png(&dir.join("photo.png"), 9, &[("Software", "GIMP")]);
    fs::write(dir.join("notes.txt"), "not an image, not looked at").unwrap();

    let library = new_library(db.path());
    let report = import(&library, dir);
    assert_eq!(counts(&report), [6, 0, 0, 0]);
    assert!(report.skipped.is_empty() && !report.cancelled, "{:?}", report.skipped);
    assert_eq!(report.folder, dir);

    let a1111 = row(&library, &dir.join("txt2img-images/00000-1944526060.png"));
    assert_eq!(
        (a1111.source, a1111.seed, a1111.sampler.as_deref()),
        (ImageSource::A1111, Some(1944526060), Some("dpmpp_2m_karras"))
    );
    assert_eq!((a1111.model_name.as_deref(), a1111.has_controlnet), (Some("helloobjects_V15evae"), true));
    assert_eq!((a1111.width, a1111.height), (WIDTH, HEIGHT));
    assert_eq!(library.record(a1111.id).unwrap(), Some(settings_from_infotext(A1111_CONTROLNET).record));
    assert_eq!(library.details(a1111.id).unwrap().model_hash.as_deref(), Some("6d82a674e1"));

    let comfy = row(&library, &dir.join("ComfyUI_00001_.png"));
    assert_eq!(
        (comfy.source, comfy.seed, comfy.prompt.as_str()),
        (ImageSource::ComfyUi, Some(8566257), "masterpiece best quality girl")
    );
    assert_eq!(comfy.model_name.as_deref(), Some("v1-5-pruned-emaonly"));
    let invoke = row(&library, &dir.join("invokeai.png"));
    assert_eq!((invoke.source, invoke.seed, invoke.prompt.as_str()), (ImageSource::InvokeAi, Some(356120443), "landscape"));
    let nurie = row(&library, &dir.join("00002-42.png"));
    assert_eq!((nurie.source, nurie.has_controlnet), (ImageSource::Nurie, true));
    assert_eq!(library.record(nurie.id).unwrap(), Some(nurie_record()));
    let photo = row(&library, &dir.join("photo.png"));
    assert_eq!((photo.source, photo.seed, photo.prompt.as_str()), (ImageSource::None, None, ""));
    assert_eq!(library.record(photo.id).unwrap(), None);
    check_text_indexes(&library);
}

#[test]
fn broken_and_hostile_files_are_skipped_or_indexed_without_settings() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = pictures.path();
    let good = png_bytes(1, &[("parameters", A1111_OLD)]);
    fs::write(dir.join("text.png"), "hello, I am a text file").unwrap();
    fs::write(dir.join("empty.png"), b"").unwrap();
    fs::write(dir.join("truncated.png"), &good[..good.len() - 20]).unwrap();
    let many_chunks = (0..1100).fold(png_bytes(2, &[]), |png, i| with_chunk(&png, b"tEXt", format!("k{i}\0v").as_bytes()));
    fs::write(dir.join("many-chunks.png"), many_chunks).unwrap();
    let bad_utf8 = itxt_data("parameters", b"caf\xc3 \xff\xfe sky\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 5, Size: 8x6");
    fs::write(dir.join("bad-utf8.png"), with_chunk(&png_bytes(3, &[]), b"iTXt", &bad_utf8)).unwrap();
    write_png(&dir.join("bad-json.png"), 4, &[("prompt", "{\"3\": {\"class_type\": \"KSampler\", \"inputs\": {")]);
    let huge = [b"parameters\0".as_slice(), &vec![b'a'; (ReadLimits::default().max_chunk_bytes + 1) as usize]].concat();
    fs::write(dir.join("huge-chunk.png"), with_chunk(&png_bytes(5, &[]), b"tEXt", &huge)).unwrap();

    let library = new_library(db.path());
    let report = import(&library, dir);
    let skipped: BTreeSet<_> = report.skipped.iter().map(|(path, _)| path.file_name().unwrap().to_str().unwrap()).collect();
    assert_eq!(skipped, BTreeSet::from(["empty.png", "many-chunks.png", "text.png", "truncated.png"]));
    let reason = |name: &str| report.skipped.iter().find(|(p, _)| p.ends_with(name)).unwrap().1.clone();
    assert!(reason("text.png").contains("not a PNG"), "{}", reason("text.png"));
    assert!(reason("truncated.png").contains("ends before its last chunk"), "{}", reason("truncated.png"));
    assert!(reason("many-chunks.png").contains("more than 1024 text chunks"), "{}", reason("many-chunks.png"));
    assert_eq!(counts(&report), [3, 0, 0, 0]);

    let utf8 = library.details(row(&library, &dir.join("bad-utf8.png")).id).unwrap();
    assert_eq!(
        (utf8.row.source, utf8.row.seed, utf8.row.prompt.as_str()),
        (ImageSource::A1111, Some(5), "caf\u{fffd} \u{fffd}\u{fffd} sky")
    );
    assert!(utf8.warnings.iter().any(|w| w.contains("not valid UTF-8")), "{:?}", utf8.warnings);
    let json = library.details(row(&library, &dir.join("bad-json.png")).id).unwrap();
    assert_eq!((json.row.source, json.record), (ImageSource::None, None));
    assert!(json.warnings.iter().any(|w| w.contains("ComfyUI")), "{:?}", json.warnings);
    let huge = library.details(row(&library, &dir.join("huge-chunk.png")).id).unwrap();
    assert_eq!(huge.row.source, ImageSource::None);
    assert!(huge.warnings.iter().any(|w| w.contains("limit")), "{:?}", huge.warnings);
    check_text_indexes(&library);
}

#[test]
fn index_file_refuses_what_import_skips() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let library = new_library(db.path());
    let text = pictures.path().join("text.png");
    fs::write(&text, "plain text").unwrap();
    assert!(matches!(library.index_file(&text, pictures.path()), Err(HistoryError::File(FileError::NotPng { .. }))));
    let gone = library.index_file(&pictures.path().join("gone.png"), pictures.path()).unwrap_err();
    assert!(matches!(&gone, HistoryError::File(error) if error.is_missing()), "{gone:?}");
    let good = pictures.path().join("good.png");
    write_a1111(&good, A1111_OLD);
    let added = library.index_file(&good, pictures.path()).unwrap();
    assert!(added.new);
    assert_eq!(library.index_file(&good, pictures.path()).unwrap(), AddedImage { id: added.id, new: false });
}
