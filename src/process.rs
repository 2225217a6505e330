//! Whether this process is a one-shot `wirelint check`: it makes one run and exits. Such a process may do
//! what a long-lived caller (the language server, a test, a library user) must not:
//! - tune the heap for a large run ([`crate::heap`]);
//! - map large files instead of reading them ([`crate::source`]): an editor truncating a mapped file
//!   could end a long-lived process;
//! - leave a large run's memory to the OS, which takes it back at exit at once, instead of freeing it
//!   one allocation at a time (the parsed trees, the findings, the sources).

use std::sync::atomic::{AtomicBool, Ordering};

static ONE_SHOT: AtomicBool = AtomicBool::new(false);

/// Declares this process a one-shot `check`; only the command-line `check` does.
pub fn set_one_shot() {
    ONE_SHOT.store(true, Ordering::Relaxed);
}

pub fn one_shot() -> bool {
    ONE_SHOT.load(Ordering::Relaxed)
}
