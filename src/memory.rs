//! Giving freed memory back to the system.
//!
//! glibc keeps what a process frees inside its heap for later allocations;
//! after the dev server's start-up (whole-project snapshots built, turned
//! into the live tree and dropped) that is tens of megabytes a long-lived
//! process never needs again. Elsewhere this does nothing.

/// Returns the free memory of the heap to the system, where the allocator
/// supports it.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it
    // touches no memory the program holds.
    unsafe {
        libc::malloc_trim(0);
    }
}
