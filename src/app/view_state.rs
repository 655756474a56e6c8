//! Zoom and pan shared by the line-art view and the result view, so both show the same part of the
//! picture.

/// The visible part of the picture, in picture-relative coordinates (0..1 on each axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZoomPan {
    /// 1 shows the whole picture; 4 shows a quarter of each side.
    pub zoom: f32,
    /// The picture point at the view's centre.
    pub center: egui::Pos2,
}

impl Default for ZoomPan {
    fn default() -> Self {
        Self { zoom: 1.0, center: egui::pos2(0.5, 0.5) }
    }
}

impl ZoomPan {
    pub const MAX_ZOOM: f32 = 16.0;

    /// The UV rectangle of the picture that is visible.
    pub fn uv_rect(&self) -> egui::Rect {
        let half = 0.5 / self.zoom;
        egui::Rect::from_center_size(self.center, egui::vec2(2.0 * half, 2.0 * half))
    }

    /// Zooms by `factor` around `anchor` (a picture-relative point that stays put).
    pub fn zoom_around(&mut self, factor: f32, anchor: egui::Pos2) {
        let zoom = (self.zoom * factor).clamp(1.0, Self::MAX_ZOOM);
        let kept = zoom / self.zoom;
        self.center = anchor + (self.center - anchor) / kept;
        self.zoom = zoom;
        self.clamp();
    }

    /// Pans by `delta` in picture-relative units.
    pub fn pan(&mut self, delta: egui::Vec2) {
        self.center -= delta;
        self.clamp();
    }

    fn clamp(&mut self) {
        let half = 0.5 / self.zoom;
        self.center.x = self.center.x.clamp(half, 1.0 - half);
        self.center.y = self.center.y.clamp(half, 1.0 - half);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zooming_keeps_the_anchor_and_the_view_inside_the_picture() {
        let mut view = ZoomPan::default();
        assert_eq!(view.uv_rect(), egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)));
        view.zoom_around(2.0, egui::pos2(0.0, 0.0));
        assert_eq!(view.uv_rect(), egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(0.5, 0.5)));
        view.pan(egui::vec2(-10.0, 0.0));
        assert_eq!(view.uv_rect().max.x, 1.0, "panning stops at the edge");
        view.zoom_around(0.1, egui::pos2(0.5, 0.5));
        assert_eq!(view, ZoomPan::default());
    }
}
