//! The process's allocator: mimalloc, told to keep the memory it frees.
//!
//! Burn's CPU backend allocates and frees a fresh buffer for most operations. glibc's
//! allocator hands large ones back to the kernel each time, and the page faults of taking them
//! again cost more than the arithmetic (half of the CYBORG loss's time on flex, see
//! docs/benchmarks.md); mimalloc keeps them. But by default mimalloc (v3) still returns
//! ("purges") the pages it has not reused within a second, and a training step reuses many of
//! its large buffers later than that: the kernel then zeroes fresh pages again (12 % of a
//! DenseNet-121 step on flex went to `clear_page`). [`keep_freed_memory`] turns purging off: the process keeps the
//! memory it had at its peak, which it would need again at the next step anyway.
//! [`no_transparent_huge_pages`] keeps that memory in 4 KiB pages, so what is kept is what was
//! touched, not the 2 MiB around it.

/// The allocator of every `cyborg` process.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its place in `mi_option_e`, mimalloc.h, v2 and v3;
/// libmimalloc-sys does not name it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Purge delay in milliseconds: -1 never purges.
const NEVER: std::ffi::c_long = -1;

/// mimalloc's `mi_option_allow_thp` (its place in `mi_option_e`, mimalloc.h, v3).
const ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Turns transparent huge pages off for this process (Linux), unless the user chose with
/// `MIMALLOC_ALLOW_THP`.
///
/// mimalloc asks the kernel for huge pages (`madvise(MADV_HUGEPAGE)`) on its arenas, so any
/// page it touches brings in 2 MiB: with purging off and a heap per thread, a small model's
/// inference rose 64–69 MiB instead of 37 (PyTorch: 29–33), ResNet-18's 231 instead of 210
/// (PyTorch: 216), and the steps were no faster with them (docs/benchmarks.md). mimalloc reads
/// its option when it maps its first arena, before `main`, so the process-wide switch
/// `prctl(PR_SET_THP_DISABLE)` does the work; the option stops later `madvise` calls.
pub fn no_transparent_huge_pages() {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return;
    }
    // SAFETY: `mi_option_set` stores a value in mimalloc's option table; it may be called at
    // any time, from any thread, and `ALLOW_THP` is a valid option.
    unsafe { libmimalloc_sys::mi_option_set(ALLOW_THP, 0) }
    #[cfg(target_os = "linux")]
    // SAFETY: `PR_SET_THP_DISABLE` sets a flag of this process; the call takes no pointers,
    // and its failure (an old kernel) only leaves huge pages on.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Turns mimalloc's purging off, unless the user chose a delay with `MIMALLOC_PURGE_DELAY`.
pub fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` stores a value in mimalloc's option table; it may be called
        // at any time, from any thread, and `PURGE_DELAY` is a valid option.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, NEVER) }
    }
}

/// mimalloc's current purge delay.
#[cfg(test)]
fn purge_delay() -> std::ffi::c_long {
    // SAFETY: `mi_option_get` reads mimalloc's option table; `PURGE_DELAY` is a valid option.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turns_off_transparent_huge_pages() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return;
        }
        // mimalloc v3's default: huge pages allowed (the index is right).
        // SAFETY: `mi_option_get` reads mimalloc's option table; `ALLOW_THP` is a valid option.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(ALLOW_THP) }, 1);
        no_transparent_huge_pages();
        // SAFETY: as above.
        assert_eq!(unsafe { libmimalloc_sys::mi_option_get(ALLOW_THP) }, 0);
        #[cfg(target_os = "linux")]
        {
            // SAFETY: `PR_GET_THP_DISABLE` reads a flag of this process; no pointers.
            let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
            assert_eq!(disabled, 1);
        }
    }

    #[test]
    fn turns_off_the_purge_delay_option() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // mimalloc v3's default purge delay, 1000 ms (src/options.c): the index is right.
        assert_eq!(purge_delay(), 1000);
        keep_freed_memory();
        assert_eq!(purge_delay(), NEVER);
    }
}
