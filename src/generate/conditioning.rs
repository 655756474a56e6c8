//! The text context of a generation: negative and positive prompt encoded into one CFG batch, and how
//! prompt editing (`[from:to:when]`, `[a|b]`) changes it over the steps.

use burn::tensor::Tensor;

use crate::model::ClipSkip;
use crate::prompt::editing::{ScheduleSteps, ScheduledText, prompt_schedule};
use crate::prompt::extra_networks::parse_prompt;
use crate::prompt::{ClipTokenizer, PromptEmbeddings, encode_chunks, prompt_chunks_with, prompt_pair_chunks_with};

use super::error::GenerateError;
use super::models::Models;

/// The UNet's context for every step: [uncond, cond] ([2, 77·k, C]) with guidance, or [cond] alone
/// when the CFG scale is 1 (the unconditional half would not change the result). Extra-network tags
/// (`<lora:…>`) are taken out of the prompt first, as A1111 takes them out; the negative prompt keeps
/// them as text, as in A1111.
pub fn encode_prompts(
    models: &Models,
    prompt: &str,
    negative: &str,
    clip_skip: ClipSkip,
    guided: bool,
) -> Result<Tensor<3>, GenerateError> {
    encode_prompts_with(models, prompt, negative, clip_skip, guided, None)
}

/// [`encode_prompts`] with textual-inversion embeddings, in both prompts as in A1111. Build
/// `embeddings` with `PromptEmbeddings::for_clip(library, Some(models.text_encoder.config().width), tokenizer)`.
pub fn encode_prompts_with(
    models: &Models,
    prompt: &str,
    negative: &str,
    clip_skip: ClipSkip,
    guided: bool,
    embeddings: Option<&PromptEmbeddings>,
) -> Result<Tensor<3>, GenerateError> {
    let tokenizer = ClipTokenizer::shared()?;
    let prompt = &parse_prompt(prompt).text;
    if !guided {
        let chunks = prompt_chunks_with(tokenizer, prompt, embeddings)?;
        return Ok(encode_chunks(&models.text_encoder, &chunks, clip_skip)?);
    }
    let (positive, negative) = prompt_pair_chunks_with(tokenizer, prompt, negative, embeddings)?;
    let uncond = encode_chunks(&models.text_encoder, &negative, clip_skip)?;
    let cond = encode_chunks(&models.text_encoder, &positive, clip_skip)?;
    Ok(Tensor::cat(vec![uncond, cond], 0))
}

/// The UNet's context at each step. A prompt without editing has one context for every step; with
/// `[from:to:when]` or `[a|b]`, the context changes at the steps A1111's schedule gives.
pub struct StepContexts {
    /// `(last step it conditions, context)` in step order; steps after the last entry use `last`.
    entries: Vec<(usize, Tensor<3>)>,
    last: Tensor<3>,
}

impl StepContexts {
    /// The context of step `step`, counted from 0 in the steps run (A1111's model-call counter: every
    /// Nurie sampler calls the model once a step).
    pub fn at(&self, step: usize) -> &Tensor<3> {
        self.entries.iter().find(|(end, _)| step <= *end).map_or(&self.last, |(_, context)| context)
    }

    /// 2 with classifier-free guidance ([uncond, cond]), else 1.
    pub fn batch(&self) -> usize {
        self.last.dims()[0]
    }
}

/// The contexts of a generation of `steps` steps: both prompts scheduled as A1111 schedules them (tags
/// taken out of the prompt first), each distinct pair of texts encoded once.
pub fn encode_prompt_schedule(
    models: &Models,
    prompt: &str,
    negative: &str,
    clip_skip: ClipSkip,
    guided: bool,
    steps: usize,
) -> Result<StepContexts, GenerateError> {
    encode_prompt_schedule_with(models, prompt, negative, clip_skip, guided, steps, None)
}

/// [`encode_prompt_schedule`] with textual-inversion embeddings (see [`encode_prompts_with`]).
pub fn encode_prompt_schedule_with(
    models: &Models,
    prompt: &str,
    negative: &str,
    clip_skip: ClipSkip,
    guided: bool,
    steps: usize,
    embeddings: Option<&PromptEmbeddings>,
) -> Result<StepContexts, GenerateError> {
    let frame = ScheduleSteps::new(u32::try_from(steps).unwrap_or(u32::MAX));
    let positive = prompt_schedule(&parse_prompt(prompt).text, frame)?;
    let negative = if guided { prompt_schedule(negative, frame)? } else { vec![] };
    let mut encoded: Vec<((&str, &str), Tensor<3>)> = Vec::new();
    let mut entries = Vec::new();
    for (end, positive_text, negative_text) in merged(&positive, &negative) {
        let context = match encoded.iter().find(|(texts, _)| *texts == (positive_text, negative_text)) {
            Some((_, context)) => context.clone(),
            None => {
                // The prompt's tags are gone already; `encode_prompts` finds none left to take out.
                let context = encode_prompts_with(models, positive_text, negative_text, clip_skip, guided, embeddings)?;
                encoded.push(((positive_text, negative_text), context.clone()));
                context
            }
        };
        entries.push((end, context));
    }
    let (_, last) = entries.pop().ok_or(GenerateError::EmptySchedule)?;
    Ok(StepContexts { entries, last })
}

/// The two schedules on one timeline: at each step where either changes, the texts of both.
fn merged<'a>(positive: &'a [ScheduledText], negative: &'a [ScheduledText]) -> Vec<(usize, &'a str, &'a str)> {
    let text_at = |schedule: &'a [ScheduledText], step: u32| {
        schedule.iter().find(|entry| step <= entry.end_at_step).or(schedule.last()).map_or("", |entry| entry.text.as_str())
    };
    let mut ends: Vec<u32> = positive.iter().chain(negative).map(|entry| entry.end_at_step).collect();
    ends.sort_unstable();
    ends.dedup();
    ends.into_iter().map(|end| (end as usize, text_at(positive, end), text_at(negative, end))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(entries: &[(u32, &str)]) -> Vec<ScheduledText> {
        entries.iter().map(|&(end_at_step, text)| ScheduledText { end_at_step, text: text.into() }).collect()
    }

    #[test]
    fn two_schedules_merge_on_one_timeline() {
        let positive = schedule(&[(3, "a cat"), (10, "a dog")]);
        let negative = schedule(&[(5, "blurry"), (10, "lowres")]);
        assert_eq!(merged(&positive, &negative), [(3, "a cat", "blurry"), (5, "a dog", "blurry"), (10, "a dog", "lowres")]);
        assert_eq!(merged(&positive, &[]), [(3, "a cat", ""), (10, "a dog", "")]);
    }
}
