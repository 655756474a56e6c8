//! Models the user already has in other tools' installs and in their own folders are offered in the
//! pickers, labelled with where they were found, and a found line-art ControlNet is preselected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use nurie::model_library::SearchBases;

use super::support::{checkpoint, controlnet, drop_file, fixture, harness_searching, home, wait_until};

fn copy_into(folder: &Path, source: &Path, name: &str) -> PathBuf {
    std::fs::create_dir_all(folder).expect("model folder");
    let target = folder.join(name);
    std::fs::copy(source, &target).expect("model copied");
    target
}

#[test]
fn models_in_an_a1111_install_and_an_added_folder_are_offered() {
    let parent = tempfile::tempdir().expect("temp");
    let webui = parent.path().join("stable-diffusion-webui/models");
    let found_checkpoint = copy_into(&webui.join("Stable-diffusion"), &checkpoint(), "dev-model.safetensors");
    let found_controlnet = copy_into(&webui.join("ControlNet"), &controlnet(), "control_v11p_sd15_lineart_dev.safetensors");
    let own = tempfile::tempdir().expect("temp");
    // No telling folder name: the header says it is a checkpoint.
    let own_checkpoint = copy_into(own.path(), &checkpoint(), "my-own.safetensors");
    let home = home("model-search", |s| {
        s.recent.checkpoints.clear();
        s.recent.controlnets.clear();
        s.model_folders = vec![own.path().to_path_buf()];
    });
    let bases = SearchBases { parents: vec![parent.path().to_path_buf()], invokeai_root: None, downloads: vec![] };
    let mut harness = harness_searching(home, bases);
    wait_until(&mut harness, Duration::from_secs(20), "the model search", |app| !app.models.is_scanning());

    harness.get_all_by_role(Role::ComboBox).next().expect("the checkpoint picker").click();
    harness.run_steps(2);
    harness.get_by_label("Found in");
    harness.get_by_label_contains("my-own.safetensors").hover();
    harness.get_by_label_contains("Added folder");
    harness.get_by_label_contains("dev-model.safetensors").click();
    harness.run_steps(2);
    assert_eq!(harness.state().settings.checkpoint.as_deref(), Some(found_checkpoint.as_path()));
    assert_eq!(
        harness.state().settings.recent.checkpoints,
        std::slice::from_ref(&found_checkpoint),
        "a chosen model becomes recent"
    );
    assert!(harness.state().models.of_kind(nurie::model_library::ModelKind::Checkpoint).iter().any(|m| m.path == own_checkpoint));

    // New line art gets the found line-art ControlNet without the user looking for it.
    drop_file(&mut harness, fixture("control/lineart_input.png"));
    // A dropped file is looked at off the UI thread first.
    wait_until(&mut harness, Duration::from_secs(20), "the dropped line art", |app| {
        app.settings.form.units[0].line_art.is_some()
    });
    assert_eq!(harness.state().settings.form.units[0].controlnet.as_deref(), Some(found_controlnet.as_path()));

    // Removing the added folder drops its models from the next search.
    harness.state_mut().remove_model_folder(0);
    wait_until(&mut harness, Duration::from_secs(20), "the second search", |app| !app.models.is_scanning());
    let checkpoints = harness.state().models.of_kind(nurie::model_library::ModelKind::Checkpoint).len();
    assert_eq!(checkpoints, 1, "only the A1111 checkpoint is left");
    harness.state_mut().shut_down();
}
