use super::edges;
use crate::compose::model::Command;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, StackCx};
use crate::source::Span;
use crate::stack::resolve::Resolution;
use crate::stack::Placement;
use std::path::PathBuf;

declare_rule! {
    /// ## What it does
    /// Reports a compose service that publishes ports or that an nginx of the stack passes to, whose
    /// `command` (or, without one, the `CMD` of the image its Dockerfile builds) starts a development
    /// server that binds 127.0.0.1 unless told otherwise: `flask run` without `--host` (and no
    /// `FLASK_RUN_HOST`), `manage.py runserver` without an address, `uvicorn` without `--host` (and no
    /// `UVICORN_HOST`), `gunicorn` without `--bind` (and no config file,
    /// `GUNICORN_CMD_ARGS` or `PORT`, with which it binds `0.0.0.0:$PORT`), `vite` without `--host` (and
    /// no `server.host` in its config), `php -S localhost:…`, `php artisan serve` without `--host` (and no
    /// `SERVER_HOST`), `fastapi dev` without `--host`, `hypercorn` without `--bind` (or a config file),
    /// `mkdocs serve` without `--dev-addr` (and no `dev_addr` in `mkdocs.yml`).
    ///
    /// The environment is the container's: the `ENV` of the image a `build:` Dockerfile makes, then
    /// `env_file` and `environment`; it is complete only on an official language or OS image (`python`,
    /// `node`, `php` …), whose own `ENV` sets no server address. Files the server reads from its working directory (`.flaskenv` and
    /// `.env` for flask, Laravel's `.env`, `gunicorn.conf.py`, `vite.config.*`, `mkdocs.yml`) are looked for where the
    /// service's mounts and the build context put them. When the environment is not fully known (an
    /// `env_file` that is not in the repository, an image such as `myorg/app` whose `ENV` the repository
    /// does not show), the servers that read a variable are not reported.
    /// The published ports of a service that another joins (`network_mode: service:app` on an nginx
    /// sidecar) may be that one's, which reaches the server on the shared loopback: they do not count.
    /// A command with a shell variable standing alone among its words (`gunicorn $OPTS app:app`), which may
    /// hold the address, is not reported either. `next dev` is not reported: without `-H` it binds every
    /// address.
    ///
    /// ## Why is this bad?
    /// The server accepts connections from inside its own container only. The published port and the
    /// proxy in front of it get `connection reset` or `connection refused`; nginx answers `502`.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     build: .
    ///     command: flask run --port 5000
    ///     ports: ["5000:5000"]
    /// ```
    ///
    /// ## How to fix
    /// Bind every address of the container: `flask run --host 0.0.0.0 --port 5000`
    /// (`runserver 0.0.0.0:8000`, `uvicorn --host 0.0.0.0`, `gunicorn --bind 0.0.0.0:8000`,
    /// `vite --host` or `server: { host: true }` in `vite.config.js`, `php -S 0.0.0.0:8000`,
    /// `php artisan serve --host=0.0.0.0`, `fastapi dev --host 0.0.0.0` or `fastapi run`,
    /// `hypercorn --bind 0.0.0.0:8000`, `mkdocs serve --dev-addr 0.0.0.0:8000`).
    pub static RULE = Rule {
        code: "S004",
        name: "app-binds-loopback",
        severity: Error,
        summary: "a published or proxied service starts a server that binds loopback by default",
        check: Check::Stack(check),
    }
}

/// Words of a command, with `sh -c "…"` opened up; split into simple commands at `&&`, `||`, `;`, `|`.
fn simple_commands(cmd: &Command) -> Vec<Vec<String>> {
    let text = match cmd {
        Command::Shell(s) => s.value.clone(),
        Command::Exec(items) => {
            let words: Vec<&str> = items.iter().map(|s| s.value.as_str()).collect();
            match words.as_slice() {
                [sh, flag, script, ..]
                    if sh.ends_with("sh") && flag.starts_with('-') && flag.contains('c') =>
                {
                    script.to_string()
                }
                _ => words
                    .iter()
                    .map(|w| format!("'{w}'"))
                    .collect::<Vec<_>>()
                    .join(" "),
            }
        }
    };
    let mut out = Vec::new();
    let mut cur: Vec<String> = Vec::new();
    for w in shell_words(&text) {
        if matches!(w.as_str(), "&&" | "||" | ";" | "|" | "&") {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(w);
        }
    }
    out.push(cur);
    // `sh -c '…'` inside a shell string
    let mut more = Vec::new();
    for c in &out {
        if let [sh, flag, script, ..] = c.as_slice() {
            if sh.ends_with("sh") && flag.starts_with('-') && flag.contains('c') {
                more.extend(simple_commands(&Command::Shell(
                    crate::compose::Spanned::new(
                        script.clone(),
                        Span::point(crate::source::FileId(0), 0),
                    ),
                )));
            }
        }
    }
    out.extend(more);
    out
}

fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() || any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            (None, ';') => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(";".into());
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() || any {
        out.push(cur);
    }
    out
}

fn has_flag(words: &[String], flags: &[&str]) -> bool {
    words.iter().any(|w| {
        flags.iter().any(|f| {
            w == f
                || w.starts_with(&format!("{f}="))
                || (f.len() == 2 && w.starts_with(f) && !f.starts_with("--"))
        })
    })
}

/// Whether one of the files `names` (paths relative to the command's working directory) is there and its
/// text passes the test.
type WorkdirFile<'a> = dyn Fn(&[String], &dyn Fn(&str) -> bool) -> bool + 'a;

/// The config files Vite reads from its root.
const VITE_CONFIGS: &[&str] = &[
    "vite.config.js",
    "vite.config.mjs",
    "vite.config.cjs",
    "vite.config.ts",
    "vite.config.mts",
    "vite.config.cts",
];

/// Whether a Vite config sets `server.host` or `preview.host` to something other than loopback
/// (`host: true`, `host: '0.0.0.0'`, `host: process.env.HOST`, shorthand `{ host }`; not `host: false` or
/// `'localhost'`).
fn vite_sets_host(text: &str) -> bool {
    text.match_indices("host").any(|(i, _)| {
        // A key: at the start of a line or after `{` or `,`, perhaps quoted.
        let before = text[..i]
            .trim_end_matches(['"', '\''])
            .trim_end_matches([' ', '\t']);
        let key = before.is_empty() || before.ends_with(['{', ',', '\n']);
        // Shorthand `server: { host, port }` takes a variable's value: not known to be loopback.
        let after = text[i + 4..].trim_start_matches([' ', '\t']);
        if key && after.starts_with([',', '}']) {
            return true;
        }
        let Some(value) = text[i + 4..]
            .trim_start_matches(['"', '\''])
            .trim_start_matches([' ', '\t'])
            .strip_prefix(':')
        else {
            return false;
        };
        let value = value.trim_start().trim_start_matches(['"', '\'', '`']);
        key && !["false", "localhost", "127.", "::1"]
            .iter()
            .any(|l| value.starts_with(l))
    })
}

/// Whether an address (`HOST:PORT` or `HOST`) is on loopback.
/// Whether a `HOST:PORT` (or `[IPV6]:PORT`, or a bare host) address names loopback.
fn is_loopback_addr(a: &str) -> bool {
    let host = if let Some(rest) = a.strip_prefix('[') {
        rest.split_once(']').map_or(rest, |(h, _)| h)
    } else {
        match a.rsplit_once(':') {
            Some((h, port)) if !h.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => a,
        }
    };
    crate::phpfpm::is_loopback_host(host)
}

/// Whether a YAML file sets the top-level `key` to something other than a loopback address (a value
/// from elsewhere, such as `!ENV`, counts as set).
fn yaml_key_set(text: &str, key: &str) -> bool {
    text.lines().any(|l| {
        l.strip_prefix(key)
            .and_then(|r| r.trim_start().strip_prefix(':'))
            .is_some_and(|v| !is_loopback_addr(v.trim().trim_matches(['\'', '"'])))
    })
}

/// Whether a dotenv file (`.flaskenv`, `.env`) sets `key`.
fn dotenv_sets(text: &str, key: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        let l = l.strip_prefix("export ").unwrap_or(l).trim_start();
        l.strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with('='))
    })
}

/// What binds loopback in one simple command, with the fix. `env` tells whether a variable is (or may be)
/// set in the container's environment.
fn loopback_server(
    words: &[String],
    env: &dyn Fn(&str) -> bool,
    workdir_file: &WorkdirFile<'_>,
) -> Option<(&'static str, &'static str)> {
    // A shell variable standing alone (`gunicorn $GUNICORN_OPTS app:app`) may hold any option, `--host`
    // too; one that is an option's value (`--port $PORT`) cannot. (Compose has already replaced its own
    // `${VAR}`s; what is left is the shell's.)
    let opaque = words.iter().enumerate().any(|(k, w)| {
        w.starts_with('$')
            && !(k > 0 && words[k - 1].starts_with('-') && !words[k - 1].contains('='))
    });
    if opaque {
        return None;
    }
    let named = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    let pos = |name: &str| {
        words
            .iter()
            .position(|w| w == name || w.ends_with(&format!("/{name}")))
    };
    if let Some(i) = pos("flask") {
        if words.get(i + 1).map(String::as_str) == Some("run")
            && !has_flag(&words[i..], &["--host", "-h"])
            && !env("FLASK_RUN_HOST")
            // `flask run` loads these with python-dotenv.
            && !workdir_file(&named(&[".flaskenv", ".env"]), &|t| {
                dotenv_sets(t, "FLASK_RUN_HOST")
            })
        {
            return Some((
                "`flask run` binds 127.0.0.1 unless given `--host`",
                "add `--host 0.0.0.0` (or set `FLASK_RUN_HOST=0.0.0.0`)",
            ));
        }
    }
    if let Some(i) = words.iter().position(|w| w.ends_with("manage.py")) {
        if words.get(i + 1).map(String::as_str) == Some("runserver") {
            let addr = words[i + 2..].iter().find(|w| !w.starts_with('-'));
            let binds_loopback = match addr {
                None => true,
                Some(a) => {
                    a.bytes().all(|b| b.is_ascii_digit())
                        || a.starts_with("127.")
                        || a.starts_with("localhost")
                }
            };
            if binds_loopback {
                return Some((
                    "`manage.py runserver` binds 127.0.0.1 unless given an address",
                    "run `manage.py runserver 0.0.0.0:8000`",
                ));
            }
        }
    }
    if let Some(i) = pos("artisan") {
        // Laravel reads SERVER_HOST from the environment or its `.env`.
        if words.get(i + 1).map(String::as_str) == Some("serve")
            && !has_flag(&words[i..], &["--host"])
            && !env("SERVER_HOST")
            && !workdir_file(&named(&[".env"]), &|t| dotenv_sets(t, "SERVER_HOST"))
        {
            return Some((
                "`php artisan serve` binds 127.0.0.1 unless given `--host`",
                "add `--host=0.0.0.0` (or set `SERVER_HOST=0.0.0.0`)",
            ));
        }
    }
    if let Some(i) = pos("fastapi") {
        if words.get(i + 1).map(String::as_str) == Some("dev")
            && !has_flag(&words[i..], &["--host"])
        {
            return Some((
                "`fastapi dev` binds 127.0.0.1 unless given `--host`",
                "add `--host 0.0.0.0` (or use `fastapi run`, which binds 0.0.0.0)",
            ));
        }
    }
    if let Some(i) = pos("uvicorn") {
        if !has_flag(&words[i..], &["--host", "--uds", "--fd"]) && !env("UVICORN_HOST") {
            return Some((
                "`uvicorn` binds 127.0.0.1 unless given `--host`",
                "add `--host 0.0.0.0`",
            ));
        }
    }
    if let Some(i) = pos("gunicorn") {
        // Without `--bind`, gunicorn binds 0.0.0.0:$PORT when PORT is set, and reads `bind` from
        // `./gunicorn.conf.py`.
        if !has_flag(&words[i..], &["--bind", "-b", "--config", "-c"])
            && !env("GUNICORN_CMD_ARGS")
            && !env("PORT")
            && !workdir_file(&named(&["gunicorn.conf.py"]), &|_| true)
        {
            return Some((
                "`gunicorn` binds 127.0.0.1:8000 unless given `--bind`",
                "add `--bind 0.0.0.0:8000`",
            ));
        }
    }
    if let Some(i) = pos("hypercorn") {
        // Hypercorn reads no environment; `-c` loads a config that may set `bind`.
        if !has_flag(
            &words[i..],
            &["--bind", "-b", "--insecure-bind", "--config", "-c"],
        ) {
            return Some((
                "`hypercorn` binds 127.0.0.1:8000 unless given `--bind`",
                "add `--bind 0.0.0.0:8000`",
            ));
        }
    }
    if let Some(i) = pos("mkdocs") {
        // `dev_addr` (default 127.0.0.1:8000) from `-a`, else from the config file: `-f FILE`, else
        // `mkdocs.yml` or `mkdocs.yaml` in the working directory.
        if words.get(i + 1).map(String::as_str) == Some("serve") {
            let rest = &words[i + 2..];
            let addr = rest.iter().enumerate().find_map(|(k, w)| {
                if w == "-a" || w == "--dev-addr" {
                    Some(rest.get(k + 1).map_or("", String::as_str))
                } else {
                    w.strip_prefix("--dev-addr=")
                        .or_else(|| w.strip_prefix("-a").filter(|a| !a.is_empty()))
                }
            });
            let mut configs = named(&["mkdocs.yml", "mkdocs.yaml"]);
            for (k, w) in rest.iter().enumerate() {
                if w == "-f" || w == "--config-file" {
                    configs = rest.get(k + 1).cloned().into_iter().collect();
                } else if let Some(f) = w.strip_prefix("--config-file=") {
                    configs = vec![f.to_string()];
                }
            }
            let loopback = match addr {
                Some(a) => is_loopback_addr(a),
                None => !workdir_file(&configs, &|t| yaml_key_set(t, "dev_addr")),
            };
            if loopback {
                return Some((
                    "`mkdocs serve` binds 127.0.0.1:8000 unless given `--dev-addr`",
                    "add `--dev-addr 0.0.0.0:8000` (or `dev_addr: 0.0.0.0:8000` in mkdocs.yml)",
                ));
            }
        }
    }
    if let Some(i) = pos("vite") {
        // `vite`, `vite dev`, `vite serve` and `vite ROOT` start the dev server.
        let dev = !matches!(
            words.get(i + 1).map(String::as_str),
            Some("build" | "optimize" | "preview")
        );
        // The config Vite reads: `--config FILE`, else `vite.config.*` in the root (`vite ROOT`, else the
        // working directory). A flag's value is not told from a root here: both places are looked at.
        let mut configs: Vec<String> = VITE_CONFIGS.iter().map(|c| c.to_string()).collect();
        let rest = &words[i + 1..];
        for (k, w) in rest.iter().enumerate() {
            if w == "--config" || w == "-c" {
                configs.extend(rest.get(k + 1).cloned());
            } else if let Some(f) = w.strip_prefix("--config=") {
                configs.push(f.to_string());
            } else if !w.starts_with('-') && w != "dev" && w != "serve" {
                let root = w.trim_end_matches('/');
                configs.extend(VITE_CONFIGS.iter().map(|c| format!("{root}/{c}")));
            }
        }
        if dev && !has_flag(&words[i..], &["--host"]) && !workdir_file(&configs, &vite_sets_host) {
            return Some((
                "the `vite` dev server binds localhost unless given `--host`",
                "add `--host` (or `--host 0.0.0.0`, or `server: { host: true }` in the Vite config)",
            ));
        }
    }
    if let Some(i) = pos("php") {
        if let Some(j) = words[i..].iter().position(|w| w == "-S") {
            if let Some(addr) = words.get(i + j + 1) {
                if addr.starts_with("localhost") || addr.starts_with("127.") {
                    return Some((
                        "`php -S` on a loopback address serves only its own container",
                        "use `php -S 0.0.0.0:PORT`",
                    ));
                }
            }
        }
    }
    None
}

/// The repository path of a container path: a file the container's filesystem lists, or a path under a
/// mounted directory.
fn host_path(cx: &StackCx<'_>, p: &Placement, container: &str) -> Option<PathBuf> {
    if let Some(h) = p.fs.get(container) {
        return Some(h.to_path_buf());
    }
    let origin = cx.stack.origin(p, container)?;
    let rest = crate::stack::under(container, &origin.container)?;
    Some(origin.host.as_ref()?.join(rest))
}

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    let edges = edges(cx);
    for (j, p) in cx.stack.placements.iter().enumerate() {
        let svc = cx.stack.service(p);
        if svc.network_mode.as_ref().is_some_and(|m| m.value == "host") {
            continue;
        }
        // The service's `command`, else (with no `entrypoint` either) the CMD of the image its Dockerfile
        // builds, when the file shows it.
        let from_image;
        let cmd = match (&svc.command, &svc.entrypoint, &p.image_cmd) {
            (Some(c), _, _) => c,
            (None, None, Some(c)) => {
                from_image = Command::Exec(
                    c.args
                        .iter()
                        .map(|a| crate::compose::Spanned::new(a.clone(), c.span))
                        .collect(),
                );
                &from_image
            }
            _ => continue,
        };
        let proxied = edges.iter().find(|e| {
            matches!(e.resolution, Resolution::Service { placement, .. } if placement == j)
                && e.from != j
        });
        // A service joined by another (`network_mode: service:app` on an nginx sidecar) publishes that
        // one's ports too, and the sidecar reaches this service on the shared loopback.
        let published = svc
            .ports
            .first()
            .filter(|_| !crate::stack::joined_by_others(cx.stack, p));
        if proxied.is_none() && published.is_none() {
            continue;
        }
        let env_known = p.env.as_ref().filter(|_| p.env_complete);
        let env = |k: &str| env_known.map_or(true, |m| m.contains_key(k));
        let project = cx.stack.project(p);
        // A file in the working directory: where the container's filesystem shows it (mounts, copies), or
        // in the build context, which `COPY . .` places there.
        let context = svc
            .build
            .as_ref()
            .map(|b| crate::stack::build_context(project, b));
        let workdir_file = |names: &[String], test: &dyn Fn(&str) -> bool| {
            names.iter().any(|name| {
                let in_container = p
                    .workdir
                    .as_deref()
                    .and_then(|w| host_path(cx, p, &crate::stack::container_join(w, name)));
                let in_context = context.as_ref().map(|c| c.join(name));
                in_container.into_iter().chain(in_context).any(|f| {
                    f.is_file() && crate::source::read_to_string(&f).is_ok_and(|t| test(&t))
                })
            })
        };
        let span = match cmd {
            Command::Shell(s) => s.span,
            Command::Exec(items) => match (items.first(), items.last()) {
                (Some(a), Some(b)) => a.span.to(b.span),
                _ => continue,
            },
        };
        for words in simple_commands(cmd) {
            let Some((why, fix)) = loopback_server(&words, &env, &workdir_file) else {
                continue;
            };
            let mut d = RULE
                .diag(span, format!("service `{}`: {why}, so nothing outside its container can connect", svc.name.value))
                .with_help(format!("{fix}; the published port and proxies otherwise get `connection refused` (502)"));
            if let Some(b) = published {
                d = d.with_related(b.span, "published here");
            }
            if let Some(e) = proxied {
                let from = cx.stack.service(&cx.stack.placements[e.from]);
                d = d.with_related(
                    e.target.host_span,
                    format!("nginx in service `{}` passes here", from.name.value),
                );
            }
            if svc.command.is_none() {
                d = d.with_related(
                    svc.name.span,
                    format!(
                        "service `{}` gives no `command`: its image runs this",
                        svc.name.value
                    ),
                );
            }
            out.push(d);
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server with no variable set and nothing in its working directory.
    fn fires(cmd: &str) -> bool {
        fires_with(cmd, &[], &[])
    }

    #[test]
    fn loopback_addresses() {
        for a in [
            "127.0.0.1:8000",
            "localhost:8000",
            "[::1]:8000",
            "127.0.0.2",
            "::1",
            "LOCALHOST",
        ] {
            assert!(is_loopback_addr(a), "{a}");
        }
        for a in [
            "0.0.0.0:8000",
            "localhost.example.com:8000",
            "[::]:8000",
            "127x:1",
            ":8000",
        ] {
            assert!(!is_loopback_addr(a), "{a}");
        }
        assert!(fires("mkdocs serve -a localhost:8000"));
        assert!(!fires("mkdocs serve -a localhost.example.com:8000"));
    }

    #[test]
    fn servers() {
        assert!(fires("flask run"));
        assert!(fires(
            "sh -c 'pip install -r r.txt && flask run --port 5000'"
        ));
        assert!(!fires("flask run --host=0.0.0.0"));
        assert!(!fires("flask run -h 0.0.0.0"));
        assert!(fires("python manage.py runserver"));
        assert!(fires("python manage.py runserver 8000"));
        assert!(!fires("python manage.py runserver 0.0.0.0:8000"));
        assert!(fires("uvicorn main:app --reload"));
        assert!(!fires("uvicorn main:app --host 0.0.0.0"));
        assert!(fires("gunicorn app:app"));
        assert!(!fires("gunicorn -b 0.0.0.0:8000 app:app"));
        assert!(!fires("gunicorn -c conf.py app:app"));
        assert!(fires("npx vite"));
        assert!(!fires("vite --host"));
        assert!(!fires("vite build"));
        assert!(fires("php -S localhost:8000 -t public"));
        assert!(!fires("php -S 0.0.0.0:8000"));
        assert!(!fires("nginx -g 'daemon off;'"));
        assert!(fires("php artisan serve"));
        assert!(fires("php artisan serve --port=8000"));
        assert!(!fires("php artisan serve --host=0.0.0.0 --port=8000"));
        assert!(!fires("php artisan migrate"));
        assert!(fires("fastapi dev main.py"));
        assert!(!fires("fastapi dev --host 0.0.0.0 main.py"));
        assert!(!fires("fastapi run main.py"));
        assert!(!fires("gunicorn $GUNICORN_OPTS app:app"));
        assert!(!fires("sh -c 'flask run ${FLASK_ARGS}'"));
        assert!(fires("flask run --port $PORT"));
        assert!(fires("sh -c 'cd $APP_DIR && flask run'"));
        assert!(fires("hypercorn main:app"));
        assert!(fires("python -m hypercorn --reload main:app"));
        assert!(!fires("hypercorn --bind 0.0.0.0:8000 main:app"));
        assert!(!fires("hypercorn -b0.0.0.0:8000 main:app"));
        assert!(!fires("hypercorn -c hypercorn.toml main:app"));
        assert!(fires("mkdocs serve"));
        assert!(fires("python -m mkdocs serve -a localhost:8000"));
        assert!(!fires("mkdocs serve -a 0.0.0.0:8000"));
        assert!(!fires("mkdocs serve --dev-addr=0.0.0.0:8000"));
        assert!(!fires("mkdocs build"));
    }

    #[test]
    fn vite_configs() {
        assert!(vite_sets_host("export default { server: { host: true } }"));
        assert!(vite_sets_host(
            "export default defineConfig({\n  server: {\n    host: '0.0.0.0',\n    port: 5173,\n  },\n})"
        ));
        assert!(vite_sets_host(
            "module.exports = { preview: { \"host\": true } }"
        ));
        assert!(vite_sets_host(
            "server: { port: 5173, host: process.env.HOST }"
        ));
        assert!(!vite_sets_host("export default { server: { port: 5173 } }"));
        assert!(!vite_sets_host("server: { host: false }"));
        assert!(!vite_sets_host("server: { host: 'localhost' }"));
        assert!(!vite_sets_host("server: { host: \"127.0.0.1\" }"));
        assert!(!vite_sets_host(
            "server: { hostname: 'x', proxy: { '/api': 'http://host:8000' } }"
        ));
        assert!(!vite_sets_host("server: {\n  // host: true\n}"));
        assert!(vite_sets_host(
            "const host = h();\nserver: { host, port: 5173 }"
        ));
        assert!(vite_sets_host("server: { port: 5173, host }"));
        assert!(!vite_sets_host("server: { port: 5173, hostname }"));
    }

    #[test]
    fn dotenv_keys() {
        let host = |t: &str| dotenv_sets(t, "FLASK_RUN_HOST");
        assert!(host("FLASK_APP=app.py\nFLASK_RUN_HOST=0.0.0.0\n"));
        assert!(host("export FLASK_RUN_HOST = 0.0.0.0"));
        assert!(!host("# FLASK_RUN_HOST=0.0.0.0\nFLASK_RUN_PORT=5000"));
        assert!(!host("FLASK_RUN_HOSTNAME=x"));
    }

    /// A server with its working directory holding `files` (name, text).
    fn fires_with(cmd: &str, env: &[&str], files: &[(&str, &str)]) -> bool {
        let c = Command::Shell(crate::compose::Spanned::new(
            cmd.into(),
            Span::point(crate::source::FileId(0), 0),
        ));
        let env = |k: &str| env.contains(&k);
        let file = |names: &[String], test: &dyn Fn(&str) -> bool| {
            files
                .iter()
                .any(|(n, t)| names.iter().any(|m| m == n) && test(t))
        };
        simple_commands(&c)
            .iter()
            .any(|w| loopback_server(w, &env, &file).is_some())
    }

    #[test]
    fn environment_and_working_directory() {
        // (command, variables set, files in the working directory, reported)
        type Case = (
            &'static str,
            &'static [&'static str],
            &'static [(&'static str, &'static str)],
            bool,
        );
        let cases: &[Case] = &[
            ("php artisan serve", &["SERVER_HOST"], &[], false),
            (
                "php artisan serve",
                &[],
                &[(".env", "SERVER_HOST=0.0.0.0")],
                false,
            ),
            ("php artisan serve", &[], &[(".env", "APP_ENV=local")], true),
            ("gunicorn app:app", &[], &[], true),
            ("gunicorn app:app", &["PORT"], &[], false),
            ("gunicorn app:app", &[], &[("gunicorn.conf.py", "")], false),
            (
                "flask run",
                &["FLASK_APP"],
                &[(".flaskenv", "FLASK_APP=a")],
                true,
            ),
            (
                "flask run",
                &[],
                &[(".flaskenv", "FLASK_RUN_HOST=0.0.0.0")],
                false,
            ),
            (
                "npx vite",
                &[],
                &[("vite.config.ts", "server: { port: 1 }")],
                true,
            ),
            (
                "npx vite",
                &[],
                &[("vite.config.ts", "server: { host: true }")],
                false,
            ),
            (
                "vite web",
                &[],
                &[("web/vite.config.js", "server: { port: 1 }")],
                true,
            ),
            (
                "vite web",
                &[],
                &[("web/vite.config.js", "server: { host: true }")],
                false,
            ),
            (
                "vite --port 5173",
                &[],
                &[("vite.config.js", "server: { host: true }")],
                false,
            ),
            ("mkdocs serve", &[], &[("mkdocs.yml", "site_name: x")], true),
            (
                "mkdocs serve",
                &[],
                &[("mkdocs.yml", "site_name: x\ndev_addr: 0.0.0.0:8000")],
                false,
            ),
            (
                "mkdocs serve",
                &[],
                &[("mkdocs.yml", "dev_addr: '127.0.0.1:8000'")],
                true,
            ),
            (
                "mkdocs serve -f docs/m.yml",
                &[],
                &[("docs/m.yml", "dev_addr: !ENV [ADDR, '0.0.0.0:8000']")],
                false,
            ),
            (
                "vite -c conf/v.js",
                &[],
                &[("conf/v.js", "server: { host: true }")],
                false,
            ),
        ];
        for (cmd, env, files, reported) in cases {
            assert_eq!(
                fires_with(cmd, env, files),
                *reported,
                "{cmd} with {env:?} and {files:?}"
            );
        }
    }
}
