//! Counts the heap one execution uses: the test binary's allocator, passing everything to the
//! system's and keeping, per thread, the bytes currently held and the peak since metering started.
//!
//! Only the metering thread's allocations count (readers under test run on the calling thread; work
//! they hand to other threads is not seen). Threads that are not metering pay one thread-local read
//! per allocation.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Meter;

#[global_allocator]
static METER: Meter = Meter;

thread_local! {
    static METERING: Cell<bool> = const { Cell::new(false) };
    static HELD: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

/// Records `delta` bytes allocated (negative: freed) on this thread, if it is metering. `try_with`:
/// allocations happen while a thread's locals are being torn down.
fn note(delta: isize) {
    if !METERING.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    let held = HELD.get().saturating_add(delta);
    HELD.set(held);
    if held > PEAK.get() {
        PEAK.set(held);
    }
}

fn size(layout: Layout) -> isize {
    isize::try_from(layout.size()).unwrap_or(isize::MAX)
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s contract; the
// bookkeeping touches only `const`-initialised thread-locals without destructors, which never allocate.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on unchanged.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            note(size(layout));
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed` is passed on unchanged.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            note(size(layout));
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on unchanged.
        unsafe { System.dealloc(pointer, layout) };
        note(-size(layout));
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on unchanged.
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            note(isize::try_from(new_size).unwrap_or(isize::MAX).saturating_sub(size(layout)));
        }
        moved
    }
}

/// Runs `work` and returns its result with the most heap it held at once, in bytes (on this thread,
/// above what was held when it started).
pub fn peak_heap<R>(work: impl FnOnce() -> R) -> (R, usize) {
    /// Stops metering even when `work` unwinds.
    struct Stop;
    impl Drop for Stop {
        fn drop(&mut self) {
            METERING.set(false);
        }
    }
    HELD.set(0);
    PEAK.set(0);
    METERING.set(true);
    let stop = Stop;
    let result = work();
    drop(stop);
    (result, usize::try_from(PEAK.get()).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_is_seen_after_the_memory_is_freed() {
        let ((), peak) = peak_heap(|| {
            let big = vec![1u8; 3 << 20];
            drop(std::hint::black_box(big));
            let _small = std::hint::black_box(vec![0u8; 1000]);
        });
        assert!((3 << 20..(3 << 20) + 4096).contains(&peak), "{peak}");
    }
}
