//! 2-D convolution on the CPU as one matrix product per image (and per band of output rows):
//! weights [out, in·k·k] — the checkpoint's own layout, so nothing is re-packed — times the input's
//! patches [in·k·k, pixels] (im2col, built in parallel in the same NCHW order), into the output
//! image, which starts as the bias. A 1×1 convolution needs no patches: the input image is the
//! right-hand matrix as it is.

use burn::tensor::Tensor;
use rayon::prelude::*;

use super::{View, tensor_from};

/// The most patch memory built at once (f32 values): 32 MB, enough for long products and small
/// enough to stay in the last-level cache at SD's sizes.
const PATCH_BUDGET: usize = 8 << 20;

/// Stride and (before, after) padding of a convolution with a square kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dGeometry {
    pub stride: usize,
    /// (before, after) padding for rows, then for columns.
    pub padding: [(usize, usize); 2],
}

/// Sizes of one convolution call.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    inputs: usize,
    kernel: usize,
    height: usize,
    width: usize,
    out_height: usize,
    out_width: usize,
}

impl Sizes {
    /// Rows of the patch matrix: one per input channel and kernel position.
    fn patch_rows(&self) -> usize {
        self.inputs * self.kernel * self.kernel
    }
}

/// Convolves `x` [b, in, h, w] with `weight` [out, in, k, k] and an optional `bias` [out].
pub fn conv2d(x: Tensor<4>, weight: &Tensor<4>, bias: Option<&Tensor<1>>, geometry: Conv2dGeometry) -> Tensor<4> {
    let x = View::contiguous(x);
    let weight = View::contiguous(weight.clone());
    let bias = bias.map(|b| View::contiguous(b.clone()));
    let [batch, inputs, height, width] = [x.shape()[0], x.shape()[1], x.shape()[2], x.shape()[3]];
    let (outputs, kernel) = (weight.shape()[0], weight.shape()[2]);
    let Conv2dGeometry { stride, padding: [(top, bottom), (left, right)] } = geometry;
    let sizes = Sizes {
        inputs,
        kernel,
        height,
        width,
        out_height: (height + top + bottom - kernel) / stride + 1,
        out_width: (width + left + right - kernel) / stride + 1,
    };
    let pixels = sizes.out_height * sizes.out_width;
    let mut out = vec![0.0f32; batch * outputs * pixels];
    for (image, out_image) in out.chunks_exact_mut(outputs * pixels).enumerate() {
        if let Some(bias) = &bias {
            out_image.par_chunks_exact_mut(pixels).zip(bias.data()).for_each(|(plane, &b)| plane.fill(b));
        }
        let input = &x.data()[image * inputs * height * width..][..inputs * height * width];
        if kernel == 1 && stride == 1 && geometry.padding == [(0, 0); 2] {
            multiply(out_image, 0, pixels, weight.data(), input, sizes.inputs, pixels, bias.is_some())
        } else {
            convolve_in_bands(out_image, input, weight.data(), sizes, geometry, bias.is_some())
        }
    }
    tensor_from(out, [batch, outputs, sizes.out_height, sizes.out_width], None)
}

/// Builds the patches of a band of output rows at a time and multiplies each band into `out`.
fn convolve_in_bands(out: &mut [f32], input: &[f32], weight: &[f32], sizes: Sizes, geometry: Conv2dGeometry, has_bias: bool) {
    let rows_per_band = (PATCH_BUDGET / (sizes.patch_rows() * sizes.out_width)).clamp(1, sizes.out_height);
    let mut patches = vec![0.0f32; sizes.patch_rows() * rows_per_band * sizes.out_width];
    let pixels = sizes.out_height * sizes.out_width;
    for first in (0..sizes.out_height).step_by(rows_per_band) {
        let rows = rows_per_band.min(sizes.out_height - first);
        let band = rows * sizes.out_width;
        let patches = &mut patches[..sizes.patch_rows() * band];
        patches.par_chunks_exact_mut(band).enumerate().for_each(|(row, patch)| {
            fill_patch_row(patch, input, row, first..first + rows, sizes, geometry);
        });
        multiply(out, first * sizes.out_width, pixels, weight, patches, sizes.patch_rows(), band, has_bias);
    }
}

/// Patch row `row` (input channel, kernel row, kernel column) over output rows `out_rows`: the input
/// pixel each output pixel sees through that kernel position, zero in the padding.
fn fill_patch_row(
    patch: &mut [f32],
    input: &[f32],
    row: usize,
    out_rows: std::ops::Range<usize>,
    sizes: Sizes,
    geometry: Conv2dGeometry,
) {
    let k = sizes.kernel;
    let (channel, ky, kx) = (row / (k * k), row / k % k, row % k);
    let plane = &input[channel * sizes.height * sizes.width..][..sizes.height * sizes.width];
    let (stride, top, left) = (geometry.stride, geometry.padding[0].0, geometry.padding[1].0);
    let first = out_rows.start;
    for oy in out_rows {
        let target = &mut patch[(oy - first) * sizes.out_width..][..sizes.out_width];
        let iy = (oy * stride + ky) as isize - top as isize;
        if iy < 0 || iy >= sizes.height as isize {
            target.fill(0.0);
            continue;
        }
        let source = &plane[iy as usize * sizes.width..][..sizes.width];
        let column = |ox: usize| (ox * stride + kx) as isize - left as isize;
        if stride == 1 {
            // The valid output columns read one contiguous run of the input row.
            let begin = (left.saturating_sub(kx)).min(sizes.out_width);
            let end = ((sizes.width + left).saturating_sub(kx)).clamp(begin, sizes.out_width);
            target[..begin].fill(0.0);
            let start = begin + kx - left;
            target[begin..end].copy_from_slice(&source[start..start + end - begin]);
            target[end..].fill(0.0);
        } else {
            for (ox, value) in target.iter_mut().enumerate() {
                let ix = column(ox);
                *value = if ix >= 0 && (ix as usize) < sizes.width { source[ix as usize] } else { 0.0 };
            }
        }
    }
}

/// out[:, offset..offset + n] (+)= weight [outputs, depth] · right [depth, n], where `out` has rows of
/// `out_row` values. Adds to what `out` holds when it holds the bias.
#[allow(clippy::too_many_arguments)]
fn multiply(
    out: &mut [f32],
    offset: usize,
    out_row: usize,
    weight: &[f32],
    right: &[f32],
    depth: usize,
    n: usize,
    accumulate: bool,
) {
    let outputs = weight.len() / depth;
    debug_assert!(right.len() >= depth * n && out.len() >= (outputs - 1) * out_row + offset + n);
    // SAFETY: the shapes above bound every index the product touches.
    unsafe {
        gemm::gemm(
            outputs,
            n,
            depth,
            out.as_mut_ptr().add(offset),
            1,
            out_row as isize,
            accumulate,
            weight.as_ptr(),
            1,
            depth as isize,
            right.as_ptr(),
            1,
            n as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::Rayon(0),
        );
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::ops::ConvOptions;
    use burn::tensor::{Device, Tensor, TensorData, module};

    use super::*;

    fn values(count: usize, seed: usize) -> Vec<f32> {
        (0..count).map(|i| (((i + seed) * 2654435761usize) % 1000) as f32 / 500.0 - 1.0).collect()
    }

    fn check(shape: [usize; 4], outputs: usize, kernel: usize, geometry: Conv2dGeometry, with_bias: bool) {
        let device = Device::flex();
        let [b, c, h, w] = shape;
        let x = Tensor::<4>::from_data(TensorData::new(values(b * c * h * w, 1), shape), &device);
        let weight = Tensor::<4>::from_data(
            TensorData::new(values(outputs * c * kernel * kernel, 7), [outputs, c, kernel, kernel]),
            &device,
        );
        let bias = with_bias.then(|| Tensor::<1>::from_data(TensorData::new(values(outputs, 3), [outputs]), &device));
        let options = ConvOptions::new_with_padding([geometry.stride; 2], geometry.padding, [1, 1], 1);
        let expected = module::conv2d(x.clone(), weight.clone(), bias.clone(), options).try_into_vec_as::<f32>().unwrap();
        let ours = conv2d(x, &weight, bias.as_ref(), geometry);
        let dims = ours.dims();
        let ours = ours.try_into_vec_as::<f32>().unwrap();
        assert_eq!(ours.len(), expected.len(), "{dims:?}");
        for (i, (a, e)) in ours.iter().zip(&expected).enumerate() {
            assert!((a - e).abs() < 1e-4 * (1.0 + e.abs()), "{shape:?} k{kernel} {geometry:?} at {i}: {a} vs {e}");
        }
    }

    #[test]
    fn matches_burns_convolution() {
        let same = |p| Conv2dGeometry { stride: 1, padding: [(p, p); 2] };
        check([2, 5, 9, 7], 6, 3, same(1), true);
        check([1, 4, 6, 6], 3, 1, same(0), true);
        check([2, 4, 6, 5], 8, 1, same(0), false);
        check([1, 3, 9, 8], 4, 3, Conv2dGeometry { stride: 2, padding: [(1, 1); 2] }, true);
        // The VAE encoder's downsampling: no padding before, one after.
        check([1, 3, 8, 8], 2, 3, Conv2dGeometry { stride: 2, padding: [(0, 1); 2] }, true);
        check([1, 2, 4, 4], 2, 5, same(2), false);
    }

    #[test]
    fn bands_cover_every_output_row() {
        // Enough patch rows that a band holds fewer output rows than the image has.
        let [inputs, width] = [1000, 64];
        let sizes = Sizes { inputs, kernel: 3, height: 40, width, out_height: 40, out_width: width };
        assert!(PATCH_BUDGET / (sizes.patch_rows() * width) < 40);
        check([1, inputs, 40, width], 2, 3, Conv2dGeometry { stride: 1, padding: [(1, 1); 2] }, true);
    }
}
