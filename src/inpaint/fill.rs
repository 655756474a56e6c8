//! A1111's "fill" masked content (`masking.fill`): the unmasked colours spread into the mask by Gaussian
//! blurs of radius 256, 64, 16 (twice), 4 (four times), 2 (twice) and 0, each composited over the last, so
//! the mask takes the colours around it. Done in Pillow's arithmetic, which A1111 runs it in: the
//! picture premultiplied by the inverted mask (`RGBa`), Pillow's Gaussian blur (three box blurs of an
//! extended radius, 8-bit fixed point), unpremultiplied, and `alpha_composite`.

use image::{GrayImage, RgbImage};

use super::pillow::{alpha_composite, kept_premultiplied, unpremultiply};

/// Premultiplied RGBA pixels, as Pillow's `RGBa` mode holds them.
type Pixels = Vec<[u8; 4]>;

/// `picture` with the part `mask` marks filled from its surroundings.
pub fn fill_masked(picture: &RgbImage, mask: &GrayImage) -> RgbImage {
    let (width, height) = (picture.width() as usize, picture.height() as usize);
    let masked: Pixels =
        picture.pixels().zip(mask.pixels()).map(|(pixel, mask)| kept_premultiplied(pixel.0, mask.0[0])).collect();
    let mut filled: Pixels = vec![[0; 4]; masked.len()];
    for (radius, repeats) in [(256.0, 1), (64.0, 1), (16.0, 2), (4.0, 4), (2.0, 2), (0.0, 1)] {
        let blurred: Pixels = gaussian_blur(&masked, width, height, radius).into_iter().map(unpremultiply).collect();
        for _ in 0..repeats {
            for (under, over) in filled.iter_mut().zip(&blurred) {
                *under = alpha_composite(*under, *over);
            }
        }
    }
    RgbImage::from_fn(picture.width(), picture.height(), |x, y| {
        let [r, g, b, _] = filled[y as usize * width + x as usize];
        image::Rgb([r, g, b])
    })
}

/// Pillow's `GaussianBlur(radius)`: three box blurs of the extended radius across, then three down.
fn gaussian_blur(pixels: &[[u8; 4]], width: usize, height: usize, radius: f32) -> Pixels {
    let box_radius = box_radius(radius, 3);
    if box_radius == 0.0 {
        return pixels.to_vec();
    }
    let mut rows = pixels.to_vec();
    for _ in 0..3 {
        rows = rows.chunks(width).flat_map(|line| box_blur_line(line, box_radius)).collect();
    }
    let mut columns = transpose(&rows, width, height);
    for _ in 0..3 {
        columns = columns.chunks(height).flat_map(|line| box_blur_line(line, box_radius)).collect();
    }
    transpose(&columns, height, width)
}

fn transpose(pixels: &[[u8; 4]], width: usize, height: usize) -> Pixels {
    (0..width).flat_map(|x| (0..height).map(move |y| pixels[y * width + x])).collect()
}

/// Pillow's `_gaussian_blur_radius`: the box radius whose three passes have the Gaussian's variance
/// (Gwosdek et al., "Theoretical foundations of Gaussian convolution by extended box filtering").
fn box_radius(radius: f32, passes: u32) -> f32 {
    let sigma2 = radius * radius / passes as f32;
    let length = (12.0 * f64::from(sigma2) + 1.0).sqrt() as f32;
    let l = ((f64::from(length) - 1.0) / 2.0).floor() as f32;
    let mut a = (2.0 * l + 1.0) * (l * (l + 1.0) - 3.0 * sigma2);
    a /= 6.0 * (sigma2 - (l + 1.0) * (l + 1.0));
    l + a
}

/// Pillow's `ImagingLineBoxBlur32`: a box of `radius` (whole pixels plus a fraction of the two beyond)
/// along one line, its ends extended by their edge pixels, in 24-bit fixed point.
fn box_blur_line(line: &[[u8; 4]], radius: f32) -> Pixels {
    let last = line.len() as i64 - 1;
    let whole = radius as i64;
    let ww = ((1u32 << 24) as f32 / (radius * 2.0 + 1.0)) as u32;
    let fw = ((1u32 << 24) - (whole as u32 * 2 + 1) * ww) / 2;
    let at = |i: i64| line[i.clamp(0, last) as usize];
    let mut acc = [0u32; 4];
    for i in -whole - 1..whole {
        let pixel = at(i);
        for c in 0..4 {
            acc[c] += u32::from(pixel[c]);
        }
    }
    (0..=last)
        .map(|x| {
            let (gone, came) = (at(x - whole - 1), at(x + whole));
            let (left, right) = (at(x - whole - 1), at(x + whole + 1));
            let mut out = [0u8; 4];
            for c in 0..4 {
                // Unsigned 32-bit as in Pillow, wrapping where it wraps.
                acc[c] = acc[c].wrapping_add(u32::from(came[c])).wrapping_sub(u32::from(gone[c]));
                let far = (u32::from(left[c]) + u32::from(right[c])).wrapping_mul(fw);
                let bulk = acc[c].wrapping_mul(ww).wrapping_add(far);
                out[c] = (bulk.wrapping_add(1 << 23) >> 24) as u8;
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pillow_box_radius_and_compositing() {
        // ImageFilter.GaussianBlur(4) runs boxes of radius 3.4375 (Pillow's `_gaussian_blur_radius(4, 3)`).
        assert!((box_radius(4.0, 3) - 3.4375).abs() < 1e-5, "{}", box_radius(4.0, 3));
        assert_eq!(box_radius(0.0, 3), 0.0);
    }

    #[test]
    fn the_mask_takes_the_colours_around_it() {
        let picture = RgbImage::from_fn(32, 16, |x, _| image::Rgb(if x < 16 { [250, 0, 0] } else { [0, 0, 250] }));
        let mask =
            GrayImage::from_fn(32, 16, |x, y| image::Luma([if (12..20).contains(&x) && (4..12).contains(&y) { 255 } else { 0 }]));
        let filled = fill_masked(&picture, &mask);
        assert_eq!(filled.get_pixel(0, 0).0, [250, 0, 0], "unmasked pixels stay");
        assert_eq!(filled.get_pixel(31, 15).0, [0, 0, 250]);
        let left = filled.get_pixel(13, 8).0;
        let right = filled.get_pixel(18, 8).0;
        assert!(left[0] > left[2] && right[2] > right[0], "{left:?} {right:?}");
        assert_eq!(left[1], 0);
    }
}
