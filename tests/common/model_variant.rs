//! Model files made in tests: a copy of a checkpoint with noise added to every float tensor (ids and
//! counters copied), so merges with known ratios can be written and analysed.

use std::path::Path;

use nurie::checkpoint::Checkpoint;

/// Writes `source + ratio × noise(seed)` to `path` in f32: the same seed gives the same noise, so two
/// variants of one seed at ratios 1 and r are a merge of ratio r.
pub fn write_variant(source: &Path, path: &Path, ratio: f32, seed: u32) {
    let checkpoint = Checkpoint::open(source).expect("source model");
    let mut state = seed.max(1);
    let mut tensors: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for key in checkpoint.keys() {
        if let Ok((shape, values)) = checkpoint.read_i64(key) {
            tensors.push((
                key.to_string(),
                safetensors::Dtype::I64,
                shape,
                values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ));
            continue;
        }
        let tensor = checkpoint.read_f32(key).expect("tensor");
        let bytes = tensor
            .values
            .iter()
            .flat_map(|v| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let noise = state as f32 / u32::MAX as f32 - 0.5;
                (v + ratio * 0.02 * noise).to_le_bytes()
            })
            .collect();
        tensors.push((key.to_string(), safetensors::Dtype::F32, tensor.shape, bytes));
    }
    let views = tensors.iter().map(|(key, dtype, shape, bytes)| {
        (key.clone(), safetensors::tensor::TensorView::new(*dtype, shape.clone(), bytes).expect("view"))
    });
    safetensors::serialize_to_file(views, None, path).expect("written");
}
