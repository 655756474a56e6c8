//! Test images, made in the tests: PNGs with the chunks A1111, ComfyUI, InvokeAI and Nurie write (text
//! as Pillow's `PngInfo.add_text` stores it), and damaged or hostile ones.

use std::path::Path;

use crate::metadata::{GenerationRecord, RgbImage, TextEncoding, TextEntry, encode_png, write_png_with_record};

/// A real A1111 1.10.1 infotext (github.com/albertpb/sd-manager's test mocks), two ControlNet units.
pub const A1111_CONTROLNET: &str = "\
    object,(pine wood pallet with cargo cardboard boxes),(masterpiece),realistic photography,\
    solo focus,professional photograph,simple white background\nNegative prompt: (two tails:1.2),\
    FastNegativeV2,(bad-artist:1),(worst quality, low quality:1.4),bad-hands-5,lowres,bad anatomy,\
    bad hands,((text)),(watermark),error,missing fingers,blurry,EasyNegative\n\
    Steps: 20, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 7, Seed: 1944526060, Size: 512x512, \
    Model hash: 6d82a674e1, Model: helloobjects_V15evae, ControlNet 0: \"Module: canny, \
    Model: control_v11p_sd15_canny [d14c016b], Weight: 1.0, Resize Mode: Crop and Resize, \
    Processor Res: 512, Threshold A: 192.0, Threshold B: 255.0, Guidance Start: 0.0, Guidance End: 1.0, \
    Pixel Perfect: False, Control Mode: ControlNet is more important\", \
    ControlNet 1: \"Module: softedge_pidinet, Model: control_v11p_sd15_softedge [a8575a2a], \
    Weight: 1.0, Resize Mode: Crop and Resize, Processor Res: 512, Threshold A: 0.5, Threshold B: 0.5, \
    Guidance Start: 0.0, Guidance End: 1.0, Pixel Perfect: False, Control Mode: Balanced\", \
    Version: v1.10.1";

/// The example infotext of A1111's own docstring (old format: `Euler a`, AutoV1 model hash).
pub const A1111_OLD: &str = "\
    girl with an artist's beret, determined, blue eyes, desert scene, computer monitors, heavy makeup, \
    by Alphonse Mucha and Charlie Bowater, ((eyeshadow)), (coquettish), detailed, \
    intricate\nNegative prompt: ugly, fat, obese, chubby, (((deformed))), [blurry], bad anatomy, \
    disfigured, poorly drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), \
    messy drawing\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, \
    Model hash: 45dee52b";

/// ComfyUI's default workflow in API format (`script_examples/basic_api_example.py`).
pub const COMFYUI_PROMPT: &str = concat!(
    r#"{"3": {"class_type": "KSampler", "inputs": {"cfg": 8, "denoise": 1, "latent_image": ["5", 0], "#,
    r#""model": ["4", 0], "negative": ["7", 0], "positive": ["6", 0], "sampler_name": "euler", "#,
    r#""scheduler": "normal", "seed": 8566257, "steps": 20}}, "#,
    r#""4": {"class_type": "CheckpointLoaderSimple", "#,
    r#""inputs": {"ckpt_name": "v1-5-pruned-emaonly.safetensors"}}, "#,
    r#""5": {"class_type": "EmptyLatentImage", "inputs": {"batch_size": 1, "height": 512, "#,
    r#""width": 512}}, "6": {"class_type": "CLIPTextEncode", "inputs": {"clip": ["4", 1], "#,
    r#""text": "masterpiece best quality girl"}}, "7": {"class_type": "CLIPTextEncode", "#,
    r#""inputs": {"clip": ["4", 1], "text": "bad hands"}}, "8": {"class_type": "VAEDecode", "#,
    r#""inputs": {"samples": ["3", 0], "vae": ["4", 2]}}, "9": {"class_type": "SaveImage", "#,
    r#""inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}}}"#,
);

/// The UI graph ComfyUI saves next to the prompt (shortened to two of its nodes).
pub const COMFYUI_WORKFLOW: &str = concat!(
    r#"{"last_node_id": 9, "last_link_id": 9, "nodes": [{"id": 3, "type": "KSampler", "pos": [863, "#,
    r#"186], "widgets_values": [8566257, "fixed", 20, 8, "euler", "normal", 1]}, {"id": 9, "#,
    r#""type": "SaveImage", "pos": [1451, 189], "widgets_values": ["ComfyUI"]}], "links": [], "#,
    r#""groups": [], "config": {}, "extra": {}, "version": 0.4}"#,
);

/// InvokeAI 3.3.0post3's `invokeai_metadata` (github.com/albertpb/sd-manager's test mocks).
pub const INVOKEAI_METADATA: &str = concat!(
    r#"{"app_version": "3.3.0post3", "generation_mode": "txt2img", "positive_prompt": "landscape", "#,
    r#""negative_prompt": "low quality", "width": 768, "height": 432, "seed": 356120443, "#,
    r#""rand_device": "cpu", "cfg_scale": 7.5, "steps": 50, "scheduler": "dpmpp_2m_sde_k", "#,
    r#""clip_skip": 0, "model": {"model_name": "amixx_3Prunedfp16", "base_model": "sd-1", "#,
    r#""model_type": "main"}, "controlnets": [], "ipAdapters": [], "t2iAdapters": [], "loras": [], "#,
    r#""vae": {"model_name": "sd-vae-ft-mse", "base_model": "sd-1"}}"#,
);

pub const WIDTH: u32 = 8;
pub const HEIGHT: u32 = 6;

/// A small RGB picture; `shade` makes different files.
pub fn pixels(shade: u8) -> Vec<u8> {
    (0..WIDTH * HEIGHT).flat_map(|i| [shade, (i * 5) as u8, 255 - shade]).collect()
}

/// PNG bytes with `texts` as (keyword, text) chunks.
pub fn png_bytes(shade: u8, texts: &[(&str, &str)]) -> Vec<u8> {
    let entries: Vec<TextEntry> =
        texts.iter().map(|&(keyword, text)| TextEntry { keyword, text, encoding: TextEncoding::LatinWhenPossible }).collect();
    let pixels = pixels(shade);
    encode_png(Path::new("test.png"), RgbImage { width: WIDTH, height: HEIGHT, pixels: &pixels }, &entries).unwrap()
}

pub fn write_png(path: &Path, shade: u8, texts: &[(&str, &str)]) {
    std::fs::write(path, png_bytes(shade, texts)).unwrap();
}

pub fn write_a1111(path: &Path, infotext: &str) {
    write_png(path, 1, &[("parameters", infotext)]);
}

pub fn write_comfyui(path: &Path) {
    write_png(path, 2, &[("prompt", COMFYUI_PROMPT), ("workflow", COMFYUI_WORKFLOW)]);
}

pub fn write_invokeai(path: &Path) {
    write_png(path, 3, &[("invokeai_metadata", INVOKEAI_METADATA)]);
}

pub fn write_nurie(path: &Path, record: &GenerationRecord) {
    let pixels = pixels(4);
    write_png_with_record(path, RgbImage { width: WIDTH, height: HEIGHT, pixels: &pixels }, record).unwrap();
}

/// `png` with one more chunk (any type, any data, correct CRC) right after its IHDR chunk.
pub fn with_chunk(png: &[u8], chunk_type: &[u8; 4], data: &[u8]) -> Vec<u8> {
    const AFTER_IHDR: usize = 8 + 4 + 4 + 13 + 4;
    let mut crc = crc32fast::Hasher::new();
    crc.update(chunk_type);
    crc.update(data);
    let mut bytes = png[..AFTER_IHDR].to_vec();
    bytes.extend((data.len() as u32).to_be_bytes());
    bytes.extend(chunk_type);
    bytes.extend(data);
    bytes.extend(crc.finalize().to_be_bytes());
    bytes.extend(&png[AFTER_IHDR..]);
    bytes
}

/// An uncompressed iTXt chunk's data with raw (possibly invalid UTF-8) text bytes.
pub fn itxt_data(keyword: &str, text: &[u8]) -> Vec<u8> {
    let mut data = keyword.as_bytes().to_vec();
    data.extend([0, 0, 0, 0, 0]); // end of keyword, not compressed, method, empty language, empty translation
    data.extend(text);
    data
}

/// A new, empty library in `dir`.
pub fn new_library(dir: &Path) -> super::Library {
    super::Library::open(&dir.join(super::DATABASE_FILE_NAME)).unwrap().library
}

/// Fails when a full-text index disagrees with the `images` table.
pub fn check_text_indexes(library: &super::Library) {
    library.connection().execute_batch(super::schema::CHECK_TEXT_INDEXES).unwrap();
}
