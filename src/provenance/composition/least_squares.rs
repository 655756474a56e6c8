//! The fit behind a composition estimate. For a block of weights, with the target's difference from
//! the base `t = W_target − W_base` and each reference's `d_i = W_ref_i − W_base` (all the block's
//! tensors flattened into one vector), the coefficients `a` minimise `‖t − Σ a_i d_i‖²`: the normal
//! equations `G a = b` with `G_ij = d_i·d_j` and `b_i = t·d_i`. Only these dot products are kept, so
//! tensors are read one at a time and forgotten, and the sums of several blocks are the sums of a
//! coarse group.

/// Elements summed in f32 before the sum is added in f64 (keeps the inner loop vectorisable and the
/// total exact enough: a chunk's rounding error is far below the fit's).
const CHUNK: usize = 4096;

/// The dot products of one block (or group).
#[derive(Debug, Clone, PartialEq)]
pub struct Accumulator {
    /// `t·t`
    pub target: f64,
    /// `b_i = t·d_i`
    pub cross: Vec<f64>,
    /// `G_ij = d_i·d_j`, row-major k×k.
    pub gram: Vec<f64>,
    pub parameters: u64,
}

impl Accumulator {
    pub fn new(references: usize) -> Self {
        Self { target: 0.0, cross: vec![0.0; references], gram: vec![0.0; references * references], parameters: 0 }
    }

    pub fn references(&self) -> usize {
        self.cross.len()
    }

    /// Adds one tensor: `target`, `base` and each reference's values, all of the same length.
    pub fn add(&mut self, target: &[f32], base: &[f32], references: &[&[f32]]) {
        let k = self.references();
        debug_assert_eq!(references.len(), k);
        let mut t = vec![0f32; CHUNK];
        let mut d: Vec<Vec<f32>> = vec![vec![0f32; CHUNK]; k];
        for start in (0..target.len()).step_by(CHUNK) {
            let end = (start + CHUNK).min(target.len());
            let n = end - start;
            for j in 0..n {
                t[j] = target[start + j] - base[start + j];
            }
            for (delta, reference) in d.iter_mut().zip(references) {
                for j in 0..n {
                    delta[j] = reference[start + j] - base[start + j];
                }
            }
            self.target += dot(&t[..n], &t[..n]);
            for i in 0..k {
                self.cross[i] += dot(&t[..n], &d[i][..n]);
                for m in i..k {
                    let value = dot(&d[i][..n], &d[m][..n]);
                    self.gram[i * k + m] += value;
                    if m != i {
                        self.gram[m * k + i] += value;
                    }
                }
            }
        }
        self.parameters += target.len() as u64;
    }

    /// Adds another accumulator's sums (a block into its group).
    pub fn merge(&mut self, other: &Accumulator) {
        self.target += other.target;
        for (mine, theirs) in self.cross.iter_mut().zip(&other.cross) {
            *mine += theirs;
        }
        for (mine, theirs) in self.gram.iter_mut().zip(&other.gram) {
            *mine += theirs;
        }
        self.parameters += other.parameters;
    }

    /// Solves for the coefficients (see [`Fit`]).
    pub fn fit(&self) -> Fit {
        let k = self.references();
        let norms: Vec<f64> = (0..k).map(|i| self.gram[i * k + i]).collect();
        let reference_cosines = (0..k).map(|i| cosine(self.cross[i], self.target, norms[i])).collect();
        // A reference equal to the base here says nothing: it is left out of the solve.
        let usable: Vec<usize> = (0..k).filter(|&i| norms[i] > 0.0).collect();
        let mut coefficients = vec![None; k];
        let mut explained = None;
        if let Some(solution) = solve(&self.sub_gram(&usable), &usable.iter().map(|&i| self.cross[i]).collect::<Vec<_>>()) {
            for (&i, &a) in usable.iter().zip(&solution) {
                coefficients[i] = Some(a);
            }
            explained = Some(self.quadratic(&usable, &solution));
        }
        let (residual, cosine_of_fit) = match explained {
            Some((ab, aga)) if self.target > 0.0 => {
                let remaining = (self.target - 2.0 * ab + aga).max(0.0);
                (Some((remaining / self.target).sqrt()), cosine(ab, self.target, aga))
            }
            _ if self.target == 0.0 => (Some(0.0), None),
            _ => (None, None),
        };
        Fit { coefficients, residual, cosine: cosine_of_fit, reference_cosines, identical_to_base: self.target == 0.0 }
    }

    fn sub_gram(&self, usable: &[usize]) -> Vec<f64> {
        let k = self.references();
        usable.iter().flat_map(|&i| usable.iter().map(move |&m| self.gram[i * k + m])).collect()
    }

    /// `a·b` and `aᵀGa` over the `usable` references.
    fn quadratic(&self, usable: &[usize], a: &[f64]) -> (f64, f64) {
        let k = self.references();
        let ab = usable.iter().zip(a).map(|(&i, ai)| ai * self.cross[i]).sum();
        let mut aga = 0.0;
        for (p, &i) in usable.iter().enumerate() {
            for (q, &m) in usable.iter().enumerate() {
                aga += a[p] * self.gram[i * k + m] * a[q];
            }
        }
        (ab, aga)
    }
}

/// What the fit says about one block or group.
#[derive(Debug, Clone, PartialEq)]
pub struct Fit {
    /// Per reference: `a_i`, or `None` when the reference does not differ from the base here, or the
    /// references cannot be told apart (they move the weights the same way).
    pub coefficients: Vec<Option<f64>>,
    /// `‖t − Σ a_i d_i‖ / ‖t‖`: the share of the target's difference from the base that the references
    /// do not explain (further training, other models); 0 when the target equals the base.
    pub residual: Option<f64>,
    /// Cosine similarity between the target's difference from the base and the fitted combination.
    pub cosine: Option<f64>,
    /// Per reference: cosine similarity between the target's and the reference's differences from the
    /// base.
    pub reference_cosines: Vec<Option<f64>>,
    pub identical_to_base: bool,
}

fn cosine(dot: f64, norm_a_squared: f64, norm_b_squared: f64) -> Option<f64> {
    (norm_a_squared > 0.0 && norm_b_squared > 0.0)
        .then(|| (dot / (norm_a_squared.sqrt() * norm_b_squared.sqrt())).clamp(-1.0, 1.0))
}

fn dot(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() as f64
}

/// Solves the symmetric system `g x = b` (n×n) by Gaussian elimination with partial pivoting; `None`
/// when it is singular (relative to its scale) or empty.
fn solve(g: &[f64], b: &[f64]) -> Option<Vec<f64>> {
    let n = b.len();
    if n == 0 {
        return None;
    }
    let scale = (0..n).map(|i| g[i * n + i].abs()).fold(0.0, f64::max);
    let mut m: Vec<Vec<f64>> = (0..n).map(|i| g[i * n..(i + 1) * n].iter().copied().chain([b[i]]).collect()).collect();
    for col in 0..n {
        let pivot = (col..n).max_by(|&p, &q| m[p][col].abs().total_cmp(&m[q][col].abs()))?;
        if m[pivot][col].abs() <= scale * 1e-9 {
            return None;
        }
        m.swap(col, pivot);
        let (done, below) = m.split_at_mut(col + 1);
        let pivot_row = &done[col];
        for row in below {
            let factor = row[col] / pivot_row[col];
            for (value, above) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= factor * above;
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|c| m[row][c] * x[c]).sum();
        x[row] = (m[row][n] - tail) / m[row][row];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random vector (xorshift), values in [-1, 1).
    fn noise(seed: u32, n: usize) -> Vec<f32> {
        let mut state = seed.max(1);
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn combine(base: &[f32], parts: &[(f32, &[f32])]) -> Vec<f32> {
        (0..base.len()).map(|j| base[j] + parts.iter().map(|(a, r)| a * (r[j] - base[j])).sum::<f32>()).collect()
    }

    #[test]
    fn an_exact_merge_of_two_references_is_recovered() {
        let n = 10_000;
        let base = noise(1, n);
        let (r1, r2) = (noise(2, n), noise(3, n));
        let target = combine(&base, &[(0.3, &r1), (0.45, &r2)]);
        let mut acc = Accumulator::new(2);
        // Split into two "tensors" to exercise accumulation across calls.
        acc.add(&target[..4000], &base[..4000], &[&r1[..4000], &r2[..4000]]);
        acc.add(&target[4000..], &base[4000..], &[&r1[4000..], &r2[4000..]]);
        let fit = acc.fit();
        assert!((fit.coefficients[0].unwrap() - 0.3).abs() < 1e-4, "{fit:?}");
        assert!((fit.coefficients[1].unwrap() - 0.45).abs() < 1e-4, "{fit:?}");
        assert!(fit.residual.unwrap() < 1e-3);
        assert!((fit.cosine.unwrap() - 1.0).abs() < 1e-6);
        assert_eq!(acc.parameters, n as u64);
    }

    #[test]
    fn unexplained_training_shows_as_residual() {
        let n = 20_000;
        let base = noise(4, n);
        let reference = noise(5, n);
        // Independent of the reference's difference and of the same spread (√2 × a uniform's).
        let training: Vec<f32> = noise(6, n).iter().map(|v| v * 2f32.sqrt()).collect();
        // Half of the difference is the reference, the other half something else of equal size.
        let target: Vec<f32> = (0..n).map(|j| base[j] + 0.5 * (reference[j] - base[j]) + 0.5 * training[j]).collect();
        let mut acc = Accumulator::new(1);
        acc.add(&target, &base, &[&reference]);
        let fit = acc.fit();
        assert!((fit.coefficients[0].unwrap() - 0.5).abs() < 0.03, "{fit:?}");
        let residual = fit.residual.unwrap();
        assert!((0.6..0.8).contains(&residual), "about 1/√2 unexplained: {residual}");
    }

    #[test]
    fn a_reference_equal_to_the_base_and_a_target_equal_to_the_base() {
        let base = noise(7, 1000);
        let other = noise(8, 1000);
        let mut acc = Accumulator::new(2);
        acc.add(&other, &base, &[&base, &other]);
        let fit = acc.fit();
        assert_eq!(fit.coefficients[0], None, "the reference is the base");
        assert!((fit.coefficients[1].unwrap() - 1.0).abs() < 1e-6);

        let mut same = Accumulator::new(1);
        same.add(&base, &base, &[&other]);
        let fit = same.fit();
        assert!(fit.identical_to_base);
        assert_eq!(fit.residual, Some(0.0));
        assert_eq!(fit.coefficients[0], Some(0.0));
    }

    #[test]
    fn references_that_cannot_be_told_apart_give_no_coefficients() {
        let base = noise(9, 1000);
        let reference = noise(10, 1000);
        let target = combine(&base, &[(0.5, &reference)]);
        let mut acc = Accumulator::new(2);
        acc.add(&target, &base, &[&reference, &reference]);
        let fit = acc.fit();
        assert_eq!(fit.coefficients, [None, None]);
        assert_eq!(fit.residual, None);
    }

    #[test]
    fn groups_are_sums_of_blocks() {
        let base = noise(11, 3000);
        let reference = noise(12, 3000);
        let target = combine(&base, &[(0.2, &reference)]);
        let (mut first, mut second, mut whole) = (Accumulator::new(1), Accumulator::new(1), Accumulator::new(1));
        first.add(&target[..1000], &base[..1000], &[&reference[..1000]]);
        second.add(&target[1000..], &base[1000..], &[&reference[1000..]]);
        whole.add(&target, &base, &[&reference]);
        first.merge(&second);
        assert!((first.target - whole.target).abs() < 1e-6 * whole.target);
        assert!((first.fit().coefficients[0].unwrap() - 0.2).abs() < 1e-5);
    }
}
