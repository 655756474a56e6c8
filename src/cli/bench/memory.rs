//! Memory figures of the benchmark: the process's peak resident set, and what burn's GPU memory pool
//! holds.

use burn::tensor::Device;

/// The most resident memory the process has had, in bytes (`VmHWM` on Linux; `None` elsewhere).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Bytes burn's memory pool has reserved on `device` (GPU only; the pool keeps its pages, so after a
/// run this is that run's peak), or `None` on the CPU backend.
pub fn gpu_reserved_bytes(device: &Device) -> Option<u64> {
    device.memory_pool_usage().map(|usage| usage.bytes_reserved)
}

/// The most bytes burn's pool held at once on `device`: each pool's page size times the most pages it
/// ever held, summed (an upper bound: the pools' peaks need not coincide), or `None` on the CPU backend.
pub fn gpu_pool_peak_bytes(device: &Device) -> Option<u64> {
    let pools = device.memory_pool_report()?;
    Some(pools.iter().map(|pool| pool.page_size.saturating_mul(pool.pages_peak)).sum())
}

pub fn gigabytes(bytes: u64) -> f64 {
    bytes as f64 / 1e9
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_rss_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            let peak = super::peak_rss_bytes().expect("VmHWM");
            assert!(peak > 1 << 20, "{peak}");
        }
    }
}
