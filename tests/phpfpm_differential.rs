//! Differential test: wirelint's effective pools against what `php-fpm8.2 -tt` prints for the same files.
//!
//! Each layout is written to a temporary prefix; php-fpm runs as `php-fpm8.2 -tt -R -p PREFIX -y CONF`
//! (Debian's `php8.2-fpm`, installed by `.ci/run`) with the layout's environment, and its dump of every pool
//! (`fpm_conf_dump`) is compared with wirelint's `EffectivePool`s: pool names in order, `listen`,
//! `listen.allowed_clients`, `pm`, `pm.max_children` and `user`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use wirelint::discover::Input;
use wirelint::phpfpm::{self, ListenAddress};
use wirelint::settings::{Kind, Settings};
use wirelint::source::SourceMap;

const ORACLE: &str = "php-fpm8.2";

/// How wirelint is pointed at the layout.
#[derive(Clone, Copy)]
enum Mode {
    /// The main config (`etc/php-fpm.conf`) is given.
    Main,
    /// Only the pool directory is given; php-fpm's main config includes `DIR/*.conf`.
    PoolDir(&'static str),
}

struct Layout {
    name: &'static str,
    mode: Mode,
    /// Paths relative to the prefix. In `Main` mode `etc/php-fpm.conf` is the main config; the harness puts
    /// `[global] error_log = …` in front of it.
    files: &'static [(&'static str, &'static str)],
    env: &'static [(&'static str, &'static str)],
}

fn layouts() -> Vec<Layout> {
    macro_rules! l {
        ($name:expr, $mode:expr, [$(($p:expr, $t:expr)),* $(,)?] $(, env [$(($k:expr, $v:expr)),*])?) => {
            Layout { name: $name, mode: $mode, files: &[$(($p, $t)),*], env: &[$($(($k, $v)),*)?] }
        };
    }
    use Mode::*;
    vec![
        l!("seed: www.conf then zz-docker.conf", PoolDir("etc/php-fpm.d"), [
            ("etc/php-fpm.d/www.conf", "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\npm.max_children = 5\npm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n"),
            ("etc/php-fpm.d/zz-docker.conf", "[global]\ndaemonize = no\n\n[www]\nlisten = 9000\n"),
        ]),
        l!("seed through a relative include", Main, [
            ("etc/php-fpm.conf", "include=etc/php-fpm.d/*.conf\n"),
            ("etc/php-fpm.d/www.conf", "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 5\n"),
            ("etc/php-fpm.d/zz-docker.conf", "[global]\ndaemonize = no\n[www]\nlisten = 9000\n"),
        ]),
        l!("byte order: 10- before 9-", PoolDir("pool.d"), [
            ("pool.d/9-late.conf", "[www]\nlisten = 9009\n"),
            ("pool.d/10-early.conf", "[www]\nuser = nobody\nlisten = 9010\npm = static\npm.max_children = 3\n"),
        ]),
        l!("uppercase sorts before lowercase", PoolDir("pool.d"), [
            ("pool.d/b.conf", "[www]\nlisten = 9002\n"),
            ("pool.d/A.conf", "[www]\nuser = nobody\nlisten = 9001\npm = static\npm.max_children = 2\n"),
        ]),
        l!("case-insensitive pool names merge", PoolDir("pool.d"), [
            ("pool.d/a.conf", "[App]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n"),
            ("pool.d/b.conf", "[app]\npm.max_children = 9\n[APP]\nlisten = 9100\n"),
        ]),
        l!("several pools", Main, [
            ("etc/php-fpm.conf", "include=etc/pools/*.conf\n"),
            ("etc/pools/a.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n[api]\nuser = www-data\nlisten = 9001\npm = ondemand\npm.max_children = 4\n"),
            ("etc/pools/b.conf", "[admin]\nuser = nobody\nlisten = 127.0.0.1:9002\npm = static\npm.max_children = 1\n"),
        ]),
        l!("absolute unix socket", PoolDir("pool.d"), [
            ("pool.d/www.conf", "[www]\nuser = nobody\nlisten = /run/php/php-fpm.sock\npm = static\npm.max_children = 2\n"),
        ]),
        l!("relative unix socket resolves against the prefix", Main, [
            ("etc/php-fpm.conf", "[www]\nuser = nobody\nlisten = run/www.sock\npm = static\npm.max_children = 2\n"),
        ]),
        l!("$pool in a socket path", Main, [
            ("etc/php-fpm.conf", "[alpha]\nuser = nobody\nlisten = /run/php/$pool.sock\npm = static\npm.max_children = 2\n[beta]\nuser = nobody\nlisten = /run/php/$pool.sock\npm = static\npm.max_children = 2\n"),
        ]),
        l!("IPv6 any address", Main, [
            ("etc/php-fpm.conf", "[www]\nuser = nobody\nlisten = [::]:9000\npm = static\npm.max_children = 2\n"),
        ]),
        l!("IPv6 loopback and IPv4 address", Main, [
            ("etc/php-fpm.conf", "[a]\nuser = nobody\nlisten = [::1]:9001\npm = static\npm.max_children = 2\n[b]\nuser = nobody\nlisten = 10.1.2.3:9002\npm = static\npm.max_children = 2\n"),
        ]),
        l!("ports only", PoolDir("d"), [
            ("d/a.conf", "[a]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 1\n"),
            ("d/b.conf", "[b]\nuser = nobody\nlisten = 9001\npm = static\npm.max_children = 1\n"),
        ]),
        l!("${VAR} in listen and user", Main, [
            ("etc/php-fpm.conf", "[www]\nuser = ${FPM_USER}\nlisten = ${FPM_HOST}:${FPM_PORT}\npm = static\npm.max_children = 2\n"),
        ], env [("FPM_USER", "www-data"), ("FPM_HOST", "0.0.0.0"), ("FPM_PORT", "9123")]),
        l!("${VAR} inside quotes and an unset one", Main, [
            ("etc/php-fpm.conf", "[www]\nuser = nobody\nlisten = \"${FPM_PORT}\"\nlisten.allowed_clients = \"127.0.0.1${UNSET_SUFFIX}\"\npm = static\npm.max_children = 2\n"),
        ], env [("FPM_PORT", "9300")]),
        l!("quoted and single-quoted values", Main, [
            ("etc/php-fpm.conf", "[www]\nuser = 'nobody'\nlisten = \"127.0.0.1:9000\"\npm = \"static\"\npm.max_children = \"7\"\n"),
        ]),
        l!("allowed_clients list, comments, tabs", Main, [
            ("etc/php-fpm.conf", "; comment\n[www] ; the pool\nuser\t=\tnobody\nlisten = 9000 ; all addresses\nlisten.allowed_clients = 127.0.0.1, 172.18.0.5 ; nginx\npm = static\npm.max_children = 2\n"),
        ]),
        l!("pm keywords in any case", Main, [
            ("etc/php-fpm.conf", "[a]\nuser = nobody\nlisten = 9000\npm = Static\npm.max_children = 2\n[b]\nuser = nobody\nlisten = 9001\npm = ONDEMAND\npm.max_children = 3\n"),
        ]),
        l!("nested includes", Main, [
            ("etc/php-fpm.conf", "include=etc/a.conf\n"),
            ("etc/a.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\ninclude=etc/b.conf\n"),
            ("etc/b.conf", "listen = 9500\n"),
        ]),
        l!("an included file continues the includer's section", Main, [
            ("etc/php-fpm.conf", "[www]\nuser = nobody\npm = static\npm.max_children = 2\ninclude=etc/tail/*.conf\npm.max_children = 4\n"),
            ("etc/tail/listen.conf", "listen = 9600\n[other]\nuser = nobody\nlisten = 9601\npm = static\npm.max_children = 1\n"),
        ]),
        l!("global section in between", PoolDir("pool.d"), [
            ("pool.d/a.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n[global]\ndaemonize = no\n"),
            ("pool.d/b.conf", "[www]\nlisten = 9700\n"),
        ]),
        l!("absolute include path", Main, [
            ("etc/php-fpm.conf", "include=@PREFIX@/conf/extra/*.conf\n"),
            ("conf/extra/www.conf", "[www]\nuser = nobody\nlisten = 9800\npm = static\npm.max_children = 2\n"),
        ]),
        l!("glob with ? and [] classes", Main, [
            ("etc/php-fpm.conf", "include=etc/p?/[ab]*.conf\n"),
            ("etc/p1/a.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n"),
            ("etc/p1/b.conf", "[www]\nlisten = 9001\n"),
            ("etc/p1/c.conf", "[www]\nlisten = 9002\n"),
        ]),
        l!("override and back again across three files", PoolDir("pool.d"), [
            ("pool.d/1.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n"),
            ("pool.d/2.conf", "[www]\nlisten = 127.0.0.1:9000\nuser = www-data\n"),
            ("pool.d/3.conf", "[www]\nlisten = 9000\n"),
        ]),
        l!("a hidden file is not matched by an include glob", Main, [
            ("etc/php-fpm.conf", "include=etc/pools/*.conf\n"),
            ("etc/pools/www.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n"),
            ("etc/pools/.override.conf", "[www]\nlisten.allowed_clients = 10.9.9.9\n"),
        ]),
        l!("a hidden file in a pool directory is not loaded", PoolDir("pool.d"), [
            ("pool.d/www.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n"),
            ("pool.d/.override.conf", "[www]\nlisten.allowed_clients = 10.9.9.9\n"),
        ]),
        l!("two includes in order", Main, [
            ("etc/php-fpm.conf", "include=etc/second/*.conf\ninclude=etc/first/*.conf\n"),
            ("etc/first/www.conf", "[www]\nlisten = 9001\n"),
            ("etc/second/www.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\n"),
        ]),
        l!("keywords and empty allowed_clients", Main, [
            ("etc/php-fpm.conf", "[www]\nuser = nobody\nlisten = 9000\nlisten.allowed_clients =\npm = static\npm.max_children = 2\ncatch_workers_output = yes\n"),
        ]),
        l!("php_value arrays do not disturb the pool", PoolDir("pool.d"), [
            ("pool.d/www.conf", "[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 2\nphp_admin_value[error_log] = /var/log/$pool.log\nphp_flag[display_errors] = off\nenv[HOSTNAME] = $HOSTNAME\n"),
        ]),
        l!("official image files, pre-2026 layout", PoolDir("etc/php-fpm.d"), [
            ("etc/php-fpm.d/docker.conf", "[global]\nlog_limit = 8192\n[www]\naccess.log = /proc/self/fd/2\nclear_env = no\ncatch_workers_output = yes\ndecorate_workers_output = no\n"),
            ("etc/php-fpm.d/www.conf", "[www]\nuser = www-data\ngroup = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\npm.max_children = 5\npm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n"),
            ("etc/php-fpm.d/zz-docker.conf", "[global]\ndaemonize = no\n[www]\nlisten = 9000\n"),
        ]),
        l!("official image files, post-2026 layout with a user www.conf", PoolDir("etc/php-fpm.d"), [
            ("etc/php-fpm.d/docker.conf", "[global]\nlog_limit = 8192\n[www]\nclear_env = no\nlisten = 9000\n"),
            ("etc/php-fpm.d/www.conf", "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 5\n"),
            ("etc/php-fpm.d/zz-docker.conf", "[global]\ndaemonize = no\n[www]\n"),
        ]),
        l!("Debian-style socket pool plus a TCP pool", Main, [
            ("etc/php-fpm.conf", "[global]\npid = /tmp/never.pid\ninclude=etc/pool.d/*.conf\n"),
            ("etc/pool.d/www.conf", "[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php/php8.2-fpm.sock\nlisten.owner = www-data\nlisten.group = www-data\npm = dynamic\npm.max_children = 5\npm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n"),
            ("etc/pool.d/zz-tcp.conf", "[tcp]\nuser = www-data\nlisten = 9000\nlisten.allowed_clients = 127.0.0.1\npm = static\npm.max_children = 1\n"),
        ]),
    ]
}

/// `(pool name, field → value)` in pool order, from php-fpm's `-tt` dump.
type Pools = Vec<(String, HashMap<String, String>)>;

const FIELDS: &[&str] = &[
    "listen",
    "listen.allowed_clients",
    "pm",
    "pm.max_children",
    "user",
];

fn oracle_available() -> bool {
    Command::new(ORACLE)
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn write_layout(dir: &Path, layout: &Layout) -> PathBuf {
    let prefix = dir.to_string_lossy().to_string();
    for (path, text) in layout.files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text.replace("@PREFIX@", &prefix)).unwrap();
    }
    let main = dir.join("etc/php-fpm.conf");
    let log = dir.join("fpm.log");
    let body = match layout.mode {
        Mode::Main => std::fs::read_to_string(&main).unwrap(),
        Mode::PoolDir(d) => format!("include={}/{d}/*.conf\n", prefix),
    };
    std::fs::create_dir_all(main.parent().unwrap()).unwrap();
    std::fs::write(
        &main,
        format!("[global]\nerror_log = {}\n{body}", log.display()),
    )
    .unwrap();
    main
}

fn run_oracle(dir: &Path, main: &Path, layout: &Layout) -> Pools {
    let out = Command::new(ORACLE)
        .args(["-tt", "-R", "-p"])
        .arg(dir)
        .arg("-y")
        .arg(main)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(layout.env.iter().copied())
        .output()
        .unwrap();
    let log = std::fs::read_to_string(dir.join("fpm.log")).unwrap_or_default();
    assert!(
        log.contains("test is successful"),
        "{}: php-fpm rejected the layout:\n{}\n{}",
        layout.name,
        String::from_utf8_lossy(&out.stderr),
        log
    );
    parse_dump(&log)
}

/// Pools from the `fpm_conf_dump` lines of php-fpm's log.
fn parse_dump(log: &str) -> Pools {
    let mut pools: Pools = Vec::new();
    let mut in_pool = false;
    for line in log.lines() {
        let Some((_, rest)) = line.split_once("NOTICE: ") else {
            continue;
        };
        if let Some(name) = rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            in_pool = name != "global";
            if in_pool {
                pools.push((name.to_string(), HashMap::new()));
            }
        } else if let Some(kv) = rest.strip_prefix('\t') {
            if let (true, Some((k, v))) = (in_pool, kv.split_once(" = ")) {
                if FIELDS.contains(&k) {
                    pools
                        .last_mut()
                        .unwrap()
                        .1
                        .insert(k.to_string(), v.to_string());
                }
            }
        }
    }
    pools
}

fn run_wirelint(dir: &Path, main: &Path, layout: &Layout) -> Pools {
    let env: HashMap<String, String> = layout
        .env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut settings = Settings::default();
    settings.phpfpm.prefix = Some(dir.to_path_buf());
    settings.phpfpm.env = Some(env);
    let inputs: Vec<Input> = match layout.mode {
        Mode::Main => vec![Input {
            path: main.to_path_buf(),
            name: "php-fpm.conf".into(),
            kind: Kind::PhpFpm,
        }],
        Mode::PoolDir(d) => {
            let (found, _) =
                wirelint::discover::discover(&[dir.join(d)], Some(Kind::PhpFpm)).unwrap();
            found
        }
    };
    let refs: Vec<&Input> = inputs.iter().collect();
    let mut sources = SourceMap::new();
    let loaded = phpfpm::load(&mut sources, &refs, &settings).unwrap();
    assert_eq!(loaded.sets.len(), 1, "{}: one pool set", layout.name);
    assert!(
        loaded.diagnostics.is_empty(),
        "{}: unexpected P000 {:?}",
        layout.name,
        loaded.diagnostics
    );
    pools_of(&loaded.sets[0])
}

/// wirelint's effective pools in the shape of php-fpm's dump.
fn pools_of(set: &phpfpm::PoolSet) -> Pools {
    set.pools
        .iter()
        .map(|pool| {
            let mut fields = HashMap::new();
            for f in FIELDS {
                let value = pool.get(f).and_then(|d| d.winner().value.clone());
                let shown = match (*f, value) {
                    ("listen", Some(_)) => match set.listen(pool).map(|(a, _)| a) {
                        Some(ListenAddress::Unix { path }) => path,
                        _ => pool.get("listen").unwrap().winner().value.clone().unwrap(),
                    },
                    ("pm.max_children", Some(v)) => v.parse::<i64>().unwrap_or(0).to_string(),
                    (_, Some(v)) => v,
                    ("pm.max_children", None) => "0".into(),
                    (_, None) => "undefined".into(),
                };
                fields.insert(f.to_string(), shown);
            }
            (pool.name.clone(), fields)
        })
        .collect()
}

#[test]
fn effective_pools_match_php_fpm() {
    if !oracle_available() {
        let msg = format!("{ORACLE} not found: the php-fpm differential test did not run");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} (CI=true requires it; .ci/run installs php8.2-fpm)");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    }
    let layouts = layouts();
    assert!(layouts.len() >= 25);
    let mut failures = Vec::new();
    for layout in &layouts {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let main = write_layout(&dir, layout);
        let expected = run_oracle(&dir, &main, layout);
        let actual = run_wirelint(&dir, &main, layout);
        assert!(
            !expected.is_empty(),
            "{}: php-fpm printed no pool",
            layout.name
        );
        if expected != actual {
            failures.push(format!(
                "{}:\n  php-fpm:  {:?}\n  wirelint: {:?}",
                layout.name, expected, actual
            ));
        }
    }
    eprintln!(
        "php-fpm differential: {}/{} layouts agree",
        layouts.len() - failures.len(),
        layouts.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lines php-fpm rejects must give P000 (or P006 for unknown keys, which php-fpm also rejects); lines it
/// accepts must give neither.
#[test]
fn rejected_lines_match_php_fpm() {
    if !oracle_available() {
        let msg = format!("{ORACLE} not found: the php-fpm syntax differential test did not run");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} (CI=true requires it; .ci/run installs php8.2-fpm)");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    }
    let lines = [
        "# comment",
        "ping.response = a=b",
        "ping.response = \"unterminated",
        "[www",
        "ping.response",
        "ping.response = a ; c",
        "ping.response = a # c",
        "ping.response = ${HOME",
        "ping.response = \"a\\\"b\"",
        "ping.response = 'a' \"b\" c",
        "pm.max_children = abc",
        "pm.max_children = \"5\"",
        "pm.max_children = -3x",
        "ping.response=x",
        "php_value[] = x",
        "php_value[memory_limit] = 128M",
        "php_admin_flag[display_errors] = maybe",
        "php_flag[display_errors] = off",
        "catch_workers_output = yes",
        "catch_workers_output = 0",
        "catch_workers_output = 2",
        "request_terminate_timeout = 30x",
        "request_terminate_timeout = 30s",
        "request_terminate_timeout = 5m",
        "rlimit_core = -1",
        "rlimit_core = unlimited",
        "pm.max_childs = 3",
        "Include = x",
        "foo bar = x",
        "env[A] =",
        "env[A] = \"\"",
        "env[A] = x",
        "env[A]",
        "=x",
        "ping.response == x",
        "[www] ; comment",
        "[www] junk",
        "log_level = debug",
        "process.priority = 5",
        "access.suppress_path[] = /ping",
        "clear_env = no",
        "security.limit_extensions = .php",
        "listen.backlog = 511",
        "pm.max_children = 0",
        "pm = dynamic",
        "pm = dynamic\npm.min_spare_servers = 1\npm.max_spare_servers = 1",
        "pm = dynamic\npm.max_children = 4\npm.min_spare_servers = 1\npm.max_spare_servers = 3\npm.start_servers = 5",
        "pm = dynamic\npm.max_children = 4\npm.min_spare_servers = 3\npm.max_spare_servers = 2",
        "pm = dynamic\npm.max_children = 4\npm.min_spare_servers = 1\npm.max_spare_servers = 3",
        "listen =",
        "listen = none",
        "[other]\nuser = nobody\npm = static\npm.max_children = 1",
        "[other]\nlisten = 9001\nuser = nobody\npm.max_children = 1",
    ];
    let mut mismatches = Vec::new();
    for line in lines {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().canonicalize().unwrap();
        let conf = dir.join("php-fpm.conf");
        let log = dir.join("fpm.log");
        let text = format!(
            "[global]\nerror_log = {}\n[www]\nuser = nobody\nlisten = 9000\npm = static\npm.max_children = 1\n{line}\n",
            log.display()
        );
        std::fs::write(&conf, &text).unwrap();
        Command::new(ORACLE)
            .args(["-tt", "-R", "-p"])
            .arg(&dir)
            .arg("-y")
            .arg(&conf)
            .env("HOME", "/root")
            .output()
            .unwrap();
        let accepted = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("test is successful");
        let mut settings = Settings::default();
        settings.phpfpm.prefix = Some(dir.clone());
        let input = Input {
            path: conf.clone(),
            name: "php-fpm.conf".into(),
            kind: Kind::PhpFpm,
        };
        let mut sources = SourceMap::new();
        let loaded = phpfpm::load(&mut sources, &[&input], &settings).unwrap();
        let rejected = !loaded.diagnostics.is_empty() || !loaded.sets[0].unknown.is_empty();
        if accepted == rejected {
            mismatches.push(format!(
                "{line:?}: php-fpm {}, wirelint {}",
                if accepted { "accepts" } else { "rejects" },
                if rejected { "rejects" } else { "accepts" }
            ));
        }
    }
    eprintln!(
        "php-fpm syntax differential: {}/{} lines agree",
        lines.len() - mismatches.len(),
        lines.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// The stock files wirelint ships as data (`grammar/phpfpm/images/`) load in php-fpm itself, and wirelint's
/// effective pools for them equal php-fpm's.
#[test]
fn stock_image_layouts_match_php_fpm() {
    if !oracle_available() {
        let msg = format!("{ORACLE} not found: the stock layout differential test did not run");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} (CI=true requires it; .ci/run installs php8.2-fpm)");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    }
    for image in [
        "php:8.2.20-fpm",
        "php:8.3-fpm",
        "debian:php8.2",
        "alpine:php83",
    ] {
        let layout = wirelint::phpfpm::image::layout_for(image).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let root_s = root.to_string_lossy().to_string();
        let log = root.join("fpm.log");
        // The container tree under `root`: absolute paths in the files are re-rooted, the error log goes to
        // a file (same number of lines, so line numbers stay).
        for f in std::iter::once(&layout.main).chain(&layout.pool_files) {
            let path = root.join(f.container_path.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut text = f.text.replace("include=/", &format!("include={root_s}/"));
            text = text
                .lines()
                .map(|l| {
                    if l.starts_with("error_log") {
                        format!("error_log = {}", log.display())
                    } else if l == "group = nobody" {
                        // Alpine's group; Debian (where the oracle runs) calls it nogroup.
                        "group = nogroup".to_string()
                    } else if l.starts_with("pid") {
                        format!("pid = {root_s}/fpm.pid")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            if f.container_path == layout.main.container_path && !text.contains("error_log =") {
                text = text.replacen(
                    "[global]",
                    &format!("[global]\nerror_log = {}", log.display()),
                    1,
                );
            }
            std::fs::write(&path, text + "\n").unwrap();
        }
        let prefix = root.join(layout.prefix.trim_start_matches('/'));
        std::fs::create_dir_all(&prefix).unwrap();
        let main = root.join(layout.main.container_path.trim_start_matches('/'));
        let l = Layout {
            name: "stock",
            mode: Mode::Main,
            files: &[],
            env: &[],
        };
        let out = Command::new(ORACLE)
            .args(["-tt", "-R", "-p"])
            .arg(&prefix)
            .arg("-y")
            .arg(&main)
            .output()
            .unwrap();
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            text.contains("test is successful"),
            "{image}: php-fpm rejected the stock files:\n{}\n{text}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = parse_dump(&text);
        let actual = run_wirelint(&prefix, &main, &l);
        assert_eq!(expected, actual, "{image}");
        assert!(!expected.is_empty(), "{image}: php-fpm printed no pool");
    }
}

/// A compose service running php-fpm: an image, repository files and the bind mounts that place them.
struct ContainerCase {
    name: &'static str,
    image: &'static str,
    /// Files in the repository, relative to the project directory.
    repo: &'static [(&'static str, &'static str)],
    /// `(host, container)` bind mounts in compose order; a host directory is mounted as a directory.
    mounts: &'static [(&'static str, &'static str)],
}

const POOL: &str = "[www]\nuser = www-data\ngroup = www-data\npm = dynamic\npm.max_children = 5\npm.start_servers = 2\npm.min_spare_servers = 1\npm.max_spare_servers = 3\n";

fn container_cases() -> Vec<ContainerCase> {
    vec![
        ContainerCase {
            name: "mounted php-fpm.conf, pool files from two host folders, pre-2026 stock files between them",
            image: "php:8.2.20-fpm",
            repo: &[
                ("php/php-fpm.conf", "[global]\nerror_log = /proc/self/fd/2\ndaemonize = no\ninclude=etc/php-fpm.d/*.conf\n"),
                ("pools/www.conf", "[www]\nuser = www-data\nlisten = 9000\npm = static\npm.max_children = 5\n"),
                ("other/zz-extra.conf", "[www]\nlisten = 127.0.0.1:9000\n"),
            ],
            mounts: &[
                ("php/php-fpm.conf", "/usr/local/etc/php-fpm.conf"),
                ("pools/www.conf", "/usr/local/etc/php-fpm.d/www.conf"),
                ("other/zz-extra.conf", "/usr/local/etc/php-fpm.d/zz-extra.conf"),
            ],
        },
        ContainerCase {
            name: "mounted php-fpm.conf, post-2026 stock files, a later file from another folder fixes listen",
            image: "php:8.3-fpm",
            repo: &[
                ("docker/php-fpm.conf", "[global]\ndaemonize = no\ninclude=etc/php-fpm.d/*.conf\n"),
                ("pools/www.conf", "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 5\n"),
                ("ops/zz-listen.conf", "[www]\nlisten = 9000\n"),
            ],
            mounts: &[
                ("docker/php-fpm.conf", "/usr/local/etc/php-fpm.conf"),
                ("pools/www.conf", "/usr/local/etc/php-fpm.d/www.conf"),
                ("ops/zz-listen.conf", "/usr/local/etc/php-fpm.d/zz-listen.conf"),
            ],
        },
        ContainerCase {
            name: "a directory mounted over the pool directory hides the stock pool files",
            image: "php:8.2.20-fpm",
            repo: &[("pool.d/www.conf", "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 5\n")],
            mounts: &[("pool.d", "/usr/local/etc/php-fpm.d")],
        },
        ContainerCase {
            name: "mounted php-fpm.conf with an absolute include and an include of a mounted directory",
            image: "php:8.3-fpm",
            repo: &[
                ("php/php-fpm.conf", "[global]\ninclude=/usr/local/etc/php-fpm.d/*.conf\ninclude=etc/extra/*.conf\n"),
                ("php/www.conf", "[www]\nuser = www-data\npm = static\npm.max_children = 5\n"),
                ("extra/a.conf", "[api]\nuser = www-data\nlisten = 127.0.0.1:9001\npm = ondemand\npm.max_children = 2\n"),
                ("extra/b.conf", "[www]\nlisten = 9100\n"),
            ],
            mounts: &[
                ("php/php-fpm.conf", "/usr/local/etc/php-fpm.conf"),
                ("php/www.conf", "/usr/local/etc/php-fpm.d/www.conf"),
                ("extra", "/usr/local/etc/extra"),
            ],
        },
        ContainerCase {
            name: "a hidden file in the pool directory is not matched by the include glob",
            image: "php:8.2.20-fpm",
            repo: &[
                ("php/www.conf", POOL),
                ("php/hidden.conf", "[www]\nlisten.allowed_clients = 10.9.9.9\n"),
            ],
            mounts: &[
                ("php/www.conf", "/usr/local/etc/php-fpm.d/www.conf"),
                ("php/hidden.conf", "/usr/local/etc/php-fpm.d/.hidden.conf"),
            ],
        },
        ContainerCase {
            name: "a mounted file whose container name sorts first loses to the stock files",
            image: "php:8.2.20-fpm",
            repo: &[("ops/zz-listen.conf", "[www]\nlisten = 127.0.0.1:9000\n")],
            mounts: &[("ops/zz-listen.conf", "/usr/local/etc/php-fpm.d/a-listen.conf")],
        },
        ContainerCase {
            name: "stock main config, mounted pool files from two folders, one replacing the stock www.conf",
            image: "php:8.3-fpm",
            repo: &[
                ("a/www.conf", POOL),
                ("b/zz-loopback.conf", "[www]\nlisten = 127.0.0.1:9000\n"),
            ],
            mounts: &[
                ("a/www.conf", "/usr/local/etc/php-fpm.d/www.conf"),
                ("b/zz-loopback.conf", "/usr/local/etc/php-fpm.d/zz-loopback.conf"),
            ],
        },
    ]
}

/// Copies a file or a directory tree.
fn copy_into(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy_into(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// The container's tree as Docker builds it, independently of wirelint: the image's stock php-fpm files,
/// then each bind mount in order (a file replaces the file at its path, a directory replaces the whole
/// directory). Returns the root.
fn container_tree(root: &Path, project: &Path, case: &ContainerCase) {
    let layout = phpfpm::image::layout_for(case.image).unwrap();
    for f in std::iter::once(&layout.main).chain(&layout.pool_files) {
        let path = root.join(f.container_path.trim_start_matches('/'));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &f.text).unwrap();
    }
    for (host, container) in case.mounts {
        let to = root.join(container.trim_start_matches('/'));
        let from = project.join(host);
        if from.is_dir() && to.exists() {
            std::fs::remove_dir_all(&to).unwrap();
        }
        copy_into(&from, &to);
    }
}

/// Re-roots absolute includes under `root` and sends the error log to `log` (same line count, so the
/// pools php-fpm prints are the same as in the container).
fn reroot(dir: &Path, root: &Path, log: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            reroot(&p, root, log);
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        let text: Vec<String> = text
            .lines()
            .map(|l| {
                if l.starts_with("error_log") {
                    format!("error_log = {}", log.display())
                } else if let Some(rest) = l.strip_prefix("include=/") {
                    format!("include={}/{rest}", root.display())
                } else {
                    l.to_string()
                }
            })
            .collect();
        std::fs::write(&p, text.join("\n") + "\n").unwrap();
    }
}

/// The effective pools of a compose service's php-fpm (the stack: mounts, the image's stock files, a
/// mounted php-fpm.conf's includes evaluated in the container) against php-fpm run on the same container
/// tree laid out in a temporary directory.
#[test]
fn container_trees_match_php_fpm() {
    if !oracle_available() {
        let msg = format!("{ORACLE} not found: the container tree differential test did not run");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg} (CI=true requires it; .ci/run installs php8.2-fpm)");
        }
        eprintln!("SKIPPED: {msg}");
        return;
    }
    let cases = container_cases();
    let mut failures = Vec::new();
    for case in &cases {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let project = base.join("project");
        for (path, text) in case.repo {
            let p = project.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
        }
        let volumes: String = case
            .mounts
            .iter()
            .map(|(h, c)| format!("      - ./{h}:{c}:ro\n"))
            .collect();
        std::fs::write(
            project.join("compose.yaml"),
            format!(
                "services:\n  php:\n    image: {}\n    volumes:\n{volumes}",
                case.image
            ),
        )
        .unwrap();
        // wirelint, through the stack.
        let outcome =
            wirelint::lint::check(std::slice::from_ref(&project), None, &Settings::default())
                .expect("lint runs");
        let placement = outcome
            .stack
            .placements
            .iter()
            .find(|p| outcome.stack.service(p).name.value == "php")
            .expect("service php placed");
        let actual = match &placement.fpm {
            Some(set) if placement.fpm_complete => pools_of(set),
            _ => {
                failures.push(format!("{}: php-fpm configuration not complete", case.name));
                continue;
            }
        };
        // php-fpm, on the container's tree.
        let root = base.join("root");
        container_tree(&root, &project, case);
        let log = base.join("fpm.log");
        reroot(&root.join("usr/local/etc"), &root, &log);
        let main = root.join("usr/local/etc/php-fpm.conf");
        let text = std::fs::read_to_string(&main).unwrap();
        std::fs::write(
            &main,
            format!("[global]\nerror_log = {}\n{text}", log.display()),
        )
        .unwrap();
        let out = Command::new(ORACLE)
            .args(["-tt", "-R", "-p"])
            .arg(root.join("usr/local"))
            .arg("-y")
            .arg(&main)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .output()
            .unwrap();
        let dump = std::fs::read_to_string(&log).unwrap_or_default();
        assert!(
            dump.contains("test is successful"),
            "{}: php-fpm rejected the container tree:\n{}\n{dump}",
            case.name,
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = parse_dump(&dump);
        assert!(
            !expected.is_empty(),
            "{}: php-fpm printed no pool",
            case.name
        );
        if expected != actual {
            failures.push(format!(
                "{}:\n  php-fpm:  {:?}\n  wirelint: {:?}",
                case.name, expected, actual
            ));
        }
    }
    eprintln!(
        "php-fpm container differential: {}/{} container trees agree",
        cases.len() - failures.len(),
        cases.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
