//! The hint layer's words in English and Japanese.

use crate::app::i18n::Language;

use super::palette::SWATCH_COUNT;

/// The toggle, the toolbar's names and explanations, and the swatches' names, in one language.
pub struct HintTexts {
    pub paint_hints: &'static str,
    pub paint_hints_hover: &'static str,
    /// The line art, read out as the place the hints are painted on.
    pub canvas: &'static str,
    pub brush: &'static str,
    pub eraser: &'static str,
    pub eyedropper: &'static str,
    pub eyedropper_hover: &'static str,
    pub size: &'static str,
    pub size_hover: &'static str,
    pub pick_color: &'static str,
    pub recent: &'static str,
    pub undo: &'static str,
    pub redo: &'static str,
    pub clear: &'static str,
    pub clear_hover: &'static str,
    pub strength: &'static str,
    pub strength_hover: &'static str,
    /// The names of [`super::palette::SWATCHES`], in their order.
    pub swatches: [&'static str; SWATCH_COUNT],
}

impl HintTexts {
    pub fn of(language: Language) -> &'static HintTexts {
        match language {
            Language::English => &HINTS_EN,
            Language::Japanese => &HINTS_JA,
        }
    }
}

pub const HINTS_EN: HintTexts = HintTexts {
    paint_hints: "Paint hints",
    paint_hints_hover: "Paint colors on the line art where you want them; the picture follows them. While on, dragging paints \
                        (the middle button still pans).",
    canvas: "Line art to paint hints on",
    brush: "Brush",
    eraser: "Eraser",
    eyedropper: "Eyedropper",
    eyedropper_hover: "Click the line art to take the color the result has there (the hints', before there is a result).",
    size: "Size",
    size_hover: "The brush's width, in pixels of the generated picture.",
    pick_color: "Pick a color",
    recent: "Recent color",
    undo: "Undo",
    redo: "Redo",
    clear: "Clear",
    clear_hover: "Removes every hint (Undo brings them back).",
    strength: "Hint strength",
    strength_hover: "How closely the picture follows the painted colors. 0 ignores them.",
    swatches: [
        "Fair skin",
        "Tan skin",
        "Blonde",
        "Light brown",
        "Dark brown",
        "Black",
        "White",
        "Red",
        "Pink",
        "Yellow",
        "Green",
        "Sky blue",
        "Blue",
        "Purple",
    ],
};

pub const HINTS_JA: HintTexts = HintTexts {
    paint_hints: "色ヒントを塗る",
    paint_hints_hover: "塗りたい色を線画の上に置くと、絵がその色に沿って塗られます。オンの間はドラッグで塗ります（表示の移動は中ボタンで）。",
    canvas: "色ヒントを塗る線画",
    brush: "ブラシ",
    eraser: "消しゴム",
    eyedropper: "スポイト",
    eyedropper_hover: "線画をクリックすると、結果の絵のその場所の色を取ります（結果がまだないときはヒントの色）。",
    size: "太さ",
    size_hover: "ブラシの太さです（生成する絵のピクセル数）。",
    pick_color: "色を選ぶ",
    recent: "最近使った色",
    undo: "元に戻す",
    redo: "やり直す",
    clear: "すべて消す",
    clear_hover: "ヒントをすべて消します（「元に戻す」で戻せます）。",
    strength: "ヒントの強さ",
    strength_hover: "塗った色にどれだけ沿わせるかです。0 にすると色ヒントを使いません。",
    swatches: [
        "肌（色白）",
        "肌（小麦色）",
        "金髪",
        "明るい茶色",
        "こげ茶",
        "黒",
        "白",
        "赤",
        "ピンク",
        "黄色",
        "緑",
        "水色",
        "青",
        "紫",
    ],
};
