//! A global allocator that counts the allocations made on the current
//! thread while a closure runs, so tests can prove an audio path allocates
//! nothing. A test binary installs it with
//! `#[global_allocator] static GLOBAL: CountingAllocator = CountingAllocator;`
//! and measures with [`count`]; other threads are not counted.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// The counting allocator (forwards to the system allocator).
pub struct CountingAllocator;

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note() {
    let _ = ACTIVE.try_with(|a| {
        if a.get() {
            COUNT.with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: forwards to the system allocator; the counters are const-initialised
// `Cell`s, which never allocate.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations, reallocations and frees made on this thread while `f` runs.
///
/// # Panics
/// When the test binary did not install [`CountingAllocator`] (a count of
/// zero would then prove nothing).
pub fn count(f: impl FnOnce()) -> usize {
    COUNT.with(|c| c.set(0));
    ACTIVE.with(|a| a.set(true));
    drop(std::hint::black_box(Box::new(0u64)));
    let installed = COUNT.with(|c| c.get()) > 0;
    COUNT.with(|c| c.set(0));
    assert!(installed, "install mixgraph_tests::alloc_counter::CountingAllocator as the #[global_allocator]");
    f();
    ACTIVE.with(|a| a.set(false));
    COUNT.with(|c| c.get())
}
