//! The bundled Japanese font.
//!
//! egui's default fonts (Ubuntu-Light, Hack) cover Latin, Greek and Cyrillic only, and Nurie
//! builds eframe without its `system_fonts` lookup, so without a bundled font every Japanese
//! prompt and label would be drawn as boxes ("tofu"). The bundled font is the Japanese face of
//! Noto Sans CJK, subset to ASCII, Latin-1, kana, CJK punctuation, half/fullwidth forms, all of
//! JIS X 0208 (kanji levels 1 and 2) and the Jōyō kanji; `scripts/subset-font.sh` builds it,
//! `assets/fonts/README.md` says how, and `assets/fonts/OFL.txt` is its license.

use egui::{FontData, FontFamily, FontInsert, FontPriority, InsertFontFamily};

/// The name the bundled font is registered under in egui's font definitions.
pub const JAPANESE_FONT_NAME: &str = "NotoSansJP-Regular-subset";

/// Noto Sans CJK JP Regular, subset (CFF outlines, which egui's `skrifa` rasterizer reads).
static JAPANESE_FONT: &[u8] = include_bytes!("../../assets/fonts/NotoSansJP-Regular-subset.otf");

/// Adds the bundled Japanese font as the last fallback of both the proportional and the
/// monospace family: Latin text keeps egui's look, and only characters egui's fonts lack
/// (kana, kanji, CJK punctuation) come from Noto. Calling it again does nothing.
pub fn install_fonts(ctx: &egui::Context) {
    ctx.add_font(FontInsert::new(
        JAPANESE_FONT_NAME,
        FontData::from_static(JAPANESE_FONT),
        vec![last_fallback_of(FontFamily::Proportional), last_fallback_of(FontFamily::Monospace)],
    ));
}

fn last_fallback_of(family: FontFamily) -> InsertFontFamily {
    InsertFontFamily { family, priority: FontPriority::Lowest }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Context, FontId, MissingGlyphPolicy, RawInput};
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// A prompt and UI words: kanji of JIS level 1, hiragana, katakana, the ideographic space.
    const SAMPLE: &str = "線画に色を塗る　ぬりえ カタカナ 漢字";

    /// JIS X 0208 level-2 kanji (row-cell, checked with Python's EUC-JP codec): 弌 48-01 (the
    /// first), 蘊 73-30, 鑿 79-56, 熙 84-06 (the last).
    const LEVEL_2_KANJI: &str = "弌蘊鑿熙";

    /// The 2010 Jōyō forms that JIS X 0208 lacks (it has 叱 填 剥 頬 instead).
    const JOYO_OUTSIDE_JIS_X_0208: &str = "𠮟塡剝頰";

    /// Kana with voiced marks, small kana, the phonetic extensions, halfwidth katakana and
    /// fullwidth/CJK punctuation.
    const KANA_AND_PUNCTUATION: &str = "ゔがぱゃっヴヷヶㇰㇿｱｶﾞﾟ。、「」『』〜・ー！？（）";

    fn context_with(install: bool) -> Context {
        let ctx = Context::default();
        if install {
            install_fonts(&ctx);
        }
        // Fonts exist only once a pass has run.
        run_pass(&ctx, |_| {});
        ctx
    }

    /// One pass of `show`, its output dropped (there is no renderer to hand textures to).
    fn run_pass(ctx: &Context, show: impl FnMut(&mut egui::Ui)) {
        ctx.run_ui(RawInput::default(), show).drop_without_applying_deltas();
    }

    fn has_glyphs(ctx: &Context, font_id: &FontId, text: &str) -> bool {
        ctx.fonts_mut(|fonts| fonts.has_glyphs(font_id, text))
    }

    /// Runs a pass showing `text` in labels, with egui set to panic instead of drawing tofu;
    /// returns that panic's message: which character had no glyph.
    fn tofu_in(ctx: &Context, text: &str) -> Option<String> {
        ctx.set_missing_glyph_policy(MissingGlyphPolicy::Panic);
        let pass = catch_unwind(AssertUnwindSafe(|| {
            run_pass(ctx, |ui| {
                ui.label(text);
                ui.monospace(text);
            });
        }));
        let payload = pass.err()?;
        let message = payload.downcast_ref::<String>().cloned();
        Some(message.unwrap_or_else(|| "a panic without a message".to_owned()))
    }

    fn japanese_chars(text: &str) -> impl Iterator<Item = char> + '_ {
        text.chars().filter(|c| !c.is_ascii())
    }

    #[test]
    fn default_fonts_lack_every_japanese_character_of_the_sample() {
        let ctx = context_with(false);
        for family in [FontId::proportional(14.0), FontId::monospace(14.0)] {
            for c in japanese_chars(SAMPLE).filter(|&c| c != '　') {
                assert!(!has_glyphs(&ctx, &family, &c.to_string()), "{c} in {family:?}");
            }
        }
        let tofu = tofu_in(&ctx, SAMPLE).unwrap_or_default();
        assert!(tofu.starts_with("No glyph for \"線\""), "{tofu}");
    }

    #[test]
    fn installed_font_draws_the_sample_without_tofu() {
        let ctx = context_with(true);
        assert_eq!(tofu_in(&ctx, SAMPLE), None);
    }

    #[test]
    fn installed_font_covers_kanji_kana_and_punctuation_in_both_families() {
        let ctx = context_with(true);
        for family in [FontId::proportional(14.0), FontId::monospace(14.0)] {
            for text in [SAMPLE, LEVEL_2_KANJI, JOYO_OUTSIDE_JIS_X_0208, KANA_AND_PUNCTUATION] {
                for c in text.chars() {
                    assert!(has_glyphs(&ctx, &family, &c.to_string()), "{c} in {family:?}");
                }
            }
        }
    }

    #[test]
    fn characters_outside_the_subset_stay_missing() {
        let ctx = context_with(true);
        // Hangul and a kanji beyond JIS X 0208 and Jōyō (JIS X 0213 plane 2: 𠀋).
        for c in ['한', '𠀋'] {
            assert!(!has_glyphs(&ctx, &FontId::proportional(14.0), &c.to_string()), "{c}");
        }
    }

    #[test]
    fn noto_is_the_last_fallback_so_latin_keeps_eguis_fonts() {
        let ctx = context_with(true);
        let families = ctx.fonts(|fonts| fonts.definitions().families.clone());
        for (family, primary) in [(FontFamily::Proportional, "Ubuntu-Light"), (FontFamily::Monospace, "Hack")] {
            let chain = &families[&family];
            assert_eq!(chain.first().map(String::as_str), Some(primary), "{family:?}");
            assert_eq!(chain.last().map(String::as_str), Some(JAPANESE_FONT_NAME), "{family:?}");
        }
    }

    #[test]
    fn installing_twice_adds_the_font_once() {
        let ctx = context_with(true);
        install_fonts(&ctx);
        run_pass(&ctx, |_| {});
        let families = ctx.fonts(|fonts| fonts.definitions().families.clone());
        let count = families[&FontFamily::Proportional].iter().filter(|name| *name == JAPANESE_FONT_NAME).count();
        assert_eq!(count, 1);
    }

    /// Tofu is one shared `.notdef` bitmap; real glyphs each get their own place in the atlas,
    /// which also shows the CFF outlines were rasterized.
    #[test]
    fn each_japanese_glyph_is_rasterized_from_its_own_outline() {
        let ctx = context_with(true);
        let text = format!("{SAMPLE}{LEVEL_2_KANJI}{JOYO_OUTSIDE_JIS_X_0208}");
        let galley = ctx.fonts_mut(|fonts| fonts.layout_no_wrap(text.clone(), FontId::proportional(20.0), egui::Color32::WHITE));
        let mut seen = Vec::new();
        for glyph in galley.rows.iter().flat_map(|row| row.row.glyphs.iter()) {
            if glyph.chr.is_whitespace() || seen.iter().any(|(c, _)| *c == glyph.chr) {
                continue;
            }
            assert!(!glyph.uv_rect.is_nothing(), "{} has no bitmap", glyph.chr);
            let shared = seen.iter().find(|(_, uv)| *uv == glyph.uv_rect);
            assert!(shared.is_none(), "{} drawn like {:?}", glyph.chr, shared);
            seen.push((glyph.chr, glyph.uv_rect));
        }
        let distinct = japanese_chars(&text).filter(|c| !c.is_whitespace());
        let mut distinct: Vec<char> = distinct.collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(seen.len(), distinct.len());
    }
}
