//! Best-effort reading of ComfyUI's `prompt` chunk: the executed graph in API format,
//! `{"3": {"class_type": "KSampler", "inputs": {"seed": 8566257, "positive": ["6", 0], …}}, …}`, where an
//! input is either a value or a link `[node id, output slot]`.
//!
//! Nurie finds the sampler node (`KSampler` / `KSamplerAdvanced`; with several, the one that starts from
//! an empty latent, else the lowest id), follows its `positive` / `negative` links through conditioning
//! nodes (ControlNet apply nodes are recorded on the way) to the text encoders, its `model` link through
//! LoRA loaders (recorded as networks with their strengths) to the checkpoint, its `latent_image` link to the image size, the encoder's `clip` link
//! to `CLIPSetLastLayer` for CLIP skip, and the decoder's `vae` link to a separate VAE. What cannot be
//! followed (text computed by other nodes, unknown samplers) becomes a warning. `embedding:NAME` words of
//! the prompts are recorded as embeddings. ComfyUI records no hashes of either. ComfyUI draws its noise
//! with torch's CPU generator, so the RNG source is `cpu`.

use serde_json::{Map, Value};

use super::error::{MetadataError, Result};
use super::generation_settings::ControlGuidance;
use super::network_use::{NetworkKind, NetworkUse};
use super::parsed_settings::{ParsedSettings, SettingsSource};
use super::record::{ControlNetUnit, GenerationRecord, ModelRef};
use crate::vocabulary::{RecordedSampler, RngSource, SamplerKind};

/// The PNG text keyword ComfyUI's SaveImage node writes the graph under.
pub const COMFYUI_KEYWORD: &str = "prompt";

/// Longest chain of links followed from one input (graphs are acyclic, but a file may not be).
const MAX_LINK_DEPTH: usize = 64;

const SAMPLER_CLASSES: [&str; 2] = ["KSampler", "KSamplerAdvanced"];

pub fn settings_from_comfyui_prompt(json: &str) -> Result<ParsedSettings> {
    let value: Value = serde_json::from_str(json).map_err(|e| bad(format!("not JSON: {e}")))?;
    let Value::Object(nodes) = value else {
        return Err(bad("the JSON is not an object of nodes".to_string()));
    };
    let graph = Graph { nodes: &nodes };
    let mut reader = GraphReader { graph, record: GenerationRecord::default(), warnings: Vec::new() };
    reader.record.settings.rng = RngSource::Cpu;
    let sampler_id = reader.pick_sampler()?;
    reader.read_sampler(&sampler_id);
    Ok(ParsedSettings { source: SettingsSource::ComfyUi, record: reader.record, warnings: reader.warnings })
}

fn bad(reason: String) -> MetadataError {
    MetadataError::BadComfyUiPrompt { reason }
}

#[derive(Clone, Copy)]
struct Graph<'a> {
    nodes: &'a Map<String, Value>,
}

/// An input that links to another node's output.
struct Link<'a> {
    node_id: String,
    slot: u64,
    node: &'a Value,
}

impl<'a> Graph<'a> {
    fn class(node: &Value) -> &str {
        node.get("class_type").and_then(Value::as_str).unwrap_or("")
    }

    fn input<'n>(node: &'n Value, name: &str) -> Option<&'n Value> {
        node.get("inputs").and_then(|inputs| inputs.get(name))
    }

    /// The node an input links to, if the input is a link to a node that exists.
    fn follow(&self, node: &Value, input: &str) -> Option<Link<'a>> {
        let link = Self::input(node, input)?.as_array()?;
        let [id, slot] = link.as_slice() else { return None };
        let node_id = match id {
            Value::String(id) => id.clone(),
            Value::Number(id) => id.to_string(),
            _ => return None,
        };
        let slot = slot.as_u64()?;
        let node = self.nodes.get(&node_id)?;
        Some(Link { node_id, slot, node })
    }

    fn samplers(&self) -> Vec<(&'a String, &'a Value)> {
        let mut samplers: Vec<_> = self.nodes.iter().filter(|(_, node)| SAMPLER_CLASSES.contains(&Self::class(node))).collect();
        samplers.sort_by_key(|(id, _)| (id.parse::<u64>().unwrap_or(u64::MAX), id.to_string()));
        samplers
    }
}

struct GraphReader<'a> {
    graph: Graph<'a>,
    record: GenerationRecord,
    warnings: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Polarity {
    Positive,
    Negative,
}

impl Polarity {
    fn name(self) -> &'static str {
        match self {
            Polarity::Positive => "positive",
            Polarity::Negative => "negative",
        }
    }
}

impl<'a> GraphReader<'a> {
    /// The sampler that makes the picture: among several (e.g. hires-fix graphs), the one that starts
    /// from an empty latent, else the lowest node id.
    fn pick_sampler(&mut self) -> Result<String> {
        let samplers = self.graph.samplers();
        let from_empty_latent = samplers.iter().find(|(_, node)| {
            self.graph.follow(node, "latent_image").is_some_and(|l| Graph::class(l.node) == "EmptyLatentImage")
        });
        let Some((id, _)) = from_empty_latent.or(samplers.first()) else {
            return Err(bad("no KSampler or KSamplerAdvanced node".to_string()));
        };
        if samplers.len() > 1 {
            self.warnings.push(format!("the graph has {} sampler nodes; read node {id}", samplers.len()));
        }
        Ok(id.to_string())
    }

    fn read_sampler(&mut self, id: &str) {
        let Some(node) = self.graph.nodes.get(id) else { return };
        let advanced = Graph::class(node) == "KSamplerAdvanced";
        self.read_numbers(node, advanced);
        self.read_sampler_name(node);
        self.record.settings.prompt = self.prompt_text(node, Polarity::Positive);
        self.record.settings.negative_prompt = self.prompt_text(node, Polarity::Negative);
        self.read_latent(node);
        self.read_checkpoint(node);
        self.read_vae(id);
        self.read_embeddings();
    }

    /// `embedding:NAME` words of the prompts, once each, after the LoRAs.
    fn read_embeddings(&mut self) {
        let settings = &self.record.settings;
        let names: Vec<String> =
            [&settings.prompt, &settings.negative_prompt].iter().flat_map(|text| embedding_names(text)).collect();
        for name in names {
            if !self.record.networks.iter().any(|n| n.kind == NetworkKind::Embedding && n.name == name) {
                self.record.networks.push(NetworkUse::named(NetworkKind::Embedding, name));
            }
        }
    }

    fn read_numbers(&mut self, node: &Value, advanced: bool) {
        let seed_input = if advanced { "noise_seed" } else { "seed" };
        match Graph::input(node, seed_input).and_then(Value::as_u64) {
            Some(seed) => self.record.settings.seed = seed,
            None => self.warnings.push("the seed is not a number in the graph (set by another node?)".to_string()),
        }
        match Graph::input(node, "steps").and_then(Value::as_u64).and_then(|s| u32::try_from(s).ok()) {
            Some(steps) => self.record.settings.steps = steps,
            None => self.warnings.push("the step count is missing; using the default".to_string()),
        }
        match Graph::input(node, "cfg").and_then(Value::as_f64) {
            Some(cfg) => self.record.settings.cfg_scale = cfg,
            None => self.warnings.push("the CFG scale is missing; using the default".to_string()),
        }
        if let Some(denoise) = Graph::input(node, "denoise").and_then(Value::as_f64).filter(|d| *d < 1.0) {
            self.record.settings.denoising_strength = Some(denoise);
        }
        let start = Graph::input(node, "start_at_step").and_then(Value::as_u64).unwrap_or(0);
        if advanced && start > 0 {
            self.warnings.push(format!("sampling starts at step {start}; Nurie runs all steps"));
        }
    }

    fn read_sampler_name(&mut self, node: &Value) {
        let name = Graph::input(node, "sampler_name").and_then(Value::as_str).unwrap_or("");
        let scheduler = Graph::input(node, "scheduler").and_then(Value::as_str).unwrap_or("");
        match sampler_from_comfyui(name, scheduler) {
            Ok((kind, warning)) => {
                self.record.settings.sampler = RecordedSampler::Known(kind);
                self.warnings.extend(warning);
            }
            Err(why) => {
                if !name.is_empty() {
                    self.record.settings.sampler = RecordedSampler::Other(name.to_string());
                }
                self.warnings.push(why);
            }
        }
    }

    fn prompt_text(&mut self, sampler: &Value, polarity: Polarity) -> String {
        let Some(link) = self.graph.follow(sampler, polarity.name()) else {
            self.warnings.push(format!("the {} prompt is not linked", polarity.name()));
            return String::new();
        };
        match self.conditioning_text(link, polarity, 0) {
            Ok(text) => text,
            Err(why) => {
                self.warnings.push(why);
                String::new()
            }
        }
    }

    /// Follows a CONDITIONING link back to the node that encodes the text.
    fn conditioning_text(&mut self, link: Link<'a>, polarity: Polarity, depth: usize) -> std::result::Result<String, String> {
        let node = link.node;
        let class = Graph::class(node);
        if depth > MAX_LINK_DEPTH {
            return Err(format!("the {} prompt's links loop", polarity.name()));
        }
        if let Some(text) = Graph::input(node, "text") {
            if polarity == Polarity::Positive {
                self.read_clip_skip(node);
            }
            return self.text_value(text, class, polarity);
        }
        let applies_controlnet = Graph::input(node, "control_net").is_some();
        if applies_controlnet && polarity == Polarity::Positive {
            self.record_controlnet(node);
        }
        let next = match (Graph::input(node, "positive").is_some(), link.slot) {
            (true, 0) => self.graph.follow(node, "positive"),
            (true, _) => self.graph.follow(node, "negative"),
            (false, _) => self.graph.follow(node, "conditioning").or_else(|| self.graph.follow(node, "conditioning_to")),
        };
        match next {
            Some(next) => self.conditioning_text(next, polarity, depth + 1),
            None => Err(format!(
                "the {} prompt comes from a `{class}` node (id {}), which Nurie cannot read",
                polarity.name(),
                link.node_id
            )),
        }
    }

    /// A `text` input: a string, or a link to a node holding a plain string (a primitive).
    fn text_value(&self, text: &Value, class: &str, polarity: Polarity) -> std::result::Result<String, String> {
        if let Some(text) = text.as_str() {
            return Ok(text.to_string());
        }
        let computed = || format!("the {} prompt of the `{class}` node is computed by another node; not read", polarity.name());
        let source = text.as_array().and_then(|l| l.first()).and_then(|id| match id {
            Value::String(id) => self.graph.nodes.get(id),
            _ => None,
        });
        let source = source.ok_or_else(computed)?;
        ["text", "string", "value", "prompt"]
            .iter()
            .find_map(|name| Graph::input(source, name).and_then(Value::as_str))
            .map(str::to_string)
            .ok_or_else(computed)
    }

    fn record_controlnet(&mut self, node: &Value) {
        let number = |name: &str, default: f64| Graph::input(node, name).and_then(Value::as_f64).unwrap_or(default);
        let model_name = self
            .graph
            .follow(node, "control_net")
            .and_then(|loader| Graph::input(loader.node, "control_net_name").and_then(Value::as_str).map(file_name_of));
        let unit = ControlNetUnit {
            model: ModelRef { file_name: model_name.unwrap_or_default(), ..Default::default() },
            guidance: ControlGuidance {
                weight: number("strength", 1.0),
                guidance_start: number("start_percent", 0.0),
                guidance_end: number("end_percent", 1.0),
                ..Default::default()
            },
            ..Default::default()
        };
        // Walking back from the sampler meets the last-applied unit first.
        self.record.controlnets.insert(0, unit);
    }

    /// `CLIPSetLastLayer` with `stop_at_clip_layer: -2` is A1111's CLIP skip 2.
    fn read_clip_skip(&mut self, encoder: &Value) {
        let mut current = self.graph.follow(encoder, "clip");
        for _ in 0..MAX_LINK_DEPTH {
            let Some(link) = current else { return };
            if Graph::class(link.node) == "CLIPSetLastLayer" {
                let layer = Graph::input(link.node, "stop_at_clip_layer").and_then(Value::as_i64).unwrap_or(-1);
                // `checked_neg`: -i64::MIN overflows (a panic fuzzing found).
                self.record.settings.clip_skip = layer.checked_neg().and_then(|n| u32::try_from(n).ok()).unwrap_or(1).max(1);
                return;
            }
            current = self.graph.follow(link.node, "clip");
        }
    }

    fn read_latent(&mut self, sampler: &Value) {
        let Some(latent) = self.graph.follow(sampler, "latent_image") else { return };
        if Graph::class(latent.node) != "EmptyLatentImage" {
            self.warnings.push(format!("the image size comes from a `{}` node; not read", Graph::class(latent.node)));
            return;
        }
        let size = |name: &str| Graph::input(latent.node, name).and_then(Value::as_u64).and_then(|v| u32::try_from(v).ok());
        if let (Some(width), Some(height)) = (size("width"), size("height")) {
            (self.record.settings.width, self.record.settings.height) = (width, height);
        }
        if let Some(batch) = size("batch_size").filter(|b| *b > 0) {
            self.record.settings.batch_size = batch;
        }
    }

    /// Follows `model` links (through LoRA loaders and patches) to a node with a `ckpt_name`.
    fn read_checkpoint(&mut self, sampler: &Value) {
        let mut current = self.graph.follow(sampler, "model");
        for _ in 0..MAX_LINK_DEPTH {
            let Some(link) = current else { break };
            if let Some(name) = Graph::input(link.node, "ckpt_name").and_then(Value::as_str) {
                self.record.model.file_name = file_name_of(name);
                return;
            }
            if let Some(lora) = lora_of(link.node) {
                self.warnings.push(lora_warning(&lora));
                // Walking back from the sampler meets the last-applied LoRA first.
                self.record.networks.insert(0, lora);
            }
            current = self.graph.follow(link.node, "model");
        }
        self.warnings.push("no checkpoint loader found for the sampler's model".to_string());
    }

    /// A VAE loaded on its own (not the checkpoint's) and used to decode this sampler's output.
    fn read_vae(&mut self, sampler_id: &str) {
        let decodes_sampler = |node: &&Value| {
            Graph::class(node) == "VAEDecode" && self.graph.follow(node, "samples").is_some_and(|l| l.node_id == sampler_id)
        };
        let Some(decoder) = self.graph.nodes.values().find(decodes_sampler) else { return };
        let vae_name =
            self.graph.follow(decoder, "vae").and_then(|l| Graph::input(l.node, "vae_name")?.as_str().map(file_name_of));
        if let Some(name) = vae_name {
            self.record.vae = Some(ModelRef { file_name: name, ..Default::default() });
        }
    }
}

/// A LoRA loader (`LoraLoader`, `LoraLoaderModelOnly` and custom nodes with a `lora_name`): the LoRA by
/// its file name without folder and extension, as A1111 names it, and the strengths it applies.
fn lora_of(node: &Value) -> Option<NetworkUse> {
    let file = Graph::input(node, "lora_name").and_then(Value::as_str)?;
    let number = |name: &str| Graph::input(node, name).and_then(Value::as_f64).filter(|x| x.is_finite());
    Some(NetworkUse {
        strength: number("strength_model"),
        clip_strength: number("strength_clip"),
        ..NetworkUse::named(NetworkKind::Lora, stem_of(&file_name_of(file)))
    })
}

/// A loader applies a LoRA outside the prompt, where Nurie takes LoRAs from (`<lora:…>` tags).
fn lora_warning(lora: &NetworkUse) -> String {
    let strength = lora.strength.map_or(String::new(), |s| format!(":{s}"));
    format!(
        "the graph applies LoRA `{}` with a loader node; add <lora:{}{strength}> to the prompt to use it",
        lora.name, lora.name
    )
}

/// ComfyUI's embedding syntax, `embedding:NAME` as a word (its tokenizer splits at spaces and strips
/// trailing commas; a weight is written `(embedding:NAME:1.2)`), NAME without folder or extension.
fn embedding_names(text: &str) -> Vec<String> {
    const MARK: &str = "embedding:";
    let starts_word = |at: usize| text[..at].chars().next_back().is_none_or(|c| c.is_whitespace() || matches!(c, '(' | ','));
    let mut names = Vec::new();
    for (at, _) in text.match_indices(MARK).filter(|(at, _)| starts_word(*at)) {
        let rest = &text[at + MARK.len()..];
        let end = rest.find(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')' | ':')).unwrap_or(rest.len());
        let name = stem_of(&file_name_of(&rest[..end]));
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// `flat_color.safetensors` → `flat_color`; other names stay.
fn stem_of(file_name: &str) -> String {
    const EXTENSIONS: [&str; 5] = [".safetensors", ".pt", ".ckpt", ".bin", ".pth"];
    let lower = file_name.to_ascii_lowercase();
    let cut =
        EXTENSIONS.iter().find(|ext| lower.ends_with(*ext) && lower.len() > ext.len()).map(|ext| file_name.len() - ext.len());
    file_name[..cut.unwrap_or(file_name.len())].to_string()
}

/// `anime\\model.safetensors` or `anime/model.safetensors` → `model.safetensors`.
fn file_name_of(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

/// ComfyUI's (`sampler_name`, `scheduler`) → a Nurie sampler. ComfyUI's `normal` and `simple` schedules
/// space timesteps evenly like A1111's default, so they count as the plain samplers.
fn sampler_from_comfyui(name: &str, scheduler: &str) -> std::result::Result<(SamplerKind, Option<String>), String> {
    let even = matches!(scheduler, "normal" | "simple" | "sgm_uniform");
    let approximated = |id: SamplerKind| {
        let warning = (!even).then(|| format!("ComfyUI schedule `{scheduler}` is not available with {name}; using the default"));
        Ok((id, warning))
    };
    match name {
        "euler" => approximated(SamplerKind::Euler),
        "euler_ancestral" => approximated(SamplerKind::EulerA),
        "dpmpp_2m" if scheduler == "karras" => Ok((SamplerKind::Dpmpp2mKarras, None)),
        "dpmpp_2m" if even => Ok((SamplerKind::Dpmpp2m, None)),
        "dpmpp_2m" => Ok((
            SamplerKind::Dpmpp2mKarras,
            Some(format!("ComfyUI schedule `{scheduler}` is not available with dpmpp_2m; using Karras")),
        )),
        "ddim" => Ok((SamplerKind::Ddim, None)),
        "uni_pc" | "uni_pc_bh2" => Ok((SamplerKind::UniPc, None)),
        "lcm" => approximated(SamplerKind::Lcm),
        other => Err(format!("ComfyUI sampler `{other}` is not one Nurie has; using the default sampler")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/metadata/comfyui_prompts.json");
        let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let found = all["prompts"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap();
        serde_json::to_string(&found["prompt"]).unwrap()
    }

    #[test]
    fn default_workflow() {
        let parsed = settings_from_comfyui_prompt(&fixture("comfyui_default_workflow")).unwrap();
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let r = &parsed.record;
        assert_eq!(
            (r.settings.prompt.as_str(), r.settings.negative_prompt.as_str()),
            ("masterpiece best quality girl", "bad hands")
        );
        assert_eq!(
            (r.settings.seed, r.settings.steps, r.settings.cfg_scale, r.settings.sampler.stored_name()),
            (8566257, 20, 8.0, "euler")
        );
        assert_eq!((r.settings.width, r.settings.height, r.settings.batch_size, r.settings.clip_skip), (512, 512, 1, 1));
        assert_eq!(r.model.file_name, "v1-5-pruned-emaonly.safetensors");
        assert_eq!((r.settings.rng, r.vae.clone(), r.settings.denoising_strength), (RngSource::Cpu, None, None));
    }

    #[test]
    fn img2img_with_computed_prompt_and_advanced_controlnet() {
        let parsed = settings_from_comfyui_prompt(&fixture("comfyui_img2img_styler_controlnet")).unwrap();
        let r = &parsed.record;
        assert_eq!(
            (r.settings.seed, r.settings.steps, r.settings.cfg_scale, r.settings.sampler.stored_name()),
            (750425633602940, 11, 6.0, "euler_a")
        );
        assert_eq!(r.settings.denoising_strength, Some(0.8));
        assert_eq!(r.model.file_name, "dreamshaperXL_turboDpmppSDE.safetensors");
        assert_eq!(r.settings.prompt, "");
        assert_eq!(r.controlnets.len(), 1);
        assert_eq!(r.controlnets[0].model.file_name, "CN-anytest_v4-marged.safetensors");
        assert_eq!((r.controlnets[0].guidance.weight, r.controlnets[0].guidance.guidance_end), (1.0, 1.0));
        assert_eq!(parsed.warnings.len(), 3, "{:?}", parsed.warnings);
        assert!(parsed.warnings.iter().any(|w| w.contains("positive prompt") && w.contains("computed")));
        assert!(parsed.warnings.iter().any(|w| w.contains("image size") && w.contains("VAEEncode")));
    }

    #[test]
    fn advanced_sampler_lora_clip_skip_controlnet_and_vae() {
        let parsed = settings_from_comfyui_prompt(&fixture("comfyui_lora_clipskip_controlnet")).unwrap();
        let r = &parsed.record;
        assert_eq!(
            parsed.warnings,
            vec![
                "the graph applies LoRA `flat_color` with a loader node; add <lora:flat_color:0.8> to the prompt to use it"
                    .to_string()
            ]
        );
        let lora =
            NetworkUse { strength: Some(0.8), clip_strength: Some(0.8), ..NetworkUse::named(NetworkKind::Lora, "flat_color") };
        assert_eq!(r.networks, vec![lora]);
        assert_eq!(
            (r.settings.seed, r.settings.steps, r.settings.cfg_scale, r.settings.sampler.stored_name()),
            (1234567890123, 28, 6.5, "dpmpp_2m_karras")
        );
        assert_eq!(
            (r.settings.prompt.as_str(), r.settings.negative_prompt.as_str()),
            ("1girl, 桜, (masterpiece:1.2), colorful", "lowres, bad anatomy")
        );
        assert_eq!((r.settings.width, r.settings.height, r.settings.batch_size, r.settings.clip_skip), (512, 768, 2, 2));
        assert_eq!(r.model.file_name, "counterfeitV30_v30.safetensors");
        assert_eq!(r.vae.as_ref().unwrap().file_name, "kl-f8-anime2.ckpt");
        assert_eq!(r.controlnets.len(), 1);
        assert_eq!(
            (r.controlnets[0].model.file_name.as_str(), r.controlnets[0].guidance.weight),
            ("control_v11p_sd15_lineart.pth", 0.9)
        );
    }

    #[test]
    fn embeddings_are_words_after_the_mark() {
        let text = "embedding:EasyNegative, (embedding:sub/bad_hands.pt:1.2) xembedding:no embedding:EasyNegative,embedding:x.safetensors";
        assert_eq!(embedding_names(text), vec!["EasyNegative", "bad_hands", "x"]);
        assert!(embedding_names("embedding: embedding:").is_empty());
    }

    #[test]
    fn chained_loras_in_order_and_embeddings_from_both_prompts() {
        let graph = r#"{"1": {"class_type": "KSampler", "inputs": {"model": ["2", 0], "positive": ["5", 0], "negative": ["6", 0]}},
            "2": {"class_type": "LoraLoaderModelOnly", "inputs": {"lora_name": "b.pt", "strength_model": 0.5, "model": ["3", 0]}},
            "3": {"class_type": "LoraLoader", "inputs": {"lora_name": "styles\\a.safetensors", "strength_model": 1, "strength_clip": 0.25, "model": ["4", 0]}},
            "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "m.safetensors"}},
            "5": {"class_type": "CLIPTextEncode", "inputs": {"text": "cat, embedding:good"}},
            "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "embedding:bad, embedding:good"}}}"#;
        let record = settings_from_comfyui_prompt(graph).unwrap().record;
        let names: Vec<(NetworkKind, &str)> = record.networks.iter().map(|n| (n.kind, n.name.as_str())).collect();
        use NetworkKind::{Embedding, Lora};
        assert_eq!(names, vec![(Lora, "a"), (Lora, "b"), (Embedding, "good"), (Embedding, "bad")]);
        assert_eq!((record.networks[0].strength, record.networks[0].clip_strength), (Some(1.0), Some(0.25)));
        assert_eq!((record.networks[1].strength, record.networks[1].clip_strength), (Some(0.5), None));
    }

    #[test]
    fn sampler_mapping() {
        assert_eq!(sampler_from_comfyui("dpmpp_2m", "normal").unwrap(), (SamplerKind::Dpmpp2m, None));
        assert_eq!(sampler_from_comfyui("uni_pc_bh2", "karras").unwrap(), (SamplerKind::UniPc, None));
        assert_eq!(sampler_from_comfyui("ddim", "ddim_uniform").unwrap(), (SamplerKind::Ddim, None));
        assert!(sampler_from_comfyui("euler", "karras").unwrap().1.is_some());
        assert!(sampler_from_comfyui("dpmpp_sde", "karras").is_err());
    }

    #[test]
    fn malformed_graphs_give_errors_or_warnings_never_panics() {
        for bad in ["", "[]", "{\"1\": 5}", "{}", r#"{"1": {"class_type": "SaveImage"}}"#] {
            assert!(matches!(settings_from_comfyui_prompt(bad), Err(MetadataError::BadComfyUiPrompt { .. })), "{bad}");
        }
        let odd = [
            r#"{"1": {"class_type": "KSampler"}}"#,
            r#"{"1": {"class_type": "KSampler", "inputs": {"positive": ["1", 0], "negative": ["9", 0], "model": ["1", 0], "seed": -1, "steps": "x"}}}"#,
            r#"{"1": {"class_type": "KSampler", "inputs": {"positive": [1, 0], "latent_image": [null, 0]}}, "2": {"class_type": "CLIPTextEncode", "inputs": {"text": [["x"], 0]}}}"#,
            r#"{"1": {"class_type": "KSampler", "inputs": {"positive": ["2", 0]}}, "2": {"class_type": "ConditioningCombine", "inputs": {"conditioning_to": ["2", 0]}}}"#,
        ];
        for graph in odd {
            let parsed = settings_from_comfyui_prompt(graph).unwrap();
            assert!(!parsed.warnings.is_empty(), "{graph}");
        }
    }

    /// Fuzzing found a panic on `stop_at_clip_layer: -2^63` (its negation overflows).
    #[test]
    fn extreme_clip_layers_give_clip_skip_1() {
        for layer in ["-9223372036854775808", "9223372036854775807", "0"] {
            let graph = format!(
                r#"{{"1": {{"class_type": "KSampler", "inputs": {{"positive": ["2", 0]}}}},
                "2": {{"class_type": "CLIPTextEncode", "inputs": {{"text": "cat", "clip": ["3", 0]}}}},
                "3": {{"class_type": "CLIPSetLastLayer", "inputs": {{"stop_at_clip_layer": {layer}}}}}}}"#
            );
            assert_eq!(settings_from_comfyui_prompt(&graph).unwrap().record.settings.clip_skip, 1, "{layer}");
        }
    }
}
