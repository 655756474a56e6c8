//! Reference units and characters, under the line-art units: pictures whose look the next pictures
//! share (a character sheet, an earlier colored page), and the library's characters to choose for the
//! page, each with its part colors one click away as hint colors. Every text, in both languages, is in
//! [`ReferenceTexts`] here.

use egui::{Color32, RichText};

use crate::app::file_picker::Purpose;
use crate::app::form::ReferenceForm;
use crate::app::i18n::Language;
use crate::app::nurie_app::NurieApp;
use crate::vocabulary::ReferenceMode;

use super::labelled::{SettingText, options_combo, setting_row, text};
use super::model_combo::file_name;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let words = ReferenceTexts::of(app.settings.language());
    ui.add_space(8.0);
    ui.heading(words.heading).on_hover_text(words.heading_hover);
    let mut removed = None;
    for unit in 0..app.settings.form.references.len() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            if reference_unit(app, ui, unit, words) {
                removed = Some(unit);
            }
        });
        ui.add_space(6.0);
    }
    if let Some(unit) = removed {
        app.settings.form.references.remove(unit);
    }
    if ui.button(format!("+ {}", words.add)).on_hover_text(words.heading_hover).clicked() {
        app.settings.form.references.push(ReferenceForm { enabled: true, ..ReferenceForm::default() });
    }
    characters(app, ui, words);
}

/// One reference unit: its switch, picture and settings; returns whether it was removed.
fn reference_unit(app: &mut NurieApp, ui: &mut egui::Ui, unit: usize, words: &ReferenceTexts) -> bool {
    let browse = app.texts().browse;
    let form = &mut app.settings.form.references[unit];
    let (mut removed, mut pick) = (false, false);
    ui.horizontal(|ui| {
        ui.checkbox(&mut form.enabled, RichText::new((words.unit_title)(unit + 1)).strong());
        if ui.small_button(words.remove).clicked() {
            removed = true;
        }
    });
    ui.horizontal(|ui| {
        let shown = form.picture.as_deref().map_or_else(|| words.no_picture.to_string(), file_name);
        ui.label(shown).on_hover_text(form.picture.as_deref().map(|p| p.display().to_string()).unwrap_or_default());
        pick = ui.button(browse).on_hover_text(words.picture_hover).clicked();
    });
    let settings = &mut form.settings;
    egui::Grid::new(("reference-settings", unit)).num_columns(2).show(ui, |ui| {
        let label = ui.label(words.mode.name).on_hover_text(words.mode.hover);
        options_combo(ui, ("reference-mode", unit), &mut settings.mode, &words.modes)
            .labelled_by(label.id)
            .on_hover_text(words.mode.hover);
        ui.end_row();
        setting_row(ui, words.weight, egui::Slider::new(&mut settings.weight, 0.0..=2.0).step_by(0.05));
        setting_row(ui, words.style_fidelity, egui::Slider::new(&mut settings.style_fidelity, 0.0..=1.0).step_by(0.05));
        setting_row(ui, words.start, egui::Slider::new(&mut settings.guidance_start, 0.0..=1.0).step_by(0.01));
        setting_row(ui, words.end, egui::Slider::new(&mut settings.guidance_end, 0.0..=1.0).step_by(0.01));
    });
    if settings.guidance_start > settings.guidance_end {
        settings.guidance_end = settings.guidance_start;
    }
    if pick {
        app.pick(Purpose::ReferencePicture(unit), None);
    }
    removed
}

/// The library's characters: a tick to use one on the next pictures, its part colors as hint colors,
/// and a new character made from the first reference picture.
fn characters(app: &mut NurieApp, ui: &mut egui::Ui, words: &ReferenceTexts) {
    ui.add_space(8.0);
    ui.label(RichText::new(words.characters).strong()).on_hover_text(words.characters_hover);
    if app.characters.is_empty() {
        ui.weak(words.no_characters);
    }
    for kept in app.characters.clone() {
        let name = &kept.character.name;
        ui.horizontal_wrapped(|ui| {
            let mut chosen = app.settings.form.characters.contains(name);
            if ui.checkbox(&mut chosen, name.as_str()).on_hover_text(words.use_hover).changed() {
                app.settings.form.characters.retain(|other| other != name);
                if chosen {
                    app.settings.form.characters.push(name.clone());
                }
            }
            for part in &kept.character.parts {
                let [r, g, b] = part.rgb();
                let fill = Color32::from_rgb(r, g, b);
                let ink = if u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114 > 128_000 {
                    Color32::BLACK
                } else {
                    Color32::WHITE
                };
                let swatch = egui::Button::new(RichText::new(&part.part).color(ink)).fill(fill);
                if ui.add(swatch).on_hover_text((words.part_hover)(&part.part, &part.color)).clicked() {
                    app.hints.color = fill;
                    app.hints.painting = true;
                }
            }
        });
    }
    ui.horizontal(|ui| {
        let field = egui::TextEdit::singleline(&mut app.character_draft).hint_text(words.name_hint).desired_width(140.0);
        let field = ui.add(field).accessible_name(words.name_hint);
        let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let save = ui.button(words.save).on_hover_text(words.save_hover).clicked();
        if (save || entered) && !app.character_draft.trim().is_empty() {
            let name = app.character_draft.clone();
            app.save_character(&name);
        }
    });
}

/// The panel's words in one language.
pub struct ReferenceTexts {
    pub heading: &'static str,
    pub heading_hover: &'static str,
    pub add: &'static str,
    pub unit_title: fn(usize) -> String,
    pub remove: &'static str,
    pub no_picture: &'static str,
    pub picture_hover: &'static str,
    pub mode: SettingText,
    pub modes: [(ReferenceMode, &'static str); 3],
    pub weight: SettingText,
    pub style_fidelity: SettingText,
    pub start: SettingText,
    pub end: SettingText,
    pub characters: &'static str,
    pub characters_hover: &'static str,
    pub no_characters: &'static str,
    pub use_hover: &'static str,
    pub part_hover: fn(&str, &str) -> String,
    pub name_hint: &'static str,
    pub save: &'static str,
    pub save_hover: &'static str,
}

impl ReferenceTexts {
    pub fn of(language: Language) -> &'static ReferenceTexts {
        match language {
            Language::English => &REFERENCE_EN,
            Language::Japanese => &REFERENCE_JA,
        }
    }
}

pub const REFERENCE_EN: ReferenceTexts = ReferenceTexts {
    heading: "Reference",
    heading_hover: "A picture whose look the next pictures share, so a character keeps its colors from page to page: a character sheet, or a page already colored as it should be. No model file is needed (sd-webui-controlnet's reference preprocessors).",
    add: "Add a reference",
    unit_title: |n| format!("Reference {n}"),
    remove: "Remove reference",
    no_picture: "No picture yet",
    picture_hover: "Choose the reference picture (it is fitted to the picture size by cropping).",
    mode: text(
        "Mode",
        "What is taken from the reference: only — the attention sees it (shapes and colors); adain — the colors and contrast of the whole are matched to it; adain+attn — both.",
    ),
    modes: [
        (ReferenceMode::Only, "reference_only"),
        (ReferenceMode::Adain, "reference_adain"),
        (ReferenceMode::AdainAttn, "reference_adain+attn"),
    ],
    weight: text(
        "Weight",
        "How much of the network takes part (0–2): 1 reaches every attention block; lower keeps the reference to the coarse layers.",
    ),
    style_fidelity: text(
        "Style fidelity",
        "How hard the guidance pulls toward the reference (0–1): higher follows the reference's style more closely, lower follows the prompt more.",
    ),
    start: text("Start", "The share of the steps after which the reference starts to act."),
    end: text("End", "The share of the steps after which it stops."),
    characters: "Characters",
    characters_hover: "Your characters, kept in Nurie's library: tick the ones on this page; click a part color to paint hints in it.",
    no_characters: "No characters yet: save a reference as one below.",
    use_hover: "Use this character's reference on the next pictures.",
    part_hover: |part, color| format!("Paint hints in the {part} color ({color})"),
    name_hint: "Character name",
    save: "Save as character",
    save_hover: "Keeps the first reference picture, with its settings, as a character of the library.",
};

pub const REFERENCE_JA: ReferenceTexts = ReferenceTexts {
    heading: "参照",
    heading_hover: "次の絵に見た目を引き継がせる画像です。キャラクター表や、思いどおりに塗れたページを使うと、ページが変わってもキャラクターの色がそろいます。モデルファイルはいりません（sd-webui-controlnet の reference）。",
    add: "参照を追加",
    unit_title: |n| format!("参照 {n}"),
    remove: "参照を削除",
    no_picture: "画像がまだありません",
    picture_hover: "参照画像を選びます（絵のサイズに合わせて切り抜かれます）。",
    mode: text(
        "モード",
        "参照から何を取り込むか。only は注意機構に参照を見せます（形と色）。adain は全体の色合いとコントラストを参照に合わせます。adain+attn は両方です。",
    ),
    modes: [
        (ReferenceMode::Only, "reference_only"),
        (ReferenceMode::Adain, "reference_adain"),
        (ReferenceMode::AdainAttn, "reference_adain+attn"),
    ],
    weight: text(
        "重み",
        "ネットワークのどこまで参照を効かせるか（0〜2）。1 ですべての注意ブロックに届きます。低いと粗い層だけに効きます。",
    ),
    style_fidelity: text(
        "スタイル忠実度",
        "ガイダンスが参照へ引っぱる強さ（0〜1）。高いほど参照の画風に、低いほどプロンプトに従います。",
    ),
    start: text("開始", "参照が効きはじめるステップの割合です。"),
    end: text("終了", "参照が効かなくなるステップの割合です。"),
    characters: "キャラクター",
    characters_hover: "Nurie のライブラリにあるキャラクターです。このページに出るキャラクターにチェックを入れ、パーツの色を押すとその色でヒントを塗れます。",
    no_characters: "キャラクターはまだいません。下で参照をキャラクターとして保存できます。",
    use_hover: "このキャラクターの参照を次の絵に使います。",
    part_hover: |part, color| format!("{part}の色（{color}）でヒントを塗る"),
    name_hint: "キャラクター名",
    save: "キャラクターとして保存",
    save_hover: "最初の参照画像を、その設定とともにライブラリのキャラクターとして保存します。",
};
