//! `WIRELINT_TIMINGS=1`: prints how long each phase of a run took to stderr (for profiling a slow run;
//! the figures in docs/bench.md were found this way).

use std::sync::OnceLock;
use std::time::Instant;

struct Clock {
    enabled: bool,
    origin: Instant,
    last: std::sync::Mutex<Instant>,
}

fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(|| Clock {
        enabled: std::env::var_os("WIRELINT_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0"),
        origin: Instant::now(),
        last: std::sync::Mutex::new(Instant::now()),
    })
}

/// Marks the end of phase `name`: prints the time since the previous mark when timings are on.
pub fn phase(name: &str) {
    let c = clock();
    if !c.enabled {
        return;
    }
    let mut last = c.last.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    eprintln!(
        "wirelint timing: {name:<16} {:>8.2} ms",
        (now - *last).as_secs_f64() * 1e3
    );
    *last = now;
}

/// Whether timings are on (for callers that measure a piece of work themselves, see [`interval`]).
pub fn enabled() -> bool {
    clock().enabled
}

/// Prints when a piece of work that began at `start` ran, in ms since the first mark, with its thread:
/// work on several threads overlaps, so its share of a phase shows only this way.
pub fn interval(name: &str, start: Instant) {
    let c = clock();
    if !c.enabled {
        return;
    }
    let now = Instant::now();
    let at = |t: Instant| t.saturating_duration_since(c.origin).as_secs_f64() * 1e3;
    eprintln!(
        "wirelint timing:   {name:<14} {:>8.2} → {:>8.2} ms  ({:?})",
        at(start),
        at(now),
        std::thread::current().id()
    );
}
