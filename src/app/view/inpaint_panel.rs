//! Inpainting in the img2img section: the "Inpaint (mask)" switch, the mask painter over the img2img
//! picture, and A1111's inpaint settings (mask blur, inpaint area and padding, masked content, invert)
//! with Nurie's paste back. They live only in the form's `settings.inpaint`: on is `Some`. Each
//! setting's name and hover explanation, in both languages, are in [`InpaintTexts`] here.

use crate::app::file_picker::Purpose;
use crate::app::i18n::Language;
use crate::app::mask_painter::MaskTexts;
use crate::app::nurie_app::NurieApp;
use crate::metadata::InpaintSettings;
use crate::vocabulary::{InpaintArea, MaskedContent};

use super::labelled::{SettingText, choice, setting_row, text};

/// The inpainting settings' names, explanations and option labels in one language.
pub struct InpaintTexts {
    pub inpaint: SettingText,
    /// Where the mask painter would be, while there is no img2img picture.
    pub no_picture: &'static str,
    pub mask_blur: SettingText,
    pub area: SettingText,
    pub areas: [(InpaintArea, &'static str); 2],
    pub padding: SettingText,
    pub masked_content: SettingText,
    pub masked_contents: [(MaskedContent, &'static str); 4],
    pub paste_back: SettingText,
    pub invert: SettingText,
    pub color_correction: SettingText,
}

impl InpaintTexts {
    pub fn of(language: Language) -> &'static InpaintTexts {
        match language {
            Language::English => &INPAINT_EN,
            Language::Japanese => &INPAINT_JA,
        }
    }

    /// One line for a picture's details: area (and padding), mask blur, masked content.
    pub fn summary(&self, inpaint: &InpaintSettings) -> String {
        let name = |pairs: &[(InpaintArea, &'static str)], value| pairs.iter().find(|(v, _)| *v == value).map_or("", |p| p.1);
        let content = self.masked_contents.iter().find(|(v, _)| *v == inpaint.masked_content).map_or("", |p| p.1);
        let area = match inpaint.area {
            InpaintArea::OnlyMasked => format!("{} (+{} px)", name(&self.areas, inpaint.area), inpaint.padding),
            InpaintArea::Whole => name(&self.areas, inpaint.area).to_string(),
        };
        format!("{area} · {} {} px · {content}", self.mask_blur.name, inpaint.mask_blur)
    }
}

pub const INPAINT_EN: InpaintTexts = InpaintTexts {
    inpaint: text(
        "Inpaint (mask)",
        "Redraws only the part of the img2img picture you paint (the mask); the rest stays as it is.",
    ),
    no_picture: "Open a picture for img2img, or use the line art, to paint the mask on it.",
    mask_blur: text("Mask blur", "How far the mask's edge is softened, in pixels, so the redrawn part blends in."),
    area: text(
        "Inpaint area",
        "Whole picture redraws the mask at the picture's scale; Only masked enlarges the masked part to the generation size first, for more detail in small areas.",
    ),
    areas: [(InpaintArea::Whole, "Whole picture"), (InpaintArea::OnlyMasked, "Only masked")],
    padding: text(
        "Padding",
        "Only masked: how many pixels around the mask are taken along, for the model to see what surrounds it.",
    ),
    masked_content: text(
        "Masked content",
        "What the masked part starts from: fill (the surrounding colors), original (the picture as it is), latent noise (pure noise, for something new), latent nothing (empty).",
    ),
    masked_contents: [
        (MaskedContent::Fill, "fill"),
        (MaskedContent::Original, "original"),
        (MaskedContent::LatentNoise, "latent noise"),
        (MaskedContent::LatentNothing, "latent nothing"),
    ],
    paste_back: text(
        "Paste back",
        "Puts the picture's own pixels back outside the mask after drawing, so only the masked part changes at all.",
    ),
    invert: text("Invert mask", "Redraws what is not painted and keeps what is."),
    color_correction: text(
        "Color correction",
        "Matches the redrawn colors to the picture's before pasting back (A1111's color correction), so the new part does not drift in hue.",
    ),
};

pub const INPAINT_JA: InpaintTexts = InpaintTexts {
    inpaint: text(
        "インペイント（マスク）",
        "img2img の絵のうち、塗った部分（マスク）だけを描き直します。ほかの部分はそのまま残ります。",
    ),
    no_picture: "img2img の絵を開くか線画を使うと、その上にマスクを塗れます。",
    mask_blur: text("マスクのぼかし", "描き直した部分がなじむように、マスクの縁をぼかす幅です（ピクセル）。"),
    area: text(
        "描き直す範囲",
        "「画像全体」は絵全体の縮尺でマスク部分を描き直します。「マスク部分のみ」はマスク部分を生成サイズまで拡大してから描くので、小さな部分も細かく描けます。",
    ),
    areas: [(InpaintArea::Whole, "画像全体"), (InpaintArea::OnlyMasked, "マスク部分のみ")],
    padding: text("余白", "「マスク部分のみ」で、マスクのまわりを何ピクセル含めるかです。まわりの様子がモデルに伝わります。"),
    masked_content: text(
        "マスク部分の初期状態",
        "マスク部分を何から描き始めるかです。塗りつぶし（まわりの色）、元の画像（そのまま）、潜在ノイズ（新しく描くとき）、潜在ゼロ（空）。",
    ),
    masked_contents: [
        (MaskedContent::Fill, "塗りつぶし"),
        (MaskedContent::Original, "元の画像"),
        (MaskedContent::LatentNoise, "潜在ノイズ"),
        (MaskedContent::LatentNothing, "潜在ゼロ"),
    ],
    paste_back: text("元の画素を戻す", "描いたあと、マスクの外に元の絵の画素を戻します。マスク部分だけが変わります。"),
    invert: text("マスクを反転", "塗っていない部分を描き直し、塗った部分を残します。"),
    color_correction: text(
        "色補正",
        "描き直した部分の色を元の絵の色合いに合わせてから戻します（A1111 の色補正）。色味がずれにくくなります。",
    ),
};

/// The switch and, while it is on, the painter and the settings.
pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = InpaintTexts::of(app.settings.language());
    let inpaint = &mut app.settings.form.settings.inpaint;
    let mut on = inpaint.is_some();
    if ui.checkbox(&mut on, texts.inpaint.name).on_hover_text(texts.inpaint.hover).changed() {
        *inpaint = on.then(InpaintSettings::default);
    }
    if !on {
        return;
    }
    mask_painter(app, ui, texts);
    if let Some(settings) = &mut app.settings.form.settings.inpaint {
        settings_grid(ui, texts, settings);
    }
}

/// The painter over the img2img picture, or what to do to have one.
fn mask_painter(app: &mut NurieApp, ui: &mut egui::Ui, texts: &InpaintTexts) {
    let Some(picture) = app.settings.form.init_image.clone() else {
        ui.label(egui::RichText::new(texts.no_picture).weak());
        return;
    };
    if app.mask.ui(ui, &picture, MaskTexts::of(app.settings.language())) {
        app.pick(Purpose::Mask, None);
    }
}

fn settings_grid(ui: &mut egui::Ui, texts: &InpaintTexts, settings: &mut InpaintSettings) {
    egui::Grid::new("inpaint-settings").num_columns(2).spacing([8.0, 6.0]).show(ui, |ui| {
        setting_row(ui, texts.mask_blur, egui::Slider::new(&mut settings.mask_blur, 0..=64));
        choice(ui, texts.area, "inpaint-area", &mut settings.area, &texts.areas);
        if settings.area == InpaintArea::OnlyMasked {
            setting_row(ui, texts.padding, egui::Slider::new(&mut settings.padding, 0..=256));
        }
        choice(ui, texts.masked_content, "masked-content", &mut settings.masked_content, &texts.masked_contents);
        ui.label("");
        ui.checkbox(&mut settings.paste_back, texts.paste_back.name).on_hover_text(texts.paste_back.hover);
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut settings.invert, texts.invert.name).on_hover_text(texts.invert.hover);
        ui.end_row();
        ui.label("");
        ui.checkbox(&mut settings.color_correction, texts.color_correction.name).on_hover_text(texts.color_correction.hover);
        ui.end_row();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_inpaint_setting_is_explained_in_both_languages() {
        let pairs = |t: &InpaintTexts| {
            [t.inpaint, t.mask_blur, t.area, t.padding, t.masked_content, t.paste_back, t.invert, t.color_correction]
        };
        for (en, ja) in pairs(&INPAINT_EN).iter().zip(pairs(&INPAINT_JA)) {
            assert!(!en.hover.is_empty() && !ja.hover.is_empty(), "{}", en.name);
            assert_ne!(en.hover, ja.hover, "{} is not translated", en.name);
        }
        let options = |t: &InpaintTexts| t.masked_contents.map(|(value, _)| value);
        assert_eq!(options(&INPAINT_EN), options(&INPAINT_JA));
        assert_eq!(options(&INPAINT_EN).as_slice(), <MaskedContent as crate::vocabulary::Choice>::ALL);
    }

    #[test]
    fn a_picture_s_inpainting_is_summed_up_in_one_line() {
        let inpaint = InpaintSettings {
            area: InpaintArea::OnlyMasked,
            padding: 8,
            masked_content: MaskedContent::Fill,
            ..InpaintSettings::default()
        };
        assert_eq!(INPAINT_EN.summary(&inpaint), "Only masked (+8 px) · Mask blur 4 px · fill");
        assert_eq!(INPAINT_JA.summary(&inpaint), "マスク部分のみ (+8 px) · マスクのぼかし 4 px · 塗りつぶし");
    }
}
