//! `nurie inspect FILE [--base FILE --reference FILE …] [--json]`: what a model file is, where it comes
//! from as far as can be known, its license, and with references the evidence of what it was merged from.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::checkpoint::family::ModelFamily;
use crate::networks::lora::{LoraError, LoraInfo, LoraNetwork};
use crate::provenance::composition::{AnalysisProgress, Composition, analyze};
use crate::provenance::{CommercialUse, HashCache, ModelReport, Registry};

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The model file: a checkpoint, VAE, ControlNet or LoRA (.safetensors, .ckpt, .pt).
    file: PathBuf,
    /// The model the references and FILE are compared from (e.g. the official SD 1.5); needed with
    /// --reference.
    #[arg(long, requires = "reference")]
    base: Option<PathBuf>,
    /// A model FILE may be merged from (repeat for several, e.g. the NAI v1 release and another).
    #[arg(long, requires = "base")]
    reference: Vec<PathBuf>,
    /// One JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let home = crate::home::data_dir()?;
    let (registry, problem) = Registry::load(&home);
    if let Some(problem) = problem {
        errln!("warning: {problem}");
    }
    let mut hashes = HashCache::in_home(&home);
    let never = AtomicBool::new(false);
    let bar = progress_bar("hashing");
    let report = ModelReport::build(&args.file, &mut hashes, &registry, &mut |done, total| show(&bar, done, total), &never)
        .with_context(|| format!("inspecting {}", args.file.display()))?;
    bar.finish_and_clear();
    let composition = match &args.base {
        Some(base) => {
            let bar = progress_bar("parameters compared");
            let started = Instant::now();
            let progress = &mut |p: AnalysisProgress| show(&bar, p.done, p.total);
            let composition =
                analyze(&args.file, base, &args.reference, progress, &never).context("estimating the composition")?;
            bar.finish_and_clear();
            Some((composition, started.elapsed().as_secs_f64()))
        }
        None => None,
    };
    let lora =
        (report.summary.family == ModelFamily::Lora).then(|| LoraNetwork::open(&args.file).map(|network| LoraInfo::of(&network)));
    if args.json {
        let mut value = report_json(&report, composition.as_ref().map(|(c, s)| (c, *s)), args.base.as_ref());
        if let Some(lora) = &lora {
            value["lora"] = match lora {
                Ok(info) => json!(info),
                Err(error) => json!({ "error": error.to_string() }),
            };
        }
        outln!("{value}");
    } else {
        print_report(&report);
        if let Some(lora) = &lora {
            print_lora(lora);
        }
        if let Some((composition, seconds)) = &composition {
            print_composition(composition, *seconds);
        }
    }
    Ok(())
}

fn progress_bar(what: &str) -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(&format!("{{bar:40}} {{percent}} % {what} ({{eta}})")) {
        bar.set_style(style);
    }
    bar
}

fn show(bar: &ProgressBar, done: u64, total: u64) {
    bar.set_length(total);
    bar.set_position(done);
}

fn commercial_words(use_: CommercialUse) -> &'static str {
    match use_ {
        CommercialUse::Allowed => "allowed",
        CommercialUse::NotAllowed => "NOT allowed",
        CommercialUse::Unknown => "unknown",
    }
}

fn print_report(report: &ModelReport) {
    let summary = &report.summary;
    outln!("{}", report.path.display());
    outln!("  SHA-256  {}", report.identity.sha256);
    outln!("  AutoV2   {}    AutoV1 {}", report.identity.autov2(), report.identity.autov1);
    outln!("  family   {}", summary.family.description());
    for (component, counts) in &summary.components {
        outln!("  {:<12} {:>6} tensors {:>14} parameters", component.name(), counts.tensors, thousands(counts.parameters));
    }
    let dtypes: Vec<String> = summary.dtypes.iter().map(|(name, n)| format!("{name} {}", thousands(*n))).collect();
    outln!("  stored as {}", dtypes.join(", "));
    if summary.inpainting {
        outln!("  inpainting UNet (9 input channels)");
    }
    if let Some(layout) = summary.text_encoder_layout {
        outln!("  text encoder keys: {}", layout.description());
    }
    if summary.nai_style_text_encoder() {
        outln!("  note: this text-encoder layout is the NovelAI model's, and that of merges which took their text");
        outln!("        encoder from it (other tools can write it too: a hint, not proof)");
    }
    match &report.known {
        Some((entry, matched)) => {
            outln!("  known as {} ({}), {}; matched by {matched:?}", entry.title, entry.name, entry.origin);
            outln!("  hash source: {}", entry.source);
            if let Some(notes) = &entry.notes {
                outln!("  note: {notes}");
            }
        }
        None => outln!("  not in the known-models registry: its origin is unknown"),
    }
    match report.license() {
        Some(license) => outln!(
            "  license  {} (from the {}); commercial use: {}",
            license.name,
            if license.from == crate::provenance::LicenseSource::Registry { "registry" } else { "file's own metadata" },
            commercial_words(license.commercial_use)
        ),
        None => outln!("  license  unknown"),
    }
    let declared = &summary.declared;
    for (name, value) in [
        ("title", &declared.title),
        ("author", &declared.author),
        ("description", &declared.description),
        ("training", &declared.training_notes),
    ] {
        if let Some(value) = value {
            outln!("  declared {name}: {value}");
        }
    }
}

fn print_lora(lora: &Result<LoraInfo, LoraError>) {
    let info = match lora {
        Ok(info) => info,
        Err(error) => return outln!("  LoRA     Nurie cannot apply it: {error}"),
    };
    outln!("  LoRA     {} ({} layout)", info.types, info.layout);
    outln!("  modules  {} text encoder, {} UNet", info.text_encoder_modules, info.unet_modules);
    let counted = |counts: Vec<String>| counts.join(", ");
    outln!("  rank     {}", counted(info.ranks.iter().map(|(rank, n)| format!("{rank} ({n} modules)")).collect()));
    if !info.alphas.is_empty() {
        outln!("  alpha    {}", counted(info.alphas.iter().map(|(alpha, n)| format!("{alpha} ({n} modules)")).collect()));
    }
    outln!("  base     {}", info.base);
    if !info.trigger_words.is_empty() {
        outln!("  trigger words (most frequent training tags): {}", info.trigger_words.join(", "));
    }
}

fn print_composition(composition: &Composition, seconds: f64) {
    outln!();
    outln!(
        "Composition ({} tensors, {} parameters compared in {seconds:.1} s)",
        composition.tensors,
        thousands(composition.parameters)
    );
    outln!("  method: each part's difference from the base is fitted as a weighted sum of the references' differences");
    outln!("  from the base (least squares); the residual is the share the references do not explain (training,");
    outln!("  other models). Evidence about the weights, not a verdict.");
    for group in &composition.groups {
        let cosine = group.fit.cosine.map_or_else(String::new, |c| format!(", cosine {c:.3}"));
        outln!("  {}{cosine}", composition.describe(group));
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn report_json(report: &ModelReport, composition: Option<(&Composition, f64)>, base: Option<&PathBuf>) -> Value {
    let summary = &report.summary;
    let known = report.known.as_ref().map(|(entry, matched)| json!({ "entry": entry, "matched_by": matched }));
    let license = report.license();
    let mut value = json!({
        "file": report.path.to_string_lossy(),
        "size": report.size,
        "sha256": report.identity.sha256,
        "autov2": report.identity.autov2(),
        "autov1": report.identity.autov1,
        "family": summary.family,
        "license": license.as_ref().map(|l| l.name.clone()),
        "license_from": license.as_ref().map(|l| l.from),
        "commercial_use": report.commercial_use(),
        "known": known,
        "summary": {
            "components": summary.components,
            "dtypes": summary.dtypes,
            "inpainting": summary.inpainting,
            "text_encoder_layout": summary.text_encoder_layout,
            "nai_style_text_encoder": summary.nai_style_text_encoder(),
            "declared": summary.declared,
            "file_metadata": summary.file_metadata,
        },
    });
    if let Some((composition, seconds)) = composition {
        value["composition"] = composition_json(composition, seconds, base);
    }
    value
}

fn composition_json(composition: &Composition, seconds: f64, base: Option<&PathBuf>) -> Value {
    let per_reference = |values: &[Option<f64>]| -> Value {
        composition
            .references
            .iter()
            .zip(values)
            .map(|(name, v)| (name.clone(), json!(v)))
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    let groups: Vec<Value> = composition
        .groups
        .iter()
        .map(|group| {
            json!({
                "name": group.name,
                "level": group.level,
                "parameters": group.parameters,
                "coefficients": per_reference(&group.fit.coefficients),
                "residual": group.fit.residual,
                "cosine": group.fit.cosine,
                "reference_cosines": per_reference(&group.fit.reference_cosines),
                "identical_to_base": group.fit.identical_to_base,
                "evidence": composition.describe(group),
            })
        })
        .collect();
    json!({
        "base": base.map(|b| b.to_string_lossy().into_owned()),
        "references": composition.references,
        "tensors": composition.tensors,
        "parameters": composition.parameters,
        "seconds": seconds,
        "groups": groups,
    })
}
