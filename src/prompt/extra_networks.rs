//! A1111's extra-network tags, `<lora:NAME:W>` and kin, reproduced from AUTOMATIC1111
//! stable-diffusion-webui's `modules/extra_networks.py` (`re_extra_net`, `parse_prompt`,
//! `ExtraNetworkParams`) and the built-in Lora extension's `extra_networks_lora.py`.
//!
//! A tag is `<KIND:ARGS>`: `KIND` one or more word characters, `ARGS` one or more characters up to the
//! next `>` (`re_extra_net = <(\w+):([^>]+)>`). Every tag is removed from the text, whatever its kind,
//! and the text CLIP sees is what is left, byte for byte (the spaces and commas around a tag stay:
//! `a, <lora:x:1>, b` → `a, , b`). `ARGS` is split at every `:`; an argument with exactly one `=` is
//! named (`te=0.5`), any other is positional.
//!
//! LoRA (`lora`, and `lyco`, which A1111 registers as an alias of it): name = first positional; text
//! encoder multiplier = second positional, else 1.0, overridden by `te=`; UNet multiplier = third
//! positional, else *the text-encoder multiplier*, overridden by `unet=`; `dyn` = fourth positional or
//! `dyn=`. Numbers are Python's `float()`/`int()` (see `python_number`).
//!
//! Quirks callers must know:
//! - A1111 parses tags in the **positive prompt only** (`parse_extra_network_prompts` takes
//!   `self.prompts`); a tag in the negative prompt is neither applied nor removed: CLIP reads it as text.
//!   Parse the negative only to warn about it.
//! - Unknown kinds (`<foo:bar>`, `<LORA:x>`: kinds are case-sensitive) are removed from the text and
//!   otherwise ignored; so is anything of the shape, e.g. the emoticon `<o:)>`.
//! - Tags inside prompt-editing brackets are removed before scheduling and apply at every step.
//! - One malformed LoRA tag (`<lora:x:abc>`, `<lora:te=1>`) makes A1111's LoRA activation raise before it
//!   loads anything, so *no* LoRA of that prompt is applied; [`ExtraNetworkTag::lora_weights`] gives the
//!   error so a caller can refuse instead.
//! - A1111 activates LoRAs kind by kind in the order each kind string first appears (all `lora` tags,
//!   then all `lyco` tags, if `lora` came first); see [`lora_activation_order`].
//! - In a batch, A1111 takes the networks of the batch's first prompt only.
//! - Word characters are Python's `\w`, taken as `char::is_alphanumeric()` or `_` (the same small
//!   approximation as in `emphasis`).

use std::ops::Range;

use thiserror::Error;

use super::emphasis::is_word;
use super::python_number::{py_float, py_int};

/// A prompt with its extra-network tags taken out, as A1111's `extra_networks.parse_prompt` gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtraNetworkPrompt {
    /// The text without the tags: what A1111 schedules, parses for emphasis and tokenizes.
    pub text: String,
    /// The tags, in the order they appear.
    pub tags: Vec<ExtraNetworkTag>,
}

/// One `<KIND:ARGS>` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraNetworkTag {
    /// The kind as written (`lora`, `lyco`, `hypernet`, …).
    pub kind: String,
    /// `ARGS` split at every `:` (A1111's `items`), e.g. `["flat_anime", "0.8"]`.
    pub args: Vec<String>,
    /// Where the tag was, in bytes of the original prompt.
    pub span: Range<usize>,
}

/// What A1111 does with a tag's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkKind {
    /// `lora` and its alias `lyco` (LoCon, LoHa, LoKr… all go through the same built-in networks code).
    Lora,
    Hypernet,
    /// Not a kind A1111 ships: removed from the text, otherwise ignored.
    Other,
}

/// A tag's arguments split as `ExtraNetworkParams` splits them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkParams {
    pub positional: Vec<String>,
    /// `key=value` arguments in first-appearance order; a repeated key keeps its place and the last value.
    pub named: Vec<(String, String)>,
}

impl NetworkParams {
    pub fn named(&self, key: &str) -> Option<&str> {
        self.named.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// A LoRA tag's name and multipliers, as A1111's Lora extension reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct LoraWeights {
    pub name: String,
    /// Text-encoder multiplier.
    pub te: f64,
    /// UNet multiplier.
    pub unet: f64,
    /// `dyn`: use only this many dimensions of the LoRA's rank (A1111's dynamic-dimension option).
    pub dyn_dim: Option<i64>,
}

/// A hypernetwork tag: `<hypernet:NAME:MULTIPLIER>`.
#[derive(Debug, Clone, PartialEq)]
pub struct HypernetWeights {
    pub name: String,
    pub multiplier: f64,
}

/// Where A1111's activation of a network raises on the tag's arguments; messages are Python's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NetworkArgsError {
    /// Every argument is named (`<lora:te=1>`): `params.positional[0]` raises IndexError.
    #[error("<{kind}:…> names no network (every argument has an `=`)")]
    MissingName { kind: String },
    #[error("could not convert string to float: '{0}'")]
    NotAFloat(String),
    #[error("invalid literal for int() with base 10: '{0}'")]
    NotAnInt(String),
}

/// A1111's `extra_networks.parse_prompt`: removes every `<KIND:ARGS>` tag and lists them.
pub fn parse_prompt(prompt: &str) -> ExtraNetworkPrompt {
    let mut text = String::with_capacity(prompt.len());
    let mut tags = Vec::new();
    let (mut cursor, mut search_from) = (0, 0);
    while let Some(offset) = prompt[search_from..].find('<') {
        let start = search_from + offset;
        match match_tag(prompt, start) {
            TagMatch::Tag(tag) => {
                text.push_str(&prompt[cursor..start]);
                cursor = tag.span.end;
                search_from = tag.span.end;
                tags.push(tag);
            }
            TagMatch::NotHere => search_from = start + 1,
            // No `>` anywhere after: no later `<` can start a tag either.
            TagMatch::NoCloseAfter => break,
        }
    }
    text.push_str(&prompt[cursor..]);
    ExtraNetworkPrompt { text, tags }
}

enum TagMatch {
    Tag(ExtraNetworkTag),
    NotHere,
    NoCloseAfter,
}

/// `<(\w+):([^>]+)>` at `start` (which holds `<`). `\w+` is greedy and `:` is no word character, so
/// no backtracking can find another match.
fn match_tag(prompt: &str, start: usize) -> TagMatch {
    let kind_start = start + 1;
    let kind_len = prompt[kind_start..].char_indices().find(|&(_, c)| !is_word(c)).map_or(prompt.len() - kind_start, |(i, _)| i);
    let colon = kind_start + kind_len;
    if kind_len == 0 || !prompt[colon..].starts_with(':') {
        return TagMatch::NotHere;
    }
    let args_start = colon + 1;
    let Some(args_len) = prompt[args_start..].find('>') else { return TagMatch::NoCloseAfter };
    if args_len == 0 {
        return TagMatch::NotHere;
    }
    let args = &prompt[args_start..args_start + args_len];
    TagMatch::Tag(ExtraNetworkTag {
        kind: prompt[kind_start..colon].to_owned(),
        args: args.split(':').map(str::to_owned).collect(),
        span: start..args_start + args_len + 1,
    })
}

impl ExtraNetworkTag {
    /// A1111's registry lookup: `lora`, else the alias `lyco`, else `hypernet`; exact, case-sensitive.
    pub fn network_kind(&self) -> NetworkKind {
        match self.kind.as_str() {
            "lora" | "lyco" => NetworkKind::Lora,
            "hypernet" => NetworkKind::Hypernet,
            _ => NetworkKind::Other,
        }
    }

    /// `ExtraNetworkParams`: `item.split('=', 2)`, and exactly two parts make a named argument
    /// (`a=b=c` has three, so it is positional).
    pub fn params(&self) -> NetworkParams {
        let mut params = NetworkParams::default();
        for arg in &self.args {
            match arg.split_once('=') {
                Some((key, value)) if !value.contains('=') => match params.named.iter_mut().find(|(k, _)| k == key) {
                    Some(entry) => entry.1 = value.to_owned(),
                    None => params.named.push((key.to_owned(), value.to_owned())),
                },
                _ => params.positional.push(arg.clone()),
            }
        }
        params
    }

    /// The Lora extension's reading of the arguments, failing where it raises, in its order: the name,
    /// then positional te, `te=`, positional unet, `unet=`, positional dyn, `dyn=`.
    pub fn lora_weights(&self) -> Result<LoraWeights, NetworkArgsError> {
        let params = self.params();
        let name = params.positional.first().ok_or_else(|| NetworkArgsError::MissingName { kind: self.kind.clone() })?;
        let te = float_or(params.positional.get(1).map(String::as_str), 1.0)?;
        let te = float_or(params.named("te"), te)?;
        let unet = float_or(params.positional.get(2).map(String::as_str), te)?;
        let unet = float_or(params.named("unet"), unet)?;
        let dyn_dim = int_or(params.positional.get(3).map(String::as_str), None)?;
        let dyn_dim = int_or(params.named("dyn"), dyn_dim)?;
        Ok(LoraWeights { name: name.clone(), te, unet, dyn_dim })
    }

    /// The hypernetwork extension's reading: `items[0]`, and `float(items[1])` or 1.0 (it looks at the
    /// raw arguments, not the positional ones).
    pub fn hypernet_weights(&self) -> Result<HypernetWeights, NetworkArgsError> {
        let name = self.args.first().cloned().unwrap_or_default();
        let multiplier = float_or(self.args.get(1).map(String::as_str), 1.0)?;
        Ok(HypernetWeights { name, multiplier })
    }
}

fn float_or(arg: Option<&str>, default: f64) -> Result<f64, NetworkArgsError> {
    arg.map_or(Ok(default), |text| py_float(text).ok_or_else(|| NetworkArgsError::NotAFloat(text.to_owned())))
}

fn int_or(arg: Option<&str>, default: Option<i64>) -> Result<Option<i64>, NetworkArgsError> {
    arg.map_or(Ok(default), |text| py_int(text).map(Some).ok_or_else(|| NetworkArgsError::NotAnInt(text.to_owned())))
}

/// The LoRA tags in the order A1111 activates them: its per-kind dictionary keeps kinds in the order
/// they first appear, and `lora` and `lyco` lists are concatenated in that order.
pub fn lora_activation_order(tags: &[ExtraNetworkTag]) -> Vec<&ExtraNetworkTag> {
    let mut kinds: Vec<&str> = Vec::new();
    for tag in tags.iter().filter(|tag| tag.network_kind() == NetworkKind::Lora) {
        if !kinds.contains(&tag.kind.as_str()) {
            kinds.push(&tag.kind);
        }
    }
    kinds.iter().flat_map(|kind| tags.iter().filter(move |tag| tag.kind == *kind)).collect()
}

#[cfg(test)]
#[path = "extra_networks_tests.rs"]
mod tests;
