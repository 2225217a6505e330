//! Benchmark: 1,000 php-fpm pool files in one pool directory, discovered, read, merged in php-fpm's load
//! order and checked by every P rule (`wirelint check DIR` without the rendering).
//! Run: `cargo bench --bench phpfpm`. Target: ≤ 50 ms.

use std::time::{Duration, Instant};
use wirelint::settings::Settings;

fn main() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("php-fpm.d");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..1000 {
        let text = format!(
            "; pool {i}\n[pool{i}]\nuser = www-data\ngroup = www-data\nlisten = {}\nlisten.allowed_clients = 127.0.0.1, 10.0.{}.{}\n\
             pm = dynamic\npm.max_children = 10\npm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n\
             request_terminate_timeout = 60s\ncatch_workers_output = yes\nphp_admin_value[memory_limit] = 256M\n\
             php_value[error_log] = /var/log/fpm/$pool.log\nenv[APP_ENV] = production\nslowlog = /var/log/fpm/$pool.slow\n",
            10000 + i,
            i / 250,
            i % 250
        );
        std::fs::write(dir.join(format!("{i:04}-pool.conf")), text).unwrap();
    }
    let settings = Settings::default();
    let paths = vec![dir.clone()];
    let run = || {
        let outcome = wirelint::lint::check(&paths, None, &settings).expect("check");
        assert_eq!(outcome.files, 1000);
        outcome.diagnostics.len()
    };
    run(); // warm the page cache
           // BENCH_RUNS=300 for profiling.
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(40);
    let cpu_before = cpu_time();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(run());
            start.elapsed()
        })
        .collect();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(a, b)| (a - b) / runs as f64);
    times.sort();
    println!(
        "phpfpm: 1000 pool files read and checked: wall median {:.1} ms, min {:.1} ms, max {:.1} ms; \
         CPU (user+sys) {} per run ({runs} runs)",
        times[runs / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[runs - 1].as_secs_f64() * 1e3,
        cpu.map_or("n/a".to_string(), |c| format!("{:.1} ms", c * 1e3)),
    );

    // The php-fpm part alone: files already discovered (kind sniffing is shared with the other languages).
    let (inputs, _) = wirelint::discover::discover(&paths, None).unwrap();
    let refs: Vec<_> = inputs.iter().collect();
    let cpu_before = cpu_time();
    let mut load_times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            let mut sources = wirelint::source::SourceMap::new();
            let loaded = wirelint::phpfpm::load(&mut sources, &refs, &settings).unwrap();
            let mut out = Vec::new();
            for set in &loaded.sets {
                let cx = wirelint::rules::PhpFpmCx {
                    sources: &sources,
                    settings: &settings,
                    set,
                    stack: None,
                    nginx: &[],
                };
                for rule in wirelint::rules::RULES {
                    if let wirelint::rules::Check::PhpFpm(check) = rule.check {
                        check(&cx, &mut out);
                    }
                }
            }
            std::hint::black_box(out);
            start.elapsed()
        })
        .collect();
    let cpu = cpu_time()
        .zip(cpu_before)
        .map(|(a, b)| (a - b) / runs as f64);
    load_times.sort();
    println!(
        "phpfpm: of which read + parse + merge + P rules: wall median {:.1} ms, min {:.1} ms; CPU {} per run",
        load_times[runs / 2].as_secs_f64() * 1e3,
        load_times[0].as_secs_f64() * 1e3,
        cpu.map_or("n/a".to_string(), |c| format!("{:.1} ms", c * 1e3)),
    );
}

/// This process's user+system CPU seconds (Linux `/proc/self/stat`); wall time is noisy on a shared
/// machine, CPU time less so.
fn cpu_time() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}
