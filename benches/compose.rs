//! Compose speed: a generated file of N services (`../shared/tools/gen_big_compose.py N OUT`, or the same
//! text generated here when the tool is absent), checked end to end in-process (discovery, load, rules,
//! JSON rendering), plus the loader's phases. `cargo bench --bench compose [-- N...]`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wirelint::compose::{schema, yaml};
use wirelint::source::FileId;

/// The generator's output, byte for byte (see gen_big_compose.py), for when Python or the tool is missing.
fn generate(n: usize) -> String {
    let mut lines = vec!["name: big".to_string(), "services:".to_string()];
    for i in 0..n {
        let name = format!("svc{i:05}");
        let host_a = 10000 + 2 * i;
        let mut host_b = 10001 + 2 * i;
        if i % 100 == 0 {
            host_b = 5000;
        }
        lines.push(format!("  {name}:"));
        lines.push(format!(
            "    image: 'registry.example/app{}:1.{}.0'",
            i % 50,
            i % 7
        ));
        if i > 0 {
            lines.push("    depends_on:".into());
            lines.push(format!("      - svc{:05}", i - 1));
        }
        lines.extend([
            "    environment:".to_string(),
            format!("      SERVICE_INDEX: '{i}'"),
            "      LOG_LEVEL: 'info'".to_string(),
            "    ports:".to_string(),
            format!("      - '127.0.0.1:{host_a}:8080'"),
            format!("      - '{host_b}:9000'"),
            "    expose:".to_string(),
            "      - '9100'".to_string(),
        ]);
    }
    lines.join("\n") + "\n"
}

fn input(n: usize, dir: &Path) -> PathBuf {
    let out = dir.join(format!("big{n}")).join("compose.yaml");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let tool = Path::new("../shared/tools/gen_big_compose.py");
    let made = tool.is_file()
        && std::process::Command::new("python3")
            .arg(tool)
            .arg(n.to_string())
            .arg(&out)
            .status()
            .is_ok_and(|s| s.success());
    if !made {
        std::fs::write(&out, generate(n)).unwrap();
    }
    out
}

/// CPU time (user + system) this process has used so far, from /proc (Linux), in clock ticks of 10 ms.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Wall time: the fastest of `runs` (the least disturbed by other processes on a shared machine), and the
/// mean CPU time per run.
struct Timing {
    min: Duration,
    cpu: Option<Duration>,
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Timing {
    let cpu0 = cpu_time();
    let min = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap();
    let cpu = cpu0.zip(cpu_time()).map(|(a, b)| (b - a) / runs as u32);
    Timing { min, cpu }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![2000, 10000]
    } else {
        sizes
    };
    let dir = tempfile::tempdir().unwrap();
    for n in sizes {
        let path = input(n, dir.path());
        let text = std::fs::read_to_string(&path).unwrap();
        let runs = if n >= 10000 { 10 } else { 30 };
        let parse = time(runs, || yaml::parse(FileId(0), &text).unwrap());
        let doc = yaml::parse(FileId(0), &text).unwrap();
        let validate = time(runs, || schema::validate(&doc.roots[0]));
        let settings = wirelint::settings::Settings::default();
        let load = time(runs, || {
            let mut sources = wirelint::source::SourceMap::new();
            wirelint::compose::load(&mut sources, std::slice::from_ref(&path), &settings)
        });
        let full = time(runs, || {
            use clap::Parser;
            let cli = wirelint::cli::Cli::try_parse_from([
                "wirelint",
                "check",
                path.to_str().unwrap(),
                "--format=json",
            ])
            .unwrap();
            let wirelint::cli::Command::Check(args) = cli.command else {
                unreachable!()
            };
            wirelint::cli::check(&args, false).unwrap()
        });
        println!(
            "compose {n} services ({} KB): check {:.1} ms wall (min of {runs}), {:.1} ms CPU (mean); \
             load {:.1} ms: yaml {:.1} ms, schema {:.1} ms",
            text.len() / 1024,
            ms(full.min),
            full.cpu.map_or(f64::NAN, ms),
            ms(load.min),
            ms(parse.min),
            ms(validate.min),
        );
    }
}
