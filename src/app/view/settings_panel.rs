//! Sampler, steps, CFG, seed (dice and reuse), RNG source, clip skip, size (presets, match the line
//! art), batch count, hires fix, and img2img. Each setting's name and hover explanation, in both languages, are
//! in [`SettingTexts`] here: a new generation setting adds its widget and its words in this file (or,
//! for a group of its own such as inpainting, in its own file beside it, [`super::inpaint_panel`]).

use super::labelled::{SettingText, setting_row, text};
use crate::app::file_picker::Purpose;
use crate::app::form::{GenerationForm, SIZE_PRESETS};
use crate::app::i18n::Language;
use crate::app::nurie_app::NurieApp;
use std::sync::OnceLock;

use crate::metadata::{DEFAULT_DENOISING_STRENGTH, DEFAULT_HIRES_DENOISING_STRENGTH, HiresSettings};
use crate::upscale::{LatentUpscale, upscaler_files, upscaler_folders};
use crate::vocabulary::{Choice, RecordedSampler, RngSource, SamplerKind};

/// The seed field's value that means "a fresh random seed each time", as in A1111.
const RANDOM_SEED: i64 = -1;

/// The generation settings' names and explanations in one language.
pub struct SettingTexts {
    pub sampler: SettingText,
    /// Shown after another tool's sampler, which Nurie cannot run.
    pub sampler_unavailable: &'static str,
    pub steps: SettingText,
    pub cfg_scale: SettingText,
    pub seed: SettingText,
    pub random_seed: SettingText,
    pub reuse_seed: SettingText,
    pub rng: SettingText,
    pub clip_skip: SettingText,
    pub width: SettingText,
    pub height: SettingText,
    pub size_presets: SettingText,
    pub match_line_art: SettingText,
    pub batch_count: SettingText,
    pub img2img: SettingText,
    pub use_line_art: SettingText,
    pub denoising_strength: SettingText,
    pub hires: SettingText,
    pub hires_scale: SettingText,
    pub hires_upscaler: SettingText,
    pub hires_steps: SettingText,
    pub hires_denoising: SettingText,
}

impl SettingTexts {
    pub fn of(language: Language) -> &'static SettingTexts {
        match language {
            Language::English => &EN,
            Language::Japanese => &JA,
        }
    }
}

pub const EN: SettingTexts = SettingTexts {
    sampler: text(
        "Sampler",
        "How the picture is drawn out of the noise, step by step. DPM++ 2M Karras is a good default; Euler a gives softer, more varied pictures. LCM is for LCM models and LCM-LoRAs: 4–8 steps at CFG 1–2.",
    ),
    sampler_unavailable: "(not in Nurie: choose another)",
    steps: text(
        "Steps",
        "How many times the picture is refined. More steps take longer; 20–30 is usually enough, very few steps give unfinished pictures.",
    ),
    cfg_scale: text(
        "CFG scale",
        "How closely the picture follows the prompt. Low values are freer and softer, high values follow the words strictly but can look harsh; 5–8 is usual.",
    ),
    seed: text(
        "Seed",
        "The number the noise is made from. The same settings with the same seed give the same picture; −1 picks a new random seed each time.",
    ),
    random_seed: text("Random", "Use a new random seed for every generation (seed −1)."),
    reuse_seed: text("Last", "Use the seed of the last generation again, to vary other settings on the same picture."),
    rng: text(
        "RNG source",
        "Which random number generator makes the noise. GPU (NV) gives the same pictures as A1111's default on NVIDIA cards, CPU the same as A1111's CPU setting, on any device.",
    ),
    clip_skip: text(
        "Clip skip",
        "Stops the text encoder early: 1 uses its last layer, 2 the one before. Many anime models were trained with 2.",
    ),
    width: text("Width", "Picture width in pixels (a multiple of 8). SD 1.5 models draw best near 512 px."),
    height: text("Height", "Picture height in pixels (a multiple of 8). SD 1.5 models draw best near 512 px."),
    size_presets: text("Size", "Common sizes for SD 1.5 models."),
    match_line_art: text("Match line art", "Sets the size to the line art's shape at about 512×512 pixels."),
    batch_count: text("Batch count", "How many pictures to make, one after another; each uses the next seed."),
    img2img: text("img2img", "Start from a picture (a sketch or an earlier result) instead of pure noise."),
    use_line_art: text(
        "Use line art",
        "Start from the first unit's line art: to paint an inpainting mask over it, for instance.",
    ),
    denoising_strength: text(
        "Denoising strength",
        "How much of the starting picture is replaced: 0 keeps it, 1 ignores it. Below 1, fewer steps run than set above.",
    ),
    hires: text(
        "Hires fix",
        "Draws the picture at the size above, enlarges it, then draws it again at the larger size: more detail than SD 1.5 gives in one pass at that size. Line art guides both passes.",
    ),
    hires_scale: text("Upscale by", "How many times larger the second pass is (each side rounded down to a multiple of 8)."),
    hires_upscaler: text(
        "Upscaler",
        "How the first picture is enlarged: the Latent modes enlarge it before it is decoded (fast, softer); Lanczos, Nearest and ESRGAN models (from A1111's models/ESRGAN or ComfyUI's models/upscale_models) enlarge the picture itself.",
    ),
    hires_steps: text("Hires steps", "Steps of the second pass; 0 uses as many as the first."),
    hires_denoising: text(
        "Denoising strength",
        "How much the second pass redraws the enlarged picture: low keeps it (0.3–0.5 with ESRGAN), the Latent modes need about 0.5 or more.",
    ),
};

pub const JA: SettingTexts = SettingTexts {
    sampler: text(
        "サンプラー",
        "ノイズから絵を少しずつ描き出す方法です。迷ったら DPM++ 2M Karras、やわらかく変化に富んだ絵なら Euler a。LCM は LCM モデルや LCM-LoRA 用で、4〜8 ステップ・CFG 1〜2 で描けます。",
    ),
    sampler_unavailable: "（Nurie にはありません。別のものを選んでください）",
    steps: text(
        "ステップ数",
        "絵を仕上げる回数です。多いほど時間がかかります。ふつうは 20〜30 で十分で、少なすぎると描きかけのような絵になります。",
    ),
    cfg_scale: text(
        "CFG スケール",
        "プロンプトにどれだけ忠実に描くかです。低いと自由でやわらかく、高いと言葉どおりですが硬くなりがちです。ふつうは 5〜8。",
    ),
    seed: text(
        "シード",
        "ノイズを作る元の数です。同じ設定と同じシードからは同じ絵ができます。−1 にすると毎回新しいシードを使います。",
    ),
    random_seed: text("ランダム", "生成のたびに新しいシードを使います（シード −1）。"),
    reuse_seed: text("前回", "前回の生成のシードをもう一度使います。同じ絵で他の設定を変えて試すときに。"),
    rng: text(
        "乱数の種類",
        "ノイズを作る乱数生成器です。GPU (NV) は NVIDIA カードでの A1111 の既定と、CPU は A1111 の CPU 設定と同じ絵になります（どの装置で計算しても）。",
    ),
    clip_skip: text(
        "Clip skip",
        "テキストエンコーダーを途中で止めます。1 は最後の層、2 はその一つ前の層を使います。アニメ系モデルの多くは 2 で学習されています。",
    ),
    width: text("幅", "絵の幅（ピクセル、8 の倍数）。SD 1.5 のモデルは 512 px 前後でいちばんよく描けます。"),
    height: text("高さ", "絵の高さ（ピクセル、8 の倍数）。SD 1.5 のモデルは 512 px 前後でいちばんよく描けます。"),
    size_presets: text("サイズ", "SD 1.5 のモデルでよく使うサイズです。"),
    match_line_art: text("線画に合わせる", "線画の縦横比のまま、約 512×512 ピクセルの大きさにします。"),
    batch_count: text("枚数", "続けて作る絵の枚数です。1 枚ごとにシードが 1 ずつ増えます。"),
    img2img: text("img2img", "ノイズからではなく、絵（下描きや前の結果）から描き始めます。"),
    use_line_art: text("線画を使う", "最初のユニットの線画から描き始めます。線画の上にインペイント用のマスクを塗るときなどに。"),
    denoising_strength: text(
        "ノイズ除去強度",
        "元の絵をどれだけ描き直すかです。0 ではそのまま、1 では元の絵を使いません。1 未満では、上で決めたより少ないステップで仕上げます。",
    ),
    hires: text(
        "高解像度補助",
        "上の大きさで描いた絵を拡大してから、大きいサイズでもう一度描きます。SD 1.5 で一度に大きく描くより細部まで描けます。線画は両方の段階で効きます。",
    ),
    hires_scale: text("拡大率", "二度目に描く大きさの倍率です（各辺は 8 の倍数に切り下げます）。"),
    hires_upscaler: text(
        "拡大方法",
        "最初の絵の拡大のしかたです。Latent 系はデコード前に拡大します（速く、やわらかめ）。Lanczos・Nearest・ESRGAN モデル（A1111 の models/ESRGAN や ComfyUI の models/upscale_models のもの）は絵そのものを拡大します。",
    ),
    hires_steps: text("高解像度のステップ数", "二度目のステップ数です。0 にすると一度目と同じ数にします。"),
    hires_denoising: text(
        "ノイズ除去強度",
        "拡大した絵を二度目にどれだけ描き直すかです。低いほど元のまま（ESRGAN なら 0.3〜0.5）、Latent 系は 0.5 以上が目安です。",
    ),
};

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let heading = app.texts().settings;
    let texts = SettingTexts::of(app.settings.language());
    ui.heading(heading);
    let last_seed = app.last_seed;
    let line_art_size = app.units.iter().find_map(|u| u.full_size);
    let form = &mut app.settings.form;
    egui::Grid::new("generation-settings").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
        sampler_row(ui, texts, &mut form.settings.sampler);
        setting_row(ui, texts.steps, egui::Slider::new(&mut form.settings.steps, 1..=150));
        setting_row(ui, texts.cfg_scale, egui::Slider::new(&mut form.settings.cfg_scale, 1.0..=30.0).step_by(0.5));
        seed_row(ui, texts, form, last_seed);
        rng_row(ui, texts.rng, &mut form.settings.rng);
        setting_row(ui, texts.clip_skip, egui::Slider::new(&mut form.settings.clip_skip, 1..=12));
        setting_row(ui, texts.width, egui::Slider::new(&mut form.settings.width, 64..=2048).step_by(8.0));
        setting_row(ui, texts.height, egui::Slider::new(&mut form.settings.height, 64..=2048).step_by(8.0));
        size_rows(ui, texts, form, line_art_size);
        setting_row(ui, texts.batch_count, egui::Slider::new(&mut form.settings.batch_size, 1..=32));
    });
    hires_fix(ui, texts, &mut app.settings.form);
    img2img(app, ui, texts);
    generate_buttons(app, ui);
}

fn sampler_row(ui: &mut egui::Ui, texts: &SettingTexts, sampler: &mut RecordedSampler) {
    let label = ui.label(texts.sampler.name).on_hover_text(texts.sampler.hover);
    let shown = match sampler {
        RecordedSampler::Known(kind) => kind.label().to_string(),
        RecordedSampler::Other(name) => format!("{name} {}", texts.sampler_unavailable),
    };
    egui::ComboBox::from_id_salt("sampler")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for &kind in SamplerKind::ALL {
                ui.selectable_value(sampler, RecordedSampler::Known(kind), kind.label());
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(texts.sampler.hover);
    ui.end_row();
}

/// The seed as A1111 shows it (−1 = random), with the dice and reuse buttons.
fn seed_row(ui: &mut egui::Ui, texts: &SettingTexts, form: &mut GenerationForm, last_seed: Option<u64>) {
    let label = ui.label(texts.seed.name).on_hover_text(texts.seed.hover);
    ui.horizontal(|ui| {
        let mut shown = if form.random_seed { RANDOM_SEED } else { i64::try_from(form.settings.seed).unwrap_or(i64::MAX) };
        let field = ui.add(egui::DragValue::new(&mut shown).range(RANDOM_SEED..=i64::MAX)).labelled_by(label.id);
        if field.on_hover_text(texts.seed.hover).changed() {
            set_seed(form, shown);
        }
        if ui.button(texts.random_seed.name).on_hover_text(texts.random_seed.hover).clicked() {
            form.random_seed = true;
        }
        let reuse = ui.add_enabled(last_seed.is_some(), egui::Button::new(texts.reuse_seed.name));
        if let (true, Some(seed)) = (reuse.on_hover_text(texts.reuse_seed.hover).clicked(), last_seed) {
            (form.random_seed, form.settings.seed) = (false, seed);
        }
    });
    ui.end_row();
}

/// A seed typed into the field: −1 (or below) asks for random seeds.
fn set_seed(form: &mut GenerationForm, typed: i64) {
    match u64::try_from(typed) {
        Ok(seed) => (form.random_seed, form.settings.seed) = (false, seed),
        Err(_) => form.random_seed = true,
    }
}

fn rng_row(ui: &mut egui::Ui, text: SettingText, rng: &mut RngSource) {
    ui.label(text.name).on_hover_text(text.hover);
    ui.horizontal(|ui| {
        ui.selectable_value(rng, RngSource::Nv, "GPU (NV)").on_hover_text(text.hover);
        ui.selectable_value(rng, RngSource::Cpu, "CPU").on_hover_text(text.hover);
    });
    ui.end_row();
}

fn size_rows(ui: &mut egui::Ui, texts: &SettingTexts, form: &mut GenerationForm, line_art_size: Option<(u32, u32)>) {
    let settings = &mut form.settings;
    ui.label(texts.size_presets.name).on_hover_text(texts.size_presets.hover);
    ui.horizontal_wrapped(|ui| {
        for (w, h) in SIZE_PRESETS {
            if ui.selectable_label((settings.width, settings.height) == (w, h), format!("{w}×{h}")).clicked() {
                (settings.width, settings.height) = (w, h);
            }
        }
    });
    ui.end_row();
    ui.label("");
    let matched = ui.add_enabled(line_art_size.is_some(), egui::Button::new(texts.match_line_art.name));
    if let (true, Some(size)) = (matched.on_hover_text(texts.match_line_art.hover).clicked(), line_art_size) {
        (settings.width, settings.height) = match_size(size);
    }
    ui.end_row();
}

/// The line art's aspect ratio at about 512² pixels (SD1.5's native area), sides multiples of 8.
pub fn match_size((width, height): (u32, u32)) -> (u32, u32) {
    let scale = (512.0 * 512.0 / (width.max(1) as f64 * height.max(1) as f64)).sqrt();
    let side = |s: u32| (((s as f64 * scale) / 8.0).round() as u32 * 8).clamp(64, 2048);
    (side(width), side(height))
}

/// Hires fix: on or off, and when on its scale, upscaler, steps and strength.
fn hires_fix(ui: &mut egui::Ui, texts: &SettingTexts, form: &mut GenerationForm) {
    ui.separator();
    let mut on = form.settings.hires.is_some();
    if ui.checkbox(&mut on, texts.hires.name).on_hover_text(texts.hires.hover).changed() {
        form.settings.hires = on.then(HiresSettings::default);
        if on && form.init_image.is_none() {
            form.settings.denoising_strength = Some(DEFAULT_HIRES_DENOISING_STRENGTH);
        }
    }
    let (width, height) = (form.settings.width, form.settings.height);
    let Some(hires) = &mut form.settings.hires else { return };
    egui::Grid::new("hires-fix").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
        let (to_width, to_height) = hires.size(width, height);
        let scale = egui::Slider::new(&mut hires.scale, 1.05..=4.0).step_by(0.05).suffix(format!("  → {to_width}×{to_height}"));
        setting_row(ui, texts.hires_scale, scale);
        upscaler_row(ui, texts.hires_upscaler, &mut hires.upscaler);
        setting_row(ui, texts.hires_steps, egui::Slider::new(&mut hires.steps, 0..=150));
        if form.init_image.is_none() {
            let strength = form.settings.denoising_strength.get_or_insert(DEFAULT_HIRES_DENOISING_STRENGTH);
            setting_row(ui, texts.hires_denoising, egui::Slider::new(strength, 0.01..=1.0));
        }
    });
}

/// The upscalers A1111 offers for hires fix: its latent modes, Pillow's resamplers, and the ESRGAN-family
/// files of this computer's upscaler folders (listed once, off the UI thread; until then the others).
fn upscaler_row(ui: &mut egui::Ui, text: SettingText, upscaler: &mut String) {
    let label = ui.label(text.name).on_hover_text(text.hover);
    let mut names: Vec<String> = LatentUpscale::all().map(|mode| mode.name().to_string()).collect();
    names.extend(["Lanczos", "Nearest", "None"].map(String::from));
    names.extend(installed_upscalers().iter().cloned());
    if !names.contains(upscaler) {
        names.push(upscaler.clone());
    }
    egui::ComboBox::from_id_salt("hires-upscaler")
        .selected_text(upscaler.as_str())
        .show_ui(ui, |ui| {
            for name in names {
                let label = name.clone();
                ui.selectable_value(upscaler, name, label);
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(text.hover);
    ui.end_row();
}

/// The names of the upscaler files in the installs' folders: empty until a named thread has listed them.
fn installed_upscalers() -> &'static [String] {
    static FOUND: OnceLock<Vec<String>> = OnceLock::new();
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let listing = std::thread::Builder::new().name("upscaler-listing".into()).spawn(|| {
            let files = upscaler_files(&upscaler_folders(&[]));
            let _ = FOUND.set(files.into_iter().map(|file| file.name).collect());
        });
        if listing.is_err() {
            let _ = FOUND.set(Vec::new());
        }
    });
    FOUND.get().map_or(&[], Vec::as_slice)
}

/// The img2img picture (opened, a result's "Use as img2img input", or the first unit's line art), its
/// denoising strength, and inpainting.
fn img2img(app: &mut NurieApp, ui: &mut egui::Ui, texts: &SettingTexts) {
    let (open, clear) = (app.texts().open_image, app.texts().clear);
    ui.separator();
    ui.label(texts.img2img.name).on_hover_text(texts.img2img.hover);
    ui.horizontal_wrapped(|ui| {
        let name = app.settings.form.init_image.as_deref().map(super::model_combo::file_name);
        ui.label(name.unwrap_or_else(|| "—".into()));
        if ui.button(open).on_hover_text(texts.img2img.hover).clicked() {
            app.pick(Purpose::InitImage, None);
        }
        let line_art = app.settings.form.units.first().and_then(|unit| unit.line_art.clone());
        let use_line_art = ui.add_enabled(line_art.is_some(), egui::Button::new(texts.use_line_art.name));
        if use_line_art.on_hover_text(texts.use_line_art.hover).clicked() {
            app.settings.form.init_image = line_art;
        }
        if app.settings.form.init_image.is_some() && ui.button(clear).clicked() {
            app.settings.form.init_image = None;
        }
    });
    if app.settings.form.init_image.is_some() {
        let strength = app.settings.form.settings.denoising_strength.get_or_insert(DEFAULT_DENOISING_STRENGTH);
        let text = texts.denoising_strength;
        ui.add(egui::Slider::new(strength, 0.0..=1.0).text(text.name)).on_hover_text(text.hover);
    }
    super::inpaint_panel::show(app, ui);
}

fn generate_buttons(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.separator();
    ui.horizontal(|ui| {
        let generate = egui::Button::new(egui::RichText::new(texts.generate).heading()).min_size(egui::vec2(140.0, 36.0));
        if ui.add(generate).on_hover_text("Ctrl+Enter").clicked() {
            app.enqueue();
        }
        let running = app.queue.running().is_some();
        if ui.add_enabled(running, egui::Button::new(texts.cancel)).on_hover_text("Esc").clicked() {
            app.cancel_running();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_the_line_art_keeps_its_shape_near_512_squared() {
        assert_eq!(match_size((2048, 2048)), (512, 512));
        assert_eq!(match_size((1200, 1800)), (416, 624));
        assert_eq!(match_size((3000, 1000)), (888, 296));
    }

    #[test]
    fn a_typed_seed_of_minus_one_asks_for_random_seeds() {
        let mut form = GenerationForm { random_seed: false, ..GenerationForm::default() };
        set_seed(&mut form, -1);
        assert!(form.random_seed);
        set_seed(&mut form, 1234);
        assert_eq!((form.random_seed, form.settings.seed), (false, 1234));
    }

    #[test]
    fn every_setting_is_explained_in_both_languages() {
        let pairs = |t: &SettingTexts| {
            [
                t.sampler,
                t.steps,
                t.cfg_scale,
                t.seed,
                t.random_seed,
                t.reuse_seed,
                t.rng,
                t.clip_skip,
                t.width,
                t.height,
                t.size_presets,
                t.match_line_art,
                t.batch_count,
                t.img2img,
                t.use_line_art,
                t.denoising_strength,
                t.hires,
                t.hires_scale,
                t.hires_upscaler,
                t.hires_steps,
                t.hires_denoising,
            ]
        };
        for (en, ja) in pairs(&EN).iter().zip(pairs(&JA)) {
            assert!(!en.hover.is_empty() && !ja.hover.is_empty(), "{}", en.name);
            assert_ne!(en.hover, ja.hover, "{} is not translated", en.name);
        }
    }
}
