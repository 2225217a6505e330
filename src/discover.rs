//! Finding the files to check and telling their kind (nginx, php-fpm, compose) by name, location and
//! content.

use crate::settings::Kind;
use crate::source::display_name;
use std::path::{Path, PathBuf};

/// A file to check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    /// As shown to the user.
    pub name: String,
    pub kind: Kind,
}

#[derive(Debug)]
pub enum DiscoverError {
    NotFound(PathBuf),
    /// A FIFO, socket or device: reading one could wait for ever (`/dev/stdin` is a pipe).
    NotAFile(PathBuf),
    Walk(String),
}

impl std::fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiscoverError::NotFound(p) => write!(f, "{}: no such file or directory", p.display()),
            DiscoverError::NotAFile(p) => write!(
                f,
                "{}: not a regular file or directory (to check standard input, use --stdin-filename)",
                p.display()
            ),
            DiscoverError::Walk(e) => f.write_str(e),
        }
    }
}

/// Files read whole while their kind was told, by path as walked: a loader can take their text from here
/// instead of opening and reading each file a second time.
pub type Contents = std::collections::HashMap<PathBuf, Vec<u8>>;

/// Walks `paths` (files or directories; directories respecting `.gitignore`) and returns the files of a
/// known kind, sorted by path. Explicitly named files whose kind cannot be told are returned in `skipped`.
pub fn discover(
    paths: &[PathBuf],
    forced: Option<Kind>,
) -> Result<(Vec<Input>, Vec<PathBuf>), DiscoverError> {
    discover_reading(paths, forced).map(|(inputs, skipped, _)| (inputs, skipped))
}

/// [`discover`], also returning the [`Contents`] of the inputs it read whole.
pub fn discover_reading(
    paths: &[PathBuf],
    forced: Option<Kind>,
) -> Result<(Vec<Input>, Vec<PathBuf>, Contents), DiscoverError> {
    let mut contents = Contents::new();
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|_| DiscoverError::NotFound(root.clone()))?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(DiscoverError::NotAFile(root.clone()));
        }
        if meta.is_file() {
            match forced.or_else(|| classify_reading(root, &mut contents)) {
                Some(kind) => inputs.push(input(root, kind)),
                None => skipped.push(root.clone()),
            }
            continue;
        }
        let walker = ignore::WalkBuilder::new(root)
            .hidden(true)
            .git_ignore(true)
            .git_global(false)
            .git_exclude(false)
            .require_git(false)
            .follow_links(false)
            .build();
        let mut candidates = Vec::new();
        for entry in walker {
            let entry = entry.map_err(|e| DiscoverError::Walk(e.to_string()))?;
            if entry.file_type().is_some_and(|t| t.is_file()) && is_candidate(entry.path()) {
                candidates.push(entry.into_path());
            }
        }
        match forced {
            Some(kind) => inputs.extend(candidates.iter().map(|p| input(p, kind))),
            None => {
                let found = classify_all(candidates);
                contents.reserve(found.len());
                for (path, kind, whole) in found {
                    inputs.push(input(&path, kind));
                    if let Some(bytes) = whole {
                        contents.insert(path, bytes);
                    }
                }
            }
        }
    }
    inputs.sort_by(|a, b| a.path.cmp(&b.path));
    inputs.dedup_by(|a, b| a.path == b.path);
    Ok((inputs, skipped, contents))
}

fn input(path: &Path, kind: Kind) -> Input {
    Input {
        path: path.to_path_buf(),
        name: display_name(path),
        kind,
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn dir_names(path: &Path) -> Vec<String> {
    path.parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

/// Cheap filter on the name before any file is read during a walk.
fn is_candidate(path: &Path) -> bool {
    let name = file_name(path);
    name.ends_with(".conf")
        || name.ends_with(".conf.template")
        || name.ends_with(".template")
        || name.ends_with(".nginx")
        || name.ends_with(".vhost")
        || name.ends_with(".yml")
        || name.ends_with(".yaml")
        || name == "nginx.conf"
        || dir_names(path)
            .iter()
            .any(|d| d == "sites-available" || d == "sites-enabled")
}

/// The compose file names `docker compose` looks for, and their naming family.
pub fn is_compose_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    (name.ends_with(".yml") || name.ends_with(".yaml"))
        && (name.starts_with("docker-compose") || name.starts_with("compose"))
}

/// Tells a file's kind from its name, its directories and (for `.conf` and templates) its content.
pub fn classify_path(path: &Path) -> Option<Kind> {
    classify_whole(path).map(|(kind, _)| kind)
}

/// Reading the first 64 KiB is enough to tell nginx from INI.
const HEAD_BYTES: usize = 64 * 1024;

/// [`classify_path`], keeping in `contents` a file of a known kind that was read whole.
fn classify_reading(path: &Path, contents: &mut Contents) -> Option<Kind> {
    let (kind, whole) = classify_whole(path)?;
    if let Some(bytes) = whole {
        contents.insert(path.to_path_buf(), bytes);
    }
    Some(kind)
}

/// A file's kind, and its bytes if they were all read to tell it.
fn classify_whole(path: &Path) -> Option<(Kind, Option<Vec<u8>>)> {
    let name = file_name(path);
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        return is_compose_name(&name).then_some((Kind::Compose, None));
    }
    let mut head = read_head(path, HEAD_BYTES)?;
    // Checked first with `from_utf8`, which skips ASCII a word at a time: the lossy conversion's scan
    // alone was a fifth of reading and sniffing 2,000 small files.
    let text = match std::str::from_utf8(&head) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(&head),
    };
    let kind = classify(path, &text)?;
    if head.len() >= HEAD_BYTES {
        return Some((kind, None));
    }
    // Kept until the run ends: without the read buffer's spare capacity (8 KiB for most files).
    head.shrink_to_fit();
    Some((kind, Some(head)))
}

/// [`classify_whole`] for each of `paths` (in order, without those of no known kind), on all cores when
/// there are many: reading and sniffing 2,000 files took 30 ms on one.
fn classify_all(paths: Vec<PathBuf>) -> Vec<(PathBuf, Kind, Option<Vec<u8>>)> {
    let threads = crate::source::threads().min(paths.len() / 64);
    crate::source::parallel_map(&paths, threads, |p| classify_whole(p))
        .into_iter()
        .zip(paths)
        .filter_map(|(found, p)| found.map(|(kind, whole)| (p, kind, whole)))
        .collect()
}

fn read_head(path: &Path, limit: usize) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::with_capacity(limit.min(8192));
    std::fs::File::open(path)
        .ok()?
        .take(limit as u64)
        .read_to_end(&mut buf)
        .ok()?;
    if buf.contains(&0) {
        return None; // binary
    }
    Some(buf)
}

/// Content-based part of [`classify_path`].
pub fn classify(path: &Path, head: &str) -> Option<Kind> {
    let name = file_name(path);
    let dirs = dir_names(path);
    let has_dir = |names: &[&str]| dirs.iter().any(|d| names.contains(&d.as_str()));
    // A UTF-8 byte order mark is not part of the first line's shape (nginx rejects it: N000 says so).
    let shape = Shape::of(head.strip_prefix('\u{feff}').unwrap_or(head));

    // supervisord's INI (`[supervisord]`, `[program:php-fpm]`), often beside php-fpm's files in a
    // `docker/php/` directory.
    let supervisor = [
        "[supervisord]",
        "[program:",
        "[supervisorctl]",
        "[unix_http_server]",
    ]
    .iter()
    .any(|section| {
        head.match_indices(section)
            .any(|(i, _)| i == 0 || head.as_bytes()[i - 1] == b'\n')
    });
    if supervisor {
        return None;
    }
    let fpm_hint = name.starts_with("php-fpm")
        || has_dir(&["php-fpm.d", "pool.d", "fpm"])
        || dirs.iter().any(|d| d.starts_with("php"));
    if shape.ini_lines > shape.nginx_lines
        && (shape.fpm_keys > 0 || (fpm_hint && shape.ini_lines > 0))
    {
        return Some(Kind::PhpFpm);
    }

    let nginx_hint = name == "nginx.conf"
        || name.ends_with(".conf.template")
        || name.ends_with(".nginx")
        || name.ends_with(".vhost")
        || has_dir(&[
            "nginx",
            "conf.d",
            "sites-available",
            "sites-enabled",
            "snippets",
            "http.d",
            "stream.d",
            "templates",
        ]);
    if shape.nginx_lines > shape.ini_lines && (shape.nginx_keywords > 0 || nginx_hint) {
        return Some(Kind::Nginx);
    }
    None
}

/// Line counts that tell nginx syntax from php-fpm's INI dialect.
#[derive(Default, Debug)]
struct Shape {
    nginx_lines: usize,
    ini_lines: usize,
    fpm_keys: usize,
    nginx_keywords: usize,
}

impl Shape {
    fn of(text: &str) -> Shape {
        let mut s = Shape::default();
        let bytes = text.as_bytes();
        let mut start = 0;
        // The lines as `str::lines` gives them, but for a `\r` before the break, which trimming removes.
        while start < bytes.len() {
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            s.line(&text[start..end], Trim::Fast);
            start = end + 1;
        }
        s
    }

    /// Counts one line. `trim` chooses how whitespace is found: [`Trim::Fast`] gives the same result as
    /// `str::trim`, `str::trim_end` and `str::split_whitespace` (the tests check it against them), from
    /// a byte scan when the bytes at hand are ASCII. Sniffing 2,000 small files spent 110 M instructions
    /// here with the `str` methods.
    fn line(&mut self, line: &str, trim: Trim) {
        let t = trim.both(line);
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            return;
        }
        // Strip an nginx comment for the ending test (a rough cut is enough for sniffing). Found with
        // memchr: a substring search set up for every line was a third of discovering 2,000 files.
        let code = trim.end(
            memchr::memchr_iter(b'#', t.as_bytes())
                .find(|&i| i > 0 && t.as_bytes()[i - 1] == b' ')
                .map_or(t, |i| &t[..i - 1]),
        );
        // A line may close blocks it opened or continued: `events {}`, `location / { return 204; }`.
        let closes = code.ends_with('}') && {
            let rest = code.trim_end_matches(|c: char| c == '}' || c.is_ascii_whitespace());
            rest.is_empty() || rest.ends_with(';') || rest.ends_with('{')
        };
        if code.ends_with(';') || code.ends_with('{') || closes {
            self.nginx_lines += 1;
            let word = trim.first_word(code);
            if matches!(
                word,
                "server" | "location" | "http" | "events" | "upstream" | "stream" | "map"
            ) || word.ends_with("_pass")
                || matches!(
                    word,
                    "listen" | "server_name" | "root" | "include" | "worker_processes"
                )
            {
                self.nginx_keywords += 1;
            }
        } else if (t.starts_with('[') && t.ends_with(']')) || is_ini_assignment(t) {
            self.ini_lines += 1;
            let key = t
                .split('=')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            if key == "pm"
                || key.starts_with("pm.")
                || key.starts_with("listen")
                || key.starts_with("php_value[")
                || key.starts_with("php_admin_value[")
                || key.starts_with("php_flag[")
                || key.starts_with("php_admin_flag[")
                || key == "daemonize"
                || key == "catch_workers_output"
                || key == "request_terminate_timeout"
            {
                self.fpm_keys += 1;
            }
        }
    }
}

/// How [`Shape::line`] finds whitespace.
#[derive(Clone, Copy)]
enum Trim {
    /// A byte scan, falling back to [`Trim::Str`] where a byte at hand is not ASCII or is the one ASCII
    /// whitespace character `trim_ascii` keeps (`\x0b`).
    Fast,
    /// The `str` methods (Unicode whitespace).
    #[cfg_attr(not(test), allow(dead_code))]
    Str,
}

impl Trim {
    /// Whether `str::trim` stops at byte `b` where `trim_ascii` stopped.
    fn ascii_stop(b: u8) -> bool {
        b.is_ascii() && b != 0x0b
    }

    fn both(self, s: &str) -> &str {
        match self {
            Trim::Fast => {
                let t = s.trim_ascii();
                match (t.as_bytes().first(), t.as_bytes().last()) {
                    (Some(&a), Some(&b)) if !(Self::ascii_stop(a) && Self::ascii_stop(b)) => {
                        s.trim()
                    }
                    _ => t,
                }
            }
            Trim::Str => s.trim(),
        }
    }

    fn end(self, s: &str) -> &str {
        match self {
            Trim::Fast => {
                let t = s.trim_ascii_end();
                match t.as_bytes().last() {
                    Some(&b) if !Self::ascii_stop(b) => s.trim_end(),
                    _ => t,
                }
            }
            Trim::Str => s.trim_end(),
        }
    }

    /// The first of `split_whitespace` (`s` starts with no whitespace).
    fn first_word(self, s: &str) -> &str {
        if let Trim::Fast = self {
            for (i, &b) in s.as_bytes().iter().enumerate() {
                if !b.is_ascii() {
                    break; // may be Unicode whitespace
                }
                if b.is_ascii_whitespace() || b == 0x0b {
                    return &s[..i];
                }
                if i + 1 == s.len() {
                    return s;
                }
            }
        }
        s.split_whitespace().next().unwrap_or("")
    }
}

fn is_ini_assignment(t: &str) -> bool {
    let Some((key, _)) = t.split_once('=') else {
        return false;
    };
    let key = key.trim();
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-[]$".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`Shape::of`] with the `str` methods throughout, as it was written first.
    fn shape_by_str(text: &str) -> Shape {
        let mut s = Shape::default();
        for line in text.lines() {
            s.line(line, Trim::Str);
        }
        s
    }

    fn same_shape(a: &Shape, b: &Shape) -> bool {
        (a.nginx_lines, a.ini_lines, a.fpm_keys, a.nginx_keywords)
            == (b.nginx_lines, b.ini_lines, b.fpm_keys, b.nginx_keywords)
    }

    #[test]
    fn fast_shape_agrees_with_str_methods() {
        let lines = [
            "server {",
            "  listen 80;",
            "\tlocation / { proxy_pass http://a:1; } # note",
            "}",
            "\u{a0}server_name x;\u{a0}",
            "\u{3000}listen\u{3000}80;",
            "\x0broot /x;\x0b",
            "include\x0bx;",
            "upstream\u{85}b {",
            "fastcgi_pass php:9000;\r",
            "é_pass x;",
            "[www]",
            "listen = 9000",
            " pm.max_children = 5 ",
            "; comment",
            "# comment",
            "",
            "   ",
            "\r",
            "x #y;",
            "a ;",
            "map $a $b {",
        ];
        for a in lines {
            for b in lines {
                for sep in ["\n", "\r\n"] {
                    let text = format!("{a}{sep}{b}{sep}{a}");
                    assert!(
                        same_shape(&Shape::of(&text), &shape_by_str(&text)),
                        "{text:?}"
                    );
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_shape_agrees_on_any_text(
            text in "([ \t\r\n\x0b\x0c\u{a0}\u{85}\u{3000}#;{}=\\[\\]a-z_.é]|server|listen|_pass){0,40}"
        ) {
            proptest::prop_assert!(same_shape(&Shape::of(&text), &shape_by_str(&text)));
        }
    }

    #[test]
    fn many_files_are_told_apart_as_one_at_a_time() {
        // Enough files for `classify_all` to use several threads.
        let dir = tempfile::tempdir().unwrap();
        let texts = [
            "server {\n  listen 80;\n}\n",
            "[www]\nlisten = 9000\npm = dynamic\n",
            "just words\n",
            "location / { proxy_pass http://a:1; }\n",
        ];
        for i in 0..300 {
            std::fs::write(dir.path().join(format!("f{i:03}.conf")), texts[i % 4]).unwrap();
        }
        let (inputs, _, contents) = discover_reading(&[dir.path().to_path_buf()], None).unwrap();
        let one_by_one: Vec<(PathBuf, Kind)> = (0..300)
            .map(|i| dir.path().join(format!("f{i:03}.conf")))
            .filter_map(|p| classify_path(&p).map(|k| (p, k)))
            .collect();
        let found: Vec<(PathBuf, Kind)> = inputs.into_iter().map(|i| (i.path, i.kind)).collect();
        assert_eq!(found, one_by_one);
        assert!(found.iter().any(|(_, k)| *k == Kind::Nginx));
        assert!(found.iter().any(|(_, k)| *k == Kind::PhpFpm));
        assert!(found.len() < 300, "`just words` is no kind");
        assert_eq!(contents.len(), found.len());
    }

    #[test]
    fn files_read_whole_are_handed_to_the_loader() {
        let dir = tempfile::tempdir().unwrap();
        let site = "server {\n  listen 80;\n}\n";
        // Longer than the head that is read: read again by the loader.
        let big = format!("http {{\n{}}}\n", "  server { listen 80; }\n".repeat(4000));
        std::fs::write(dir.path().join("site.conf"), site).unwrap();
        std::fs::write(dir.path().join("big.conf"), &big).unwrap();
        std::fs::write(dir.path().join("notes.conf"), "just words\n").unwrap();
        let (inputs, _, contents) = discover_reading(&[dir.path().to_path_buf()], None).unwrap();
        assert_eq!(inputs.len(), 2);
        assert_eq!(contents.len(), 1);
        assert_eq!(contents[&dir.path().join("site.conf")], site.as_bytes());

        let mut sources = crate::source::SourceMap::new();
        for (path, bytes) in contents {
            sources.preload(&path, bytes);
        }
        // The loader takes the bytes read here: the file changing on disk afterwards is not seen.
        std::fs::write(dir.path().join("site.conf"), "changed\n").unwrap();
        for input in &inputs {
            let id = sources.load(&input.path, input.name.clone()).unwrap();
            let expected = if input.path.ends_with("site.conf") {
                site
            } else {
                &big
            };
            assert_eq!(&*sources.get(id).text, expected);
        }
    }

    #[test]
    fn tells_nginx_from_php_fpm() {
        let nginx = "server {\n  listen 80;\n  location / { fastcgi_pass php:9000; }\n}\n";
        let fpm = "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\n";
        let supervisord = "[program:x]\ncommand=/bin/true\nuser=root\n";
        assert_eq!(classify(Path::new("x/site.conf"), nginx), Some(Kind::Nginx));
        assert_eq!(classify(Path::new("x/www.conf"), fpm), Some(Kind::PhpFpm));
        let supervisor = "[supervisord]\nnodaemon=true\n\n[program:php-fpm]\ncommand=php-fpm -F\nuser=www-data\n";
        assert_eq!(
            classify(Path::new("docker/php/supervisord.conf"), supervisor),
            None
        );
        assert_eq!(classify(Path::new("x/supervisord.conf"), supervisord), None);
        assert_eq!(classify(Path::new("x/empty.conf"), ""), None);
    }

    #[test]
    fn sees_through_a_bom_and_one_line_blocks() {
        let one_line = "events {}\nhttp { server { listen 80; } }\n";
        assert_eq!(
            classify(Path::new("x/nginx.conf"), one_line),
            Some(Kind::Nginx)
        );
        let bom = format!("\u{feff}{one_line}");
        assert_eq!(classify(Path::new("x/nginx.conf"), &bom), Some(Kind::Nginx));
        let bom_lines = "\u{feff}server {\n  listen 80;\n}\n";
        assert_eq!(
            classify(Path::new("x/site.conf"), bom_lines),
            Some(Kind::Nginx)
        );
        // A value in braces is not a block.
        let ini = "[x]\ncommand = echo ${HOME}\nuser = root\n";
        assert_eq!(classify(Path::new("x/tool.conf"), ini), None);
    }

    #[test]
    fn compose_names() {
        assert!(is_compose_name("docker-compose-prod.yml"));
        assert!(is_compose_name("compose.override.yaml"));
        assert!(!is_compose_name("values.yaml"));
    }
}
