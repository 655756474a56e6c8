//! The window's Pages: a chapter colored page by page, one page colored again, the contact sheet.

use std::time::{Duration, SystemTime};

use egui_kittest::kittest::Queryable;

use super::support::{checkpoint, controlnet, home, tall_harness, wait_until};

const MINUTE: Duration = Duration::from_secs(60);

fn modified(path: &std::path::Path) -> SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}

#[test]
fn a_chapter_is_colored_and_one_page_again_without_touching_the_others() {
    let home = home("pages", |s| {
        s.checkpoint = Some(checkpoint());
        s.form.units[0].controlnet = Some(controlnet());
        s.form.settings.steps = 2;
    });
    let chapter = home.join("第1話");
    std::fs::create_dir_all(&chapter).unwrap();
    for (page, name) in ["p1", "p2", "p10"].iter().enumerate() {
        let left = 10 + 8 * page as u32;
        image::GrayImage::from_fn(64, 96, |x, y| image::Luma([if x == left || y == left { 0 } else { 255 }]))
            .save(chapter.join(format!("{name}.png")))
            .unwrap();
    }
    let mut harness = tall_harness(home.clone());
    harness.state_mut().open_chapter(&chapter);
    harness.run_steps(3);
    harness.get_by_label("3 pages · 0 colored");
    harness.get_by_label("Color the chapter").click();
    let all_done = |app: &nurie::app::NurieApp| app.pages.done.len() == 3 && app.pages.done.iter().all(|&done| done);
    wait_until(&mut harness, 2 * MINUTE, "the chapter colored", all_done);
    let out = home.join("outputs").join("第1話");
    let pages = ["p1", "p2", "p10"].map(|name| out.join(format!("{name}.png")));
    let before: Vec<SystemTime> = pages.iter().map(|path| modified(path)).collect();
    let record = nurie::metadata::read_settings_from_png(&pages[2]).unwrap().record;
    assert_eq!(record.settings.seed, nurie::metadata::read_settings_from_png(&pages[0]).unwrap().record.settings.seed);

    // Page 2 colored again: its picture deleted, the chapter colored again.
    std::fs::remove_file(&pages[1]).unwrap();
    harness.state_mut().refresh_pages(true);
    harness.run_steps(2);
    harness.get_by_label("3 pages · 2 colored");
    harness.get_by_label("Color the chapter").click();
    wait_until(&mut harness, 2 * MINUTE, "page 2 colored again", all_done);
    assert!(pages[1].is_file());
    assert_eq!(modified(&pages[0]), before[0], "page 1 stays as it was");
    assert_eq!(modified(&pages[2]), before[2], "page 10 stays as it was");

    // The contact sheet in the window: page 10 colored again from a new seed, its picture kept aside.
    harness.get_by_label("Contact sheet").click();
    harness.run_steps(2);
    assert!(harness.state().sheet.open);
    harness.get_by_label("● p10");
    let before_again: Vec<SystemTime> = pages.iter().map(|path| modified(path)).collect();
    let first_seed = nurie::metadata::read_settings_from_png(&pages[2]).unwrap().record.settings.seed;
    harness.get_all_by_label("New seed").nth(2).expect("page 10's button").click();
    harness.run_steps(2);
    let earlier = out.join("earlier").join("p10 (1).png");
    wait_until(&mut harness, 2 * MINUTE, "page 10 colored again", |_| earlier.is_file() && pages[2].is_file());
    wait_until(&mut harness, MINUTE, "the queue empty", |app| app.queue.pending().count() == 0 && app.queue.running().is_none());
    assert_eq!(
        nurie::metadata::read_settings_from_png(&earlier).unwrap().record.settings.seed,
        first_seed,
        "the earlier picture kept"
    );
    assert_ne!(nurie::metadata::read_settings_from_png(&pages[2]).unwrap().record.settings.seed, first_seed, "a new seed");
    assert_eq!(modified(&pages[0]), before_again[0], "page 1 stays as it was");
    assert_eq!(modified(&pages[1]), before_again[1], "page 2 stays as it was");
    assert_eq!(
        harness.state().pages.chapter.as_ref().unwrap().recorded_seed(&out, nurie::pages::SeedPolicy::Same, 1),
        Some(first_seed),
        "the chapter keeps its seed"
    );
    harness.get_by_label("Save as picture").click();
    harness.run_steps(2);
    assert!(out.join("contact-sheet.png").is_file());
    harness.state_mut().shut_down();
}
