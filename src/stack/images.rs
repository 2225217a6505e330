//! Images wirelint knows: which program they run (nginx, php-fpm), their stock configuration files and the
//! port their default command listens on. Data and sources in `grammar/images/`.

use crate::source::Span;

/// The stock `/etc/nginx/nginx.conf` of the official nginx image.
pub const NGINX_CONF: &str = include_str!("../../grammar/images/nginx/nginx.conf");
/// The stock `/etc/nginx/conf.d/default.conf` of the official nginx image.
pub const NGINX_DEFAULT_CONF: &str = include_str!("../../grammar/images/nginx/default.conf");
const PORTS: &str = include_str!("../../grammar/images/ports.tsv");

/// Docker Official Images that applications are built on. Their `ENV` sets the language's own paths and
/// versions (`PYTHON_VERSION`, `NODE_VERSION`, `PHP_INI_DIR` …), nothing an app server reads for its
/// address.
const BASE_IMAGES: &[&str] = &[
    "python",
    "pypy",
    "node",
    "php",
    "ruby",
    "golang",
    "rust",
    "eclipse-temurin",
    "openjdk",
    "debian",
    "ubuntu",
    "alpine",
    "busybox",
];

/// What an image runs, as far as wirelint knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Nginx,
    PhpFpm,
    Other,
}

/// An image reference with what wirelint makes of it.
#[derive(Clone, Debug)]
pub struct ImageRef {
    /// As written (`php:8.3-fpm`), after build-arg substitution for a Dockerfile's `FROM`.
    pub reference: String,
    /// The repository's last path component (`php`, `nginx`).
    pub repo: String,
    pub tag: String,
    pub family: Family,
    /// Where it is named (compose `image:` or the Dockerfile's `FROM`).
    pub span: Span,
    /// Reached through a `build:` Dockerfile's `FROM` chain.
    pub via_build: bool,
    /// A Docker Official Image (no namespace, or `library/`).
    pub official: bool,
}

impl ImageRef {
    pub fn parse(reference: &str, span: Span, via_build: bool) -> ImageRef {
        let no_digest = reference.split('@').next().unwrap_or(reference);
        let (repo_path, tag) = match no_digest.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, t),
            _ => (no_digest, "latest"),
        };
        let repo = repo_path
            .rsplit('/')
            .next()
            .unwrap_or(repo_path)
            .to_ascii_lowercase();
        let family = match repo.as_str() {
            "nginx" | "nginx-unprivileged" => Family::Nginx,
            "php" if tag.contains("fpm") => Family::PhpFpm,
            _ => Family::Other,
        };
        // Only the official images' layouts are known; other namespaces may differ. Docker Hub's
        // official images are also named with the registry (`docker.io/nginx`, `index.docker.io/…`).
        let hub_path = ["docker.io/", "index.docker.io/", "registry-1.docker.io/"]
            .iter()
            .find_map(|r| repo_path.strip_prefix(r))
            .unwrap_or(repo_path);
        let official = !hub_path.contains('/')
            || hub_path.starts_with("library/")
            || hub_path == "nginxinc/nginx-unprivileged";
        ImageRef {
            reference: reference.to_string(),
            repo,
            tag: tag.to_string(),
            family: if official { family } else { Family::Other },
            official,
            span,
            via_build,
        }
    }

    /// Whether the image's own `ENV` is known to set nothing a rule reads from the environment: an
    /// official language or OS image ([`BASE_IMAGES`]) or one of `ports.tsv`. Another image (`myorg/app`,
    /// a name built elsewhere) may set anything.
    pub fn env_known(&self) -> bool {
        self.official && (BASE_IMAGES.contains(&self.repo.as_str()) || self.ports_row().is_some())
    }

    /// The variables every container of this image starts with although no file of the repository sets
    /// them: Docker's own (`PATH`, `HOSTNAME`, `HOME`: `createDaemonEnvironment`) and, for the official
    /// `php` image, its Dockerfile's `ENV` (docker-library/php `Dockerfile-linux.template`). With the value
    /// when it is the same in every tag, else `None` (set, value unknown).
    pub fn own_env(&self) -> Vec<(&'static str, Option<&'static str>)> {
        let mut out = vec![("PATH", None), ("HOSTNAME", None), ("HOME", None)];
        if self.official && self.repo == "php" {
            out.push(("PHP_INI_DIR", Some("/usr/local/etc/php")));
            for name in [
                "PHPIZE_DEPS",
                "PHP_CFLAGS",
                "PHP_CPPFLAGS",
                "PHP_LDFLAGS",
                "GPG_KEYS",
                "PHP_VERSION",
                "PHP_URL",
                "PHP_ASC_URL",
                "PHP_SHA256",
            ] {
                out.push((name, None));
            }
        }
        out
    }

    /// The image's row of `ports.tsv`: ports, config paths, environment variables. Only for official
    /// images: `bitnami/nginx` or `cgr.dev/chainguard/nginx` share the name, not the ports (8080).
    fn ports_row(&self) -> Option<[&'static str; 3]> {
        if !self.official {
            return None;
        }
        // Split once: a project of 10,000 services asks for every one.
        type Row = (&'static str, [&'static str; 3]);
        static ROWS: std::sync::OnceLock<Vec<Row>> = std::sync::OnceLock::new();
        let rows = ROWS.get_or_init(|| {
            PORTS
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter_map(|l| {
                    let mut cols = l.split('\t');
                    Some((cols.next()?, [cols.next()?, cols.next()?, cols.next()?]))
                })
                .collect()
        });
        rows.iter()
            .find(|(repo, _)| *repo == self.repo)
            .map(|(_, cols)| *cols)
    }

    /// The TCP ports the image's default command listens on.
    pub fn default_ports(&self) -> Vec<u16> {
        if self.repo == "nginx-unprivileged" {
            return vec![8080];
        }
        if self.repo == "php" && self.family != Family::PhpFpm {
            return Vec::new();
        }
        let mut ports: Vec<u16> = self.ports_row().map_or_else(Vec::new, |[ports, ..]| {
            ports
                .split(',')
                .filter_map(|p| p.trim().parse().ok())
                .collect()
        });
        // The management variants enable the management plugin: its HTTP UI and API on 15672.
        if self.repo == "rabbitmq" && self.tag.contains("management") {
            ports.push(15672);
        }
        ports
    }

    /// Container paths where a file placed from the repository can change [`ImageRef::default_ports`]
    /// (the image's configuration: `/etc/caddy`, `/usr/local/apache2/conf`, …).
    pub fn port_config_paths(&self) -> Vec<&'static str> {
        self.ports_row()
            .map_or_else(Vec::new, |[_, paths, _]| list(paths))
    }

    /// Whether the environment variable `name` changes [`ImageRef::default_ports`] (`PGPORT`, …); with
    /// `None` (the environment is not known), whether any variable can.
    pub fn port_env(&self, name: Option<&str>) -> bool {
        self.ports_row().is_some_and(|[_, _, vars]| {
            list(vars)
                .iter()
                .any(|v| match (name, v.strip_suffix('*')) {
                    (None, _) => true,
                    (Some(n), Some(prefix)) => n.starts_with(prefix),
                    (Some(n), None) => n == *v,
                })
        })
    }
}

/// The items of a comma-separated `ports.tsv` cell.
fn list(cell: &'static str) -> Vec<&'static str> {
    cell.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The stock configuration files an image puts in the container: `(container path, text)`.
pub fn stock_files(image: &ImageRef) -> Vec<(&'static str, String)> {
    match image.family {
        Family::Nginx if image.repo == "nginx" => vec![
            ("/etc/nginx/nginx.conf", NGINX_CONF.to_string()),
            (
                "/etc/nginx/conf.d/default.conf",
                NGINX_DEFAULT_CONF.to_string(),
            ),
        ],
        // php-fpm's stock pool files are put under the user's by the php-fpm loader (`--php-image`).
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    #[test]
    fn families_and_ports() {
        let s = Span::point(FileId(0), 0);
        let i = ImageRef::parse("nginx:1.27-alpine", s, false);
        assert_eq!((i.family, i.default_ports()), (Family::Nginx, vec![80]));
        let i = ImageRef::parse("php:8.3-fpm", s, false);
        assert_eq!((i.family, i.default_ports()), (Family::PhpFpm, vec![9000]));
        assert_eq!(
            ImageRef::parse("php:8.3-apache", s, false).family,
            Family::Other
        );
        assert!(ImageRef::parse("php:8.3-apache", s, false)
            .default_ports()
            .is_empty());
        assert_eq!(
            ImageRef::parse("bitnami/nginx", s, false).family,
            Family::Other
        );
        assert_eq!(
            ImageRef::parse("postgres:16", s, false).default_ports(),
            vec![5432]
        );
        for official in [
            "docker.io/library/nginx",
            "docker.io/nginx:1.27",
            "index.docker.io/library/nginx",
        ] {
            assert_eq!(
                ImageRef::parse(official, s, false).family,
                Family::Nginx,
                "{official}"
            );
        }
        assert!(!ImageRef::parse("docker.io/bitnami/nginx", s, false).official);
        assert!(!ImageRef::parse("ghcr.io/nginx", s, false).official);
        // Another namespace's image of the same name listens elsewhere (bitnami/nginx: 8080).
        assert!(ImageRef::parse("bitnami/nginx:1.27", s, false)
            .default_ports()
            .is_empty());
        assert!(ImageRef::parse("cgr.dev/chainguard/nginx", s, false)
            .default_ports()
            .is_empty());
        assert!(ImageRef::parse("mysql:8.4", s, false)
            .default_ports()
            .contains(&33060));
        assert!(!ImageRef::parse("rabbitmq:3", s, false)
            .default_ports()
            .contains(&15672));
        assert!(ImageRef::parse("rabbitmq:3-management", s, false)
            .default_ports()
            .contains(&15672));
    }

    #[test]
    fn whose_env_is_known() {
        let s = Span::point(FileId(0), 0);
        let known = |r: &str| ImageRef::parse(r, s, false).env_known();
        assert!(known("python:3.12-slim"));
        assert!(known("library/node:22"));
        assert!(known("php:8.3-fpm"));
        assert!(known("postgres:16"));
        assert!(!known("ghcr.io/acme/api:1.4"));
        assert!(!known("wodby/php:8.3"));
        assert!(!known("myapp"));
    }

    #[test]
    fn own_environment() {
        let s = Span::point(FileId(0), 0);
        let names = |r: &str| -> Vec<&str> {
            ImageRef::parse(r, s, false)
                .own_env()
                .into_iter()
                .map(|(n, _)| n)
                .collect()
        };
        assert!(names("php:8.3-fpm").contains(&"PHP_INI_DIR"));
        assert!(names("php:8.3-fpm").contains(&"HOSTNAME"));
        assert!(!names("wodby/php:8.3").contains(&"PHP_INI_DIR"));
        assert_eq!(names("nginx:1.27"), ["PATH", "HOSTNAME", "HOME"]);
    }

    #[test]
    fn what_moves_the_port() {
        let s = Span::point(FileId(0), 0);
        let pg = ImageRef::parse("postgres:16", s, false);
        assert!(pg.port_env(Some("PGPORT")));
        assert!(!pg.port_env(Some("POSTGRES_PASSWORD")));
        assert!(pg.port_env(None));
        assert!(pg.port_config_paths().contains(&"/etc/postgresql"));
        let traefik = ImageRef::parse("traefik:v3", s, false);
        assert!(traefik.port_env(Some("TRAEFIK_ENTRYPOINTS_WEB_ADDRESS")));
        assert!(!traefik.port_env(Some("TZ")));
        let redis = ImageRef::parse("redis:7", s, false);
        assert!(!redis.port_env(None));
        assert!(redis.port_config_paths().is_empty());
        assert_eq!(
            ImageRef::parse("caddy:2", s, false).port_config_paths(),
            ["/etc/caddy", "/config"]
        );
    }
}
