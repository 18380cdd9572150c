//! How freed memory goes back to the system after a burst of connections.
//!
//! The release image runs on glibc, whose malloc serves a block of 128 KiB
//! or more with its own `mmap`, unmapped when freed — but after the first
//! such block is freed it raises that threshold to the block's size (up to
//! 32 MiB), so the next request heads of up to 256 KiB come from the
//! per-thread arenas instead, where a burst's freed buffers stayed resident
//! (after the burst test in `tests/binary.rs`, 33 MiB against an idle
//! 12.5 MiB; 14 MiB with the threshold fixed). Fixing
//! the threshold at glibc's own starting value keeps large buffers in
//! `mmap`, returned as soon as a connection ends; everything smaller, a
//! normal request's 8 KiB buffer included, is served as before.

/// glibc's default `M_MMAP_THRESHOLD`, kept from rising.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Fixes glibc's mmap threshold (elsewhere, does nothing). Call once at
/// start-up; returns false if the allocator refused the setting.
pub fn return_large_blocks_when_freed() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only sets an allocator parameter; it takes the
        // allocator's own lock and has no memory-safety preconditions.
        unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        true
    }
}
