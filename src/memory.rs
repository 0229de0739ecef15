//! Memory handed back after a load: `baas serve` runs on jemalloc (the
//! binary's global allocator, `main.rs`), tuned here so that pages freed
//! when connections close go back to the system within about a second
//! instead of staying in the allocator's caches.
//!
//! Measured with `benches/serve/held.py` (5,000 held half-sent requests,
//! then released): glibc's malloc keeps most of the peak (18 -> 108 ->
//! 90 MB), and `unsafe_code = "forbid"` rules out calling `malloc_trim`.
//! jemalloc's background threads purge on their own schedule: every
//! arena's dirty pages decay over [`DECAY_MS`] and are then returned at once
//! (no muzzy stage: pages given back with `MADV_FREE` would still count as
//! resident until the kernel wants them).

/// How long freed pages stay cached before they are returned, in
/// milliseconds (jemalloc's default is 10 s).
pub const DECAY_MS: isize = 1000;

/// Turns on jemalloc's background purging threads and sets the decay times
/// of every arena, existing or new. Does nothing useful (and no harm) when
/// jemalloc is not the global allocator, as in the library's tests; a
/// setting jemalloc refuses is skipped.
pub fn return_freed_memory_promptly() {
    #[cfg(not(target_env = "msvc"))]
    {
        use tikv_jemalloc_ctl::{Access as _, AsName as _};
        let settings = [("dirty", DECAY_MS), ("muzzy", 0)];
        for (kind, ms) in settings {
            let _ = format!("arenas.{kind}_decay_ms\0")
                .as_str()
                .name()
                .write(ms);
        }
        if let Ok(arenas) = tikv_jemalloc_ctl::arenas::narenas::read() {
            for arena in 0..arenas {
                for (kind, ms) in settings {
                    let name = format!("arena.{arena}.{kind}_decay_ms\0");
                    let _ = name.as_str().name().write(ms);
                }
            }
        }
        let _ = tikv_jemalloc_ctl::background_thread::write(true);
    }
}
