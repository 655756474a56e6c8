//! The `nurie` binary as users and scripts call it.

use std::process::{Command, Output};

use nurie::checkpoint::Checkpoint;

use super::support::{assert_close, fixture, references, sd15_dev, temp_dir, tolerance};

/// `nurie ARGS` with a home of its own (its history library), not the user's.
fn nurie(args: &[&str]) -> Output {
    let home = std::env::temp_dir().join(format!("nurie-test-cli-home-{}", std::process::id()));
    Command::new(env!("CARGO_BIN_EXE_nurie")).env("NURIE_HOME", home).args(args).output().expect("the nurie binary runs")
}

fn stdout_json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

#[test]
fn prompt_prints_ids_and_weights_per_chunk() {
    let json = stdout_json(&nurie(&["prompt", "1girl, (long hair:1.2), 日本語のプロンプト", "--clip-skip", "2"]));
    let chunks = json["chunks"].as_array().unwrap();
    assert_eq!(chunks.len(), 1);
    let ids = chunks[0]["ids"].as_array().unwrap();
    let weights = chunks[0]["weights"].as_array().unwrap();
    assert_eq!((ids.len(), weights.len()), (77, 77));
    assert_eq!((ids[0].as_u64(), ids[76].as_u64()), (Some(49406), Some(49407)));
    let heavy = weights.iter().filter(|w| (w.as_f64().unwrap() - 1.2).abs() < 1e-6).count();
    assert_eq!(heavy, 2, "`long hair` is two tokens at 1.2");
    assert_eq!(json.as_object().unwrap().len(), 1, "only `chunks` at the top level");
}

#[test]
fn prompt_of_ten_thousand_characters_works() {
    let text = "(flowers:1.1), [sky], ".repeat(500);
    assert!(text.len() >= 10_000);
    let json = stdout_json(&nurie(&["prompt", &text]));
    // 500 × (flowers , sky ,) = 2000 tokens: at least 2000/75 chunks, more with comma back-off.
    let chunks = json["chunks"].as_array().unwrap();
    assert!((27..=30).contains(&chunks.len()), "{} chunks", chunks.len());
}

#[test]
fn eval_writes_text_encoder_outputs_that_match_the_reference() {
    let dir = temp_dir("eval");
    let input = dir.join("in.safetensors");
    let ids = references().read_f32("te.input_ids").unwrap();
    let as_i32: Vec<i32> = ids.values.iter().map(|&v| v as i32).collect();
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::I32, ids.shape.clone(), bytemuck::cast_slice(&as_i32)).unwrap();
    safetensors::serialize_to_file([("te.input_ids", view)], None, &input).unwrap();
    let output = dir.join("out.safetensors");
    let run = nurie(&[
        "eval",
        "--checkpoint",
        sd15_dev().to_str().unwrap(),
        "--in",
        input.to_str().unwrap(),
        "--out",
        output.to_str().unwrap(),
        "--device",
        "cpu",
        "--dtype",
        "f32",
    ]);
    assert!(run.status.success(), "stderr: {}", String::from_utf8_lossy(&run.stderr));
    let outputs = Checkpoint::open(&output).unwrap();
    let refs = references();
    for name in ["te.last_hidden_state", "te.penultimate"] {
        let actual = outputs.read_f32(name).unwrap();
        assert_eq!(actual.shape, vec![4, 77, 128]);
        assert_close(name, &actual.values, &refs.read_f32(name).unwrap(), tolerance("text_encoder", "fp32"));
    }
}

#[test]
fn eval_reports_a_missing_checkpoint_by_name() {
    let refs = fixture("parity/refs-fp16w.safetensors");
    let out = temp_dir("eval-missing").join("out.safetensors");
    let run = nurie(&[
        "eval",
        "--checkpoint",
        "/nope/model.ckpt",
        "--in",
        refs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("/nope/model.ckpt"), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn eval_refuses_ids_outside_the_vocabulary() {
    let dir = temp_dir("eval-bad-ids");
    let input = dir.join("in.safetensors");
    let ids = vec![60000i64; 77];
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::I64, vec![1, 77], bytemuck::cast_slice(&ids)).unwrap();
    safetensors::serialize_to_file([("te.input_ids", view)], None, &input).unwrap();
    let out = dir.join("out.safetensors");
    let run = nurie(&[
        "eval",
        "--checkpoint",
        sd15_dev().to_str().unwrap(),
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("60000"));
}

#[test]
fn an_unknown_device_is_rejected_with_the_choices() {
    let run = nurie(&["eval", "--checkpoint", "x", "--in", "y", "--out", "z", "--device", "tpu"]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("auto") && stderr.contains("gpu") && stderr.contains("cpu"), "{stderr}");
}

#[test]
fn nurie_device_selects_the_backend_in_any_case() {
    let dir = temp_dir("eval-env");
    let input = dir.join("in.safetensors");
    let ids = references().read_i64("te.input_ids").unwrap().1;
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::I64, vec![4, 77], bytemuck::cast_slice(&ids)).unwrap();
    safetensors::serialize_to_file([("te.input_ids", view)], None, &input).unwrap();
    let out = dir.join("out.safetensors");
    let run = Command::new(env!("CARGO_BIN_EXE_nurie"))
        .args([
            "eval",
            "--checkpoint",
            sd15_dev().to_str().unwrap(),
            "--in",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .env("NURIE_DEVICE", "CPU")
        .output()
        .unwrap();
    assert!(run.status.success(), "stderr: {}", String::from_utf8_lossy(&run.stderr));
    assert!(String::from_utf8_lossy(&run.stderr).contains("device: CPU"));
}

/// `auto` takes a hardware GPU when there is one; a software adapter such as lavapipe is slower than
/// the CPU backend, so with only such adapters `auto` is the CPU.
#[test]
fn devices_lists_adapters_and_auto_skips_software_ones() {
    let run = nurie(&["devices"]);
    assert!(run.status.success(), "stderr: {}", String::from_utf8_lossy(&run.stderr));
    let stdout = String::from_utf8_lossy(&run.stdout);
    let auto = stdout.lines().find(|l| l.starts_with("auto: ")).expect("an `auto:` line");
    let hardware = ["DiscreteGpu", "IntegratedGpu", "VirtualGpu", "Other"];
    if !stdout.lines().any(|l| hardware.iter().any(|h| l.contains(h))) {
        assert!(auto.contains("CPU"), "{stdout}");
    }
    // The wgpu device `--device gpu` opens, with the compiler its kernels go through; once it is open,
    // each adapter says the compiler its kernels would go through.
    let gpu = stdout.lines().find(|l| l.starts_with("gpu: ")).expect("a `gpu:` line");
    if !gpu.contains("no GPU adapter") {
        let compilers = ["shader compiler WGSL", "shader compiler SPIR-V", "shader compiler MSL"];
        assert!(compilers.iter().any(|c| gpu.contains(c)) && gpu.contains("cooperative matrices: "), "{gpu}");
        for adapter in stdout.lines().take_while(|l| !l.starts_with("auto: ")) {
            assert!(adapter.contains("; shader compiler "), "{stdout}");
        }
    }
}

#[test]
fn bad_arguments_are_refused_with_a_message() {
    for args in [&["prompt", "x", "--clip-skip", "0"][..], &["prompt", "x", "--clip-skip", "13"]] {
        let run = nurie(args);
        assert!(!run.status.success(), "{args:?} must fail");
        assert!(String::from_utf8_lossy(&run.stderr).contains("clip-skip"));
    }
    let run = Command::new(env!("CARGO_BIN_EXE_nurie"))
        .args(["eval", "--checkpoint", "a", "--in", "b", "--out", "c"])
        .env("NURIE_DEVICE", "quantum")
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("quantum"));
}

#[test]
fn a_prompt_may_start_with_a_hyphen() {
    let json = stdout_json(&nurie(&["prompt", "-lowres, (cat:1.2)"]));
    assert_eq!(json["chunks"].as_array().unwrap().len(), 1);
}

#[test]
fn eval_wants_integer_ids_and_names_the_input_file() {
    let dir = temp_dir("eval-float-ids");
    let input = dir.join("float-ids.safetensors");
    let ids = vec![320.0f32; 77];
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1, 77], bytemuck::cast_slice(&ids)).unwrap();
    safetensors::serialize_to_file([("te.input_ids", view)], None, &input).unwrap();
    let out = dir.join("out.safetensors");
    let run = nurie(&[
        "eval",
        "--checkpoint",
        sd15_dev().to_str().unwrap(),
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("float-ids.safetensors") && stderr.contains("integer"), "{stderr}");
    assert!(!out.exists());
}

/// Every `nurie eval` output at once: UNet, ControlNet at scale 0.5, VAE decode and encode.
#[test]
fn eval_runs_unet_controlnet_and_vae() {
    let refs = references();
    let dir = temp_dir("eval-image");
    let input = dir.join("in.safetensors");
    let hint = refs.read_f32("controlnet.hint").unwrap();
    let hint2: Vec<f32> = hint.values.iter().chain(&hint.values).copied().collect();
    let named: Vec<(&str, Vec<usize>, Vec<f32>)> = vec![
        ("unet.sample", refs.shape("unet.sample").unwrap().to_vec(), refs.read_f32("unet.sample").unwrap().values),
        ("unet.timestep", vec![1], vec![500.0]),
        ("unet.context", refs.shape("unet.context").unwrap().to_vec(), refs.read_f32("unet.context").unwrap().values),
        ("cn.hint", vec![2, 3, 96, 64], hint2),
        ("cn.scale", vec![1], vec![0.5]),
        ("vae.latents", vec![1, 4, 12, 8], refs.read_f32("vae.decode.latents").unwrap().values),
        ("vae.input_image", vec![1, 3, 96, 64], refs.read_f32("vae.encode.image").unwrap().values),
    ];
    let views: Vec<_> = named
        .iter()
        .map(|(n, s, v)| {
            (*n, safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), bytemuck::cast_slice(v)).unwrap())
        })
        .collect();
    safetensors::serialize_to_file(views, None, &input).unwrap();
    let output = dir.join("out.safetensors");
    let controlnet = fixture("parity/controlnet-lineart-dev-fp16.safetensors");
    let run = nurie(&[
        "eval",
        "--checkpoint",
        sd15_dev().to_str().unwrap(),
        "--in",
        input.to_str().unwrap(),
        "--out",
        output.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(run.status.success(), "stderr: {}", String::from_utf8_lossy(&run.stderr));
    let out = Checkpoint::open(&output).unwrap();
    let check = |name: &str, reference: &str, group: &str, scale: f32| {
        let mut expected = refs.read_f32(reference).unwrap();
        expected.values.iter_mut().for_each(|v| *v *= scale);
        assert_close(name, &out.read_f32(name).unwrap().values, &expected, tolerance(group, "fp32"));
    };
    check("unet.eps", "unet.t500.eps", "unet", 1.0);
    for i in 0..12 {
        check(&format!("cn.down.{i}"), &format!("controlnet.t500.down.{i}"), "controlnet", 0.5);
    }
    check("cn.mid", "controlnet.t500.mid", "controlnet", 0.5);
    check("unet.eps_controlled", "controlnet.t500.eps_scale0.5", "controlnet", 1.0);
    check("vae.image", "vae.decode.image", "vae", 1.0);
    check("vae.mean", "vae.encode.mean", "vae", 1.0);
}

#[test]
fn eval_says_which_file_a_controlnet_input_needs() {
    let dir = temp_dir("eval-no-cn");
    let input = dir.join("in.safetensors");
    let zeros = vec![0f32; 2 * 4 * 12 * 8];
    let ctx = vec![0f32; 2 * 77 * 128];
    let hint = vec![0f32; 2 * 3 * 96 * 64];
    let t = vec![1.0f32];
    let views = vec![
        (
            "unet.sample",
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2, 4, 12, 8], bytemuck::cast_slice(&zeros))
                .unwrap(),
        ),
        (
            "unet.timestep",
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1], bytemuck::cast_slice(&t)).unwrap(),
        ),
        (
            "unet.context",
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2, 77, 128], bytemuck::cast_slice(&ctx)).unwrap(),
        ),
        (
            "cn.hint",
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2, 3, 96, 64], bytemuck::cast_slice(&hint))
                .unwrap(),
        ),
    ];
    safetensors::serialize_to_file(views, None, &input).unwrap();
    let out = dir.join("out.safetensors");
    let run = nurie(&[
        "eval",
        "--checkpoint",
        sd15_dev().to_str().unwrap(),
        "--in",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("--controlnet"));
}

/// `nurie noise` writes exactly the reference noise: the sha256 of its f32 bytes matches the RNG cases
/// for both sources (seed 2870305590 at 512×768, seed 42 at the fixture's latent size).
#[test]
fn noise_writes_the_reference_noise_bit_for_bit() {
    use sha2::Digest;
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("parity/rng_cases.json")).unwrap()).unwrap();
    let dir = temp_dir("noise");
    for (seed, shape, rng, key) in [(2870305590u64, [1, 4, 96, 64], "nv", "nv"), (42, [1, 4, 12, 8], "cpu", "torch_cpu")] {
        let case = cases["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["seed"] == seed && c["shape"] == serde_json::json!(shape))
            .expect("the case exists");
        let out = dir.join(format!("{rng}.safetensors"));
        let shape_arg = shape.map(|s| s.to_string()).join(",");
        let status =
            nurie(&["noise", "--seed", &seed.to_string(), "--rng", rng, "--shape", &shape_arg, "--out", out.to_str().unwrap()]);
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
        let noise = Checkpoint::open(&out).unwrap().read_f32("noise").unwrap();
        assert_eq!(noise.shape, shape.to_vec());
        let bytes: Vec<u8> = noise.values.iter().flat_map(|v| v.to_le_bytes()).collect();
        let digest: String = sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, case[key]["sha256_f32le"].as_str().unwrap(), "{rng} seed {seed}");
    }
}

#[test]
fn noise_refuses_a_shape_that_is_not_latents() {
    let output = nurie(&["noise", "--seed", "1", "--shape", "1,3,8,8", "--out", "/nonexistent/x.safetensors"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("b,4,h,w"));
}

/// `nurie generate` colors the fixture line art with the tiny model: one PNG per image, written with
/// metadata that parses back to the settings; `--from-png` then reproduces the first image exactly.
#[test]
fn generate_colors_line_art_and_the_metadata_reproduces_it() {
    let dir = temp_dir("generate");
    let out = dir.join("out");
    let checkpoint = sd15_dev();
    let controlnet = fixture("parity/controlnet-lineart-dev-fp16.safetensors");
    let lineart = fixture("control/controlnet_hint_image_u8.png");
    let prompt = "1girl, (flat color:1.1), 日本語";
    let output = nurie(&[
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--lineart",
        lineart.to_str().unwrap(),
        "--prompt",
        prompt,
        "--negative",
        "lowres",
        "--steps",
        "3",
        "--sampler",
        "Euler a",
        "--cfg",
        "6.5",
        "--seed",
        "42",
        "--rng",
        "nv",
        "--width",
        "64",
        "--height",
        "96",
        "--batch",
        "2",
        "--control-weight",
        "0.8",
        "--control-mode",
        "prompt",
        "--resize-mode",
        "just-resize",
        "--save-latents",
        "--save-hint",
        "--device",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let written: Vec<String> = String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).collect();
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(written[0].ends_with("00000-42.png") && written[1].ends_with("00001-43.png"), "{written:?}");
    assert!(out.join("hint-0.png").exists() && out.join("00000-42.safetensors").exists());
    for (index, path) in written.iter().enumerate() {
        let parsed = nurie::metadata::read_settings_from_png(std::path::Path::new(path)).unwrap();
        let record = parsed.record;
        assert_eq!(parsed.source, nurie::metadata::SettingsSource::Nurie);
        assert_eq!((record.settings.prompt.as_str(), record.settings.negative_prompt.as_str()), (prompt, "lowres"));
        assert_eq!(
            (record.settings.steps, record.settings.sampler.stored_name(), record.settings.cfg_scale),
            (3, "euler_a", 6.5)
        );
        assert_eq!((record.settings.seed, record.batch_index, record.settings.batch_size), (42 + index as u64, index as u32, 2));
        assert_eq!(
            (record.settings.width, record.settings.height, record.settings.rng),
            (64, 96, nurie::vocabulary::RngSource::Nv)
        );
        assert_eq!(record.model.file_name, "sd15-dev-fp16.safetensors");
        assert_eq!(record.controlnets.len(), 1);
        assert_eq!(record.controlnets[0].guidance.control_mode, nurie::vocabulary::ControlMode::PromptMoreImportant);
        assert_eq!((record.controlnets[0].guidance.weight, record.controlnets[0].line_art_inverted), (0.8, true));
        let picture = image::open(path).unwrap().to_rgb8();
        assert_eq!(picture.dimensions(), (64, 96));
        // The A1111 text says the same.
        let text = nurie::metadata::read_png_text(std::path::Path::new(path), &Default::default()).unwrap();
        let parameters = text.chunks.iter().find(|c| c.keyword == "parameters").expect("a parameters chunk");
        let a1111 = nurie::metadata::settings_from_infotext(&parameters.text).record;
        assert_eq!(
            (a1111.settings.seed, a1111.settings.steps, a1111.settings.sampler.stored_name()),
            (record.settings.seed, 3, "euler_a")
        );
    }
    // Reproduce image 2 from its metadata alone (plus the model files).
    let again = dir.join("again");
    let output = nurie(&[
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        controlnet.to_str().unwrap(),
        "--lineart",
        lineart.to_str().unwrap(),
        "--from-png",
        &written[1],
        "--device",
        "cpu",
        "--out",
        again.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    let reproduced = String::from_utf8_lossy(&output.stdout).lines().next().unwrap().to_string();
    assert!(reproduced.ends_with("00000-43.png"), "{reproduced}");
    let (a, b) = (image::open(&written[1]).unwrap().to_rgb8(), image::open(&reproduced).unwrap().to_rgb8());
    assert!(a.as_raw() == b.as_raw(), "the same settings give the same picture");
}

/// The same generation, line art included, on wgpu gives the CPU's picture up to f32 rounding.
///
/// No torch reference exists for these settings, so the two backends are compared with each other: each passes
/// the kit's fp32 row on the reference runs (relative L2 ≈ 4e-6 each), so two results within that row of the
/// true one are within twice it of each other. These settings amplify rounding more than the reference runs
/// (CFG 7.5 × the difference of two nearly equal random-weight predictions; at CFG 1 / 3 / 7.5 the backends
/// differ by 6.9e-7 / 2.6e-6 / 4.2e-5 on an AVX-512 machine), and CI measured 5.4e-5, over the kit's 5e-5.
#[test]
fn generate_on_wgpu_matches_the_cpu() {
    let dir = temp_dir("generate-gpu");
    let checkpoint = sd15_dev();
    let controlnet = fixture("parity/controlnet-lineart-dev-fp16.safetensors");
    let lineart = fixture("control/lineart_input.png");
    let mut latents = Vec::new();
    for device in ["cpu", "gpu"] {
        let out = dir.join(device);
        let output = nurie(&[
            "generate",
            "--checkpoint",
            checkpoint.to_str().unwrap(),
            "--prompt",
            "flowers",
            "--steps",
            "2",
            "--sampler",
            "dpmpp_2m",
            "--seed",
            "7",
            "--width",
            "64",
            "--height",
            "64",
            "--save-latents",
            "--controlnet",
            controlnet.to_str().unwrap(),
            "--lineart",
            lineart.to_str().unwrap(),
            "--resize-mode",
            "crop-and-resize",
            "--device",
            device,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{device}: {}", String::from_utf8_lossy(&output.stderr));
        latents.push(Checkpoint::open(out.join("00000-7.safetensors")).unwrap().read_f32("latents").unwrap());
    }
    assert_close(
        "gpu final latents",
        &latents[1].values,
        &latents[0],
        tolerance("pipeline_latents", "fp32").between_two_implementations(),
    );
}

#[test]
fn generate_explains_bad_settings() {
    let dir = temp_dir("generate-bad");
    let checkpoint = sd15_dev();
    let base = ["generate", "--checkpoint", checkpoint.to_str().unwrap(), "--device", "cpu", "--out", dir.to_str().unwrap()];
    for (extra, expected) in [
        (&["--sampler", "Heun"][..], "DPM++ 2M Karras"),
        (&["--steps", "0", "--width", "64", "--height", "64"][..], "steps"),
        (&["--width", "9000", "--height", "64"][..], "8192"),
        (&["--init-image", "/nonexistent.png", "--width", "64", "--height", "64"][..], "nonexistent.png"),
        (&["--lineart", "/nonexistent.png"][..], "--controlnet"),
    ] {
        let output = nurie(&[&base[..], extra].concat());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{extra:?} should fail");
        assert!(stderr.contains(expected), "{extra:?}: {stderr}");
    }
}

/// Two line-art units at once, each with its own model file, weight, window and mode: both act (the
/// picture differs from either unit alone) and both are recorded in the metadata.
#[test]
fn generate_with_two_controlnet_units() {
    let dir = temp_dir("generate-two-units");
    let checkpoint = sd15_dev();
    let fp16 = fixture("parity/controlnet-lineart-dev-fp16.safetensors");
    let fp32 = fixture("parity/controlnet-lineart-dev-fp32.safetensors");
    let (art_a, art_b) = (fixture("control/lineart_input.png"), fixture("control/controlnet_hint_image_u8.png"));
    let common = [
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--prompt",
        "flowers",
        "--steps",
        "2",
        "--sampler",
        "euler",
        "--seed",
        "3",
        "--width",
        "64",
        "--height",
        "64",
        "--device",
        "cpu",
    ];
    let run = |name: &str, units: &[&str]| {
        let out = dir.join(name);
        let output = nurie(&[&common[..], units, &["--out", out.to_str().unwrap()]].concat());
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        let path = String::from_utf8_lossy(&output.stdout).lines().next().unwrap().to_string();
        (image::open(&path).unwrap().to_rgb8().into_raw(), path)
    };
    let both = [
        "--controlnet",
        fp16.to_str().unwrap(),
        "--lineart",
        art_a.to_str().unwrap(),
        "--controlnet",
        fp32.to_str().unwrap(),
        "--lineart",
        art_b.to_str().unwrap(),
        "--control-weight",
        "1.0",
        "--control-weight",
        "0.6",
        "--control-start",
        "0",
        "--control-start",
        "0.5",
        "--control-mode",
        "balanced",
        "--control-mode",
        "controlnet",
    ];
    let (two, path) = run("both", &both);
    let (first_only, _) = run("first", &["--controlnet", fp16.to_str().unwrap(), "--lineart", art_a.to_str().unwrap()]);
    assert_ne!(two, first_only, "the second unit changes the picture");
    let record = nurie::metadata::read_settings_from_png(std::path::Path::new(&path)).unwrap().record;
    let units = &record.controlnets;
    assert_eq!(units.len(), 2);
    assert_eq!(units[0].model.file_name, "controlnet-lineart-dev-fp16.safetensors");
    assert_eq!(units[1].model.file_name, "controlnet-lineart-dev-fp32.safetensors");
    assert_eq!((units[1].guidance.weight, units[1].guidance.guidance_start), (0.6, 0.5));
    assert_eq!(units[1].guidance.control_mode, nurie::vocabulary::ControlMode::ControlNetMoreImportant);
}

/// A PNG carrying `text` as its `parameters` chunk, as A1111 writes it.
fn png_with_parameters(path: &std::path::Path, text: &str) {
    use nurie::metadata::{A1111_KEYWORD, RgbImage, TextEncoding, TextEntry, write_png_atomic};
    let entry = [TextEntry { keyword: A1111_KEYWORD, text, encoding: TextEncoding::Utf8 }];
    write_png_atomic(path, RgbImage { width: 8, height: 8, pixels: &[128; 8 * 8 * 3] }, &entry).unwrap();
}

/// Hostile or clumsy settings fail at once, before any model is loaded, each with one clear message that
/// names what to change, its cause said once.
#[test]
fn generate_refuses_bad_settings_before_loading_models() {
    let dir = temp_dir("generate-refused");
    let checkpoint = sd15_dev();
    let out = dir.join("out");
    let base = ["generate", "--checkpoint", checkpoint.to_str().unwrap(), "--device", "cpu", "--out", out.to_str().unwrap()];
    let huge = dir.join("huge-size.png");
    png_with_parameters(&huge, "a cat\nSteps: 4, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 65536x65536");
    let garbage = dir.join("garbage.png");
    png_with_parameters(&garbage, &"ж%&!".repeat(250_000));
    let break_bomb = "BREAK ".repeat(5000);
    let small = ["--width", "64", "--height", "64"];
    for (extra, expected) in [
        (vec!["--batch", "0"], "batch count must be at least 1"),
        (vec!["--clip-skip", "0"], "CLIP skip 0 is not possible"),
        (vec!["--clip-skip", "13"], "CLIP skip 13 is not possible"),
        (vec!["--prompt", &break_bomb], "5000 chunks"),
        (vec!["--prompt", &format!("{}cat{}", "(".repeat(1000), ")".repeat(1000))], "remove some brackets"),
        (vec!["--from-png", huge.to_str().unwrap()], "65536×65536"),
        (vec!["--from-png", garbage.to_str().unwrap()], "1000000 characters"),
    ] {
        let args: Vec<&str> = base
            .iter()
            .copied()
            .chain(small.iter().copied().filter(|_| !extra.contains(&"--from-png")))
            .chain(extra.iter().copied())
            .collect();
        let output = nurie(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{expected}: should fail");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(!stderr.contains("loading the"), "{expected}: refused only after loading models: {stderr}");
        assert_eq!(stderr.matches(expected).count(), 1, "the cause is said once: {stderr}");
    }
}

/// Model files given in the wrong place are named for what they are.
#[test]
fn generate_names_a_folder_or_a_checkpoint_given_as_the_wrong_model() {
    let dir = temp_dir("generate-wrong-model");
    let checkpoint = sd15_dev();
    let lineart = fixture("control/controlnet_hint_image_u8.png");
    let out = dir.join("out");
    let common = ["--device", "cpu", "--width", "64", "--height", "64", "--steps", "1", "--out", out.to_str().unwrap()];
    let folder = nurie(&[&["generate", "--checkpoint", dir.to_str().unwrap()][..], &common].concat());
    let stderr = String::from_utf8_lossy(&folder.stderr);
    assert!(stderr.contains("is a folder") && !stderr.contains("os error"), "{stderr}");
    let as_controlnet = [
        "generate",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--controlnet",
        checkpoint.to_str().unwrap(),
        "--lineart",
        lineart.to_str().unwrap(),
    ];
    let output = nurie(&[&as_controlnet[..], &common].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert_eq!(stderr.matches("is an SD1.x checkpoint, not a ControlNet").count(), 1, "{stderr}");
}

/// Developer interfaces refuse impossible shapes with a message instead of panicking or aborting.
#[test]
fn noise_and_eval_refuse_impossible_shapes() {
    let dir = temp_dir("dev-shapes");
    let out = dir.join("noise.safetensors");
    for shape in ["1,4,100000,100000", "18446744073709551615,4,8,8", "1000000,4,128,128"] {
        let output = nurie(&["noise", "--seed", "1", "--shape", shape, "--out", out.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{shape}: a clean failure, not an abort: {stderr}");
        assert!(stderr.contains("--shape"), "{shape}: {stderr}");
    }
    let inputs = dir.join("empty-context.safetensors");
    let sample = vec![0u8; 4 * 8 * 8 * 4];
    let views = [
        ("unet.sample", safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1, 4, 8, 8], &sample).unwrap()),
        ("unet.timestep", safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1], &[0u8; 4]).unwrap()),
        ("unet.context", safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![1, 0, 32], &[]).unwrap()),
    ];
    safetensors::serialize_to_file(views, None, &inputs).unwrap();
    let checkpoint = sd15_dev();
    let output = nurie(&[
        "eval",
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--in",
        inputs.to_str().unwrap(),
        "--out",
        dir.join("eval-out.safetensors").to_str().unwrap(),
        "--device",
        "cpu",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("text context has an empty dimension"), "{stderr}");
}

/// An A1111 picture whose LoRA has another name here: found by its `Lora hashes` entry, renamed in the
/// prompt as A1111 does when pasting, merged, and recorded again under the new name; a missing
/// embedding is named.
#[test]
fn generate_from_png_finds_a_renamed_lora_by_its_hash() {
    use nurie::metadata::NetworkKind;
    use std::sync::atomic::AtomicBool;
    let dir = temp_dir("generate-renamed-lora");
    let loras = dir.join("Lora");
    std::fs::create_dir_all(&loras).unwrap();
    let lora = loras.join("flat_v2.safetensors");
    std::fs::copy(fixture("networks/lora-kohya-dev.safetensors"), &lora).unwrap();
    let hashes = nurie::provenance::hash_network_file(&lora, &mut |_, _| {}, &AtomicBool::new(false)).unwrap();
    let short = hashes.short_hash(NetworkKind::Lora).to_string();
    let picture = dir.join("a1111.png");
    let text = format!(
        "1girl <lora:flat_v1:0.7>\nNegative prompt: lowres, EasyNegative\nSteps: 2, Sampler: Euler, CFG scale: 7, Seed: 3, \
         Size: 64x64, Lora hashes: \"flat_v1: {short}\", TI hashes: \"EasyNegative: c74b4e810b03\", Version: v1.10.1"
    );
    png_with_parameters(&picture, &text);
    let checkpoint = sd15_dev();
    let out = dir.join("out");
    let args = ["generate", "--checkpoint", checkpoint.to_str().unwrap(), "--from-png", picture.to_str().unwrap()];
    let run =
        nurie(&[&args[..], &["--lora-dir", loras.to_str().unwrap(), "--out", out.to_str().unwrap(), "--device", "cpu"]].concat());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("`flat_v1` is here as `flat_v2`"), "{stderr}");
    assert!(stderr.contains("embedding `EasyNegative` is not in any embedding folder"), "{stderr}");
    assert!(stderr.contains("merged into"), "{stderr}");
    let written = String::from_utf8_lossy(&run.stdout).lines().next().unwrap().to_string();
    let record = nurie::metadata::read_settings_from_png(std::path::Path::new(&written)).unwrap().record;
    assert!(record.settings.prompt.contains("<lora:flat_v2:0.7>"), "{}", record.settings.prompt);
    assert_eq!(record.networks.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["flat_v2"]);
    assert_eq!(record.networks[0].short_hash.as_deref(), Some(short.as_str()));
}

/// Writes `te.input_ids` (int32) to `path`.
fn eval_ids(path: &std::path::Path, ids: &nurie::checkpoint::F32Tensor) {
    let as_i32: Vec<i32> = ids.values.iter().map(|&v| v as i32).collect();
    let view =
        safetensors::tensor::TensorView::new(safetensors::Dtype::I32, ids.shape.clone(), bytemuck::cast_slice(&as_i32)).unwrap();
    safetensors::serialize_to_file([("te.input_ids", view)], None, path).unwrap();
}

/// The golden-test interface with networks: `--lora FILE:0.7` against diffusers' LoRA at 0.7, and
/// `--embeddings-dir` with the plain CLIP ids of a prompt naming a 3-vector embedding against
/// diffusers' textual inversion.
#[test]
fn eval_applies_loras_and_embeddings() {
    let dir = temp_dir("eval-networks");
    let networks = fixture("networks");
    let refs = Checkpoint::open(networks.join("refs-networks.safetensors")).unwrap();
    let tol = tolerance("text_encoder", "fp32");
    let checkpoint = sd15_dev();
    let run = |input: &std::path::Path, output: &std::path::Path, extra: &[&str]| {
        let args = ["eval", "--checkpoint", checkpoint.to_str().unwrap(), "--in", input.to_str().unwrap()];
        let run = nurie(&[&args[..], &["--out", output.to_str().unwrap(), "--device", "cpu", "--dtype", "f32"], extra].concat());
        assert!(run.status.success(), "stderr: {}", String::from_utf8_lossy(&run.stderr));
        Checkpoint::open(output).unwrap()
    };

    let input = dir.join("lora-in.safetensors");
    eval_ids(&input, &references().read_f32("te.input_ids").unwrap());
    let lora = format!("{}:0.7", networks.join("lora-kohya-dev.safetensors").display());
    let outputs = run(&input, &dir.join("lora-out.safetensors"), &["--lora", &lora]);
    for name in ["last_hidden_state", "penultimate"] {
        let reference = refs.read_f32(&format!("lora.te.{name}")).unwrap();
        assert_close(&format!("lora {name}"), &outputs.read_f32(&format!("te.{name}")).unwrap().values, &reference, tol);
    }

    let embeddings = dir.join("embeddings");
    std::fs::create_dir_all(&embeddings).unwrap();
    std::fs::copy(networks.join("emb-multi-dev.pt"), embeddings.join("emb-multi-dev.pt")).unwrap();
    let input = dir.join("ti-in.safetensors");
    eval_ids(&input, &refs.read_f32("ti.multi.clip_ids").unwrap());
    let outputs = run(&input, &dir.join("ti-out.safetensors"), &["--embeddings-dir", embeddings.to_str().unwrap()]);
    let reference = refs.read_f32("ti.multi.last_hidden_state").unwrap();
    assert_close("ti.multi", &outputs.read_f32("te.last_hidden_state").unwrap().values, &reference, tol);
}
