//! File-system globbing the way nginx's and php-fpm's `include` do it (glob(3) without `GLOB_PERIOD`:
//! `*`, `?` and `[…]` within one path component, a leading `.` matched only literally), with the matches
//! sorted by their bytes.
//!
//! The `glob` crate's iterator (used here before) panicked on a file name that is not UTF-8 in any
//! directory it listed (`glob` 0.3.4, `fill_todo`: `to_str().unwrap()`), so `include conf.d/*;` over such a
//! name ended the run with exit 101. It also asked `stat` of every symlinked match and threw away the
//! file type the directory listing gives for free: a caller that wants to know whether a match is a
//! symlink (nginx's loader, to check a Debian `sites-enabled/` link and its target once) had to `lstat`
//! each match again — 2,000 system calls on the split benchmark. This walk keeps that type. The crate's
//! [`glob::Pattern`] still matches each component.

use std::path::{Path, PathBuf};

/// One path a glob matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub path: PathBuf,
    /// Whether the path is a symlink, when the directory listing said (`None`: not known without a
    /// `lstat`, e.g. for a literal last component).
    pub symlink: Option<bool>,
}

fn has_meta(component: &str) -> bool {
    component.contains(['*', '?', '['])
}

const OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

/// `base` joined with `name`, where the relative walk's start `.` is not written (`conf.d/*` gives
/// `conf.d/a.conf`, as the `glob` crate and glob(3) give it).
fn join(base: &Path, name: &std::ffi::OsStr) -> PathBuf {
    if base == Path::new(".") {
        PathBuf::from(name)
    } else {
        base.join(name)
    }
}

fn matches(pattern: &glob::Pattern, name: &std::ffi::OsStr) -> bool {
    match name.to_str() {
        Some(s) => pattern.matches_with(s, OPTIONS),
        // A name that is not UTF-8 is matched as its lossy decoding: `*` and `*.conf` still match it,
        // as they do for glob(3), which compares bytes.
        None => pattern.matches_with(&name.to_string_lossy(), OPTIONS),
    }
}

/// The paths `pattern` matches, sorted by their bytes. `**` is `*` (glob(3) has no recursive wildcard).
/// A pattern that is not a valid glob matches nothing; so does a directory that cannot be read.
pub fn glob_sorted(pattern: &str) -> Vec<Match> {
    let pattern = pattern.replace("**", "*");
    if glob::Pattern::new(&pattern).is_err() {
        return Vec::new();
    }
    let require_dir = pattern.ends_with('/');
    let (start, rest) = match pattern.strip_prefix('/') {
        Some(rest) => (PathBuf::from("/"), rest),
        None => (PathBuf::from("."), pattern.as_str()),
    };
    let components: Vec<&str> = rest.split('/').filter(|c| !c.is_empty()).collect();
    let mut found = vec![Match {
        path: start,
        symlink: None,
    }];
    for (i, component) in components.iter().enumerate() {
        let last = i + 1 == components.len();
        let mut next = Vec::new();
        if !has_meta(component) {
            for base in &found {
                let path = join(&base.path, component.as_ref());
                let keep = if last {
                    std::fs::symlink_metadata(&path).is_ok()
                } else {
                    path.is_dir()
                };
                if keep {
                    next.push(Match {
                        path,
                        symlink: None,
                    });
                }
            }
        } else {
            let Ok(compiled) = glob::Pattern::new(component) else {
                return Vec::new();
            };
            for base in &found {
                let Ok(entries) = std::fs::read_dir(&base.path) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    if !matches(&compiled, &name) {
                        continue;
                    }
                    let path = join(&base.path, &name);
                    // `file_type` comes from the listing (`d_type`) on Linux: no system call.
                    let ty = entry.file_type().ok();
                    let symlink = ty.map(|t| t.is_symlink());
                    if !last {
                        let dir = match ty {
                            Some(t) if !t.is_symlink() => t.is_dir(),
                            _ => path.is_dir(),
                        };
                        if !dir {
                            continue;
                        }
                    }
                    next.push(Match { path, symlink });
                }
                // glob(3) lists `.` and `..` too; only a pattern starting with a literal `.` matches them.
                if component.starts_with('.') {
                    for special in [".", ".."] {
                        if compiled.matches_with(special, OPTIONS) {
                            next.push(Match {
                                path: join(&base.path, special.as_ref()),
                                symlink: Some(false),
                            });
                        }
                    }
                }
            }
        }
        found = next;
        if found.is_empty() {
            return found;
        }
    }
    if components.is_empty() {
        // `/` alone, or an empty pattern: the start itself.
        found.retain(|m| m.path.exists());
    }
    if require_dir {
        found.retain(|m| m.path.is_dir());
    }
    found.sort_by(|a, b| {
        a.path
            .as_os_str()
            .as_encoded_bytes()
            .cmp(b.path.as_os_str().as_encoded_bytes())
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pattern: &str) -> Vec<String> {
        glob_sorted(pattern)
            .into_iter()
            .map(|m| m.path.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn matches_like_glob3_sorted_by_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("conf.d/sub")).unwrap();
        for f in ["b.conf", "a.conf", "B.conf", ".hidden.conf", "x.txt"] {
            std::fs::write(d.join("conf.d").join(f), "").unwrap();
        }
        std::fs::write(d.join("conf.d/sub/c.conf"), "").unwrap();
        let root = d.to_str().unwrap();
        assert_eq!(
            names(&format!("{root}/conf.d/*.conf")),
            ["B.conf", "a.conf", "b.conf"].map(|f| format!("{root}/conf.d/{f}"))
        );
        // A leading dot is matched only literally.
        assert_eq!(
            names(&format!("{root}/conf.d/.*.conf")),
            [format!("{root}/conf.d/.hidden.conf")]
        );
        // Wildcards in a directory component; `**` is `*`.
        assert_eq!(
            names(&format!("{root}/*/s?b/**.conf")),
            [format!("{root}/conf.d/sub/c.conf")]
        );
        // A directory matched by the last component is a match (nginx then fails to read it).
        assert_eq!(
            names(&format!("{root}/conf.d/s*")),
            [format!("{root}/conf.d/sub")]
        );
        assert_eq!(
            names(&format!("{root}/conf.d/*/")),
            [format!("{root}/conf.d/sub")]
        );
        assert!(names(&format!("{root}/nowhere/*.conf")).is_empty());
        assert!(names(&format!("{root}/conf.d/[.conf")).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_and_symlinks() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let odd = std::ffi::OsStr::from_bytes(b"a\xff.conf");
        std::fs::write(d.join(odd), "").unwrap();
        std::fs::write(d.join("b.conf"), "").unwrap();
        std::os::unix::fs::symlink(d.join("b.conf"), d.join("c.conf")).unwrap();
        let found = glob_sorted(&format!("{}/*.conf", d.to_str().unwrap()));
        let got: Vec<(Vec<u8>, Option<bool>)> = found
            .iter()
            .map(|m| (m.path.file_name().unwrap().as_bytes().to_vec(), m.symlink))
            .collect();
        assert_eq!(
            got,
            [
                (b"a\xff.conf".to_vec(), Some(false)),
                (b"b.conf".to_vec(), Some(false)),
                (b"c.conf".to_vec(), Some(true)),
            ]
        );
    }
}
