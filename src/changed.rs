//! `check --stack FILES…`: the files are the ones that changed (pre-commit passes them); wirelint checks
//! the whole stack each belongs to, so a changed pool file still gets the cross-file findings that involve
//! it, and reports the findings that touch a changed file (at their place or a related location).
//!
//! A file's stack is the directory of the nearest compose file above it (up to the working directory, where
//! pre-commit runs: the repository root), else the working directory itself.

use crate::diagnostic::Diagnostic;
use crate::source::{normalize, SourceMap};
use std::path::{Path, PathBuf};

const COMPOSE_NAMES: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// The directory to check for a changed file.
pub fn stack_root(file: &Path, cwd: &Path) -> PathBuf {
    let file = normalize(file);
    let cwd = normalize(cwd);
    let mut dir = file.parent();
    while let Some(d) = dir {
        if !d.starts_with(&cwd) {
            break;
        }
        if COMPOSE_NAMES.iter().any(|n| d.join(n).is_file()) {
            return d.to_path_buf();
        }
        if d == cwd {
            break;
        }
        dir = d.parent();
    }
    cwd
}

/// The stack roots of `files`, without duplicates or roots inside another root.
pub fn stack_roots(files: &[PathBuf], cwd: &Path) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = files.iter().map(|f| stack_root(f, cwd)).collect();
    roots.sort();
    roots.dedup();
    let all = roots.clone();
    roots.retain(|r| !all.iter().any(|o| o != r && r.starts_with(o)));
    roots
}

/// Whether a change to `file` can change findings anywhere in its stack (settings and variables), so every
/// finding of the stack is reported.
pub fn affects_whole_stack(file: &Path) -> bool {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    name == ".env" || name.starts_with(".env.") || name == crate::config::FILE_NAME
}

/// Whether `d` is at or relates to one of `changed` (absolute, normalised paths).
pub fn touches(sources: &SourceMap, d: &Diagnostic, changed: &[PathBuf]) -> bool {
    std::iter::once(d.span)
        .chain(d.related.iter().map(|r| r.span))
        .any(|span| {
            sources
                .get(span.file)
                .path
                .as_deref()
                .is_some_and(|p| changed.contains(&normalize(p)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_compose_dir_or_cwd() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/php/pool.d")).unwrap();
        std::fs::create_dir_all(root.join("b/nginx")).unwrap();
        std::fs::write(root.join("a/compose.yml"), "services: {}\n").unwrap();
        let pool = root.join("a/php/pool.d/www.conf");
        let site = root.join("b/nginx/site.conf");
        assert_eq!(stack_root(&pool, root), normalize(&root.join("a")));
        assert_eq!(stack_root(&site, root), normalize(root));
        // Roots inside another root collapse into it.
        assert_eq!(
            stack_roots(&[pool.clone(), site], root),
            vec![normalize(root)]
        );
        assert_eq!(stack_roots(&[pool], root), vec![normalize(&root.join("a"))]);
        assert!(affects_whole_stack(Path::new("x/.env")));
        assert!(!affects_whole_stack(Path::new("x/site.conf")));
    }
}
