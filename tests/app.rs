//! Nurie's window, driven through egui_kittest with the tiny fixture models: the real UI, the real
//! worker thread, the real files.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/model_variant.rs"]
mod model_variant;

mod app {
    pub mod support;

    mod characters;
    mod color_hints;
    mod flats_view;
    mod hires;
    mod history_view;
    mod inpaint;
    mod layer_export;
    mod model_info;
    mod model_search;
    mod networks;
    mod pages;
    mod welcome;
    mod workspace;
}
