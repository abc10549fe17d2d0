//! The process's allocator, and giving freed memory back to the system.
//!
//! Atlas allocates through mimalloc, not the platform's `malloc`. A decoded
//! place is tens of thousands of small property maps, each grown one
//! property at a time as the decoder reads a class's property chunks; the
//! tables they outgrow leave holes that glibc's heap keeps. Decoding Miner's
//! Haven peaks at 500 MB of resident memory under glibc for 317 MB of live
//! heap, and at 372 MB under mimalloc; a whole syncback at 522 MiB against
//! 398 MiB, a build at 272 against 250. Transparent huge pages are off
//! (the `no_thp` feature): with them, mimalloc's segments count as resident
//! in whole 2 MiB pages (decoding alone: 391 MB). The allocator is set
//! here, in the library, so that the binary, its tests, benches and
//! examples all measure the same one.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Returns the memory the process has freed to the system, where the
/// allocator holds on to it (after the dev server's start-up: whole-project
/// snapshots built, turned into the live tree and dropped).
pub fn release_free_memory() {
    // SAFETY: mi_collect only walks the allocator's own free pages of this
    // thread and the abandoned ones; it touches no memory the program holds.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}
