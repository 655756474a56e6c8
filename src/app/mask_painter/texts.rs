//! The mask painter's words in English and Japanese.

use crate::app::i18n::Language;

/// The canvas's name, the toolbar's names and explanations, and what is said while the picture loads.
pub struct MaskTexts {
    /// The picture, read out as the place the mask is painted on.
    pub canvas: &'static str,
    /// Under the canvas: what painting does and how to move around.
    pub how_to: &'static str,
    pub brush: &'static str,
    pub brush_hover: &'static str,
    pub eraser: &'static str,
    pub eraser_hover: &'static str,
    pub size: &'static str,
    pub size_hover: &'static str,
    pub feather: &'static str,
    pub feather_hover: &'static str,
    pub undo: &'static str,
    pub redo: &'static str,
    pub invert: &'static str,
    pub invert_hover: &'static str,
    pub clear: &'static str,
    pub clear_hover: &'static str,
    pub load_mask: &'static str,
    pub load_mask_hover: &'static str,
    pub fit: &'static str,
    pub fit_hover: &'static str,
    pub loading: &'static str,
    /// Before why the picture or a mask file could not be read.
    pub unreadable: &'static str,
}

impl MaskTexts {
    pub fn of(language: Language) -> &'static MaskTexts {
        match language {
            Language::English => &MASK_EN,
            Language::Japanese => &MASK_JA,
        }
    }
}

pub const MASK_EN: MaskTexts = MaskTexts {
    canvas: "Picture to paint the mask on",
    how_to: "Paint where the picture is redrawn. The wheel zooms, the middle button pans.",
    brush: "Brush",
    brush_hover: "Marks the part to redraw.",
    eraser: "Eraser",
    eraser_hover: "Takes marks away: that part is kept.",
    size: "Size",
    size_hover: "The brush's width, in pixels of the picture.",
    feather: "Feather",
    feather_hover: "How soft the brush's edge is: 0 is a hard edge, 1 fades from the middle out.",
    undo: "Undo",
    redo: "Redo",
    invert: "Invert",
    invert_hover: "Marks what is not marked and unmarks what is (Undo brings it back).",
    clear: "Clear mask",
    clear_hover: "Removes every mark (Undo brings them back).",
    load_mask: "Load mask…",
    load_mask_hover: "Uses a picture as the mask: white (or opaque) parts are redrawn, black (or transparent) ones kept.",
    fit: "Fit",
    fit_hover: "Shows the whole picture again.",
    loading: "Loading the picture…",
    unreadable: "Cannot read the picture",
};

pub const MASK_JA: MaskTexts = MaskTexts {
    canvas: "マスクを塗る絵",
    how_to: "描き直す部分を塗ります。ホイールで拡大縮小、中ボタンで表示を移動します。",
    brush: "ブラシ",
    brush_hover: "描き直す部分に印を付けます。",
    eraser: "消しゴム",
    eraser_hover: "印を消します。消した部分は元の絵のまま残ります。",
    size: "太さ",
    size_hover: "ブラシの太さです（絵のピクセル数）。",
    feather: "縁のぼかし",
    feather_hover: "ブラシの縁のやわらかさです。0 でくっきり、1 で中心から外へぼけます。",
    undo: "元に戻す",
    redo: "やり直す",
    invert: "反転",
    invert_hover: "塗った部分と塗っていない部分を入れ替えます（「元に戻す」で戻せます）。",
    clear: "マスクを消す",
    clear_hover: "印をすべて消します（「元に戻す」で戻せます）。",
    load_mask: "マスクを読み込む…",
    load_mask_hover: "画像をマスクとして使います。白い（不透明な）部分を描き直し、黒い（透明な）部分を残します。",
    fit: "全体を表示",
    fit_hover: "絵の全体をもう一度表示します。",
    loading: "絵を読み込み中…",
    unreadable: "絵を読み込めません",
};
