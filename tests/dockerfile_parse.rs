//! Dockerfile model: fixtures with expected placements, feature cases, a no-panic property and a run over
//! every Dockerfile in the shared corpus.

use std::collections::HashMap;
use wirelint::source::FileId;
use wirelint::stack::dockerfile::{
    parse, BaseImage, Dockerfile, ParseProblem, PlacedCopy, SourceShape,
};

const F: FileId = FileId(0);

fn df(text: &str) -> Dockerfile {
    df_args(text, &[])
}

fn df_args(text: &str, args: &[(&str, &str)]) -> Dockerfile {
    let args: HashMap<String, String> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let (d, problems) = parse(F, text, &args);
    assert!(problems.is_empty(), "unexpected problems: {problems:?}");
    d
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("fixtures/dockerfile/{name}")).unwrap()
}

/// `(dest, source, shape)` of each placement.
fn placed(p: &[PlacedCopy]) -> Vec<(String, String, SourceShape)> {
    p.iter()
        .map(|c| {
            (
                c.dest.clone(),
                c.source.clone(),
                c.source_is_dir_glob_or_file,
            )
        })
        .collect()
}

fn t(dest: &str, src: &str, shape: SourceShape) -> (String, String, SourceShape) {
    (dest.to_string(), src.to_string(), shape)
}

use SourceShape::{Dir, File, Glob};

#[test]
fn laravel_multistage_app_target() {
    let text = fixture("laravel-multistage.Dockerfile");
    let d = df(&text);
    assert_eq!(d.stages.len(), 3);
    assert_eq!(d.final_base(Some("app")), Some(("php", Some("8.2-fpm"))));
    assert_eq!(d.final_base(None), Some(("nginx", Some("1.25-alpine"))));
    let app = d.target_stage(Some("APP")).unwrap();
    assert_eq!(app.index, 1);
    assert_eq!(app.workdir.as_deref(), Some("/var/www/html"));
    assert_eq!(app.expose[0].0, "9000");
    assert_eq!(&text[app.expose[0].1.range()], "9000");
    let cmd = app.cmd.as_ref().unwrap();
    assert!(cmd.exec_form);
    assert_eq!(cmd.args, ["php-fpm"]);
    // COPY --from=composer:2 is an image, not a stage.
    assert_eq!(app.copies[0].from_image.as_deref(), Some("composer:2"));
    let p = d.context_copies(Some("app"));
    assert_eq!(
        placed(&p),
        vec![
            t("/var/www/html/", ".", Dir),
            // COPY --from=assets /app/public/build: only context files that were in /app reach it; the
            // build output itself is made by RUN and is not a repository file.
            t(
                "/usr/local/etc/php-fpm.d/www.conf",
                "docker/php/www.conf",
                File
            ),
            t("/usr/local/etc/php/conf.d/", "docker/php/*.ini", Glob),
        ]
    );
    let span = p[1].span;
    assert_eq!(
        &text[span.range()],
        "COPY docker/php/www.conf /usr/local/etc/php-fpm.d/www.conf"
    );
    assert_eq!(
        Dockerfile::container_paths(&p, "docker/php/opcache.ini")
            .iter()
            .map(|(c, _)| c.as_str())
            .collect::<Vec<_>>(),
        [
            "/var/www/html/docker/php/opcache.ini",
            "/usr/local/etc/php/conf.d/opcache.ini"
        ]
    );
}

#[test]
fn laravel_multistage_web_follows_copy_from_back_to_the_context() {
    let d = df(&fixture("laravel-multistage.Dockerfile"));
    let p = d.context_copies(None);
    assert_eq!(
        placed(&p),
        vec![
            t(
                "/etc/nginx/conf.d/default.conf",
                "docker/nginx/default.conf",
                File
            ),
            // `COPY . .` put the context at /var/www/html in `app`; /var/www/html/public came from there.
            t("/var/www/html/public/", "public", Dir),
        ]
    );
    assert_eq!(p[1].via.len(), 1);
    assert_eq!(
        p[1].container_path("public/index.php").as_deref(),
        Some("/var/www/html/public/index.php")
    );
    assert_eq!(p[1].container_path("app/Kernel.php"), None);
}

#[test]
fn escape_directive_heredocs_and_lowercase_instructions() {
    let text = fixture("escape-heredoc.Dockerfile");
    let d = df(&text);
    assert_eq!(d.escape, '`');
    // Heredoc bodies that look like FROM lines are not stages.
    assert_eq!(d.stages.len(), 1);
    let s = &d.stages[0];
    assert_eq!(s.name.as_deref(), Some("base"));
    assert_eq!(s.workdir.as_deref(), Some("/srv/app"));
    assert_eq!(
        s.env,
        [
            ("APP_HOME".to_string(), "/srv/app".to_string()),
            ("CONF_DIR".to_string(), "conf".to_string())
        ]
    );
    assert_eq!(s.copies.len(), 3);
    assert_eq!(s.copies[0].sources, Vec::<String>::new());
    assert_eq!(s.copies[0].non_context_sources, ["<<EOF"]);
    assert_eq!(s.copies[1].sources, ["conf/nginx.conf", "conf/mime.types"]);
    assert_eq!(s.copies[1].dest, "/etc/nginx/");
    // JSON form with a space in the source; a relative dest resolves against WORKDIR.
    assert_eq!(s.copies[2].sources, ["site dir"]);
    assert_eq!(s.copies[2].dest, "/srv/app/public");
    let ep = s.entrypoint.as_ref().unwrap();
    assert!(!ep.exec_form);
    assert_eq!(ep.args, ["/bin/sh", "-c", "/docker-entrypoint.sh nginx"]);
    assert!(text[ep.span.range()].starts_with("entrypoint"));
    assert_eq!(
        placed(&d.context_copies(None)),
        vec![
            t("/etc/nginx/nginx.conf", "conf/nginx.conf", File),
            t("/etc/nginx/mime.types", "conf/mime.types", File),
            t("/srv/app/public/", "site dir", Dir),
        ]
    );
}

#[test]
fn parents_exclude_add_and_args() {
    let text = fixture("parents-exclude.Dockerfile");
    let d = df_args(&text, &[("SITE", "shop")]);
    let build = &d.stages[0];
    assert_eq!(build.platform.as_deref(), Some(""));
    assert_eq!(build.workdir.as_deref(), Some("/src/site"));
    let c = &build.copies[0];
    assert_eq!(c.chown.as_deref(), Some("www-data:www-data"));
    assert_eq!(c.chmod.as_deref(), Some("644"));
    assert_eq!(
        c.parents.as_deref(),
        Some(&["nginx/*.conf".to_string()][..])
    );
    assert!(build.copies[1].link);
    assert_eq!(build.copies[1].excludes, ["*.md", "drafts"]);
    assert_eq!(
        build.copies[2].non_context_sources,
        ["https://example.com/app.tar.gz"]
    );
    assert_eq!(
        build.copies[4].non_context_sources,
        ["git@github.com:example/repo.git"]
    );
    // `FROM build` inherits the files.
    assert_eq!(d.stages[1].base, BaseImage::Stage(0));
    assert_eq!(d.stages[1].user.as_deref(), Some("33"));
    let p = d.context_copies(None);
    assert_eq!(
        placed(&p),
        vec![
            t("/etc/", "config/nginx/*.conf", Glob),
            t("/srv/www/", "sites/shop", Dir),
            t("/opt/vendor/", "vendor.tar.gz", File),
            t("/src/site/VERSION", "release-dev.txt", File),
        ]
    );
    assert!(p[2].archive);
    assert_eq!(p[2].container_path("vendor.tar.gz"), None);
    // --parents keeps the path after the `/./` pivot.
    assert_eq!(
        p[0].container_path("config/nginx/default.conf").as_deref(),
        Some("/etc/nginx/default.conf")
    );
    assert_eq!(p[0].container_path("config/nginx/sub/x.conf"), None);
    assert_eq!(
        p[1].container_path("sites/shop/index.html").as_deref(),
        Some("/srv/www/index.html")
    );
    assert_eq!(p[1].container_path("sites/shop/README.md"), None);
    assert_eq!(p[1].container_path("sites/shop/drafts/a.html"), None);
}

#[test]
fn global_args_and_build_args() {
    let text = "ARG TAG=1.25\nARG IMG=nginx\nFROM ${IMG}:${TAG}-alpine\nARG TAG\nCOPY conf/${TAG}.conf /etc/nginx/conf.d/\n";
    let d = df(text);
    assert_eq!(d.final_base(None), Some(("nginx", Some("1.25-alpine"))));
    assert_eq!(d.stages[0].copies[0].sources, ["conf/1.25.conf"]);
    let d = df_args(text, &[("TAG", "1.27"), ("UNDECLARED", "x")]);
    assert_eq!(d.final_base(None), Some(("nginx", Some("1.27-alpine"))));
    assert_eq!(d.stages[0].copies[0].sources, ["conf/1.27.conf"]);
    // A global ARG is not in scope in a stage that does not redeclare it.
    let d = df("ARG V=x\nFROM alpine\nCOPY a-$V /b/\n");
    assert_eq!(d.stages[0].copies[0].sources, ["a-"]);
    assert!(d.stages[0].copies[0].unresolved_variable);
    // An ARG without value is an unknown base image.
    let d = df("ARG IMG\nFROM $IMG\n");
    assert_eq!(d.stages[0].base, BaseImage::Unknown("$IMG".into()));
    assert_eq!(d.final_base(None), None);
}

#[test]
fn env_overrides_arg_and_expands_with_defaults() {
    let d = df("FROM alpine\nARG DIR=/from-arg\nENV DIR=/from-env\nCOPY a ${DIR}/\nCOPY b ${NOPE:-/fallback}/x\nCOPY c ${DIR:+/set}/y\nENV A=1 B=$A\nENV LEGACY some value\n");
    let s = &d.stages[0];
    assert_eq!(s.copies[0].dest, "/from-env/");
    assert_eq!(s.copies[1].dest, "/fallback/x");
    assert!(!s.copies[1].unresolved_variable);
    assert_eq!(s.copies[2].dest, "/set/y");
    let env: HashMap<_, _> = s.env.iter().cloned().collect();
    assert_eq!(env["B"], ""); // same-line ENV pairs see the environment from before the line
    assert_eq!(env["LEGACY"], "some value");
}

#[test]
fn workdir_accumulates_and_relative_dest_resolves() {
    let d = df("FROM scratch\nWORKDIR /a\nWORKDIR b\nWORKDIR ../c\nCOPY x.conf ./d/\nCOPY y.conf z.conf\nCOPY w.conf .\n");
    let s = &d.stages[0];
    assert_eq!(s.workdir.as_deref(), Some("/a/c"));
    assert_eq!(s.copies[0].dest, "/a/c/d/");
    assert_eq!(s.copies[1].dest, "/a/c/z.conf");
    assert_eq!(s.copies[2].dest, "/a/c/");
    assert!(!s.copies[0].dest_uncertain);
    // Unknown base image: a relative destination is resolved against `/` and flagged.
    let d = df("FROM node:20\nCOPY app.js app.js\n");
    assert_eq!(d.stages[0].copies[0].dest, "/app.js");
    assert!(d.stages[0].copies[0].dest_uncertain);
    // FROM stage inherits WORKDIR and ENV.
    let d = df("FROM alpine AS a\nWORKDIR /w\nENV X=1\nFROM a\nCOPY f.txt .\n");
    assert_eq!(d.stages[1].workdir.as_deref(), Some("/w"));
    assert_eq!(d.stages[1].copies[0].dest, "/w/");
}

#[test]
fn copy_destination_rules() {
    let d = df("FROM scratch\nCOPY nginx.conf /etc/nginx/nginx.conf\nCOPY a.conf b.conf /etc/conf.d\nCOPY *.conf /x\nCOPY conf /etc/nginx/conf\nCOPY conf/ /etc/other\nWORKDIR /srv\nCOPY late.conf /srv\n");
    let p = d.context_copies(None);
    assert_eq!(
        placed(&p),
        vec![
            t("/etc/nginx/nginx.conf", "nginx.conf", File),
            // Several sources: the destination is a directory even without a trailing slash.
            t("/etc/conf.d/a.conf", "a.conf", File),
            t("/etc/conf.d/b.conf", "b.conf", File),
            t("/x/", "*.conf", Glob),
            // A directory's contents are copied, not the directory itself.
            t("/etc/nginx/conf/", "conf", Dir),
            t("/etc/other/", "conf", Dir),
            // /srv exists as a directory (WORKDIR): the file goes inside it.
            t("/srv/late.conf", "late.conf", File),
        ]
    );
    assert!(p[4].shape_guessed);
    assert!(!p[5].shape_guessed);
    assert_eq!(
        p[4].container_path("conf/sites/a.conf").as_deref(),
        Some("/etc/nginx/conf/sites/a.conf")
    );
    assert_eq!(p[3].container_path("a.conf").as_deref(), Some("/x/a.conf"));
    assert_eq!(p[3].container_path("sub/a.conf"), None);
}

#[test]
fn shapes_from_the_build_context() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("conf.d")).unwrap();
    std::fs::write(dir.path().join("conf.d/site.conf"), "").unwrap();
    std::fs::write(dir.path().join("Makefile"), "").unwrap();
    let d = df("FROM scratch\nCOPY conf.d Makefile /etc/nginx/\n");
    let p = d.context_copies_in(None, dir.path());
    assert_eq!(
        placed(&p),
        vec![
            t("/etc/nginx/", "conf.d", Dir),
            t("/etc/nginx/Makefile", "Makefile", File)
        ]
    );
    assert!(p.iter().all(|c| !c.shape_guessed));
    // Without the context, `Makefile` (no extension) would be guessed as a directory.
    assert_eq!(d.context_copies(None)[1].source_is_dir_glob_or_file, Dir);
    // Dotfiles are guessed as files, `.d` directories as directories.
    let d = df("FROM scratch\nCOPY .env .htaccess php-fpm.d /srv/\n");
    assert_eq!(
        placed(&d.context_copies(None)),
        vec![
            t("/srv/.env", ".env", File),
            t("/srv/.htaccess", ".htaccess", File),
            t("/srv/", "php-fpm.d", Dir)
        ]
    );
}

#[test]
fn copy_from_stage_chains() {
    let text = "FROM alpine AS conf\nCOPY nginx/ /build/nginx/\nCOPY extra.conf /build/extra.conf\nFROM conf AS mid\nFROM nginx:1.25\nCOPY --from=mid /build/nginx/conf.d /etc/nginx/conf.d\nCOPY --from=0 /build /opt/all\nCOPY --from=conf /build/extra.conf /etc/nginx/conf.d/\n";
    let d = df(text);
    assert_eq!(d.stages[2].copies[0].from_stage, Some(1));
    assert_eq!(d.stages[2].copies[1].from_stage, Some(0));
    let p = d.context_copies(None);
    assert_eq!(
        placed(&p),
        vec![
            // A sub-directory of a copied directory: the source narrows to it.
            t("/etc/nginx/conf.d/", "nginx/conf.d", Dir),
            t("/opt/all/nginx/", "nginx", Dir),
            t("/opt/all/extra.conf", "extra.conf", File),
            t("/etc/nginx/conf.d/extra.conf", "extra.conf", File),
        ]
    );
    assert_eq!(p[0].via.len(), 1);
    assert_eq!(
        Dockerfile::container_paths(&p, "nginx/conf.d/default.conf")
            .into_iter()
            .map(|(c, _)| c)
            .collect::<Vec<_>>(),
        [
            "/etc/nginx/conf.d/default.conf",
            "/opt/all/nginx/conf.d/default.conf"
        ]
    );
    // Only the stages the target depends on matter.
    assert!(d.context_copies(Some("conf")).len() == 2);
    assert!(d.context_copies(Some("missing")).is_empty());
}

#[test]
fn from_forms() {
    let d = df("FROM --platform=linux/amd64 registry.example.com:5000/team/php:8.3-fpm@sha256:abc AS Base\nFROM base\nFROM nginxinc/nginx-unprivileged\nFROM scratch\n");
    assert_eq!(
        d.stages[0].base,
        BaseImage::Image {
            name: "registry.example.com:5000/team/php".into(),
            tag: Some("8.3-fpm".into()),
            digest: Some("sha256:abc".into())
        }
    );
    assert_eq!(d.stages[0].platform.as_deref(), Some("linux/amd64"));
    assert_eq!(d.stages[0].name.as_deref(), Some("base"));
    assert_eq!(d.stages[1].base, BaseImage::Stage(0));
    assert_eq!(d.final_base(Some("base")).unwrap().1, Some("8.3-fpm"));
    assert_eq!(
        d.stages[2].base,
        BaseImage::Image {
            name: "nginxinc/nginx-unprivileged".into(),
            tag: None,
            digest: None
        }
    );
    assert_eq!(d.stages[3].base, BaseImage::Scratch);
}

#[test]
fn problems_are_reported_not_panicked() {
    let (d, problems) = parse(
        F,
        "COPY a b\nFROM\nFROM alpine\nCOPY onlyone\nFROBNICATE x\nRUN <<EOF\nnever closed\n",
        &HashMap::new(),
    );
    assert_eq!(d.stages.len(), 1);
    let msgs: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "COPY before the first FROM",
            "FROM needs an image",
            "COPY needs at least one source and a destination",
            "unknown instruction FROBNICATE",
            "heredoc `EOF` is not terminated",
        ]
    );
}

fn check_spans(text: &str, d: &Dockerfile, problems: &[ParseProblem]) {
    let len = text.len() as u32;
    let ok = |s: wirelint::source::Span| s.start <= s.end && s.end <= len;
    for p in problems {
        assert!(ok(p.span), "{p:?}");
    }
    for s in &d.stages {
        assert!(ok(s.from_span));
        for c in &s.copies {
            assert!(ok(c.span));
        }
        for (_, sp) in &s.expose {
            assert!(ok(*sp));
        }
        for c in s.cmd.iter().chain(s.entrypoint.iter()) {
            assert!(ok(c.span));
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_and_spans_are_in_bounds(
        text in "((FROM|COPY|ADD|ARG|ENV|WORKDIR|EXPOSE|RUN|CMD|from|# escape=`|# escape=\\\\)?[ a-z$`{}:\\-+?=<>\\[\\]\"'./\\\\*#@\n\t]{0,30}){0,12}"
    ) {
        let (d, problems) = parse(F, &text, &HashMap::new());
        check_spans(&text, &d, &problems);
        for target in [None, Some("a")] {
            for p in d.context_copies(target) {
                let _ = p.container_path("a/b");
            }
            let _ = d.final_base(target);
        }
    }

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,200}") {
        let (d, problems) = parse(F, &text, &HashMap::new());
        check_spans(&text, &d, &problems);
        let _ = d.context_copies(None);
    }
}

/// Every Dockerfile in the shared corpus (or under `WIRELINT_DOCKERFILE_CORPUS`) parses without panicking;
/// the problems found are printed for review.
#[test]
fn corpus_dockerfiles_do_not_panic() {
    let root = std::env::var("WIRELINT_DOCKERFILE_CORPUS")
        .unwrap_or_else(|_| "/work/shared/corpus".to_string());
    let root = std::path::Path::new(&root);
    if !root.exists() {
        eprintln!("no corpus at {}; skipped", root.display());
        return;
    }
    let mut n = 0;
    for entry in ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .build()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
        if !entry.path().is_file()
            || !(name.contains("dockerfile") || name.starts_with("containerfile"))
        {
            continue;
        }
        let bytes = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let (d, problems) = parse(F, &text, &HashMap::new());
        check_spans(&text, &d, &problems);
        for p in &problems {
            eprintln!("{}: {}", entry.path().display(), p.message);
        }
        let placed = d.context_copies(None);
        eprintln!(
            "{}: {} stages, {} placements",
            entry.path().display(),
            d.stages.len(),
            placed.len()
        );
        n += 1;
    }
    eprintln!("parsed {n} corpus Dockerfiles");
}

#[test]
fn files_copied_onto_existing_directories_land_inside() {
    let d = df("FROM nginx:1.25\nCOPY site.conf /etc/nginx/conf.d\nCOPY entrypoint.sh /usr/local/bin\nCOPY app.ini /opt/app/app.ini\nCOPY other.ini /opt/app\n");
    assert_eq!(
        placed(&d.context_copies(None)),
        vec![
            t("/etc/nginx/conf.d/site.conf", "site.conf", File),
            t("/usr/local/bin/entrypoint.sh", "entrypoint.sh", File),
            t("/opt/app/app.ini", "app.ini", File),
            // /opt/app exists now (the previous COPY created it).
            t("/opt/app/other.ini", "other.ini", File),
        ]
    );
    // A directory copied to /srv/app makes it a directory.
    let d = df("FROM scratch\nCOPY app /srv/app\nCOPY extra.php /srv/app\n");
    assert_eq!(d.context_copies(None)[1].dest, "/srv/app/extra.php");
    // In scratch nothing exists: the file is written at the path.
    let d = df("FROM scratch\nCOPY site.conf /etc/nginx/conf.d\n");
    assert_eq!(d.context_copies(None)[0].dest, "/etc/nginx/conf.d");
    // php-fpm images have /usr/local/etc/php-fpm.d.
    let d = df("FROM php:8.3-fpm-alpine\nCOPY zz.conf /usr/local/etc/php-fpm.d\n");
    assert_eq!(
        d.context_copies(None)[0].dest,
        "/usr/local/etc/php-fpm.d/zz.conf"
    );
}

#[test]
fn copy_from_fan_out_is_bounded() {
    let mut text = String::from("FROM alpine AS s0\nCOPY . /a/\n");
    for i in 1..40 {
        text.push_str(&format!(
            "FROM alpine AS s{i}\nCOPY --from=s{} / /a/\nCOPY --from=s{} / /b/\n",
            i - 1,
            i - 1
        ));
    }
    let d = df(&text);
    let start = std::time::Instant::now();
    let p = d.context_copies(None);
    assert!(p.len() <= 2_000 && p.len() > 1000, "{}", p.len());
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn dockerignore_patterns() {
    use wirelint::stack::dockerfile::{dockerignore_excludes, dockerignore_for, DockerIgnore};
    let di = DockerIgnore::parse(
        "# comment\n.git\n/node_modules\n*.md\n!README.md\ndocs/**/*.png\n  \n!docs/keep/\n",
    );
    assert!(di.is_excluded(".git/config"));
    assert!(di.is_excluded("node_modules/x/index.js"));
    assert!(di.is_excluded("CHANGELOG.md"));
    assert!(!di.is_excluded("README.md"));
    // `*` does not cross `/`: a nested .md stays.
    assert!(!di.is_excluded("docs/guide.md"));
    assert!(di.is_excluded("docs/a/b/c.png"));
    assert!(di.is_excluded("docs/c.png"));
    assert!(!di.is_excluded("docker/nginx/default.conf"));
    let dir = tempfile::tempdir().unwrap();
    assert!(dockerignore_excludes(dir.path()).is_empty());
    std::fs::write(dir.path().join(".dockerignore"), "secrets\n").unwrap();
    assert!(dockerignore_excludes(dir.path()).is_excluded("secrets/key.pem"));
    // `<Dockerfile>.dockerignore` takes precedence over the context's.
    let df_path = dir.path().join("docker/app.Dockerfile");
    assert!(dockerignore_for(dir.path(), &df_path).is_excluded("secrets/a"));
    std::fs::create_dir_all(dir.path().join("docker")).unwrap();
    std::fs::write(
        dir.path().join("docker/app.Dockerfile.dockerignore"),
        "tmp\n",
    )
    .unwrap();
    let own = dockerignore_for(dir.path(), &df_path);
    assert!(own.is_excluded("tmp/x"));
    assert!(!own.is_excluded("secrets/a"));
}

#[test]
fn quoted_global_args_compose_the_base_and_root_copies_narrow() {
    let text = "ARG OS='bookworm'\nARG PHPV=\"8.3\"\nARG BASE=\"php:${PHPV}-fpm-${OS}\"\nFROM ${BASE} AS tools\nCOPY --chmod=755 scripts/ /\nFROM ${BASE}\nARG PHPV\nCOPY --from=tools /usr/local/bin/ /usr/local/bin/\nCOPY --from=tools /opt/made-by-run/ /opt/\nCOPY build/php-fpm.d/ /usr/local/etc/php-fpm.d/\nWORKDIR /app/$PHPV\n";
    let d = df(text);
    assert_eq!(d.final_base(None), Some(("php", Some("8.3-fpm-bookworm"))));
    assert_eq!(d.stages[1].workdir.as_deref(), Some("/app/8.3"));
    // Without the context: `scripts/` put files at `/`, so /usr/local/bin may have come from
    // scripts/usr/local/bin.
    let p = d.context_copies(None);
    assert!(p
        .iter()
        .any(|c| c.source == "scripts/usr/local/bin" && c.dest == "/usr/local/bin/"));
    // With the context, only sources that exist are kept.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("scripts/usr/local/bin")).unwrap();
    std::fs::create_dir_all(dir.path().join("build/php-fpm.d")).unwrap();
    let p = d.context_copies_in(None, dir.path());
    assert_eq!(
        placed(&p),
        vec![
            t("/usr/local/bin/", "scripts/usr/local/bin", Dir),
            t("/usr/local/etc/php-fpm.d/", "build/php-fpm.d", Dir),
        ]
    );
    assert_eq!(
        p[0].container_path("scripts/usr/local/bin/entrypoint")
            .as_deref(),
        Some("/usr/local/bin/entrypoint")
    );
}

#[test]
fn empty_arg_prefix_and_rootfs_overlay() {
    let d = df("ARG ARCH=\nFROM ${ARCH}alpine:3.20\nCOPY --chown=nobody rootfs/ /\n");
    assert_eq!(d.final_base(None), Some(("alpine", Some("3.20"))));
    let p = d.context_copies(None);
    assert_eq!(placed(&p), vec![t("/", "rootfs", Dir)]);
    assert_eq!(
        p[0].container_path("rootfs/etc/nginx/nginx.conf")
            .as_deref(),
        Some("/etc/nginx/nginx.conf")
    );
}

#[test]
fn shell_shifts_and_quoted_markers_are_not_heredocs() {
    let d = df("FROM alpine\nRUN echo $((1<<2)) \"<<NO\"\nCOPY a.conf /etc/\nRUN cat <<EOF >/x\nCOPY inside /heredoc\nEOF\nCOPY b.conf /etc/\n");
    assert_eq!(d.stages[0].copies.len(), 2);
    assert_eq!(d.stages[0].copies[1].sources, ["b.conf"]);
}

#[test]
fn needed_stages_follow_from_and_copy_from() {
    let d = df("FROM alpine AS a\nFROM alpine AS unused\nFROM a AS b\nFROM nginx AS c\nCOPY --from=b /x /x\nFROM alpine AS d\n");
    assert_eq!(d.needed_stages(Some("c")), [0, 2, 3]);
    assert_eq!(d.needed_stages(None), [4]);
    assert!(d.needed_stages(Some("nope")).is_empty());
}

#[test]
fn crlf_legacy_env_and_comments_inside_run() {
    let text = "FROM php:8.2-fpm\r\nENV CONF_DIR /usr/local/etc\r\nRUN set -eux; \\\r\n# a comment line inside the RUN\r\n\t\\\r\n   \r\n\techo done\r\nCOPY zz.conf \\\r\n  ${CONF_DIR}/php-fpm.d/\r\n";
    let d = df(text);
    let s = &d.stages[0];
    assert_eq!(
        s.env.last().unwrap(),
        &("CONF_DIR".to_string(), "/usr/local/etc".to_string())
    );
    assert_eq!(s.copies.len(), 1);
    assert_eq!(s.copies[0].dest, "/usr/local/etc/php-fpm.d/");
    assert!(text[s.copies[0].span.range()].ends_with("php-fpm.d/"));
}

#[test]
fn effective_cmd_follows_the_stage_chain() {
    let args =
        |d: &Dockerfile, target: Option<&str>| d.effective_cmd(target).map(|c| c.args.join(" "));
    // The nearest CMD up the FROM chain of the target stage.
    let d = df("FROM python:3.12 AS base\nCMD [\"flask\", \"run\"]\nFROM base AS dev\nFROM base AS prod\nCMD gunicorn app:app\n");
    assert_eq!(args(&d, Some("dev")).as_deref(), Some("flask run"));
    assert_eq!(
        args(&d, None).as_deref(),
        Some("/bin/sh -c gunicorn app:app")
    );
    // An ENTRYPOINT anywhere in the chain: the program that runs is not in the file.
    let d = df("FROM python:3.12 AS base\nENTRYPOINT [\"./entry.sh\"]\nFROM base\nCMD [\"flask\", \"run\"]\n");
    assert_eq!(args(&d, None), None);
    // No CMD in the file: the base image's own.
    assert_eq!(args(&df("FROM python:3.12\nRUN true\n"), None), None);
}
