//! The whole search on fake installs of every tool, with the awkward cases users' disks have: symlinked
//! folders and files, link loops, a folder we may not read, corrupt headers, non-model files, diffusers
//! folders, and models nested too deep.

#![cfg(unix)]

use std::fs;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use super::header_peek::tests::write_safetensors;
use super::*;

const SD15: &[&str] = &[
    "cond_stage_model.transformer.text_model.embeddings.token_embedding.weight",
    "first_stage_model.decoder.conv_in.weight",
    "model.diffusion_model.input_blocks.0.0.weight",
];
const LDM_CONTROLNET: &[&str] = &["control_model.input_hint_block.0.weight", "control_model.zero_convs.0.0.weight"];
const BARE_CONTROLNET: &[&str] = &["input_hint_block.0.weight", "zero_convs.0.0.weight"];
const DIFFUSERS_CONTROLNET: &[&str] = &["controlnet_cond_embedding.conv_in.weight", "controlnet_down_blocks.0.weight"];
const BARE_VAE: &[&str] = &["decoder.conv_in.weight", "encoder.conv_in.weight", "quant_conv.weight"];
const PREFIXED_VAE: &[&str] = &["first_stage_model.decoder.conv_in.weight", "first_stage_model.encoder.conv_in.weight"];
const KOHYA_LORA: &[&str] = &["lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight"];
const DIFFUSERS_UNET: &[&str] = &["conv_in.weight", "down_blocks.0.resnets.0.conv1.weight"];

/// Stands in for a PyTorch zip checkpoint; the scan never opens `.ckpt` files.
const FAKE_CKPT: &[u8] = b"PK\x03\x04 not really a zip";

fn safetensors(path: &Path, names: &[&str]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_safetensors(path, names);
}

fn file(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
}

fn link(target: &Path, link: &Path) {
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    symlink(target, link).unwrap();
}

/// AUTOMATIC1111 in the home folder, with every awkward case in its checkpoint folder.
fn a1111(home: &Path) -> PathBuf {
    let webui = home.join("stable-diffusion-webui");
    let checkpoints = webui.join("models/Stable-diffusion");
    safetensors(&checkpoints.join("anything-v5.safetensors"), SD15);
    file(&checkpoints.join("anything-v5.yaml"), b"model: {}");
    file(&checkpoints.join("notes.txt"), b"not a model");
    file(&checkpoints.join("Old.ckpt"), FAKE_CKPT);
    // A length that runs past the end of the file, then junk.
    file(&checkpoints.join("broken.safetensors"), &[0xff, 0xff, 0, 0, 0, 0, 0, 0, b'{', b'x']);
    safetensors(&checkpoints.join("misplaced-vae.safetensors"), BARE_VAE);
    safetensors(&checkpoints.join("add_detail.safetensors"), KOHYA_LORA);
    safetensors(&checkpoints.join("anime/counterfeit.safetensors"), SD15);
    link(Path::new("."), &checkpoints.join("loop"));
    link(Path::new("../.."), &checkpoints.join("anime/up"));
    safetensors(&checkpoints.join("d1/d2/d3/d4/deep.safetensors"), SD15);
    safetensors(&checkpoints.join("d1/d2/d3/d4/d5/too-deep.safetensors"), SD15);
    safetensors(&checkpoints.join(".cache/hidden-folder.safetensors"), SD15);
    file(&webui.join("models/VAE/kl-f8-anime2.vae.pt"), FAKE_CKPT);
    let extension = webui.join("extensions/sd-webui-controlnet/models");
    safetensors(&extension.join("control_v11p_sd15_lineart.safetensors"), LDM_CONTROLNET);
    file(&extension.join("cldm_v15.yaml"), b"model: {}");
    checkpoints
}

/// InvokeAI 3/4 folders by base and type, InvokeAI 5+ folders by key, and diffusers models in both.
fn invokeai(home: &Path) {
    let models = home.join("invokeai/models");
    safetensors(&models.join("sd-1/main/cyberrealistic.safetensors"), SD15);
    file(&models.join("sd-1/main/stable-diffusion-v1-5/model_index.json"), b"{}");
    safetensors(&models.join("sd-1/main/stable-diffusion-v1-5/unet/diffusion_pytorch_model.safetensors"), DIFFUSERS_UNET);
    file(&models.join("sd-1/vae/sd-vae-ft-mse/config.json"), b"{}");
    safetensors(&models.join("sd-1/vae/sd-vae-ft-mse/diffusion_pytorch_model.safetensors"), BARE_VAE);
    safetensors(&models.join("sd-1/controlnet/control_v11p_sd15_canny.safetensors"), LDM_CONTROLNET);
    safetensors(&models.join("5d1ac6a2-8f3e-4d2b-9a41-0c7e2b9f1d10/anylora.safetensors"), SD15);
    file(&models.join("b0e9c3f4-1a2b-4c5d-8e6f-7a8b9c0d1e2f/mystery.ckpt"), FAKE_CKPT);
}

/// Forge's one-click package and ComfyUI's portable build on a "drive", ComfyUI linking to A1111's models.
fn drive(drive: &Path, a1111_checkpoints: &Path) {
    let forge = drive.join("webui_forge_cu121_torch231/webui/models");
    safetensors(&forge.join("ControlNet/control_v11p_sd15s2_lineart_anime.safetensors"), BARE_CONTROLNET);
    let comfy = drive.join("ComfyUI_windows_portable/ComfyUI/models");
    safetensors(&comfy.join("checkpoints/dreamshaper_8.safetensors"), SD15);
    link(a1111_checkpoints, &comfy.join("checkpoints/from-a1111"));
    link(&a1111_checkpoints.join("anything-v5.safetensors"), &comfy.join("checkpoints/Anything-link.safetensors"));
    safetensors(&comfy.join("vae/vae-ft-mse-840000.safetensors"), PREFIXED_VAE);
    safetensors(&comfy.join("controlnet/diffusers-scribble.safetensors"), DIFFUSERS_CONTROLNET);
}

fn added_folder(added: &Path) {
    safetensors(&added.join("my-merge.safetensors"), SD15);
    file(&added.join("controlnet/control_sd15_lineart_old.pth"), FAKE_CKPT);
    file(&added.join("random.ckpt"), FAKE_CKPT);
}

/// Makes `folder` unlistable; false when that does not work because we run as root.
fn lock(folder: &Path) -> bool {
    fs::set_permissions(folder, fs::Permissions::from_mode(0o000)).unwrap();
    fs::read_dir(folder).is_err()
}

type Row<'a> = (ModelKind, &'a str, Source, Option<LineArtFlavour>);

fn expected(locked_is_readable: bool) -> Vec<Row<'static>> {
    use LineArtFlavour::{Anime, Standard};
    use ModelKind::*;
    use Source::*;
    let mut rows = vec![
        (Checkpoint, "anylora.safetensors", InvokeAI, None),
        (Checkpoint, "anything-v5.safetensors", A1111, None),
        (Checkpoint, "broken.safetensors", A1111, None),
        (Checkpoint, "counterfeit.safetensors", A1111, None),
        (Checkpoint, "cyberrealistic.safetensors", InvokeAI, None),
        (Checkpoint, "deep.safetensors", A1111, None),
        (Checkpoint, "dreamshaper_8.safetensors", ComfyUI, None),
        (Checkpoint, "my-merge.safetensors", AddedFolder, None),
        (Checkpoint, "Old.ckpt", A1111, None),
        (Vae, "kl-f8-anime2.vae.pt", A1111, None),
        (Vae, "misplaced-vae.safetensors", A1111, None),
        (Vae, "vae-ft-mse-840000.safetensors", ComfyUI, None),
        (ControlNet, "control_sd15_lineart_old.pth", AddedFolder, Some(Standard)),
        (ControlNet, "control_v11p_sd15_canny.safetensors", InvokeAI, None),
        (ControlNet, "control_v11p_sd15_lineart.safetensors", A1111, Some(Standard)),
        (ControlNet, "control_v11p_sd15s2_lineart_anime.safetensors", Forge, Some(Anime)),
        (ControlNet, "diffusers-scribble.safetensors", ComfyUI, None),
        (Lora, "add_detail.safetensors", A1111, None),
        (Unknown, "mystery.ckpt", InvokeAI, None),
        (Unknown, "random.ckpt", AddedFolder, None),
    ];
    if locked_is_readable {
        rows.insert(7, (Checkpoint, "in-locked-folder.safetensors", A1111, None));
    }
    rows
}

#[test]
fn finds_every_tools_models_once_with_kind_and_source() {
    let root = tempfile::tempdir().unwrap();
    let (home, drive_root, added) = (root.path().join("home"), root.path().join("D"), root.path().join("my models"));
    let a1111_checkpoints = a1111(&home);
    invokeai(&home);
    drive(&drive_root, &a1111_checkpoints);
    added_folder(&added);
    let locked = a1111_checkpoints.join("locked");
    safetensors(&locked.join("in-locked-folder.safetensors"), SD15);
    let locked_is_readable = !lock(&locked);

    let bases = SearchBases { parents: vec![home.clone(), drive_root.clone()], invokeai_root: None, downloads: vec![] };
    // The A1111 folder is also added by hand: its files keep their tool's label.
    let outcome = scan(&folders_to_scan(&bases, &[added.clone(), a1111_checkpoints.clone()]));
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    let rows: Vec<Row> = outcome.models.iter().map(|m| (m.kind, m.file_name.as_str(), m.source, m.line_art)).collect();
    assert_eq!(rows, expected(locked_is_readable));
    let unreadable = if locked_is_readable { vec![] } else { vec![locked] };
    assert_eq!(outcome.unreadable, unreadable);

    let model = |name: &str| outcome.models.iter().find(|m| m.file_name == name).unwrap();
    // Found through A1111's own folder first, not through ComfyUI's links to it.
    assert_eq!(model("anything-v5.safetensors").path, a1111_checkpoints.join("anything-v5.safetensors"));
    assert_eq!(model("counterfeit.safetensors").path, a1111_checkpoints.join("anime/counterfeit.safetensors"));
    assert_eq!(model("Old.ckpt").size_bytes, FAKE_CKPT.len() as u64);
    let header_bytes = fs::read(a1111_checkpoints.join("anything-v5.safetensors")).unwrap().len() as u64;
    assert_eq!(model("anything-v5.safetensors").size_bytes, header_bytes);
    assert_eq!(model("my-merge.safetensors").path, added.join("my-merge.safetensors"));
}

#[test]
fn an_added_folder_inside_a_loop_is_walked_once_and_bounded() {
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("models");
    safetensors(&folder.join("a/b/model.safetensors"), SD15);
    link(&folder, &folder.join("a/b/back-to-top"));
    link(&folder.join("a"), &folder.join("a/b/back-to-a"));
    let outcome = scan(&[ModelFolder::added(&folder), ModelFolder::added(folder.join("a/b/back-to-top"))]);
    let names: Vec<&str> = outcome.models.iter().map(|m| m.file_name.as_str()).collect();
    assert_eq!(names, ["model.safetensors"]);
    assert_eq!(outcome.models[0].kind, ModelKind::Checkpoint);
    assert!(outcome.unreadable.is_empty());
}
