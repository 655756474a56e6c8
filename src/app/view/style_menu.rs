//! The Styles menu beside the prompt: A1111's saved styles (`styles.csv` of the A1111 and Forge
//! installs found), each applied to the prompt and the negative prompt as A1111 applies it.

use crate::app::nurie_app::NurieApp;

pub fn show(app: &mut NurieApp, ui: &mut egui::Ui) {
    let texts = app.texts().networks;
    let menu = ui.menu_button(texts.styles, |ui| {
        let Some(listing) = app.networks.listing() else {
            ui.spinner();
            return None;
        };
        if listing.styles.is_empty() {
            ui.label(texts.no_styles);
        }
        let mut chosen = None;
        for (index, style) in listing.styles.iter().enumerate() {
            let hover = |ui: &mut egui::Ui| {
                ui.label((texts.style_hover)(&style.prompt, &style.negative_prompt));
            };
            if ui.button(&style.name).on_hover_ui(hover).clicked() {
                chosen = Some(index);
            }
        }
        chosen
    });
    menu.response.on_hover_text(texts.styles_hover);
    let Some(Some(index)) = menu.inner else { return };
    let Some(style) = app.networks.listing().and_then(|listing| listing.styles.get(index)).cloned() else { return };
    let settings = &mut app.settings.form.settings;
    (settings.prompt, settings.negative_prompt) = style.apply(&settings.prompt, &settings.negative_prompt);
}
