//! Stock php-fpm files of images and packages, as data (`grammar/phpfpm/images/`, sources in its
//! `SOURCES.md`), and the choice of layout from an image name.

/// One stock file: where it sits in the container and its text.
#[derive(Clone, Debug)]
pub struct StockFile {
    pub container_path: String,
    pub text: String,
}

/// The php-fpm files an image or package ships.
#[derive(Clone, Debug)]
pub struct Layout {
    /// How the user named it (`php:8.2.20-fpm`).
    pub image: String,
    /// Which layout was chosen and why, in one line.
    pub reason: String,
    /// php-fpm's prefix (`-p`) in that image.
    pub prefix: String,
    pub main: StockFile,
    /// The directory the main file's `include=` globs (`…/php-fpm.d`).
    pub pool_dir: String,
    pub pool_files: Vec<StockFile>,
}

impl Layout {
    /// The name a stock file gets in the source map: `<php:8.2-fpm>/usr/local/etc/php-fpm.d/www.conf`.
    pub fn source_name(&self, file: &StockFile) -> String {
        format!("<{}>{}", self.image, file.container_path)
    }
}

mod data {
    pub const PRE_MAIN: &str =
        include_str!("../../grammar/phpfpm/images/official-pre2026/php-fpm.conf");
    pub const PRE_DOCKER: &str =
        include_str!("../../grammar/phpfpm/images/official-pre2026/docker.conf");
    pub const PRE_WWW: &str = include_str!("../../grammar/phpfpm/images/official-pre2026/www.conf");
    pub const PRE_ZZ: &str =
        include_str!("../../grammar/phpfpm/images/official-pre2026/zz-docker.conf");
    pub const POST_MAIN: &str =
        include_str!("../../grammar/phpfpm/images/official-post2026/php-fpm.conf");
    pub const POST_DOCKER: &str =
        include_str!("../../grammar/phpfpm/images/official-post2026/docker.conf");
    pub const POST_WWW: &str =
        include_str!("../../grammar/phpfpm/images/official-post2026/www.conf");
    pub const POST_ZZ: &str =
        include_str!("../../grammar/phpfpm/images/official-post2026/zz-docker.conf");
    pub const DEBIAN_MAIN: &str = include_str!("../../grammar/phpfpm/images/debian/php-fpm.conf");
    pub const DEBIAN_WWW: &str = include_str!("../../grammar/phpfpm/images/debian/www.conf");
    pub const ALPINE_MAIN: &str = include_str!("../../grammar/phpfpm/images/alpine/php-fpm.conf");
    pub const ALPINE_WWW: &str = include_str!("../../grammar/phpfpm/images/alpine/www.conf");
}

/// The last releases with the old layout, per branch (docker-library/php PR #1635, January 2026).
const LAST_PRE_2026: &[((u32, u32), u32)] =
    &[((8, 2), 30), ((8, 3), 29), ((8, 4), 16), ((8, 5), 1)];

/// Which official layout a tag's version gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Official {
    Pre2026,
    Post2026,
}

/// Picks the official layout from a tag such as `8.2.20-fpm`, `8.3-fpm-alpine`, `fpm`.
/// Returns the layout and the reason shown to the user.
pub fn official_for_tag(tag: &str) -> (Official, String) {
    let version: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let nums: Vec<u32> = version
        .split('.')
        .filter(|s| !s.is_empty())
        .filter_map(|s| s.parse().ok())
        .collect();
    let pre_release = tag[version.len()..].to_ascii_lowercase().starts_with("rc")
        || tag[version.len()..]
            .to_ascii_lowercase()
            .starts_with("alpha")
        || tag[version.len()..]
            .to_ascii_lowercase()
            .starts_with("beta");
    match nums.as_slice() {
        [major, minor, patch, ..] => {
            let branch = (*major, *minor);
            let post = match LAST_PRE_2026.iter().find(|(b, _)| *b == branch) {
                Some((_, last)) => *patch > *last && !pre_release,
                // Branches before 8.2 were end-of-life before the change; later ones start after it.
                None => branch > (8, 5),
            };
            let layout = if post {
                Official::Post2026
            } else {
                Official::Pre2026
            };
            (
                layout,
                format!(
                    "pinned release {major}.{minor}.{patch}: {} layout",
                    describe(layout)
                ),
            )
        }
        [major, minor] if (*major, *minor) < (8, 2) => (
            Official::Pre2026,
            format!("branch {major}.{minor} ended before the 2026 change: pre-2026 layout"),
        ),
        [major] if *major < 8 => (
            Official::Pre2026,
            format!("PHP {major} ended before the 2026 change: pre-2026 layout"),
        ),
        [] => (
            Official::Post2026,
            format!("tag `{tag}` names no version: assumed the current (post-2026) layout"),
        ),
        _ => (
            Official::Post2026,
            "floating tag follows the newest release: current (post-2026) layout".into(),
        ),
    }
}

fn describe(o: Official) -> &'static str {
    match o {
        Official::Pre2026 => "pre-2026 (zz-docker.conf sets `listen = 9000`)",
        Official::Post2026 => "post-2026 (docker.conf sets `listen = 9000`)",
    }
}

/// Whether the php-fpm of an image reads `${VAR:-default}` (PHP 8.3 and later), from the PHP version its
/// name gives: `php:8.3-fpm`, `php:8.2.20-fpm-alpine`, `debian:php8.2`, `alpine:php83`; the floating
/// `php:fpm…` and `php:8-fpm…` follow the newest release. Unknown for any other name and for 8.3.0
/// pre-releases.
pub fn env_defaults(image: &str) -> super::syntax::EnvDefaults {
    use super::syntax::EnvDefaults;
    let (repo_name, tag) = name_and_tag(image.split('@').next().unwrap_or(image));
    let version: Option<(u32, Option<u32>)> = match repo_name {
        "php" if tag.starts_with("fpm") => Some((8, None)),
        "php" => {
            let v: String = tag
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let rest = tag[v.len()..].to_ascii_lowercase();
            let nums: Vec<u32> = v.split('.').map_while(|n| n.parse().ok()).collect();
            let pre = ["rc", "alpha", "beta"].iter().any(|p| rest.starts_with(p));
            match nums.as_slice() {
                [8, 3, 0, ..] if pre => None,
                [major] if rest.starts_with('-') => Some((*major, None)),
                [major, minor, ..] => Some((*major, Some(*minor))),
                _ => None,
            }
        }
        "debian" | "ubuntu" => {
            let v = tag.trim_start_matches("php").trim_end_matches("-fpm");
            match v.split_once('.') {
                Some((a, b)) => a.parse().ok().zip(b.parse().ok().map(Some)),
                None => None,
            }
        }
        "alpine" => {
            let v = tag.trim_start_matches("php").trim_end_matches("-fpm");
            let mut digits = v.chars().map(|c| c.to_digit(10));
            match (digits.next(), digits.next(), digits.next()) {
                (Some(Some(a)), Some(Some(b)), None) => Some((a, Some(b))),
                _ => None,
            }
        }
        _ => None,
    };
    match version {
        None => EnvDefaults::Unknown,
        // A major alone is its newest release: PHP 8 is past 8.3, PHP 7 and before never had it.
        Some((major, minor)) if (major, minor.unwrap_or(u32::MAX)) >= (8, 3) => EnvDefaults::Read,
        Some(_) => EnvDefaults::NotRead,
    }
}

/// The repository's last path component and the tag (`latest` when none) of an image name.
fn name_and_tag(image: &str) -> (&str, &str) {
    let (repo, tag) = match image.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (image, "latest"),
    };
    (repo.rsplit('/').next().unwrap_or(repo), tag)
}

/// The layout for `--php-image`: `php:TAG` (any registry prefix, `library/php`), or the package layouts
/// `debian:php8.2` and `alpine:php83`.
pub fn layout_for(image: &str) -> Result<Layout, String> {
    let (repo_name, tag) = name_and_tag(image);
    let file = |path: &str, text: &str| StockFile {
        container_path: path.to_string(),
        text: text.to_string(),
    };
    if repo_name == "debian" || repo_name == "ubuntu" {
        let v = tag.trim_start_matches("php").trim_end_matches("-fpm");
        if !v.contains('.') {
            return Err(format!(
                "`{image}`: name the PHP version of the package, e.g. `debian:php8.2`"
            ));
        }
        let s = |t: &str| t.replace("{V}", v);
        return Ok(Layout {
            image: image.to_string(),
            reason: format!("Debian package php{v}-fpm"),
            prefix: "/usr".into(),
            main: file(
                &format!("/etc/php/{v}/fpm/php-fpm.conf"),
                &s(data::DEBIAN_MAIN),
            ),
            pool_dir: format!("/etc/php/{v}/fpm/pool.d"),
            pool_files: vec![file(
                &format!("/etc/php/{v}/fpm/pool.d/www.conf"),
                &s(data::DEBIAN_WWW),
            )],
        });
    }
    if repo_name == "alpine" {
        let v = tag
            .trim_start_matches("php")
            .trim_end_matches("-fpm")
            .replace('.', "");
        if v.is_empty() || !v.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "`{image}`: name the PHP package, e.g. `alpine:php83`"
            ));
        }
        let s = |t: &str| t.replace("{V}", &v);
        return Ok(Layout {
            image: image.to_string(),
            reason: format!("Alpine package php{v}-fpm"),
            prefix: "/usr".into(),
            main: file(&format!("/etc/php{v}/php-fpm.conf"), &s(data::ALPINE_MAIN)),
            pool_dir: format!("/etc/php{v}/php-fpm.d"),
            pool_files: vec![file(
                &format!("/etc/php{v}/php-fpm.d/www.conf"),
                &s(data::ALPINE_WWW),
            )],
        });
    }
    if repo_name != "php" {
        return Err(format!(
            "`{image}`: wirelint knows the official `php:*-fpm` images and the `debian:phpX.Y` and \
             `alpine:phpXY` package layouts"
        ));
    }
    if !tag.contains("fpm") {
        return Err(format!(
            "`{image}` is not an fpm variant of the official image (its tag has no `fpm`)"
        ));
    }
    let (which, reason) = official_for_tag(tag);
    let (main, docker, www, zz) = match which {
        Official::Pre2026 => (
            data::PRE_MAIN,
            data::PRE_DOCKER,
            data::PRE_WWW,
            data::PRE_ZZ,
        ),
        Official::Post2026 => (
            data::POST_MAIN,
            data::POST_DOCKER,
            data::POST_WWW,
            data::POST_ZZ,
        ),
    };
    let d = "/usr/local/etc/php-fpm.d";
    Ok(Layout {
        image: image.to_string(),
        reason,
        prefix: "/usr/local".into(),
        main: file("/usr/local/etc/php-fpm.conf", main),
        pool_dir: d.into(),
        pool_files: vec![
            file(&format!("{d}/docker.conf"), docker),
            file(&format!("{d}/www.conf"), www),
            file(&format!("{d}/zz-docker.conf"), zz),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_from_tag() {
        let o = |t: &str| official_for_tag(t).0;
        assert_eq!(o("8.2.20-fpm"), Official::Pre2026);
        assert_eq!(o("8.2.30-fpm"), Official::Pre2026);
        assert_eq!(o("8.2.31-fpm"), Official::Post2026);
        assert_eq!(o("8.3.29-fpm-alpine"), Official::Pre2026);
        assert_eq!(o("8.3.30-fpm-bookworm"), Official::Post2026);
        assert_eq!(o("8.4.17-fpm"), Official::Post2026);
        assert_eq!(o("8.5.1-fpm"), Official::Pre2026);
        assert_eq!(o("8.5.2-fpm"), Official::Post2026);
        assert_eq!(o("8.1.31-fpm"), Official::Pre2026);
        assert_eq!(o("7.4-fpm"), Official::Pre2026);
        assert_eq!(o("8.3-fpm"), Official::Post2026);
        assert_eq!(o("fpm"), Official::Post2026);
        assert!(official_for_tag("fpm-bookworm").1.contains("assumed"));
        assert_eq!(o("7-fpm"), Official::Pre2026);
        assert_eq!(o("8-fpm"), Official::Post2026);
        assert_eq!(o("8.6.0RC1-fpm"), Official::Post2026);
        assert!(official_for_tag("8.3-fpm").1.contains("floating"));
    }

    #[test]
    fn env_defaults_by_version() {
        use crate::phpfpm::syntax::EnvDefaults::*;
        for (image, want) in [
            ("php:8.3-fpm", Read),
            ("php:8.4-fpm-alpine", Read),
            ("php:fpm", Read),
            ("php:fpm-alpine", Read),
            ("php:8-fpm", Read),
            ("docker.io/library/php:8.3.1-fpm", Read),
            ("php:8.2-fpm", NotRead),
            ("php:8.2.20-fpm", NotRead),
            ("php:7.4-fpm", NotRead),
            ("php:7-fpm", NotRead),
            ("php:8.3.0RC1-fpm", Unknown),
            ("php:8.3-fpm@sha256:0123", Read),
            ("php@sha256:0123", Unknown),
            ("debian:php8.2", NotRead),
            ("debian:php8.3", Read),
            ("alpine:php83", Read),
            ("alpine:php82", NotRead),
            ("nginx:1.27", Unknown),
        ] {
            assert_eq!(env_defaults(image), want, "{image}");
        }
    }

    #[test]
    fn layouts_by_name() {
        let l = layout_for("php:8.2.20-fpm").unwrap();
        assert!(l.pool_files[2].text.contains("listen = 9000"));
        let l = layout_for("docker.io/library/php:8.4-fpm-alpine").unwrap();
        assert!(!l.pool_files[2].text.contains("listen"));
        assert!(l.pool_files[0].text.contains("listen = 9000"));
        let l = layout_for("debian:php8.2").unwrap();
        assert!(l.pool_files[0]
            .text
            .contains("listen = /run/php/php8.2-fpm.sock"));
        assert!(l
            .main
            .text
            .contains("include=/etc/php/8.2/fpm/pool.d/*.conf"));
        let l = layout_for("alpine:php83").unwrap();
        assert_eq!(l.pool_dir, "/etc/php83/php-fpm.d");
        assert!(layout_for("php:8.3-apache").is_err());
        assert!(layout_for("nginx:1.27").is_err());
    }
}
