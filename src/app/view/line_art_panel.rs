//! The line-art units: each shows its line art (zoom and pan shared with the result), the processed
//! hint, and its settings. Files are dropped on a unit, pasted or opened. Each unit setting's name and
//! hover explanation, in both languages, are in [`UnitTexts`] here.

use crate::app::color_hints::HintTexts;
use crate::app::file_picker::Purpose;
use crate::app::form::UnitForm;
use crate::app::i18n::Language;
use crate::app::nurie_app::NurieApp;
use crate::model_library::ModelKind;
use crate::vocabulary::{ControlMode, Polarity, Preprocessor, ResizeMode};

use super::labelled::{SettingText, choice, setting_row, text};
use super::model_bar::models_of;
use super::model_combo::{ComboChoice, ModelCombo, file_name};
use super::picture;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts();
    ui.heading(texts.line_art);
    let mut drop_target = None;
    let mut removed = None;
    for unit in 0..app.settings.form.units.len() {
        let frame = egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            if unit_header(app, ui, unit) {
                removed = Some(unit);
            }
            line_art_view(app, ui, unit);
            unit_settings(app, ui, unit);
        });
        if ui.ctx().input(|i| !i.raw.hovered_files.is_empty()) && frame.response.contains_pointer() {
            drop_target = Some(unit);
            ui.painter().rect_stroke(
                frame.response.rect,
                4.0,
                egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
                egui::StrokeKind::Inside,
            );
        }
        ui.add_space(6.0);
    }
    if let Some(unit) = removed {
        app.settings.form.units.remove(unit);
        app.units.clear();
    }
    if ui.button(format!("+ {}", texts.add_unit)).clicked() {
        app.settings.form.units.push(UnitForm::default());
    }
    app.drop_target = drop_target;
}

/// "Unit n" with its on/off switch and a remove button; returns whether it was removed.
fn unit_header(app: &mut NurieApp, ui: &mut egui::Ui, unit: usize) -> bool {
    let texts = app.texts();
    let count = app.settings.form.units.len();
    let form = &mut app.settings.form.units[unit];
    let mut removed = false;
    ui.horizontal(|ui| {
        ui.checkbox(&mut form.enabled, egui::RichText::new((texts.unit_title)(unit + 1)).strong());
        if count > 1 && ui.small_button(texts.remove_unit).clicked() {
            removed = true;
        }
    });
    removed
}

/// The line art and its hint side by side, or the drop zone when the unit has none.
fn line_art_view(app: &mut NurieApp, ui: &mut egui::Ui, unit: usize) {
    let texts = app.texts();
    let view = app.units.get(unit);
    let textures = view.and_then(|v| v.line_art.clone().zip(v.hint.clone()));
    let size = (app.settings.form.settings.width, app.settings.form.settings.height);
    let aspect = size.0 as f32 / size.1.max(1) as f32;
    match textures {
        Some((art, hint)) => {
            let full_size = view.and_then(|v| v.full_size).unwrap_or((1, 1));
            let hints_here = hints_unit(app) == Some(unit);
            if hints_here {
                hint_controls(app, ui);
            }
            let painting = hints_here && app.hints.painting;
            let width = ui.available_width();
            let place = picture::placement(full_size, size, app.settings.form.units[unit].line_art_settings.resize_mode);
            let frame = if painting { picture::canvas } else { picture::frame };
            let (response, rect) = frame(ui, egui::vec2(width, width / aspect.max(0.25)), &mut app.view, aspect);
            picture::paint(ui.painter(), rect, rect, &app.view, art.id(), place);
            if hints_here {
                hints_over_line_art(app, ui, &response, rect, painting);
            }
            ui.horizontal(|ui| {
                ui.label(texts.processed_hint);
                let size = egui::vec2(96.0 * aspect.min(2.0), 96.0 / aspect.max(0.5));
                ui.add(egui::Image::new(&hint).fit_to_exact_size(size));
                ui.small(format!("{}×{}", full_size.0, full_size.1));
            });
        }
        None => {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 120.0), egui::Sense::hover());
            ui.painter().rect_stroke(rect, 6.0, egui::Stroke::new(1.0, ui.visuals().weak_text_color()), egui::StrokeKind::Inside);
            let loading = app.settings.form.units[unit].line_art.is_some() && view.is_some_and(|v| v.error.is_none());
            let message = if loading { format!("{}…", texts.loading) } else { texts.drop_line_art.to_string() };
            ui.painter().text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                message,
                egui::FontId::proportional(14.0),
                ui.visuals().text_color(),
            );
        }
    }
    ui.horizontal(|ui| {
        if ui.button(texts.open_image).clicked() {
            app.pick(Purpose::LineArt(unit), None);
        }
        if ui.button(texts.paste).clicked() {
            app.paste_line_art(unit);
        }
        if let Some(path) = app.settings.form.units[unit].line_art.clone() {
            ui.small(file_name(&path)).on_hover_text(path.display().to_string());
        }
    });
}

/// The unit the color hints are painted on (one layer serves the whole form): the first one showing
/// its line art.
fn hints_unit(app: &NurieApp) -> Option<usize> {
    app.units.iter().position(|view| view.line_art.is_some())
}

/// The "Paint hints" toggle and, while it is on, the hint layer's toolbar.
fn hint_controls(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = HintTexts::of(app.settings.language());
    app.hints.toggle(ui, texts);
    if app.hints.painting {
        app.hints.toolbar(ui, texts);
        hint_strength(ui, texts, &mut app.settings.form.settings.hint_strength);
    }
}

/// The hint strength slider; the engine's default until the user moves it.
fn hint_strength(ui: &mut egui::Ui, texts: &HintTexts, strength: &mut Option<f64>) {
    let mut value = strength.unwrap_or(crate::metadata::DEFAULT_HINT_STRENGTH);
    ui.horizontal(|ui| {
        let label = ui.label(texts.strength).on_hover_text(texts.strength_hover);
        let slider = ui.add(egui::Slider::new(&mut value, 0.0..=1.0).step_by(0.05)).labelled_by(label.id);
        if slider.on_hover_text(texts.strength_hover).changed() {
            *strength = Some(value);
        }
    });
}

/// The hints over the line art in `rect` (the generation frame): painted on with the pointer while
/// `painting`, shown always.
fn hints_over_line_art(app: &mut NurieApp, ui: &egui::Ui, response: &egui::Response, rect: egui::Rect, painting: bool) {
    let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
    let screen = picture::on_screen(rect, &app.view, whole);
    let label = HintTexts::of(app.settings.language()).canvas;
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, label));
    if painting {
        let result = finished_result(app);
        app.hints.paint_with_pointer(ui, response, screen, result.as_deref());
    }
    app.hints.show_overlay(ui, screen, rect);
    if painting {
        app.hints.show_cursor(ui, response, screen);
    }
}

/// The pixels of the finished picture on view in the result (not a running job's preview), for the
/// eyedropper.
fn finished_result(app: &NurieApp) -> Option<std::sync::Arc<image::RgbImage>> {
    let finished = app.shown.as_ref().is_some_and(|shown| !shown.is_preview);
    app.gallery.selected().filter(|_| finished).map(|item| item.image.clone())
}

fn unit_settings(app: &mut NurieApp, ui: &mut egui::Ui, unit: usize) {
    let texts = app.texts();
    let words = UnitTexts::of(app.settings.language());
    ui.horizontal(|ui| {
        let label = ui.label(texts.controlnet).on_hover_text(words.controlnet_hover);
        let id = format!("controlnet-{unit}");
        let current = app.settings.form.units[unit].controlnet.as_deref();
        let combo = ModelCombo {
            id: &id,
            label: Some(label.id),
            ..models_of(app, ModelKind::ControlNet, current, &app.settings.recent.controlnets)
        };
        match combo.show(ui, texts) {
            Some(ComboChoice::Model(Some(path))) => app.choose_controlnet(unit, &path),
            Some(ComboChoice::AddFolder) => app.pick(Purpose::ModelFolder, None),
            _ => {}
        }
        if ui.button(texts.browse).on_hover_text(words.controlnet_hover).clicked() {
            app.pick(Purpose::ControlNet(unit), None);
        }
    });
    let form = &mut app.settings.form.units[unit];
    let art = &mut form.line_art_settings;
    let guidance = &mut form.guidance;
    egui::Grid::new(("unit-settings", unit)).num_columns(2).show(ui, |ui| {
        choice(ui, words.polarity, ("polarity", unit), &mut art.polarity, &words.polarities);
        choice(ui, words.preprocessor, ("preprocessor", unit), &mut art.preprocessor, &PREPROCESSORS);
        if art.preprocessor == Preprocessor::Binarize {
            setting_row(ui, words.threshold, egui::Slider::new(&mut art.threshold, 0..=255));
        }
        choice(ui, words.resize_mode, ("resize", unit), &mut art.resize_mode, &words.resize_modes);
        setting_row(ui, words.weight, egui::Slider::new(&mut guidance.weight, 0.0..=2.0).step_by(0.05));
        setting_row(ui, words.guidance_start, egui::Slider::new(&mut guidance.guidance_start, 0.0..=1.0).step_by(0.01));
        setting_row(ui, words.guidance_end, egui::Slider::new(&mut guidance.guidance_end, 0.0..=1.0).step_by(0.01));
        choice(ui, words.control_mode, ("mode", unit), &mut guidance.control_mode, &words.control_modes);
    });
    if guidance.guidance_start > guidance.guidance_end {
        guidance.guidance_end = guidance.guidance_start;
    }
}

/// sd-webui-controlnet's own names: users know the preprocessors by them.
const PREPROCESSORS: [(Preprocessor, &str); 4] = [
    (Preprocessor::None, "none"),
    (Preprocessor::Invert, "invert"),
    (Preprocessor::Binarize, "binarize"),
    (Preprocessor::LineartStandard, "lineart_standard"),
];

/// A unit's settings: names, explanations and option labels in one language.
pub struct UnitTexts {
    pub controlnet_hover: &'static str,
    pub polarity: SettingText,
    pub polarities: [(Polarity, &'static str); 3],
    pub preprocessor: SettingText,
    pub threshold: SettingText,
    pub resize_mode: SettingText,
    pub resize_modes: [(ResizeMode, &'static str); 3],
    pub weight: SettingText,
    pub guidance_start: SettingText,
    pub guidance_end: SettingText,
    pub control_mode: SettingText,
    pub control_modes: [(ControlMode, &'static str); 3],
}

impl UnitTexts {
    pub fn of(language: Language) -> &'static UnitTexts {
        match language {
            Language::English => &UNIT_EN,
            Language::Japanese => &UNIT_JA,
        }
    }
}

pub const UNIT_EN: UnitTexts = UnitTexts {
    controlnet_hover: "The ControlNet model that makes the picture follow the line art: control_v11p_sd15_lineart for most drawings, the anime one for anime line art.",
    polarity: text(
        "Polarity",
        "Which way round the drawing is. Detect looks at its border; choose by hand when a dark picture is misread.",
    ),
    polarities: [
        (Polarity::Auto, "Detect"),
        (Polarity::BlackOnWhite, "Black lines on white"),
        (Polarity::WhiteOnBlack, "White lines on black"),
    ],
    preprocessor: text(
        "Preprocessor",
        "How the drawing becomes the hint the ControlNet sees: none uses the lines as drawn, binarize makes them pure black and white, lineart_standard extracts lines from a shaded sketch.",
    ),
    threshold: text("Threshold", "Binarize: pixels darker than this become lines."),
    resize_mode: text(
        "Resize mode",
        "How the drawing is fitted to a picture of another shape: stretched, cropped to fill it, or fitted inside it with a border.",
    ),
    resize_modes: [
        (ResizeMode::JustResize, "Just resize"),
        (ResizeMode::CropAndResize, "Crop and resize"),
        (ResizeMode::ResizeAndFill, "Resize and fill"),
    ],
    weight: text(
        "Weight",
        "How strongly the lines guide the picture. 1 is the usual strength; lower lets the model stray from the lines.",
    ),
    guidance_start: text("Start", "When the lines start guiding, as a fraction of the steps (0 = from the first step)."),
    guidance_end: text(
        "End",
        "When the lines stop guiding, as a fraction of the steps (1 = until the last step). Ending earlier lets the model finish details freely.",
    ),
    control_mode: text("Control mode", "Whether the lines or the prompt win where they disagree. Balanced weighs both."),
    control_modes: [
        (ControlMode::Balanced, "Balanced"),
        (ControlMode::PromptMoreImportant, "My prompt is more important"),
        (ControlMode::ControlNetMoreImportant, "ControlNet is more important"),
    ],
};

pub const UNIT_JA: UnitTexts = UnitTexts {
    controlnet_hover: "絵を線画に沿わせる ControlNet モデルです。ふつうの線画には control_v11p_sd15_lineart、アニメ調の線画にはアニメ用を。",
    polarity: text(
        "線の色",
        "線画が白地に黒線か、黒地に白線かです。「自動判定」は絵の縁を見て決めます。暗い絵で誤るときは手で選んでください。",
    ),
    polarities: [(Polarity::Auto, "自動判定"), (Polarity::BlackOnWhite, "白地に黒線"), (Polarity::WhiteOnBlack, "黒地に白線")],
    preprocessor: text(
        "プリプロセッサ",
        "線画を ControlNet に渡すヒントにする方法です。none は描いたままの線、binarize は白黒にはっきり分け、lineart_standard は陰影のある下描きから線を取り出します。",
    ),
    threshold: text("しきい値", "binarize：これより暗い画素を線にします。"),
    resize_mode: text(
        "リサイズ方法",
        "縦横比の違う絵に線画を合わせる方法です。引き伸ばす、はみ出た部分を切り抜く、余白を付けて収める、のどれかです。",
    ),
    resize_modes: [
        (ResizeMode::JustResize, "そのまま拡縮"),
        (ResizeMode::CropAndResize, "切り抜いて拡縮"),
        (ResizeMode::ResizeAndFill, "拡縮して余白を埋める"),
    ],
    weight: text("強さ", "線画がどれだけ強く絵を導くかです。ふつうは 1。下げると線から離れて描くようになります。"),
    guidance_start: text("開始", "線画が導き始める時点です（ステップ全体に対する割合、0 は最初から）。"),
    guidance_end: text(
        "終了",
        "線画が導くのをやめる時点です（ステップ全体に対する割合、1 は最後まで）。早めに終えると細部を自由に仕上げます。",
    ),
    control_mode: text(
        "コントロールモード",
        "線画とプロンプトが食い違うとき、どちらを優先するかです。「バランス」は両方を同じように扱います。",
    ),
    control_modes: [
        (ControlMode::Balanced, "バランス"),
        (ControlMode::PromptMoreImportant, "プロンプト重視"),
        (ControlMode::ControlNetMoreImportant, "ControlNet 重視"),
    ],
};
