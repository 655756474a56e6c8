//! The few pieces of Pillow's 8-bit arithmetic that A1111's masking goes through (`Paste.c`,
//! `Convert.c`, `AlphaComposite.c`), so that results match to the level.

/// Pillow's `DIV255`: a / 255 rounded, for a ≤ 255².
pub(super) fn div255(a: u32) -> u8 {
    let t = a + 128;
    (((t >> 8) + t) >> 8) as u8
}

/// An opaque pixel pasted through the inverse of `redraw` (255 redrawn) into an empty `RGBa` picture, as
/// A1111 pastes `image.convert("RGBa")` with `ImageOps.invert(mask)`: premultiplied by what is kept.
pub(super) fn kept_premultiplied(pixel: [u8; 3], redraw: u8) -> [u8; 4] {
    let keep = 255 - u32::from(redraw);
    let [r, g, b] = pixel.map(|c| div255(u32::from(c) * keep));
    [r, g, b, keep as u8]
}

/// Pillow's `RGBa` → `RGBA`.
pub(super) fn unpremultiply([r, g, b, a]: [u8; 4]) -> [u8; 4] {
    if a == 0 || a == 255 {
        return [r, g, b, a];
    }
    let un = |c: u8| (255 * u32::from(c) / u32::from(a)).min(255) as u8;
    [un(r), un(g), un(b), a]
}

/// Pillow's `alpha_composite` of `src` over `dst` (7 bits of precision).
pub(super) fn alpha_composite(dst: [u8; 4], src: [u8; 4]) -> [u8; 4] {
    let (sa, da) = (u32::from(src[3]), u32::from(dst[3]));
    if sa == 0 {
        return dst;
    }
    let blend = da * (255 - sa);
    let out_a255 = sa * 255 + blend;
    let coef1 = sa * 255 * 255 * 128 / out_a255;
    let coef2 = 255 * 128 - coef1;
    let shift_div255 = |a: u32| ((a >> 8) + a) >> 8;
    let channel = |c: usize| (shift_div255(u32::from(src[c]) * coef1 + u32::from(dst[c]) * coef2 + (0x80 << 7)) >> 7) as u8;
    [channel(0), channel(1), channel(2), shift_div255(out_a255 + 0x80) as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_and_premultiplying_as_pillow() {
        assert_eq!(alpha_composite([10, 20, 30, 255], [200, 100, 0, 0]), [10, 20, 30, 255]);
        assert_eq!(alpha_composite([10, 20, 30, 255], [200, 100, 0, 255]), [200, 100, 0, 255]);
        assert_eq!(alpha_composite([0, 0, 0, 0], [200, 100, 0, 128]), [200, 100, 0, 128]);
        assert_eq!((div255(255 * 255), div255(127 * 255), div255(0)), (255, 127, 0));
        assert_eq!(unpremultiply([50, 0, 100, 100]), [127, 0, 255, 100]);
    }
}
