//! `.wirelint.toml`: found by walking up from the working directory (or named with `--config`), parsed
//! strictly (an unknown key or a bad value is an error naming the file, line and key — never silently
//! ignored), and applied under the command line: flags win over the file.
//!
//! Relative paths in the file (`prefix`, `[paths]` values, override globs, compose files) are relative to the
//! directory holding the file, so the same file works from any working directory.

use crate::diagnostic::Severity;
use crate::rules::{self, Selection};
use crate::settings::{PathMapping, PathOverride, Settings, Version};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name looked for in the working directory and its ancestors.
pub const FILE_NAME: &str = ".wirelint.toml";

/// A mistake in a config file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    /// 1-based line and column, when the mistake has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let (Some(line), Some(col)) = (self.line, self.column) {
            write!(f, ":{line}:{col}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The file as written. Every table denies unknown keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub min_severity: Option<Spanned<String>>,
    #[serde(default)]
    pub rules: RulesTable,
    #[serde(default)]
    pub overrides: Vec<OverrideTable>,
    #[serde(default)]
    pub nginx: NginxTable,
    /// Container path → repository path.
    #[serde(default)]
    pub paths: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default, rename = "php-fpm")]
    pub php_fpm: PhpFpmTable,
    #[serde(default)]
    pub compose: ComposeTable,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RulesTable {
    pub select: Option<Vec<Spanned<String>>>,
    pub ignore: Option<Vec<Spanned<String>>>,
    /// Rule code or name → severity.
    #[serde(default)]
    pub severity: BTreeMap<Spanned<String>, Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct OverrideTable {
    pub paths: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct NginxTable {
    pub version: Option<Spanned<String>>,
    pub prefix: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PhpFpmTable {
    pub prefix: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ComposeTable {
    pub dev_ports: Option<Vec<Spanned<u16>>>,
    pub files: Option<Vec<Spanned<String>>>,
    pub env_file: Option<Spanned<OneOrMany>>,
}

/// `env-file = ".env"` or `env-file = [".env", ".env.local"]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A parsed, validated config file.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    /// The directory relative paths in the file resolve against.
    pub dir: PathBuf,
    pub file: FileConfig,
    text: String,
}

/// Finds `.wirelint.toml` in `start` or the nearest ancestor.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = crate::source::normalize(start);
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// Reads and validates the config: `explicit` (from `--config`) or the one found from the working directory.
pub fn load(explicit: Option<&Path>) -> Result<Option<Config>, ConfigError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match std::env::current_dir().ok().and_then(|cwd| discover(&cwd)) {
            Some(p) => p,
            None => return Ok(None),
        },
    };
    let text = crate::source::read_to_string(&path).map_err(|e| ConfigError {
        file: path.clone(),
        line: None,
        column: None,
        message: format!("cannot read config file: {e}"),
    })?;
    Config::parse(&path, &text).map(Some)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

impl Config {
    /// Parses and validates `text` as the config file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let file: FileConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let (l, c) = line_col(text, span.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            ConfigError {
                file: path.to_path_buf(),
                line,
                column,
                message: e.message().trim_end().replace('\n', "; "),
            }
        })?;
        let dir = crate::source::normalize(path)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        let config = Config {
            path: path.to_path_buf(),
            dir,
            file,
            text: text.to_string(),
        };
        config.validate()?;
        Ok(config)
    }

    fn error(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        let (line, column) = line_col(&self.text, span.start);
        ConfigError {
            file: self.path.clone(),
            line: Some(line),
            column: Some(column),
            message: message.into(),
        }
    }

    fn check_selectors(&self, key: &str, list: &[Spanned<String>]) -> Result<(), ConfigError> {
        for s in list {
            let one = Selection {
                select: vec![s.get_ref().clone()],
                ignore: Vec::new(),
            };
            if one.validate().is_err() {
                return Err(self.error(
                    s.span(),
                    format!(
                        "`{key}`: unknown rule selector `{}` (`wirelint rules` lists the codes)",
                        s.get_ref()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let f = &self.file;
        if let Some(sev) = &f.min_severity {
            parse_severity(self, sev)?;
        }
        if let Some(list) = &f.rules.select {
            self.check_selectors("rules.select", list)?;
        }
        if let Some(list) = &f.rules.ignore {
            self.check_selectors("rules.ignore", list)?;
        }
        for (code, sev) in &f.rules.severity {
            if rules::by_code(code.get_ref()).is_none() {
                return Err(self.error(
                    code.span(),
                    format!(
                        "`rules.severity`: unknown rule `{}` (give a code like N008 or a rule name)",
                        code.get_ref()
                    ),
                ));
            }
            parse_severity(self, sev)?;
        }
        for o in &f.overrides {
            if o.paths.get_ref().is_empty() {
                return Err(self.error(o.paths.span(), "`overrides.paths` is empty"));
            }
            for p in o.paths.get_ref() {
                build_glob(p.get_ref()).map_err(|e| self.error(p.span(), e))?;
            }
            self.check_selectors("overrides.ignore", &o.ignore)?;
        }
        if let Some(v) = &f.nginx.version {
            if Version::parse(v.get_ref()).is_none() {
                return Err(self.error(
                    v.span(),
                    format!(
                        "`nginx.version`: `{}` is not a version like 1.27.3",
                        v.get_ref()
                    ),
                ));
            }
        }
        for container in f.paths.keys() {
            if !container.get_ref().starts_with('/') {
                return Err(self.error(
                    container.span(),
                    format!(
                        "`paths`: container path `{}` must be absolute",
                        container.get_ref()
                    ),
                ));
            }
        }
        if let Some(ports) = &f.compose.dev_ports {
            if let Some(p) = ports.iter().find(|p| *p.get_ref() == 0) {
                return Err(self.error(p.span(), "`compose.dev-ports`: port 0 is not a port"));
            }
        }
        Ok(())
    }

    /// A path from the file, resolved against the file's directory.
    fn resolve(&self, p: &str) -> PathBuf {
        self.dir.join(p)
    }

    /// Applies the file to `settings`, then lets the command line win: `cli` holds what was given as flags.
    pub fn apply(&self, settings: &mut Settings, cli: &CliOverrides) {
        let f = &self.file;
        let strings = |v: &Option<Vec<Spanned<String>>>| {
            v.as_ref()
                .map(|l| l.iter().map(|s| s.get_ref().clone()).collect::<Vec<_>>())
        };
        if !cli.select {
            if let Some(select) = strings(&f.rules.select) {
                settings.rules.select = select;
            }
        }
        if !cli.ignore {
            if let Some(ignore) = strings(&f.rules.ignore) {
                settings.rules.ignore = ignore;
            }
        }
        if !cli.min_severity {
            if let Some(sev) = &f.min_severity {
                settings.min_severity = Severity::parse(sev.get_ref()).unwrap_or(Severity::Warning);
            }
        }
        for (code, sev) in &f.rules.severity {
            let Some(sev) = Severity::parse(sev.get_ref()) else {
                continue;
            };
            // A name can belong to rules of several families (`listen-loopback`: N008 and P001).
            for rule in rules::RULES.iter().filter(|r| {
                r.code.eq_ignore_ascii_case(code.get_ref())
                    || r.name.eq_ignore_ascii_case(code.get_ref())
            }) {
                settings.severity_overrides.retain(|(c, _)| *c != rule.code);
                settings.severity_overrides.push((rule.code, sev));
            }
        }
        for o in &f.overrides {
            let patterns: Vec<String> = o
                .paths
                .get_ref()
                .iter()
                .map(|p| p.get_ref().clone())
                .collect();
            let globs = patterns.iter().filter_map(|p| build_glob(p).ok()).collect();
            settings.overrides.push(PathOverride {
                base: self.dir.clone(),
                patterns,
                globs,
                ignore: o.ignore.iter().map(|s| s.get_ref().clone()).collect(),
            });
        }
        if !cli.nginx_prefix {
            if let Some(prefix) = &f.nginx.prefix {
                settings.nginx.prefix = Some(self.resolve(prefix.get_ref()));
            }
        }
        if !cli.nginx_version {
            if let Some(v) = &f.nginx.version {
                settings.nginx.version = Version::parse(v.get_ref());
            }
        }
        // Mappings from the file go first: on an equal container path the later one (the command line's)
        // wins in `PathMapping::resolve`.
        let mut maps: Vec<PathMapping> = f
            .paths
            .iter()
            .map(|(container, host)| PathMapping {
                container: container.get_ref().into(),
                host: self.resolve(host.get_ref()),
            })
            .collect();
        maps.append(&mut settings.path_map);
        settings.path_map = maps;
        apply_php_fpm_and_compose(self, settings);
    }

    /// `[php-fpm] prefix`, resolved.
    pub fn php_fpm_prefix(&self) -> Option<PathBuf> {
        self.file
            .php_fpm
            .prefix
            .as_ref()
            .map(|p| self.resolve(p.get_ref()))
    }

    /// `[compose] dev-ports`.
    pub fn compose_dev_ports(&self) -> Option<Vec<u16>> {
        self.file
            .compose
            .dev_ports
            .as_ref()
            .map(|l| l.iter().map(|p| *p.get_ref()).collect())
    }

    /// `[compose] files`, resolved.
    pub fn compose_files(&self) -> Option<Vec<PathBuf>> {
        self.file
            .compose
            .files
            .as_ref()
            .map(|l| l.iter().map(|p| self.resolve(p.get_ref())).collect())
    }

    /// `[compose] env-file`, resolved (one or many).
    pub fn compose_env_files(&self) -> Option<Vec<PathBuf>> {
        self.file
            .compose
            .env_file
            .as_ref()
            .map(|e| match e.get_ref() {
                OneOrMany::One(p) => vec![self.resolve(p)],
                OneOrMany::Many(l) => l.iter().map(|p| self.resolve(p)).collect(),
            })
    }
}

/// `[php-fpm]` and `[compose]`, where the command line left them unset.
fn apply_php_fpm_and_compose(config: &Config, settings: &mut Settings) {
    if settings.phpfpm.prefix.is_none() {
        settings.phpfpm.prefix = config.php_fpm_prefix();
    }
    if settings.compose.dev_ports.is_none() {
        settings.compose.dev_ports = config.compose_dev_ports();
    }
    if settings.compose.files.is_empty() {
        settings.compose.files = config.compose_files().unwrap_or_default();
    }
    if settings.compose.env_files.is_empty() {
        settings.compose.env_files = config.compose_env_files().unwrap_or_default();
    }
}

/// Which settings were given on the command line (and so win over the file).
#[derive(Clone, Copy, Debug, Default)]
pub struct CliOverrides {
    pub select: bool,
    pub ignore: bool,
    pub min_severity: bool,
    pub nginx_prefix: bool,
    pub nginx_version: bool,
}

fn parse_severity(config: &Config, sev: &Spanned<String>) -> Result<Severity, ConfigError> {
    Severity::parse(sev.get_ref()).ok_or_else(|| {
        config.error(
            sev.span(),
            format!(
                "`{}` is not a severity; use one of info, warning, error",
                sev.get_ref()
            ),
        )
    })
}

/// A glob from `[[overrides]] paths`: `*` stays within one directory, `**` crosses them.
pub fn build_glob(pattern: &str) -> Result<globset::GlobMatcher, String> {
    let trimmed = pattern.strip_prefix("./").unwrap_or(pattern);
    globset::GlobBuilder::new(trimmed)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("`overrides.paths`: bad glob `{pattern}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("/repo/.wirelint.toml"), text)
    }

    #[test]
    fn full_example_parses_and_applies() {
        let cfg = parse(
            r#"
min-severity = "error"
[rules]
select = ["N"]
ignore = ["W001"]
[rules.severity]
N000 = "warning"
[[overrides]]
paths = ["legacy/**"]
ignore = ["N000"]
[nginx]
version = "1.25"
prefix = "docker/nginx"
[paths]
"/etc/nginx" = "docker/nginx"
[php-fpm]
prefix = "docker/php"
[compose]
dev-ports = [3000, 8080]
files = ["compose.yml", "compose.dev.yml"]
env-file = ".env"
"#,
        )
        .unwrap();
        let mut s = Settings::default();
        cfg.apply(&mut s, &CliOverrides::default());
        assert_eq!(s.rules.select, vec!["N"]);
        assert_eq!(s.rules.ignore, vec!["W001"]);
        assert_eq!(s.min_severity, Severity::Error);
        assert_eq!(s.severity_overrides, vec![("N000", Severity::Warning)]);
        assert_eq!(s.nginx.version, Some(Version(1, 25, 0)));
        assert_eq!(s.nginx.prefix, Some(PathBuf::from("/repo/docker/nginx")));
        assert_eq!(s.path_map[0].host, PathBuf::from("/repo/docker/nginx"));
        assert_eq!(s.overrides.len(), 1);
        assert_eq!(
            cfg.php_fpm_prefix(),
            Some(PathBuf::from("/repo/docker/php"))
        );
        assert_eq!(cfg.compose_dev_ports(), Some(vec![3000, 8080]));
        assert_eq!(cfg.compose_files().unwrap().len(), 2);
        assert_eq!(
            cfg.compose_env_files(),
            Some(vec![PathBuf::from("/repo/.env")])
        );
    }

    #[test]
    fn flags_win_over_the_file() {
        let cfg = parse(
            "min-severity = \"error\"\n[rules]\nignore = [\"N000\"]\n[nginx]\nversion = \"1.25\"\n",
        )
        .unwrap();
        let mut s = Settings {
            min_severity: Severity::Info,
            ..Settings::default()
        };
        s.rules.ignore = vec![];
        s.nginx.version = Some(Version(1, 27, 3));
        cfg.apply(
            &mut s,
            &CliOverrides {
                ignore: true,
                min_severity: true,
                nginx_version: true,
                ..CliOverrides::default()
            },
        );
        assert!(s.rules.ignore.is_empty());
        assert_eq!(s.min_severity, Severity::Info);
        assert_eq!(s.nginx.version, Some(Version(1, 27, 3)));
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let err = parse("[rules]\nselect = [\"N\"]\nignroe = [\"N000\"]\n").unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.message.contains("ignroe"), "{err}");
        let err = parse("\n[nginxx]\nversion = \"1\"\n").unwrap_err();
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("nginxx"), "{err}");
    }

    #[test]
    fn bad_values_name_their_line() {
        let cases = [
            ("[rules]\nselect = [\"N000\", \"Q9\"]\n", 2, "Q9"),
            ("[rules.severity]\nN000 = \"fatal\"\n", 2, "fatal"),
            ("[rules.severity]\nX123 = \"error\"\n", 2, "X123"),
            ("\n\nmin-severity = \"loud\"\n", 3, "loud"),
            ("[nginx]\nversion = \"one\"\n", 2, "one"),
            ("[paths]\n\"etc/nginx\" = \"x\"\n", 2, "etc/nginx"),
            ("[[overrides]]\npaths = [\"a/[\"]\n", 2, "a/["),
            (
                "[[overrides]]\npaths = [\"a\"]\nignore = [\"ZZ\"]\n",
                3,
                "ZZ",
            ),
            ("[compose]\ndev-ports = [3000, 70000]\n", 2, "70000"),
            ("[compose]\ndev-ports = [0]\n", 2, "port 0"),
            ("[rules]\nselect = \"N\"\n", 2, "sequence"),
        ];
        for (text, line, needle) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.line, Some(line), "{text}: {err}");
            assert!(
                err.to_string().contains(needle),
                "{text}: `{err}` lacks {needle}"
            );
            assert!(
                err.to_string().starts_with("/repo/.wirelint.toml:"),
                "{err}"
            );
        }
    }

    #[test]
    fn discovery_walks_up() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a/b/c");
        std::fs::create_dir_all(&nested).unwrap();
        assert_eq!(discover(&nested), discover(dir.path()));
        std::fs::write(dir.path().join("a").join(FILE_NAME), "").unwrap();
        assert_eq!(
            discover(&nested),
            Some(crate::source::normalize(
                &dir.path().join("a").join(FILE_NAME)
            ))
        );
    }
}
