//! `WIRELINT_TIMINGS=1`: prints how long each phase of a run took to stderr (for profiling a slow run;
//! the figures in docs/bench.md were found this way).

use std::sync::OnceLock;
use std::time::Instant;

struct Clock {
    enabled: bool,
    last: std::sync::Mutex<Instant>,
}

fn clock() -> &'static Clock {
    static CLOCK: OnceLock<Clock> = OnceLock::new();
    CLOCK.get_or_init(|| Clock {
        enabled: std::env::var_os("WIRELINT_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0"),
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
