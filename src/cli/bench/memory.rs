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

/// The GPU memory the driver says this process holds, in bytes, as `nvidia-smi` shows it (NVIDIA's
/// management library, loaded at run time, summed over the GPUs); `Err` says why there is no figure.
/// It counts what burn's pools do not: the driver's own buffers, kernels and the context.
#[cfg(target_os = "linux")]
pub fn driver_gpu_bytes() -> Result<u64, String> {
    use nvml_wrapper::enums::device::UsedGpuMemory;
    let nvml = nvml_wrapper::Nvml::init().map_err(|e| format!("NVIDIA's management library: {e}"))?;
    let pid = std::process::id();
    let mut total = 0;
    for index in 0..nvml.device_count().map_err(|e| e.to_string())? {
        let device = nvml.device_by_index(index).map_err(|e| e.to_string())?;
        // A Vulkan process can be listed as compute, graphics or both, with the same figure.
        let lists = [device.running_compute_processes(), device.running_graphics_processes()];
        let used = lists.into_iter().flatten().flatten().filter(|process| process.pid == pid);
        total += used
            .map(|process| match process.used_gpu_memory {
                UsedGpuMemory::Used(bytes) => bytes,
                UsedGpuMemory::Unavailable => 0,
            })
            .max()
            .unwrap_or(0);
    }
    Ok(total)
}

#[cfg(not(target_os = "linux"))]
pub fn driver_gpu_bytes() -> Result<u64, String> {
    Err("read only from NVIDIA's driver on Linux".to_string())
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
