//! Prompt text → conditioning, A1111 style: emphasis weights, chunking, the mean restore, padding.

use burn::tensor::DType;
use nurie::checkpoint::Checkpoint;
use nurie::model::{ClipSkip, ClipTextEncoder};
use nurie::prompt::chunks::{BOS, EOS};
use nurie::prompt::{ClipTokenizer, encode_chunks, prompt_chunks, prompt_pair_chunks};

use super::support::{cpu, sd15_dev};

fn tokenizer() -> &'static ClipTokenizer {
    ClipTokenizer::shared().unwrap()
}

#[test]
fn emphasis_weights_reach_the_tokens() {
    let chunks = prompt_chunks(tokenizer(), "a (red:1.5) cat, [blue] dog");
    assert_eq!(chunks.len(), 1);
    let chunk = &chunks[0];
    let red = tokenizer().ids("red")[0];
    let blue = tokenizer().ids("blue")[0];
    let weight_of = |id: u32| chunk.weights[chunk.ids.iter().position(|&i| i == id).unwrap()];
    assert_eq!(weight_of(red), 1.5);
    assert!((weight_of(blue) - 1.0 / 1.1).abs() < 1e-6);
    assert_eq!(weight_of(tokenizer().ids("cat")[0]), 1.0);
    assert_eq!((chunk.ids[0], chunk.weights[0]), (BOS, 1.0));
}

#[test]
fn a_long_prompt_becomes_several_full_chunks() {
    let text = "masterpiece, best quality, 1girl, ".repeat(400);
    assert!(text.len() > 10_000);
    let started = std::time::Instant::now();
    let chunks = prompt_chunks(tokenizer(), &text);
    assert!(started.elapsed().as_secs_f64() < 5.0, "took {:?}", started.elapsed());
    assert!(chunks.len() > 30);
    for chunk in &chunks {
        assert_eq!((chunk.ids.len(), chunk.weights.len()), (77, 77));
        assert_eq!((chunk.ids[0], chunk.ids[76]), (BOS, EOS));
    }
}

#[test]
fn the_negative_prompt_is_padded_to_the_prompt_s_chunk_count() {
    let long = "flowers, ".repeat(60);
    let (positive, negative) = prompt_pair_chunks(tokenizer(), &long, "lowres");
    assert_eq!(positive.len(), 2);
    assert_eq!(negative.len(), 2);
    let empty = &prompt_chunks(tokenizer(), "")[0];
    assert_eq!(&negative[1], empty);
    assert_eq!(empty.ids[0], BOS);
    assert!(empty.ids[1..].iter().all(|&id| id == EOS));
}

/// A1111 "Original" emphasis: z·w, then scaled so each chunk's mean is unchanged.
#[test]
fn emphasis_multiplies_hidden_states_and_restores_the_mean() {
    let device = cpu().device;
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &device, DType::F32).unwrap();
    let chunks = prompt_chunks(tokenizer(), "a (cat:1.4) on a [[mat]]");
    let weighted = encode_chunks(&encoder, &chunks, ClipSkip(1)).unwrap().try_into_vec_as::<f32>().unwrap();
    let plain = encoder.encode(&[&chunks[0].ids], ClipSkip(1)).unwrap().try_into_vec_as::<f32>().unwrap();
    let width = plain.len() / 77;
    let scaled: Vec<f64> = plain.iter().enumerate().map(|(i, &z)| z as f64 * chunks[0].weights[i / width] as f64).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let plain64: Vec<f64> = plain.iter().map(|&z| z as f64).collect();
    let ratio = mean(&plain64) / mean(&scaled);
    for (i, (&got, &s)) in weighted.iter().zip(&scaled).enumerate() {
        let expected = s * ratio;
        assert!((got as f64 - expected).abs() < 1e-4 + 1e-4 * expected.abs(), "element {i}: {got} vs {expected}");
    }
}

#[test]
fn a_two_chunk_prompt_gives_a_154_token_context() {
    let device = cpu().device;
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &device, DType::F32).unwrap();
    let chunks = prompt_chunks(tokenizer(), "a cat BREAK a dog");
    assert_eq!(chunks.len(), 2);
    let context = encode_chunks(&encoder, &chunks, ClipSkip(2)).unwrap();
    assert_eq!(context.dims(), [1, 154, 128]);
}

/// The mean restore is per chunk: weights in the second chunk leave the first chunk untouched, and each
/// chunk keeps its unweighted mean.
#[test]
fn emphasis_is_restored_chunk_by_chunk() {
    let device = cpu().device;
    let checkpoint = Checkpoint::open(sd15_dev()).unwrap();
    let encoder = ClipTextEncoder::load(&checkpoint, &device, DType::F32).unwrap();
    let chunks = prompt_chunks(tokenizer(), "a plain cat BREAK a (very:1.6) [[small]] dog");
    assert_eq!(chunks.len(), 2);
    let weighted = encode_chunks(&encoder, &chunks, ClipSkip(1)).unwrap().try_into_vec_as::<f32>().unwrap();
    let rows: Vec<&[u32]> = chunks.iter().map(|c| c.ids.as_slice()).collect();
    let plain = encoder.encode(&rows, ClipSkip(1)).unwrap().try_into_vec_as::<f32>().unwrap();
    let half = plain.len() / 2;
    assert_eq!(weighted[..half], plain[..half], "the unweighted first chunk is left as it was");
    let mean = |v: &[f32]| v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
    let (before, after) = (mean(&plain[half..]), mean(&weighted[half..]));
    assert!((before - after).abs() < 1e-5 * before.abs().max(1.0), "chunk mean {after} vs {before}");
    assert_ne!(weighted[half..], plain[half..]);
}

/// `<lora:…>` tags leave the prompt CLIP sees exactly as A1111 takes them out (`a, <lora:x:1>, b` →
/// `a, , b`); in the negative prompt A1111 leaves them, and so does Nurie.
#[test]
fn extra_network_tags_leave_the_prompt_but_not_the_negative() {
    use nurie::generate::{ModelFiles, Models, encode_prompts};
    let compute = cpu();
    let files = ModelFiles { checkpoint: sd15_dev(), vae: None, controlnets: vec![] };
    let models = Models::load(&files, &compute.device, DType::F32, |_| {}).expect("the fixture model loads");
    let encode = |prompt: &str, negative: &str| {
        encode_prompts(&models, prompt, negative, ClipSkip(1), true).unwrap().try_into_vec_as::<f32>().unwrap()
    };
    let tagged = encode("1girl, <lora:flat_anime:0.8>, flat color", "lowres <lora:x:1>");
    assert_eq!(tagged, encode("1girl, , flat color", "lowres <lora:x:1>"));
    assert_ne!(tagged, encode("1girl, , flat color", "lowres "));
}

/// Prompt editing changes the context at the steps A1111's schedule gives, read with A1111's step counter
/// (from 0, first entry whose end is not before it): `[cat:dog:2]` at 4 steps is `cat` for steps 0–2 and
/// `dog` for step 3; `[cat|dog]` ends its entries at 1, 2, 3, 4, so steps 0 and 1 both take `cat`, as in
/// A1111; the negative prompt is scheduled too.
#[test]
fn prompt_editing_changes_the_context_at_a1111_s_steps() {
    use nurie::generate::{ModelFiles, Models, encode_prompt_schedule, encode_prompts};
    let compute = cpu();
    let files = ModelFiles { checkpoint: sd15_dev(), vae: None, controlnets: vec![] };
    let models = Models::load(&files, &compute.device, DType::F32, |_| {}).expect("the fixture model loads");
    let plain = |prompt: &str, negative: &str| {
        encode_prompts(&models, prompt, negative, ClipSkip(1), true).unwrap().try_into_vec_as::<f32>().unwrap()
    };
    let scheduled = |prompt: &str, negative: &str| {
        let contexts = encode_prompt_schedule(&models, prompt, negative, ClipSkip(1), true, 4).unwrap();
        (0..4).map(|step| contexts.at(step).clone().try_into_vec_as::<f32>().unwrap()).collect::<Vec<_>>()
    };
    let (cat, dog) = (plain("a cat", "blurry"), plain("a dog", "blurry"));
    assert!(scheduled("a [cat:dog:2]", "blurry") == [cat.clone(), cat.clone(), cat.clone(), dog.clone()], "editing");
    assert!(scheduled("a [cat|dog]", "blurry") == [cat.clone(), cat.clone(), dog, cat.clone()], "alternation");
    let sharp = plain("a cat", "sharp");
    assert!(scheduled("a cat", "[blurry:sharp:0.5]") == [cat.clone(), cat.clone(), cat.clone(), sharp], "negative");
    assert!(scheduled("a cat, <lora:x:1>", "blurry")[3] == plain("a cat, ", "blurry"), "tags");
}
