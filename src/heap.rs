//! Heap set-up for a large command-line run (glibc on Linux; elsewhere nothing happens).
//!
//! Checking a 5 MB nginx configuration touches about 50 MB of fresh heap. With 4 KiB pages that is
//! 12,000 page faults, which cost 45–60 ms of system time on the 2-core machine the figures in
//! docs/bench.md come from: as long as the parse itself. Backing the heap with transparent huge pages
//! (2 MiB) instead takes 25 faults for the same memory. (Other threads' allocations stay in their own
//! malloc arenas: sharing the main one made the human renderer's threads wait on its lock, 130 → 230 ms.)
//!
//! Only a one-shot command-line run ([`crate::process::one_shot`]) gets this: the settings keep memory the
//! process frees (a process that exits does not care; a language server would).

/// Inputs smaller than this in all are not worth it: their heap is a few megabytes.
pub const LARGE_RUN_BYTES: u64 = 1 << 20;

/// Whether a run over `input_bytes` gets the heap tuned.
fn wanted(one_shot: bool, input_bytes: u64) -> bool {
    one_shot && input_bytes >= LARGE_RUN_BYTES
}

/// Readies the heap for parsing `input_bytes` of configuration, if this is a one-shot process and that is
/// much. Returns whether it did.
pub fn prepare(input_bytes: u64) -> bool {
    if !wanted(crate::process::one_shot(), input_bytes) {
        return false;
    }
    // About ten bytes of heap per byte of input (syntax trees, the flattened walk, findings); the
    // kernel backs only the pages touched, so reserving more costs address space, not memory.
    let reserve = (input_bytes.saturating_mul(10)).min(1 << 30) as usize;
    imp::prepare(reserve)
}

/// [`prepare`] for the memory the calling thread (not the main one) will allocate while parsing
/// `input_bytes`: other threads allocate from malloc arenas of their own.
pub fn prepare_thread(input_bytes: u64) -> bool {
    if !wanted(crate::process::one_shot(), input_bytes) {
        return false;
    }
    imp::prepare((input_bytes.saturating_mul(10)).min(48 << 20) as usize)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod imp {
    const HUGE_PAGE: usize = 2 << 20;

    pub fn prepare(reserve: usize) -> bool {
        // SAFETY: plain libc calls; the block is freed before anything else can see it, and the plug below
        // is never freed.
        unsafe {
            // The reserve comes from the heap rather than from a mapping of its own, and the heap is not
            // given back to the kernel when its top is freed.
            libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
            libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
            // Grow the heap by `reserve` now and mark it for huge pages; freeing the block leaves it
            // at the heap's top, where the run's allocations are carved from.
            let block = libc::malloc(reserve) as usize;
            if block == 0 {
                return false;
            }
            let start = (block + HUGE_PAGE - 1) & !(HUGE_PAGE - 1);
            let end = (block + reserve) & !(HUGE_PAGE - 1);
            if start < end {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
            libc::free(block as *mut libc::c_void);
            // The 2 MiB page that holds the block's start also holds the arena's header or earlier
            // allocations, already backed by 4 KiB pages, so the kernel backs the rest of it with 4 KiB
            // pages too: a fresh thread's arena took 500 faults there, one per page. A block over that part
            // of the page, kept for the life of the process (address space only: its pages are never
            // touched), makes the run's allocations start at the first huge page.
            if start > block + 4096 && start < end {
                // `black_box`: the compiler drops an allocation nothing reads (checked in the
                // disassembly: a store to a static nobody reads was dropped too).
                std::hint::black_box(libc::malloc(start - block - 64));
            }
            // Every arena grows by at least 4 MiB at a time: the rule and report threads' arenas grew a few
            // pages per system call (1,600 `mprotect` calls on a run over 2,000 files).
            libc::mallopt(libc::M_TOP_PAD, 4 << 20);
            // Large blocks get their own mappings again (glibc's default threshold), which are returned
            // to the kernel when freed: keeping them in the heap too raised peak memory by 7–10 MB.
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 << 10);
        }
        true
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
mod imp {
    pub fn prepare(_reserve: usize) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn small_or_library_runs_leave_the_heap_alone() {
        // Not one-shot (a library caller, a language server): nothing changes, whatever the size.
        assert!(!super::wanted(false, 1 << 40));
        assert!(!super::wanted(true, super::LARGE_RUN_BYTES - 1));
        assert!(super::wanted(true, super::LARGE_RUN_BYTES));
    }
}
