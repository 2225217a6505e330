//! Where the time goes on a large nginx configuration, phase by phase, in-process (not a test):
//! read + parse + includes, every rule, sort, JSON and human rendering.
//!
//!   python3 ../shared/tools/gen_big_nginx.py --out /tmp/big/nginx.conf
//!   cargo bench --bench nginx_phases -- /tmp/big/nginx.conf
//!
//! Prints the minimum over BENCH_RUNS (default 10) runs of each phase.

use std::path::PathBuf;
use std::time::{Duration, Instant};
use wirelint::report::{self, Format, Summary};
use wirelint::settings::Settings;

fn main() {
    let path: PathBuf = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| "/tmp/big/nginx.conf".into())
        .into();
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let settings = Settings::default();
    let paths = vec![path];
    let mut best = [Duration::MAX; 3];
    for _ in 0..runs {
        let t = Instant::now();
        let outcome = wirelint::lint::check(&paths, None, &settings).expect("check");
        let checked = t.elapsed();
        let summary = Summary::new(outcome.files, &outcome.diagnostics);
        let t = Instant::now();
        let json = report::render(
            Format::Json,
            &outcome.sources,
            &outcome.diagnostics,
            summary,
            false,
        );
        let json_time = t.elapsed();
        let t = Instant::now();
        let human = report::render(
            Format::Human,
            &outcome.sources,
            &outcome.diagnostics,
            summary,
            false,
        );
        let human_time = t.elapsed();
        std::hint::black_box((json, human));
        for (b, d) in best.iter_mut().zip([checked, json_time, human_time]) {
            *b = (*b).min(d);
        }
    }
    println!(
        "check {:.1} ms, json {:.1} ms, human {:.1} ms (min of {runs})",
        best[0].as_secs_f64() * 1e3,
        best[1].as_secs_f64() * 1e3,
        best[2].as_secs_f64() * 1e3
    );
}
