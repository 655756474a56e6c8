//! Searching: words, Japanese, filters, marks, sort and paging, and text that must never break SQL.

use std::path::Path;

use super::import_tests::nurie_record;
use super::test_images::{A1111_CONTROLNET, A1111_OLD, check_text_indexes, new_library};
use super::*;
use crate::metadata::{ParsedSettings, SettingsSource, settings_from_infotext};

/// A1111 infotext with a sampler Nurie does not have.
const UNSUPPORTED_SAMPLER: &str = "café au lait, cozy kitchen\n\
    Steps: 40, Sampler: DPM adaptive, Schedule type: Automatic, CFG scale: 7, Seed: 524982011, Size: 704x832";

/// Five images, created one minute apart in this order: `nurie`, `controlnet`, `old`, `cafe`, `photo`.
struct Fixture {
    _dir: tempfile::TempDir,
    library: Library,
    ids: Vec<(&'static str, ImageId)>,
}

const T0: i64 = 1_700_000_000;

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let library = new_library(dir.path());
        let nurie = ParsedSettings { source: SettingsSource::Nurie, record: nurie_record(), warnings: vec![] };
        let images = [
            ("nurie", Some(nurie)),
            ("controlnet", Some(settings_from_infotext(A1111_CONTROLNET))),
            ("old", Some(settings_from_infotext(A1111_OLD))),
            ("cafe", Some(settings_from_infotext(UNSUPPORTED_SAMPLER))),
            ("photo", None),
        ];
        let ids = images
            .into_iter()
            .enumerate()
            .map(|(i, (name, settings))| {
                let folder = dir.path().join(if name == "photo" { "camera" } else { "outputs" });
                (name, library.add_image(&entry(&folder, name, i as i64, settings)).unwrap().id)
            })
            .collect();
        Fixture { _dir: dir, library, ids }
    }

    fn id(&self, name: &str) -> ImageId {
        self.ids.iter().find(|(n, _)| *n == name).unwrap().1
    }

    /// The names of the images `query` finds, newest first.
    fn names(&self, query: &Query) -> Vec<&'static str> {
        let rows = self.library.search(query, 0, 100).unwrap();
        assert_eq!(self.library.count(query).unwrap(), rows.len());
        rows.iter().map(|row| self.ids.iter().find(|(_, id)| *id == row.id).unwrap().0).collect()
    }

    fn find(&self, text: &str) -> Vec<&'static str> {
        self.names(&Query::parse(text))
    }
}

fn entry(folder: &Path, name: &str, minute: i64, settings: Option<ParsedSettings>) -> ImageEntry {
    ImageEntry {
        path: folder.join(format!("{name}.png")),
        folder: folder.to_path_buf(),
        facts: FileFacts { size: 1000, modified_ns: (T0 + 60 * minute) * 1_000_000_000 },
        width: 512,
        height: 768,
        settings,
        problems: Vec::new(),
        line_art_path: None,
        init_image_path: None,
    }
}

#[test]
fn free_words_search_the_prompt_by_word_prefix() {
    let f = Fixture::new();
    assert_eq!(f.find("watercolor"), ["nurie"]);
    assert_eq!(f.find("WATER"), ["nurie"]);
    assert_eq!(f.find("pallet boxes"), ["controlnet"]);
    assert_eq!(f.find(r#""cargo cardboard""#), ["controlnet"]);
    assert_eq!(f.find(r#""cardboard cargo""#), Vec::<&str>::new());
    assert_eq!(f.find("cafe"), ["cafe"], "diacritics are ignored");
    assert_eq!(f.find("lowres"), Vec::<&str>::new(), "the negative prompt is not searched by free words");
    assert_eq!(f.find("neg:lowres"), ["controlnet", "nurie"]);
    assert_eq!(f.find("(masterpiece)"), ["controlnet"]);
    assert_eq!(f.find("blue eyes beret"), ["old"]);
}

#[test]
fn japanese_text_is_found_by_any_part() {
    let f = Fixture::new();
    for text in ["青い空", "白い雲", "色を塗る", "線画に色を塗る、青い空", "空", "白い"] {
        assert_eq!(f.find(text), ["nurie"], "{text}");
    }
    assert_eq!(f.find("青空"), Vec::<&str>::new());
    assert_eq!(f.find("青い空 watercolor"), ["nurie"]);
    assert_eq!(f.find("青い空 pallet"), Vec::<&str>::new());
}

#[test]
fn model_seed_and_sampler_filters() {
    let f = Fixture::new();
    assert_eq!(f.find("model:counterfeit"), ["nurie"]);
    assert_eq!(f.find("model:HELLOobjects"), ["controlnet"]);
    assert_eq!(f.find("model:6d82a6"), ["controlnet"], "AutoV2 hash prefix");
    assert_eq!(f.find("model:0123456789abcdef01"), ["nurie"], "SHA-256 prefix");
    assert_eq!(f.find("model:45DEE52B"), ["old"], "AutoV1 hash");
    assert_eq!(f.find("seed:42"), ["nurie"]);
    assert_eq!(f.find("seed:965400086"), ["old"]);
    assert_eq!(f.find("seed:7"), Vec::<&str>::new());
    assert_eq!(f.find("sampler:euler_a"), ["old", "nurie"]);
    assert_eq!(f.find(r#"sampler:"Euler a""#), ["old", "nurie"]);
    assert_eq!(f.find(r#"sampler:"DPM++ 2M Karras""#), ["controlnet"]);
    assert_eq!(f.find(r#"sampler:"dpm++ 2m""#), ["controlnet"]);
    assert_eq!(f.find(r#"sampler:"DPM adaptive""#), ["cafe"]);
    assert_eq!(f.find("seed:42 watercolor sampler:euler_a model:counterfeit"), ["nurie"]);
    assert_eq!(f.find("seed:42 pallet"), Vec::<&str>::new());
}

#[test]
fn favorites_tags_controlnet_dates_and_folders_filter() {
    let f = Fixture::new();
    f.library.set_favorite(f.id("controlnet"), true).unwrap();
    f.library.add_tag(f.id("nurie"), " Best ").unwrap();
    f.library.add_tag(f.id("nurie"), "best").unwrap();
    f.library.add_tag(f.id("photo"), "best").unwrap();
    assert_eq!(f.library.tags(f.id("nurie")).unwrap(), ["Best"]);
    assert!(matches!(f.library.add_tag(f.id("nurie"), "  "), Err(HistoryError::EmptyTag)));
    assert!(matches!(f.library.set_favorite(ImageId(999), true), Err(HistoryError::NoSuchImage(999))));

    assert_eq!(f.names(&Query { favorites_only: true, ..Default::default() }), ["controlnet"]);
    assert_eq!(f.find("tag:BEST"), ["photo", "nurie"]);
    assert_eq!(f.find("tag:best water"), ["nurie"]);
    assert_eq!(f.names(&Query { with_controlnet: Some(true), ..Default::default() }), ["controlnet", "nurie"]);
    assert_eq!(f.names(&Query { with_controlnet: Some(false), ..Default::default() }).len(), 3);
    let dates = Query { created_from: Some(T0 + 60), created_before: Some(T0 + 180), ..Default::default() };
    assert_eq!(f.names(&dates), ["old", "controlnet"]);
    let camera = f.library.folders().unwrap().into_iter().find(|folder| folder.path.ends_with("camera")).unwrap();
    assert_eq!(camera.image_count, 1);
    assert_eq!(f.names(&Query { folder: Some(camera.path), ..Default::default() }), ["photo"]);

    assert!(f.library.remove_tag(f.id("nurie"), "BEST").unwrap());
    assert!(!f.library.remove_tag(f.id("nurie"), "best").unwrap());
    assert_eq!(f.find("tag:best"), ["photo"]);
    assert_eq!(f.library.all_tags().unwrap(), [("best".to_string(), 1)]);
}

#[test]
fn sorting_and_paging() {
    let f = Fixture::new();
    assert_eq!(f.names(&Query::default()), ["photo", "cafe", "old", "controlnet", "nurie"]);
    assert_eq!(f.names(&Query { sort: Sort::Oldest, ..Default::default() }), ["nurie", "controlnet", "old", "cafe", "photo"]);
    assert_eq!(f.names(&Query { sort: Sort::Prompt, ..Default::default() }), ["photo", "cafe", "old", "controlnet", "nurie"]);
    let page = |offset, limit| -> Vec<ImageId> {
        f.library.search(&Query::default(), offset, limit).unwrap().iter().map(|r| r.id).collect()
    };
    assert_eq!(page(1, 2), [f.id("cafe"), f.id("old")]);
    assert_eq!(page(4, 10), [f.id("nurie")]);
    assert!(page(5, 10).is_empty());
}

#[test]
fn nothing_typed_into_the_search_box_breaks_the_query() {
    let f = Fixture::new();
    let nasty = [
        "\"",
        "\"\"\"",
        "*",
        "(",
        ")",
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "a AND",
        "prompt:",
        "{prompt}:sky",
        "a\"b",
        "'; DROP TABLE images; --",
        "^water",
        "-sky",
        "*water*",
        "青\"空",
        "\\",
        "%",
        "_",
        "model:%",
        "model:'",
        "sampler:'",
        "tag:\"",
        "seed:-1",
        "seed:99999999999999999999",
        "neg:\"",
        "neg:*",
        "a:b:c",
        "\u{0}",
        "空\"*",
        ":",
        "\"AND\"",
        "col:\"x\" OR 1=1",
    ];
    for text in nasty {
        let query = Query::parse(text);
        f.library.search(&query, 0, 10).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        f.library.count(&query).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
    assert_eq!(f.find("Mucha AND Bowater"), ["old"], "AND is searched as a word, which that prompt has");
    assert_eq!(f.find("watercolor OR pallet"), Vec::<&str>::new(), "OR is a word, not an operator");
    assert_eq!(f.library.count(&Query::default()).unwrap(), 5);
}

#[test]
fn details_and_removal() {
    let f = Fixture::new();
    let details = f.library.details(f.id("controlnet")).unwrap();
    assert_eq!(details.record, Some(settings_from_infotext(A1111_CONTROLNET).record));
    assert_eq!((details.row.width, details.row.height, details.file_size), (512, 768, 1000));
    assert_eq!(details.row.created_at, T0 + 60);
    assert!(details.negative_prompt.starts_with("(two tails:1.2)"));
    assert_eq!(f.library.details(f.id("photo")).unwrap().record, None);
    assert!(matches!(f.library.details(ImageId(999)), Err(HistoryError::NoSuchImage(999))));
    assert!(matches!(f.library.record(ImageId(999)), Err(HistoryError::NoSuchImage(999))));

    let path = details.row.path.clone();
    f.library.add_tag(details.row.id, "x").unwrap();
    let moved = path.with_file_name("moved.png");
    assert!(f.library.move_path(&path, &moved).unwrap(), "a moved picture keeps its row");
    assert_eq!(f.library.image_at(&moved).unwrap().map(|row| row.id), Some(details.row.id));
    assert_eq!(f.library.tags(details.row.id).unwrap(), ["x"]);
    assert!(!f.library.move_path(&path, &moved).unwrap());
    assert!(f.library.move_path(&moved, &path).unwrap());
    assert!(f.library.remove_path(&path).unwrap());
    assert!(!f.library.remove_path(&path).unwrap());
    assert_eq!(f.find("pallet"), Vec::<&str>::new());
    assert!(f.library.all_tags().unwrap().is_empty());
    check_text_indexes(&f.library);
}

#[test]
fn facets_list_folders_tags_and_models_with_counts() {
    let f = Fixture::new();
    f.library.add_tag(f.id("old"), "reference").unwrap();
    let facets = f.library.facets().unwrap();
    assert_eq!(facets.tags, [("reference".to_string(), 1)]);
    let folders: Vec<usize> = facets.folders.iter().map(|folder| folder.image_count).collect();
    assert_eq!(folders, [1, 4], "camera, outputs");
    let names: Vec<&str> = facets.models.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names.contains(&"helloobjects_V15evae"), "{names:?}");
    for (name, count) in &facets.models {
        let query = Query { exact_model: Some(name.clone()), ..Default::default() };
        assert_eq!(f.library.count(&query).unwrap(), *count, "{name}");
    }
}
