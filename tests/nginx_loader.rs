//! The nginx loader: which files are roots, in which context each directive is read, how includes
//! resolve, and what `Config::walk` reports.

use std::path::Path;
use wirelint::discover::Input;
use wirelint::nginx::{self, Context, Loaded};
use wirelint::settings::{Kind, PathMapping, Settings};
use wirelint::source::SourceMap;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn load(dir: &Path, names: &[&str], settings: &Settings) -> (SourceMap, Loaded) {
    let inputs: Vec<Input> = names
        .iter()
        .map(|n| Input {
            path: dir.join(n),
            name: n.to_string(),
            kind: Kind::Nginx,
        })
        .collect();
    let refs: Vec<&Input> = inputs.iter().collect();
    let mut sources = SourceMap::new();
    let loaded = nginx::load(&mut sources, &refs, settings).unwrap();
    (sources, loaded)
}

/// (file name, directive name, context, parent names, include depth) of one visit.
type Seen = (String, String, Context, String, usize);

/// Every visit of every configuration.
fn visits(sources: &SourceMap, loaded: &Loaded) -> Vec<Vec<Seen>> {
    loaded
        .configs
        .iter()
        .map(|c| {
            let mut out = Vec::new();
            c.walk(&mut |v| {
                let parents: Vec<&str> = v.parents.iter().map(|p| &*p.name.text).collect();
                let name = sources
                    .get(v.file)
                    .name
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string();
                out.push((
                    name,
                    v.directive.name.text.to_string(),
                    v.context,
                    parents.join(">"),
                    v.via.len(),
                ));
            });
            out
        })
        .collect()
}

fn codes(loaded: &Loaded) -> Vec<&'static str> {
    loaded.diagnostics.iter().map(|d| d.code).collect()
}

#[test]
fn included_files_are_read_in_the_including_context_not_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "nginx.conf",
                "events {}\nhttp {\n  include conf.d/*.conf;\n}\n",
            ),
            (
                "conf.d/site.conf",
                "server {\n  listen 80;\n  location / { include snippets/proxy.conf; }\n}\n",
            ),
            // Relative to the prefix (the directory of nginx.conf), not to conf.d/.
            ("snippets/proxy.conf", "proxy_pass http://10.0.0.1;\n"),
        ],
    );
    let (sources, loaded) = load(
        dir.path(),
        &["conf.d/site.conf", "nginx.conf", "snippets/proxy.conf"],
        &Settings::default(),
    );
    assert!(codes(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.configs.len(), 1, "only nginx.conf is a root");
    let v = &visits(&sources, &loaded)[0];
    let pass = v.iter().find(|x| x.1 == "proxy_pass").unwrap();
    assert_eq!(pass.0, "proxy.conf");
    assert_eq!(pass.2, Context::Location);
    assert_eq!(pass.3, "http>server>location");
    assert_eq!(pass.4, 2, "reached through two includes");
    // Load order: main first, then includes in place.
    let files: Vec<String> = loaded.configs[0]
        .files()
        .map(|f| sources.get(f).name.clone())
        .collect();
    assert!(
        files[0].ends_with("nginx.conf") && files[2].ends_with("proxy.conf"),
        "{files:?}"
    );
}

#[test]
fn conf_d_snippets_nothing_includes_share_one_http_in_glob_order() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "conf.d/b.conf",
                "server { listen 80; location / { proxy_pass http://backend; } }\n",
            ),
            (
                "conf.d/a.conf",
                "upstream backend { server 10.0.0.1:8080; }\n",
            ),
            (
                "snippets/loc.conf",
                "fastcgi_pass 10.0.0.9:9000;\nfastcgi_index index.php;\n",
            ),
        ],
    );
    let (sources, loaded) = load(
        dir.path(),
        &["conf.d/a.conf", "conf.d/b.conf", "snippets/loc.conf"],
        &Settings::default(),
    );
    assert!(codes(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.configs.len(), 2);
    let all = visits(&sources, &loaded);
    let grouped = all.iter().find(|v| v.len() > 2).unwrap();
    assert_eq!(grouped[0].0, "a.conf", "glob order");
    assert!(grouped.iter().all(|x| x.0 == "a.conf" || x.0 == "b.conf"));
    assert_eq!(grouped[0].2, Context::Http);
    // A location-level snippet is read as `location` content, the context where it fits.
    let loc = all.iter().find(|v| v[0].0 == "loc.conf").unwrap();
    assert_eq!(loc[0].2, Context::Location);
}

#[test]
fn container_paths_resolve_through_map_or_next_to_the_main_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "nginx/nginx.conf",
                "events {}\nhttp {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/conf.d/*.conf;\n  include /srv/extra/*.conf;\n  include /opt/unknown/site.conf;\n}\n",
            ),
            ("nginx/conf.d/site.conf", "server { listen 80; }\n"),
            ("extra/x.conf", "server { listen 81; }\n"),
        ],
    );
    let settings = Settings {
        path_map: vec![PathMapping {
            container: "/srv/extra".into(),
            host: dir.path().join("extra"),
        }],
        ..Settings::default()
    };
    let (sources, loaded) = load(dir.path(), &["nginx/nginx.conf"], &settings);
    // mime.types is a stock file; /opt/unknown is not mapped: neither is a finding.
    assert!(codes(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    let v = &visits(&sources, &loaded)[0];
    let listens: Vec<&str> = v
        .iter()
        .filter(|x| x.1 == "listen")
        .map(|x| x.0.as_str())
        .collect();
    assert_eq!(listens, vec!["site.conf", "x.conf"]);
}

#[test]
fn missing_literal_include_is_n004_with_the_chain_but_a_glob_is_not() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "nginx.conf",
                "events {}\nhttp { include a.conf; include none/*.conf; }\n",
            ),
            ("a.conf", "include missing.conf;\n"),
        ],
    );
    let (_, loaded) = load(dir.path(), &["nginx.conf"], &Settings::default());
    assert_eq!(codes(&loaded), vec!["N004"]);
    let d = &loaded.diagnostics[0];
    assert!(d.message.contains("missing.conf"));
    assert_eq!(
        d.related.len(),
        1,
        "points at the include that reached a.conf"
    );
}

#[test]
fn a_snippet_with_an_unresolvable_relative_include_is_quiet() {
    // Its prefix is unknown (nothing includes it), so a missing relative include may exist in production.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "site.conf",
            "server { listen 80; include snippets/ssl.conf; }\n",
        )],
    );
    let (_, loaded) = load(dir.path(), &["site.conf"], &Settings::default());
    assert!(codes(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    // With an explicit prefix it is checked.
    let settings = Settings {
        nginx: wirelint::settings::NginxSettings {
            prefix: Some(dir.path().to_path_buf()),
            version: None,
            container: None,
        },
        ..Settings::default()
    };
    let (_, loaded) = load(dir.path(), &["site.conf"], &settings);
    assert_eq!(codes(&loaded), vec!["N004"]);
}

#[test]
fn table_bodies_and_raw_blocks_are_not_walked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[(
            "nginx.conf",
            "events {}\nhttp {\n  map $a $b { default 0; listen 1; }\n  server { listen 80; location / { content_by_lua_block { ngx.say('}') } } }\n}\n",
        )],
    );
    let (sources, loaded) = load(dir.path(), &["nginx.conf"], &Settings::default());
    assert!(codes(&loaded).is_empty(), "{:?}", loaded.diagnostics);
    let v = &visits(&sources, &loaded)[0];
    let names: Vec<&str> = v.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "events",
            "http",
            "map",
            "server",
            "listen",
            "location",
            "content_by_lua_block"
        ]
    );
}

#[test]
fn a_file_included_in_http_and_in_stream_is_read_as_each_by_the_rules() {
    // `proxy_pass backend:8080;` is a stream target, and in http no target at all (nginx wants a scheme
    // there): N001 reports the stream server's start-up lookup, and nothing is said for the location.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        &[
            (
                "nginx.conf",
                "events {}\nhttp {\n  server {\n    listen 80;\n    location / {\n      include shared.conf;\n    }\n  }\n}\n\
                 stream {\n  server {\n    listen 9000;\n    include shared.conf;\n  }\n}\n",
            ),
            ("shared.conf", "proxy_pass backend:8080;\n"),
        ],
    );
    let outcome =
        wirelint::lint::check(&[dir.path().join("nginx.conf")], None, &Settings::default())
            .expect("lint runs");
    let n001: Vec<_> = outcome
        .diagnostics
        .iter()
        .filter(|d| d.code == "N001")
        .collect();
    assert_eq!(n001.len(), 1, "{:#?}", outcome.diagnostics);
    assert_eq!(outcome.sources.text(n001[0].span), "backend");
    let help = n001[0].help.as_deref().unwrap_or_default();
    assert!(help.contains("in stream or this server"), "{help}");
}
