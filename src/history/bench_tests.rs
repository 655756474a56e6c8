//! Import throughput and search latency on 10,000 small PNGs with A1111 infotext. Not a regular test:
//! `cargo test history::bench_tests -- --ignored --nocapture`.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::test_images::{new_library, write_png};
use super::*;

const IMAGES: usize = 10_000;
const WORDS: [&str; 16] = [
    "1girl",
    "solo",
    "watercolor",
    "blue sky",
    "cherry blossoms",
    "school uniform",
    "night city",
    "forest",
    "smile",
    "long hair",
    "cat ears",
    "sunset",
    "rain",
    "flowers",
    "masterpiece",
    "best quality",
];
const JAPANESE: [&str; 4] = ["線画に色を塗る", "青い空と白い雲", "桜の木の下で", "夜の街並み"];
const MODELS: [&str; 4] = ["counterfeitV30_v30", "anything-v4.5", "meinamix_v11", "v1-5-pruned-emaonly"];

fn infotext(i: usize) -> String {
    // A multiplicative hash spreads the word choices (Knuth's 2654435761).
    let pick = |k: usize| (i.wrapping_mul(2_654_435_761).wrapping_add(k * 40_503) >> (k + 3)) % WORDS.len();
    let words: Vec<&str> = (0..6).map(|k| WORDS[pick(k)]).collect();
    let japanese =
        if i.is_multiple_of(10) { format!(", {}", JAPANESE[i / 10 % JAPANESE.len()]) } else { String::new() };
    format!(
        "{}{japanese}\nNegative prompt: lowres, bad anatomy\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: {i}, \
         Size: 512x512, Model hash: {:010x}, Model: {}, Version: v1.10.1",
        words.join(", "),
        i % MODELS.len() * 0x1111_1111,
        MODELS[i % MODELS.len()]
    )
}

/// The median time of `runs` runs of `work`.
fn median(runs: usize, mut work: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            work();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn import_and_search_ten_thousand_images() {
    let (db, pictures) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for i in 0..IMAGES {
        let folder = pictures.path().join(format!("{:03}", i / 1000));
        std::fs::create_dir_all(&folder).unwrap();
        write_png(&folder.join(format!("{i:05}-{i}.png")), (i % 251) as u8, &[("parameters", &infotext(i))]);
    }
    let library = new_library(db.path());
    let never = AtomicBool::new(false);

    let start = Instant::now();
    let report = import_folder(&library, pictures.path(), &mut |_| {}, &never).unwrap();
    let import_time = start.elapsed();
    assert_eq!((report.added, report.skipped.len()), (IMAGES, 0));
    let start = Instant::now();
    let rescan = import_folder(&library, pictures.path(), &mut |_| {}, &never).unwrap();
    let rescan_time = start.elapsed();
    assert_eq!(rescan.unchanged, IMAGES);

    println!(
        "import: {IMAGES} PNGs in {:.2} s ({:.0} images/s); unchanged re-scan {:.0} ms",
        import_time.as_secs_f64(),
        IMAGES as f64 / import_time.as_secs_f64(),
        rescan_time.as_secs_f64() * 1e3
    );
    for text in [
        "watercolor",
        "cherry blossoms",
        "cat ears sunset",
        "青い空",
        "空",
        "model:meina",
        "seed:4242",
        "sampler:\"Euler a\" rain",
        "",
    ] {
        let query = Query::parse(text);
        let count = library.count(&query).unwrap();
        let count_time = median(21, || assert_eq!(library.count(&query).unwrap(), count));
        let page_time = median(21, || drop(library.search(&query, 0, 100).unwrap()));
        let deep_time = median(21, || drop(library.search(&query, count.saturating_sub(100), 100).unwrap()));
        println!(
            "search {text:>26?}: {count:>5} hits; count {:>6.2} ms, first 100 {:>6.2} ms, last 100 {:>6.2} ms",
            count_time.as_secs_f64() * 1e3,
            page_time.as_secs_f64() * 1e3,
            deep_time.as_secs_f64() * 1e3
        );
        assert!(page_time < Duration::from_millis(50), "{text}: {page_time:?}");
    }
}
