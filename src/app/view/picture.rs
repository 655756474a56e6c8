//! Pictures in the line-art and result views. Both views show the generation's frame (its aspect
//! ratio) under one shared zoom/pan; each picture is placed in that frame where it lands in the
//! result (see [`placement`]), so the same point of the drawing is under the same pixel in both.

use crate::app::view_state::ZoomPan;
use crate::vocabulary::ResizeMode;

/// Where a `source`-sized picture lands in a `target`-sized result, in result-relative coordinates
/// (0..1 is the result; crop-and-resize overflows it, resize-and-fill stays inside), as the hint is
/// made from it.
pub fn placement(source: (u32, u32), target: (u32, u32), mode: ResizeMode) -> egui::Rect {
    let (sw, sh) = (source.0.max(1) as f32, source.1.max(1) as f32);
    let (tw, th) = (target.0.max(1) as f32, target.1.max(1) as f32);
    let scale = match mode {
        ResizeMode::JustResize => return egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
        ResizeMode::CropAndResize => (tw / sw).max(th / sh),
        ResizeMode::ResizeAndFill => (tw / sw).min(th / sh),
    };
    let size = egui::vec2(sw * scale / tw, sh * scale / th);
    egui::Rect::from_center_size(egui::pos2(0.5, 0.5), size)
}

/// The largest rectangle of `aspect` (width / height) centred in `area`.
pub fn fitted(area: egui::Rect, aspect: f32) -> egui::Rect {
    let size = if area.width() / area.height().max(1.0) > aspect {
        egui::vec2(area.height() * aspect, area.height())
    } else {
        egui::vec2(area.width(), area.width() / aspect.max(1e-3))
    };
    egui::Rect::from_center_size(area.center(), size)
}

/// Allocates `size` and returns the response and the frame rectangle of `aspect` inside it; drag
/// pans, the wheel zooms around the pointer and a double click fits, in the shared `view`.
pub fn frame(ui: &mut egui::Ui, size: egui::Vec2, view: &mut ZoomPan, aspect: f32) -> (egui::Response, egui::Rect) {
    framed(ui, size, view, aspect, true)
}

/// As [`frame`], for painting on: the primary button is left to the caller, the middle one pans.
pub fn canvas(ui: &mut egui::Ui, size: egui::Vec2, view: &mut ZoomPan, aspect: f32) -> (egui::Response, egui::Rect) {
    framed(ui, size, view, aspect, false)
}

fn framed(
    ui: &mut egui::Ui,
    size: egui::Vec2,
    view: &mut ZoomPan,
    aspect: f32,
    primary_pans: bool,
) -> (egui::Response, egui::Rect) {
    let (area, response) = ui.allocate_exact_size(size, egui::Sense::click_and_drag());
    let rect = fitted(area, aspect);
    interact(ui, &response, rect, view, primary_pans);
    ui.painter().rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    (response, rect)
}

/// Paints `texture`, placed at `placement` in the frame, as the view sees it, clipped to `clip`.
pub fn paint(
    painter: &egui::Painter,
    rect: egui::Rect,
    clip: egui::Rect,
    view: &ZoomPan,
    texture: egui::TextureId,
    placement: egui::Rect,
) {
    let screen = on_screen(rect, view, placement);
    let full_uv = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
    painter.with_clip_rect(clip.intersect(rect)).image(texture, screen, full_uv, egui::Color32::WHITE);
}

/// Where `placement` (frame-relative, see [`placement`]) lies on screen in the frame `rect` as the view
/// sees it; with the whole frame (0..1) it maps the pointer back to the picture too.
pub fn on_screen(rect: egui::Rect, view: &ZoomPan, placement: egui::Rect) -> egui::Rect {
    let uv = view.uv_rect();
    let to_screen = |p: egui::Pos2| rect.min + ((p - uv.min) / uv.size()) * rect.size();
    egui::Rect::from_min_max(to_screen(placement.min), to_screen(placement.max))
}

fn interact(ui: &egui::Ui, response: &egui::Response, rect: egui::Rect, view: &mut ZoomPan, primary_pans: bool) {
    let uv = view.uv_rect();
    let panning =
        (primary_pans && response.dragged_by(egui::PointerButton::Primary)) || response.dragged_by(egui::PointerButton::Middle);
    if panning {
        let delta = response.drag_delta();
        view.pan(egui::vec2(delta.x / rect.width() * uv.width(), delta.y / rect.height() * uv.height()));
    }
    if primary_pans && response.double_clicked() {
        *view = ZoomPan::default();
    }
    if let Some(pointer) = response.hover_pos() {
        let scroll = ui.input(|i| i.smooth_scroll_delta.y);
        if scroll != 0.0 {
            let relative = (pointer - rect.min) / rect.size();
            let anchor = uv.min + relative * uv.size();
            view.zoom_around((scroll / 200.0).exp(), anchor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placements_follow_the_resize_mode() {
        let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        assert_eq!(placement((2000, 1000), (512, 512), ResizeMode::JustResize), whole);
        // A 2:1 drawing cropped into a square: twice as wide as the result, centred.
        let crop = placement((2000, 1000), (512, 512), ResizeMode::CropAndResize);
        assert!((crop.width() - 2.0).abs() < 1e-5 && (crop.height() - 1.0).abs() < 1e-5 && (crop.min.x + 0.5).abs() < 1e-5);
        // The same drawing fitted inside: full width, half height.
        let fill = placement((2000, 1000), (512, 512), ResizeMode::ResizeAndFill);
        assert!((fill.height() - 0.5).abs() < 1e-5 && (fill.min.y - 0.25).abs() < 1e-5);
    }

    #[test]
    fn the_frame_on_screen_follows_the_zoom() {
        let rect = egui::Rect::from_min_size(egui::pos2(10.0, 20.0), egui::vec2(100.0, 200.0));
        let whole = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0));
        assert_eq!(on_screen(rect, &ZoomPan::default(), whole), rect);
        let mut view = ZoomPan::default();
        view.zoom_around(2.0, egui::pos2(0.0, 0.0));
        let zoomed = on_screen(rect, &view, whole);
        assert_eq!((zoomed.min, zoomed.size()), (rect.min, egui::vec2(200.0, 400.0)));
    }
}
