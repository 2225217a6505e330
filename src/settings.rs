//! Everything that changes how a run checks: from the command line (and, later, `.wirelint.toml`).

use crate::diagnostic::Severity;
use crate::rules::Selection;
use std::path::{Path, PathBuf};

/// A file kind wirelint understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Kind {
    Nginx,
    #[value(name = "php-fpm")]
    PhpFpm,
    Compose,
}

/// A container path mapped to a repository path (`--map /etc/nginx=./nginx`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathMapping {
    pub container: PathBuf,
    pub host: PathBuf,
}

impl PathMapping {
    /// Maps an absolute container path to the repository, if a mapping covers it. The longest matching
    /// container prefix wins.
    pub fn resolve(mappings: &[PathMapping], path: &Path) -> Option<PathBuf> {
        mappings
            .iter()
            .filter(|m| path.starts_with(&m.container))
            .max_by_key(|m| m.container.components().count())
            .map(|m| m.host.join(path.strip_prefix(&m.container).unwrap_or(path)))
    }
}

/// An nginx version, compared numerically (`1.27.3`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub fn parse(s: &str) -> Option<Version> {
        let mut it = s.trim().split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().map(str::parse).transpose().ok()?.unwrap_or(0);
        let patch = it.next().map(str::parse).transpose().ok()?.unwrap_or(0);
        if it.next().is_some() {
            return None;
        }
        Some(Version(major, minor, patch))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

#[derive(Clone, Debug, Default)]
pub struct NginxSettings {
    /// The config prefix relative includes resolve against; default: the main config's directory.
    pub prefix: Option<PathBuf>,
    /// The nginx version the configs run on, when known.
    pub version: Option<Version>,
}

#[derive(Clone, Debug, Default)]
pub struct PhpFpmSettings {
    /// php-fpm's prefix (`-p`): where relative `include=` paths and unix sockets resolve. Default: the main
    /// config's directory (its parent when that directory is `etc`).
    pub prefix: Option<PathBuf>,
    /// The image (or package layout) whose stock pool files sit under a pool directory's own files,
    /// e.g. `php:8.2.20-fpm`.
    pub image: Option<String>,
    /// The environment php-fpm starts with, when known: `${VAR}` values are read from it and unset
    /// variables reported. `None`: unknown, `${VAR}` values stay unresolved and unreported.
    pub env: Option<std::collections::HashMap<String, String>>,
}

/// How compose projects are read (`-f`, `--env-file`, `--project-name`, `[compose]` in `.wirelint.toml`).
#[derive(Clone, Debug, Default)]
pub struct ComposeSettings {
    /// Ports a developer's local tools usually take (C001); `None`: the built-in list.
    pub dev_ports: Option<Vec<u16>>,
    /// `-f` files forming the one project to check (in order); empty: discover projects.
    pub files: Vec<PathBuf>,
    /// `--env-file`s used instead of the project's `.env`.
    pub env_files: Vec<PathBuf>,
    /// `--project-name`.
    pub project_name: Option<String>,
    /// The environment interpolation reads (the CLI passes the process environment; tests inject one).
    pub environment: std::collections::HashMap<String, String>,
}

/// `[[overrides]]` from `.wirelint.toml`: rules ignored for files matching globs relative to `base`.
#[derive(Clone, Debug)]
pub struct PathOverride {
    /// The directory of the config file the globs are relative to.
    pub base: PathBuf,
    /// The globs as written (for messages).
    pub patterns: Vec<String>,
    pub globs: Vec<globset::GlobMatcher>,
    /// Rule selectors ignored for matching files.
    pub ignore: Vec<String>,
}

impl PathOverride {
    /// Whether `path` (absolute or relative to the working directory) matches: the glob matches the path
    /// relative to `base` or one of its parent directories (so `legacy` covers `legacy/a/b.conf`).
    pub fn matches(&self, path: &Path) -> bool {
        let path = crate::source::normalize(path);
        let Ok(rel) = path.strip_prefix(&self.base) else {
            return false;
        };
        rel.ancestors()
            .filter(|a| !a.as_os_str().is_empty())
            .any(|a| self.globs.iter().any(|g| g.is_match(a)))
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub rules: Selection,
    /// Findings at or above this severity make the exit status 1.
    pub min_severity: Severity,
    /// Forces every given file to this kind.
    pub kind: Option<Kind>,
    pub nginx: NginxSettings,
    pub phpfpm: PhpFpmSettings,
    /// Container path → repository path.
    pub path_map: Vec<PathMapping>,
    pub compose: ComposeSettings,
    /// Rule code → severity that replaces the rule's (`[rules.severity]`).
    pub severity_overrides: Vec<(&'static str, Severity)>,
    /// Per-path ignores (`[[overrides]]`).
    pub overrides: Vec<PathOverride>,
}

impl Settings {
    /// Whether findings of `code` are reported in the file at `path`: selected, not ignored, and not
    /// ignored by an override matching the file.
    pub fn enabled_in(&self, code: &str, path: Option<&Path>) -> bool {
        if !self.rules.enabled(code) {
            return false;
        }
        let Some(path) = path else { return true };
        !self.overrides.iter().any(|o| {
            o.matches(path)
                && !Selection {
                    select: Vec::new(),
                    ignore: o.ignore.clone(),
                }
                .enabled(code)
        })
    }

    /// The severity findings of `code` are reported with, if configured.
    pub fn severity_of(&self, code: &str) -> Option<Severity> {
        self.severity_overrides
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, s)| *s)
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            rules: Selection::default(),
            min_severity: Severity::Warning,
            kind: None,
            nginx: NginxSettings::default(),
            phpfpm: PhpFpmSettings::default(),
            path_map: Vec::new(),
            compose: ComposeSettings::default(),
            severity_overrides: Vec::new(),
            overrides: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_order() {
        assert!(Version::parse("1.22.1").unwrap() < Version::parse("1.27.3").unwrap());
        assert_eq!(Version::parse("1.27"), Some(Version(1, 27, 0)));
        assert_eq!(Version::parse("x"), None);
    }

    #[test]
    fn longest_mapping_wins() {
        let maps = vec![
            PathMapping {
                container: "/etc".into(),
                host: "a".into(),
            },
            PathMapping {
                container: "/etc/nginx".into(),
                host: "b".into(),
            },
        ];
        assert_eq!(
            PathMapping::resolve(&maps, Path::new("/etc/nginx/conf.d/x.conf")),
            Some(PathBuf::from("b/conf.d/x.conf"))
        );
        assert_eq!(PathMapping::resolve(&maps, Path::new("/usr/x")), None);
    }
}
