//! Robustness of the nginx front end: property tests (never panic, spans in bounds and ordered, the
//! token stream is lossless) and pathological inputs through the real binary (deep nesting, a 100 MB
//! file, an include cycle, a symlink loop, a binary file, an unreadable include), each ending in a
//! finding or a clear error with exit status 2 — never a crash, a stack overflow or a hang.

use proptest::prelude::*;
use std::path::Path;
use std::process::{Command, Output};
use wirelint::nginx::lexer::{Lexer, TokenKind};
use wirelint::nginx::{parse, Directive};
use wirelint::source::FileId;

fn check_spans(list: &[Directive], len: usize) {
    let mut prev_end = 0;
    for d in list {
        let s = d.span;
        assert!(
            s.start <= s.end && (s.end as usize) <= len,
            "span out of bounds"
        );
        assert!(s.start >= prev_end, "directives out of order");
        prev_end = s.end;
        let mut word_end = d.name.span.end;
        assert!(d.name.span.start == s.start);
        for a in &d.args {
            assert!(a.span.start >= word_end, "arguments out of order");
            assert!(a.span.end <= s.end || d.block.is_none());
            word_end = a.span.end;
        }
        if let Some(b) = &d.block {
            assert!(b.open.start >= word_end && b.open.end as usize <= len);
            if let Some(c) = b.close {
                assert!(c.start >= b.open.end && c.end <= s.end);
            }
            check_spans(&b.directives, len);
        }
    }
}

fn roundtrip(bytes: &[u8]) {
    let mut rebuilt = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    for t in Lexer::new(bytes) {
        assert_eq!(t.start, pos, "tokens are contiguous");
        assert!(
            t.end > t.start && t.end <= bytes.len(),
            "tokens are non-empty and in bounds"
        );
        rebuilt.extend_from_slice(&bytes[t.start..t.end]);
        pos = t.end;
    }
    assert_eq!(rebuilt, bytes, "tokens re-concatenate to the input");
}

/// Text made mostly of the bytes that matter to nginx's tokenizer.
fn nginxish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("server".to_string()),
            Just("location".to_string()),
            Just("include".to_string()),
            Just("content_by_lua_block".to_string()),
            Just("map".to_string()),
            "[a-z0-9_$\\\\ \t\r\n;{}\"'#()~^*.-]{1,4}",
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn lexer_is_lossless_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        roundtrip(&bytes);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let f = parse(FileId(0), &text);
        check_spans(&f.directives, text.len());
    }

    #[test]
    fn parser_keeps_spans_in_order_on_nginx_like_text(text in nginxish()) {
        roundtrip(text.as_bytes());
        let f = parse(FileId(0), &text);
        check_spans(&f.directives, text.len());
        for e in &f.errors {
            prop_assert!(e.span.start <= e.span.end && e.span.end as usize <= text.len());
        }
        for c in &f.comments {
            prop_assert!(text[c.span.range()].starts_with('#'));
        }
    }
}

#[test]
fn raw_lua_body_is_one_token_and_still_lossless() {
    let text = "content_by_lua_block { ngx.say('}') } x 1;";
    let mut lx = Lexer::new(text.as_bytes());
    let kinds: Vec<TokenKind> = lx.by_ref().take(3).map(|t| t.kind).collect();
    assert_eq!(kinds[2], TokenKind::OpenBrace);
    let (raw, found) = lx.lua_block_body();
    assert!(found);
    assert_eq!(&text[raw.start..raw.end], " ngx.say('}') ");
}

fn wirelint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .args(args)
        .output()
        .expect("runs the binary")
}

fn run_check(path: &Path) -> (i32, String, String) {
    let out = wirelint(&[
        "check",
        "--kind",
        "nginx",
        "--format",
        "json",
        path.to_str().unwrap(),
    ]);
    (
        out.status.code().expect("exits, not killed by a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn codes(json: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).expect("JSON output");
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn hundred_thousand_nested_blocks_give_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_000;
    let text = format!(
        "events {{}}\nhttp {{\n{}{}}}\n",
        "location / {".repeat(n),
        "}".repeat(n)
    );
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, text).unwrap();
    let (code, out, err) = run_check(&path);
    assert_eq!(code, 1, "{err}");
    assert!(
        codes(&out)
            .iter()
            .any(|(c, m)| c == "N000" && m.contains("nested deeper")),
        "{out}"
    );
}

#[test]
fn hundred_megabyte_file_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    // 100 MB in release (as CI runs the tests); a tenth of it in a debug build, which is ~20× slower.
    let target = if cfg!(debug_assertions) { 10 } else { 100 } * 1024 * 1024;
    let pad = "x".repeat(900);
    let server = format!(
        "    server {{\n        listen 8080;\n        add_header X-Pad \"{pad}\";\n        location / {{ return 200; }}\n    }}\n"
    );
    let mut text = String::with_capacity(target + 4096);
    text.push_str("events {}\nhttp {\n");
    while text.len() < target {
        text.push_str(&server);
    }
    text.push_str("    server { listen 8080; proxy_pas http://10.0.0.1; }\n}\n");
    let path = dir.path().join("nginx.conf");
    std::fs::write(&path, &text).unwrap();
    let (code, out, err) = run_check(&path);
    assert_eq!(code, 1, "{err}"); // the one N005 warning
    let found = codes(&out);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "N005");
}

#[test]
fn include_cycle_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("nginx.conf"),
        "events {}\nhttp { include a.conf; }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("a.conf"), "include b.conf;\n").unwrap();
    std::fs::write(dir.path().join("b.conf"), "include a.conf;\n").unwrap();
    let (code, out, err) = run_check(&dir.path().join("nginx.conf"));
    assert_eq!(code, 1, "{err}");
    assert!(
        codes(&out)
            .iter()
            .any(|(c, m)| c == "N004" && m.contains("cycle")),
        "{out}"
    );
}

#[cfg(unix)]
#[test]
fn symlink_loop_is_a_finding_or_a_clear_error() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("nginx.conf"),
        "events {}\nhttp { include loop.conf; include conf.d/*.conf; }\n",
    )
    .unwrap();
    symlink(d.join("loop.conf"), d.join("loop2.conf")).unwrap();
    symlink(d.join("loop2.conf"), d.join("loop.conf")).unwrap();
    // A directory symlink loop under a glob: glob(3) does not recurse, nor does wirelint.
    std::fs::create_dir(d.join("conf.d")).unwrap();
    symlink(d.join("conf.d"), d.join("conf.d/self")).unwrap();
    std::fs::write(d.join("conf.d/site.conf"), "server { listen 8080; }\n").unwrap();
    let (code, out, err) = run_check(&d.join("nginx.conf"));
    assert_eq!(code, 1, "{err}");
    let found = codes(&out);
    assert!(
        found
            .iter()
            .any(|(c, m)| c == "N004" && m.contains("cannot read")),
        "{found:?}"
    );
    // The loop itself as the file to check: a clear error, exit 2.
    let (code, _, err) = run_check(&d.join("loop.conf"));
    assert_eq!(code, 2);
    assert!(err.contains("loop.conf"), "{err}");
}

/// A file name that is not UTF-8 in a directory an include glob lists: nginx includes it like any other
/// (glob(3) compares bytes). wirelint used to panic there (exit 101, in the `glob` crate).
#[cfg(unix)]
#[test]
fn non_utf8_file_name_under_an_include_glob_is_read() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(
        d.join("nginx.conf"),
        "events {}\nhttp { include */*.conf; }\n",
    )
    .unwrap();
    std::fs::create_dir(d.join("conf.d")).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.conf");
    std::fs::write(
        d.join("conf.d").join(odd),
        "server { listen 80; location / { proxy_pass http://legacy:9000; } }\n",
    )
    .unwrap();
    let (code, out, err) = run_check(&d.join("nginx.conf"));
    assert_eq!(code, 1, "{err}");
    assert!(codes(&out).iter().any(|(c, _)| c == "N001"), "{out}");
}

#[test]
fn binary_file_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nginx.conf");
    let mut bytes = b"events {}\n".to_vec();
    bytes.extend((0..=255u8).cycle().take(4096));
    std::fs::write(&path, bytes).unwrap();
    let (code, out, err) = run_check(&path);
    assert_eq!(code, 1, "{err}");
    assert!(
        codes(&out)
            .iter()
            .any(|(c, m)| c == "N000" && m.contains("binary")),
        "{out}"
    );
}

#[test]
fn invalid_utf8_is_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nginx.conf");
    // Latin-1 in a comment and a value: nginx passes the bytes through and accepts the file.
    std::fs::write(
        &path,
        b"events {}\n# M\xf6lln\nhttp { server { listen 8080; return 200 \"M\xf6lln\"; } }\n",
    )
    .unwrap();
    let (code, out, err) = run_check(&path);
    assert_eq!(code, 0, "{err}");
    assert!(codes(&out).is_empty(), "{out}");
}

#[test]
fn unreadable_include_is_a_finding_and_unreadable_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // A directory where a file is expected cannot be read as one, even by root (who can read a chmod
    // 000 file): the portable way to test an unreadable include.
    std::fs::create_dir(d.join("site.conf")).unwrap();
    std::fs::write(
        d.join("nginx.conf"),
        "events {}\nhttp { include site.conf; }\n",
    )
    .unwrap();
    let (code, out, err) = run_check(&d.join("nginx.conf"));
    assert_eq!(code, 1, "{err}");
    assert!(
        codes(&out)
            .iter()
            .any(|(c, m)| c == "N004" && m.contains("directory")),
        "{out}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = d.join("locked.conf");
        std::fs::write(&locked, "events {}\n").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&locked).is_ok() {
            eprintln!("running as root: a chmod 000 file is still readable; the directory case above covers it");
        } else {
            let (code, _, err) = run_check(&locked);
            assert_eq!(code, 2, "{err}");
            assert!(err.contains("locked.conf"), "{err}");
        }
    }
}

/// Runs `wirelint check --format json PATH`, killing it (and failing) if it has not ended after 20 s.
#[cfg(unix)]
fn run_check_or_kill(path: &Path) -> (i32, String) {
    let (code, out, _) = run_or_kill(&["check", "--format", "json", path.to_str().unwrap()]);
    (code, out)
}

/// Runs wirelint with `args`, killing it (and failing) if it has not ended after 20 s: exit status, standard
/// output and standard error.
#[cfg(unix)]
fn run_or_kill(args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirelint"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs the binary");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while child.try_wait().expect("waits").is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            panic!("wirelint {} still running after 20 s", args.join(" "));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code().expect("exits, not killed by a signal"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(unix)]
fn fifo(p: &Path) {
    let c = std::ffi::CString::new(p.to_str().unwrap()).unwrap();
    // SAFETY: a plain libc call with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0, "mkfifo");
}

#[cfg(unix)]
#[test]
fn fifo_named_on_the_command_line_is_a_usage_error() {
    // `wirelint check /dev/stdin` with a pipe on standard input used to report "0 files" and exit 0.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.conf");
    fifo(&path);
    let (code, out, err) = run_or_kill(&["check", "--kind", "nginx", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("site.conf: not a regular file or directory"),
        "{err}"
    );
    assert!(err.contains("--stdin-filename"), "{err}");
}

#[cfg(unix)]
#[test]
fn fifo_matched_by_an_include_is_a_finding_not_a_wait() {
    // Opening a FIFO for reading waits for a writer: an include that reaches one used to hang the run.
    // Twenty files make the glob's files read ahead on all cores; the literal include goes through the
    // loader alone.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("conf.d")).unwrap();
    for i in 0..20 {
        std::fs::write(
            d.join(format!("conf.d/s{i:02}.conf")),
            format!("server {{ listen {}; }}\n", 8000 + i),
        )
        .unwrap();
    }
    fifo(&d.join("conf.d/zz.conf"));
    fifo(&d.join("literal.conf"));
    std::fs::write(
        d.join("nginx.conf"),
        "events {}\nhttp {\n    include conf.d/*.conf;\n    include literal.conf;\n}\n",
    )
    .unwrap();
    let (code, out) = run_check_or_kill(&d.join("nginx.conf"));
    assert_eq!(code, 1, "{out}");
    let n004: Vec<String> = codes(&out)
        .into_iter()
        .filter(|(c, m)| c == "N004" && m.contains("not a regular file"))
        .map(|(_, m)| m)
        .collect();
    assert_eq!(n004.len(), 2, "{out}");
    assert!(n004.iter().any(|m| m.contains("zz.conf")), "{n004:?}");
    assert!(n004.iter().any(|m| m.contains("literal.conf")), "{n004:?}");
}
