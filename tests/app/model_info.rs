//! The Model tab: the chosen checkpoint's identity and license (from the user's known-models file),
//! the question before generating with a non-commercial model (and not asking again), the license in
//! the picture's metadata, and a composition analysed in the background.

use std::time::Duration;

use egui_kittest::kittest::Queryable;
use nurie::app::nurie_app::Mode;
use nurie::provenance::CommercialUse;

use super::support::{checkpoint, harness, home, wait_until};

const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn the_model_tab_tells_the_license_and_generating_asks_first() {
    let home = home("model-info", |s| s.checkpoint = Some(checkpoint()));
    let sha256 = nurie::provenance::hash::file_sha256(&checkpoint()).expect("hash");
    let registry = format!(
        "[[model]]\nsha256 = \"{sha256}\"\nname = \"sd15-dev-fp16.safetensors\"\ntitle = \"the tiny test model\"\n\
         kind = \"checkpoint\"\norigin = \"Nurie's parity kit\"\nlicense = \"CC BY-NC-SA 4.0\"\ncommercial_use = false\n\
         source = \"https://example.org/test\"\n"
    );
    std::fs::write(home.join("known_models.toml"), registry).expect("registry");
    let mut harness = harness(home.clone());
    harness.run_steps(2);
    harness.get_by_label("Model").click();
    wait_until(&mut harness, TIMEOUT, "the report", |app| app.model_info.report(&checkpoint()).is_some());
    assert_eq!(harness.state().mode, Mode::Model);
    harness.get_by_label("License: CC BY-NC-SA 4.0");
    harness.get_by_label("Commercial use of its pictures: NOT allowed");
    harness.get_by_label(&sha256);
    assert_eq!(harness.state().model_info.report(&checkpoint()).map(|r| r.commercial_use()), Some(CommercialUse::NotAllowed));

    // Generating asks first; "don't ask again" generates and is remembered for this model.
    wait_until(&mut harness, TIMEOUT, "the model", |app| {
        matches!(app.model_status, nurie::app::nurie_app::ModelStatus::Ready { .. })
    });
    harness.state_mut().enqueue();
    harness.run_steps(2);
    assert!(harness.state().license_question.is_some() && harness.state().queue.is_idle(), "nothing runs before the answer");
    harness.get_by_label("Generate, and don't ask again for this model").click();
    harness.run_steps(1);
    assert_eq!(harness.state().settings.license_acknowledged, vec![sha256.clone()]);
    wait_until(&mut harness, TIMEOUT, "the picture", |app| !app.gallery.items.is_empty());
    let pictures = super::support::pngs(&home.join("outputs"));
    let record = nurie::metadata::read_settings_from_png(&pictures[0]).expect("metadata").record;
    assert_eq!(record.model_license.as_deref(), Some("CC BY-NC-SA 4.0"), "the license travels with the picture");
    harness.state_mut().enqueue();
    harness.run_steps(1);
    assert!(harness.state().license_question.is_none(), "not asked again for this model");
    harness.state_mut().shut_down();
}

#[test]
fn a_composition_is_analysed_in_the_background() {
    let home = home("model-composition", |s| s.checkpoint = Some(home_target()));
    std::fs::create_dir_all(home_target().parent().expect("folder")).expect("folder");
    let reference = home_target().with_file_name("reference.safetensors");
    crate::model_variant::write_variant(&checkpoint(), &reference, 1.0, 3);
    crate::model_variant::write_variant(&checkpoint(), &home_target(), 0.25, 3);
    let mut harness = harness(home.clone());
    harness.state_mut().mode = Mode::Model;
    harness.state_mut().model_info.base = Some(checkpoint());
    harness.state_mut().model_info.references = vec![checkpoint()];
    harness.run_steps(2);
    harness.get_by_label("Analyze").click();
    wait_until(&mut harness, TIMEOUT, "the refusal", |app| app.model_info.analysis_error.is_some());
    let refusal = harness.state().model_info.analysis_error.clone().unwrap_or_default();
    assert!(refusal.contains("exactly the base's weights"), "{refusal}");

    harness.state_mut().model_info.references = vec![reference];
    harness.run_steps(1);
    harness.get_by_label("Analyze").click();
    wait_until(&mut harness, TIMEOUT, "the composition", |app| app.model_info.composition.is_some());
    let (_, composition, _) = harness.state().model_info.composition.clone().expect("composition");
    let unet = composition.group("unet").expect("the UNet");
    assert!((unet.fit.coefficients[0].expect("a coefficient") - 0.25).abs() < 0.02, "{}", composition.describe(unet));
    harness.run_steps(2);
    harness.get_by_label("output_blocks");
    harness.state_mut().shut_down();
}

fn home_target() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("nurie-app-test-model-files-{}", std::process::id())).join("merge.safetensors")
}
