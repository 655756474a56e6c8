//! Painting on a picture with the pointer, as the color hints and the inpainting mask both do: round
//! dabs joined into strokes ([`brush`]), one undo step per stroke ([`history`]), the picture with its
//! stroke in progress ([`strokes`]), and the pointer's part on screen ([`pointer`]).

pub mod brush;
pub mod history;
pub mod pointer;
pub mod strokes;

pub use brush::{Area, Tip};
pub use history::History;
pub use strokes::{Picture, Strokes};
