//! Textual-inversion embeddings: every file format A1111 reads, the refusals, the library's folders,
//! and the text encoder taking the vectors in place of token embeddings (CPU and wgpu, f32 and f16).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::tensor::DType;
use nurie::checkpoint::Checkpoint;
use nurie::model::clip::TokenFix;
use nurie::model::{ClipSkip, ClipTextEncoder, EncodeError};
use nurie::networks::embedding::{Embedding, EmbeddingError, EmbeddingLibrary, load_embedding};
use nurie::prompt::{ClipTokenizer, PromptEmbeddings, encode_chunks, prompt_chunks_with};
use nurie::runtime::ComputeDevice;

use super::support::{cpu, fixture, gpu, sd15_dev, temp_dir, write_f32_safetensors};

/// The fixtures' vectors: element j of vector i of a file made with start s is (s + 8i + j) / 8
/// (`tests/fixtures/embeddings/make_embeddings.py`).
fn expected(count: usize, start: usize) -> Vec<f32> {
    (0..count * 8).map(|k| (start + k) as f32 / 8.0).collect()
}

fn embedding_fixture(name: &str) -> PathBuf {
    fixture(&format!("embeddings/{name}"))
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn write_safetensors(path: &Path, tensors: &[(&str, Vec<usize>)]) {
    let tensors: Vec<_> = tensors
        .iter()
        .map(|(name, shape)| {
            let count = shape.iter().product::<usize>();
            (name.to_string(), shape.clone(), f32_bytes(&expected(count / 8 + 1, 0)[..count]))
        })
        .collect();
    write_f32_safetensors(path, &tensors);
}

#[test]
fn a1111_pt_files_load_with_their_stem_as_name() {
    let three = load_embedding(&embedding_fixture("a1111-three.pt")).unwrap();
    assert_eq!((three.name(), three.count(), three.width()), ("a1111-three", 3, 8));
    assert_eq!(three.values(), expected(3, 0));
    // string_to_token holding a tensor (the original textual_inversion layout) is not the embedding.
    let tensor_token = load_embedding(&embedding_fixture("a1111-tensor-token.pt")).unwrap();
    assert_eq!(tensor_token.values(), expected(1, 100));
    // A 1-D [width] parameter is one vector.
    let flat = load_embedding(&embedding_fixture("a1111-flat.pt")).unwrap();
    assert_eq!((flat.count(), flat.values()), (1, &expected(1, 200)[..]));
    // fp16 storage: these values are exact in fp16.
    let half = load_embedding(&embedding_fixture("a1111-half.pt")).unwrap();
    assert_eq!((half.count(), half.values()), (2, &expected(2, 300)[..]));
}

#[test]
fn diffusers_bin_and_safetensors_load() {
    let concept = load_embedding(&embedding_fixture("diffusers-concept.bin")).unwrap();
    assert_eq!((concept.name(), concept.count(), concept.values()), ("diffusers-concept", 1, &expected(1, 400)[..]));
    let dir = temp_dir("embedding-safetensors");
    let path = dir.join("style.safetensors");
    write_safetensors(&path, &[("emb_params", vec![2, 8])]);
    let style = load_embedding(&path).unwrap();
    assert_eq!((style.name(), style.count(), style.values()), ("style", 2, &expected(2, 0)[..]));
}

fn error_of(path: &Path) -> (EmbeddingError, String) {
    let error = load_embedding(path).unwrap_err();
    let message = error.to_string();
    (error, message)
}

#[test]
fn sdxl_lora_multiple_terms_and_too_long_are_refused_naming_the_file() {
    let dir = temp_dir("embedding-refusals");
    let sdxl = dir.join("xl.safetensors");
    write_safetensors(&sdxl, &[("clip_g", vec![1, 16]), ("clip_l", vec![1, 8])]);
    let (error, message) = error_of(&sdxl);
    assert!(matches!(error, EmbeddingError::Sdxl { .. }), "{message}");
    assert!(message.contains("xl.safetensors") && message.contains("an SDXL embedding"), "{message}");

    let (error, message) = error_of(&embedding_fixture("two-terms.pt"));
    assert!(matches!(error, EmbeddingError::MultipleTerms { count: 2, .. }), "{message}");
    assert!(message.contains("two-terms.pt"), "{message}");

    let lora = dir.join("lora.safetensors");
    write_safetensors(&lora, &[("lora_te_a.alpha", vec![1]), ("lora_te_a.lora_down.weight", vec![1, 8])]);
    let (error, message) = error_of(&lora);
    assert!(matches!(error, EmbeddingError::NotAnEmbedding { .. }), "{message}");

    let long = dir.join("long.safetensors");
    write_safetensors(&long, &[("emb_params", vec![76, 8])]);
    assert!(matches!(error_of(&long).0, EmbeddingError::TooManyVectors { count: 76, max: 75, .. }));

    let cube = dir.join("cube.safetensors");
    write_safetensors(&cube, &[("emb_params", vec![1, 1, 8])]);
    assert!(matches!(error_of(&cube).0, EmbeddingError::WrongShape { .. }));
}

#[test]
fn corrupt_files_are_refused_naming_the_file() {
    let dir = temp_dir("embedding-corrupt");
    let garbage = dir.join("garbage.pt");
    std::fs::write(&garbage, b"this is not an embedding at all").unwrap();
    let (error, message) = error_of(&garbage);
    assert!(matches!(error, EmbeddingError::File(_)), "{message}");
    assert!(message.contains("garbage.pt"), "{message}");
    let truncated = dir.join("truncated.pt");
    let bytes = std::fs::read(embedding_fixture("a1111-three.pt")).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let (_, message) = error_of(&truncated);
    assert!(message.contains("truncated.pt"), "{message}");
}

#[test]
fn width_mismatch_names_file_and_both_widths() {
    let dir = temp_dir("embedding-width");
    let path = dir.join("sd2style.safetensors");
    write_safetensors(&path, &[("emb_params", vec![1, 8])]);
    let library = EmbeddingLibrary::scan(&[dir]);
    let error = library.get("sd2style", Some(768)).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, EmbeddingError::WrongWidth { found: 8, expected: 768, .. }), "{message}");
    assert!(message.contains("sd2style.safetensors") && message.contains(" 8 ") && message.contains("768"), "{message}");
    assert!(library.get("sd2style", Some(8)).unwrap().is_some());
}

#[test]
fn library_walks_folders_recursively_and_later_files_win() {
    let first = temp_dir("embedding-library-a");
    let second = temp_dir("embedding-library-b");
    std::fs::create_dir_all(first.join("sub/deeper")).unwrap();
    std::fs::copy(embedding_fixture("a1111-three.pt"), first.join("sub/deeper/style.pt")).unwrap();
    std::fs::copy(embedding_fixture("diffusers-concept.bin"), first.join("concept.BIN")).unwrap();
    std::fs::write(first.join("empty.pt"), b"").unwrap();
    std::fs::write(first.join("preview.png"), b"not read").unwrap();
    std::fs::write(first.join("notes.txt"), b"not read").unwrap();
    std::fs::copy(embedding_fixture("a1111-flat.pt"), second.join("style.pt")).unwrap();
    let missing = first.join("no such folder");
    let library = EmbeddingLibrary::scan(&[first.clone(), missing, second.clone()]);
    assert_eq!(library.names().collect::<Vec<_>>(), ["concept", "style"]);
    assert_eq!(library.path("style"), Some(second.join("style.pt").as_path()));
    let style = library.get("style", Some(8)).unwrap().unwrap();
    assert_eq!(style.count(), 1, "the second folder's style.pt replaced the first's");
    // Loaded once, then shared.
    assert!(Arc::ptr_eq(&style, &library.get("style", None).unwrap().unwrap()));
    assert!(library.get("unknown", None).unwrap().is_none());
}

/// The fixture's token embedding row of `id`, in f32.
fn token_row(id: u32) -> Vec<f32> {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let key = checkpoint.keys().find(|key| key.ends_with("token_embedding.weight")).unwrap().to_string();
    let table = checkpoint.read_f32(&key).unwrap();
    let width = table.shape[1];
    table.values[id as usize * width..(id as usize + 1) * width].to_vec()
}

fn read(tensor: burn::tensor::Tensor<3>) -> Vec<f32> {
    tensor.try_into_vec_as::<f32>().expect("device readback")
}

/// A fix holding token 320's own embedding row, over placeholder 0, encodes exactly like token 320.
fn check_fix_replaces_token_embedding(compute: ComputeDevice, dtype: DType) {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &compute.device, dtype).unwrap();
    let mut real = vec![49406, 320, 1125, 539];
    real.resize(77, 49407);
    let mut placeholder = real.clone();
    placeholder[2] = 0;
    let row = token_row(1125);
    let fixes = [vec![TokenFix { position: 2, vectors: &row }]];
    let expected = read(encoder.encode(&[&real], ClipSkip(1)).unwrap());
    let fixed = read(encoder.encode_with_fixes(&[&placeholder], &fixes, ClipSkip(1)).unwrap());
    assert_eq!(fixed, expected);
    let unfixed = read(encoder.encode(&[&placeholder], ClipSkip(1)).unwrap());
    assert_ne!(unfixed, expected, "the placeholder's own embedding differs");
}

#[test]
fn cpu_f32_fix_replaces_token_embedding() {
    check_fix_replaces_token_embedding(cpu(), DType::F32);
}

#[test]
fn cpu_f16_fix_replaces_token_embedding() {
    check_fix_replaces_token_embedding(cpu(), DType::F16);
}

#[test]
fn wgpu_f32_fix_replaces_token_embedding() {
    check_fix_replaces_token_embedding(gpu(), DType::F32);
}

#[test]
fn wgpu_f16_fix_replaces_token_embedding() {
    check_fix_replaces_token_embedding(gpu(), DType::F16);
}

#[test]
fn fixes_are_cut_at_the_row_end_and_checked() {
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &cpu().device, DType::F32).unwrap();
    let width = encoder.config().width;
    let mut ids = vec![49406];
    ids.resize(77, 49407);
    // Three vectors at 75: only 75 and 76 exist (A1111's emb_len = min(77 - 75, 3)).
    let three = [token_row(320), token_row(1125), token_row(539)].concat();
    let cut = read(encoder.encode_with_fixes(&[&ids], &[vec![TokenFix { position: 75, vectors: &three }]], ClipSkip(1)).unwrap());
    let mut real = ids.clone();
    (real[75], real[76]) = (320, 1125);
    assert_eq!(cut, read(encoder.encode(&[&real], ClipSkip(1)).unwrap()));
    let rows: [&[u32]; 1] = [&ids];
    let short = [0.0f32; 3];
    let bad_width = encoder.encode_with_fixes(&rows, &[vec![TokenFix { position: 1, vectors: &short }]], ClipSkip(1));
    assert_eq!(bad_width.err(), Some(EncodeError::FixWidth { values: 3, width }));
    let row = token_row(320);
    let past = encoder.encode_with_fixes(&rows, &[vec![TokenFix { position: 78, vectors: &row }]], ClipSkip(1));
    assert_eq!(past.err(), Some(EncodeError::FixPosition { position: 78, tokens: 77 }));
    let two_rows = encoder.encode_with_fixes(&rows, &[vec![], vec![]], ClipSkip(1));
    assert_eq!(two_rows.err(), Some(EncodeError::FixRows { fixes: 2, rows: 1 }));
}

#[test]
fn prompt_with_an_embedding_encodes_like_its_vectors_written_as_tokens() {
    // An embedding whose two vectors are the rows of `photo` and `of` makes "a sksdog cat" encode
    // exactly like "a photo of cat".
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &cpu().device, DType::F32).unwrap();
    let tokenizer = ClipTokenizer::shared().unwrap();
    let [photo, of] = [tokenizer.ids("photo")[0], tokenizer.ids("of")[0]];
    let vectors = [token_row(photo), token_row(of)].concat();
    let width = encoder.config().width;
    let library = EmbeddingLibrary::from_embeddings([Embedding::new("sksdog", None, width, vectors)]);
    let embeddings = PromptEmbeddings::for_clip(&library, Some(width), tokenizer);
    let chunks = prompt_chunks_with(tokenizer, "a (sksdog:1.1) cat", Some(&embeddings)).unwrap();
    assert_eq!(chunks[0].ids[..5], [49406, tokenizer.ids("a")[0], 0, 0, tokenizer.ids("cat")[0]]);
    let plain = prompt_chunks_with(tokenizer, "a (photo of:1.1) cat", None).unwrap();
    assert_eq!(chunks[0].weights, plain[0].weights);
    let with_embedding = read(encode_chunks(&encoder, &chunks, ClipSkip(1)).unwrap());
    assert_eq!(with_embedding, read(encode_chunks(&encoder, &plain, ClipSkip(1)).unwrap()));
}

fn nurie_prompt(home: &str, args: &[&str]) -> std::process::Output {
    let home = temp_dir(home);
    std::process::Command::new(env!("CARGO_BIN_EXE_nurie"))
        .env("NURIE_HOME", home)
        .arg("prompt")
        .args(args)
        .output()
        .expect("the nurie binary runs")
}

#[test]
fn nurie_prompt_lists_embedding_positions() {
    let dir = temp_dir("embedding-cli");
    std::fs::copy(embedding_fixture("a1111-three.pt"), dir.join("sksdog.pt")).unwrap();
    let dir = dir.to_str().unwrap();
    let run = nurie_prompt(
        "embedding-cli-home",
        &["a sksdog, embedding:sksdog", "--embeddings-dir", dir, "--embeddings-dir", "/no/such/folder"],
    );
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let json: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let chunk = &json["chunks"][0];
    // a = 1, sksdog's 3 vectors at 2..=4, `,` at 5, the ComfyUI reference's 3 at 6..=8.
    assert_eq!(
        chunk["ids"].as_array().unwrap()[..10],
        serde_json::json!([49406, 320, 0, 0, 0, 267, 0, 0, 0, 49407]).as_array().unwrap()[..]
    );
    let slots: Vec<(u64, u64)> = chunk["embeddings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|slot| (slot["position"].as_u64().unwrap(), slot["vector"].as_u64().unwrap()))
        .collect();
    assert_eq!(slots, [(2, 0), (3, 1), (4, 2), (6, 0), (7, 1), (8, 2)]);
    assert_eq!(chunk["embeddings"][0]["name"], "sksdog");
    // Without the folder, the same text prints as before: no `embeddings` key.
    let plain = nurie_prompt("embedding-cli-home", &["a sksdog"]);
    let json: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(json["chunks"][0].get("embeddings").is_none());
}

#[test]
fn nurie_prompt_names_a_broken_embedding_file() {
    let dir = temp_dir("embedding-cli-broken");
    std::fs::write(dir.join("broken.pt"), b"not a torch file, not safetensors").unwrap();
    let run = nurie_prompt("embedding-cli-broken-home", &["a broken cat", "--embeddings-dir", dir.to_str().unwrap()]);
    assert!(!run.status.success());
    assert!(String::from_utf8_lossy(&run.stderr).contains("broken.pt"), "{}", String::from_utf8_lossy(&run.stderr));
}
