//! One card of the LoRA and embedding browser: the network's preview picture (or an empty frame) with
//! its name under it, clickable as a whole and named for screen readers by the network's name.

/// The card's width; its picture is square.
pub const WIDTH: f32 = 104.0;
const NAME_HEIGHT: f32 = 30.0;

/// Draws a card; `picture` is asked for only when the card is on screen (decoding is not free).
pub fn card<'t>(ui: &mut egui::Ui, name: &str, picture: impl FnOnce() -> Option<&'t egui::TextureHandle>) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(WIDTH, WIDTH + NAME_HEIGHT), egui::Sense::click());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::accesskit::Role::Button, ui.is_enabled(), name));
    if !ui.is_rect_visible(rect) {
        return response;
    }
    let visuals = ui.style().interact(&response);
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, visuals.corner_radius, ui.visuals().extreme_bg_color);
    let picture_rect = egui::Rect::from_min_size(rect.min, egui::vec2(WIDTH, WIDTH)).shrink(2.0);
    if let Some(texture) = picture() {
        let fitted = fit(texture.size_vec2(), picture_rect);
        egui::Image::new(texture).paint_at(ui, fitted);
    }
    let name_rect = egui::Rect::from_min_max(egui::pos2(rect.min.x + 4.0, picture_rect.max.y + 2.0), rect.max);
    let mut job = egui::text::LayoutJob::simple(
        name.to_string(),
        egui::TextStyle::Small.resolve(ui.style()),
        visuals.text_color(),
        name_rect.width() - 4.0,
    );
    job.wrap.max_rows = 2;
    job.wrap.break_anywhere = true;
    let galley = ui.fonts_mut(|fonts| fonts.layout_job(job));
    painter.galley(name_rect.min, galley, visuals.text_color());
    painter.rect_stroke(rect, visuals.corner_radius, visuals.bg_stroke, egui::StrokeKind::Inside);
    response
}

/// `size` scaled to fit `space`, centred.
fn fit(size: egui::Vec2, space: egui::Rect) -> egui::Rect {
    let scale = (space.width() / size.x.max(1.0)).min(space.height() / size.y.max(1.0));
    egui::Rect::from_center_size(space.center(), size * scale)
}
