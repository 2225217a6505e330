use super::edges;
use crate::compose::model::Command;
use crate::declare_rule;
use crate::diagnostic::Diagnostic;
use crate::rules::{Check, StackCx};
use crate::source::Span;
use crate::stack::resolve::Resolution;

declare_rule! {
    /// ## What it does
    /// Reports a compose service that publishes ports or that an nginx of the stack passes to, whose
    /// `command` starts a development server that binds 127.0.0.1 unless told otherwise: `flask run`
    /// without `--host` (and no `FLASK_RUN_HOST`), `manage.py runserver` without an address, `uvicorn`
    /// without `--host` (and no `UVICORN_HOST`), `gunicorn` without `--bind` (and no config file or
    /// `GUNICORN_CMD_ARGS`), `vite` without `--host`, `php -S localhost:…`.
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
    /// `vite --host`, `php -S 0.0.0.0:8000`).
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

/// What binds loopback in one simple command, with the fix.
fn loopback_server(
    words: &[String],
    env: &dyn Fn(&str) -> bool,
    has_conf: bool,
) -> Option<(&'static str, &'static str)> {
    let pos = |name: &str| {
        words
            .iter()
            .position(|w| w == name || w.ends_with(&format!("/{name}")))
    };
    if let Some(i) = pos("flask") {
        if words.get(i + 1).map(String::as_str) == Some("run")
            && !has_flag(&words[i..], &["--host", "-h"])
            && !env("FLASK_RUN_HOST")
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
    if let Some(i) = pos("uvicorn") {
        if !has_flag(&words[i..], &["--host", "--uds", "--fd"]) && !env("UVICORN_HOST") {
            return Some((
                "`uvicorn` binds 127.0.0.1 unless given `--host`",
                "add `--host 0.0.0.0`",
            ));
        }
    }
    if let Some(i) = pos("gunicorn") {
        if !has_flag(&words[i..], &["--bind", "-b", "--config", "-c"])
            && !env("GUNICORN_CMD_ARGS")
            && !has_conf
        {
            return Some((
                "`gunicorn` binds 127.0.0.1:8000 unless given `--bind`",
                "add `--bind 0.0.0.0:8000`",
            ));
        }
    }
    if let Some(i) = pos("vite") {
        let dev = words
            .get(i + 1)
            .map_or(true, |w| w == "dev" || w == "serve" || w.starts_with('-'));
        if dev && !has_flag(&words[i..], &["--host"]) {
            return Some((
                "the `vite` dev server binds localhost unless given `--host`",
                "add `--host` (or `--host 0.0.0.0`)",
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

fn check(cx: &StackCx<'_>, out: &mut Vec<Diagnostic>) {
    let edges = edges(cx);
    for (j, p) in cx.stack.placements.iter().enumerate() {
        let svc = cx.stack.service(p);
        if svc.network_mode.as_ref().is_some_and(|m| m.value == "host") {
            continue;
        }
        let Some(cmd) = &svc.command else { continue };
        let proxied = edges.iter().find(|e| {
            matches!(e.resolution, Resolution::Service { placement, .. } if placement == j)
                && e.from != j
        });
        let published = svc.ports.first();
        if proxied.is_none() && published.is_none() {
            continue;
        }
        let env_known = p.env.as_ref();
        let env = |k: &str| env_known.map_or(true, |m| m.contains_key(k));
        let project = cx.stack.project(p);
        let has_conf = svc.build.as_ref().is_some_and(|b| {
            let ctx = b.context.as_ref().map_or(".", |c| c.value.as_str());
            project.dir.join(ctx).join("gunicorn.conf.py").exists()
        });
        let span = match cmd {
            Command::Shell(s) => s.span,
            Command::Exec(items) => match (items.first(), items.last()) {
                (Some(a), Some(b)) => a.span.to(b.span),
                _ => continue,
            },
        };
        for words in simple_commands(cmd) {
            let Some((why, fix)) = loopback_server(&words, &env, has_conf) else {
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
            out.push(d);
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fires(cmd: &str) -> bool {
        let c = Command::Shell(crate::compose::Spanned::new(
            cmd.into(),
            Span::point(crate::source::FileId(0), 0),
        ));
        simple_commands(&c)
            .iter()
            .any(|w| loopback_server(w, &|_| false, false).is_some())
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
    }
}
