//! Pages: every drawing of a chapter's folder colored with the same settings, page after page, each
//! written as soon as it is done and named after its drawing, so that a run stopped anywhere (a crash,
//! a quit) starts again where it stopped: the pages already colored are skipped. A contact sheet shows
//! the chapter's pages side by side; a page colored again keeps its earlier pictures aside.

mod chapter;
mod contact_sheet;
mod earlier;

pub use chapter::{Chapter, ChapterError, Page, SeedPolicy, picture_name};
pub use contact_sheet::{contact_sheet, write_contact_sheet};
pub use earlier::{EARLIER_FOLDER, SetAsideError, make_room, set_aside};
