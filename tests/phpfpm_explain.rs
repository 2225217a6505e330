//! `wirelint explain` on the seed layout: which file decides `listen`, and what it overrode.

use clap::Parser;
use wirelint::cli::{Cli, Command};

fn explain(args: &[&str]) -> String {
    let mut argv = vec!["wirelint", "explain"];
    argv.extend_from_slice(args);
    match Cli::try_parse_from(argv).unwrap().command {
        Command::Explain(a) => wirelint::cli::explain(&a).unwrap(),
        _ => unreachable!(),
    }
}

#[test]
fn seed_layout_zz_docker_decides_listen() {
    let dir = "fixtures/phpfpm/P002-overridden-setting/bad-seed";
    let human = explain(&[dir]);
    let line = human
        .lines()
        .find(|l| l.trim_start().starts_with("listen = "))
        .unwrap();
    assert!(line.contains("listen = 9000"), "{line}");
    assert!(
        line.contains("(zz-docker.conf:5; overrides www.conf:4 \"127.0.0.1:9000\")"),
        "{line}"
    );
    assert!(human.contains("relative to fixtures/phpfpm/P002-overridden-setting/bad-seed/"));
    assert!(
        human.contains("=> listens on every address, port 9000"),
        "{human}"
    );

    let json: serde_json::Value =
        serde_json::from_str(&explain(&[dir, "--format", "json"])).unwrap();
    let pool = &json["php_fpm"][0]["pools"][0];
    assert_eq!(pool["name"], "www");
    assert_eq!(pool["sections"].as_array().unwrap().len(), 2);
    let listen = pool["directives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["key"] == "listen")
        .unwrap();
    assert_eq!(listen["value"], "9000");
    assert!(listen["file"].as_str().unwrap().ends_with("zz-docker.conf"));
    assert_eq!(listen["line"], 5);
    assert_eq!(listen["overrides"][0]["value"], "127.0.0.1:9000");
    assert_eq!(listen["overrides"][0]["line"], 4);
}

#[test]
fn image_layout_decides_which_listen_wins() {
    let dir = "fixtures/phpfpm/P001-listen-loopback/bad-seed-post2026";
    let listen_of = |image: &str| {
        let json: serde_json::Value =
            serde_json::from_str(&explain(&[dir, "--php-image", image, "--format", "json"]))
                .unwrap();
        let set = &json["php_fpm"][0];
        let d = set["pools"][0]["directives"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["key"] == "listen")
            .unwrap()
            .clone();
        (
            d,
            set["image"]["reason"].as_str().unwrap().to_string(),
            set["files"].clone(),
        )
    };
    // Before the 2026 change the image's zz-docker.conf, loaded after the user's www.conf, wins.
    let (d, reason, files) = listen_of("php:8.2.20-fpm");
    assert_eq!(d["value"], "9000");
    assert_eq!(
        d["file"],
        "<php:8.2.20-fpm>/usr/local/etc/php-fpm.d/zz-docker.conf"
    );
    assert!(reason.contains("pinned release 8.2.20"), "{reason}");
    assert_eq!(files.as_array().unwrap().len(), 4);
    // After it, docker.conf sets 9000 first and the user's www.conf wins.
    let (d, reason, _) = listen_of("php:8.3-fpm");
    assert_eq!(d["value"], "127.0.0.1:9000");
    assert!(d["file"]
        .as_str()
        .unwrap()
        .ends_with("bad-seed-post2026/www.conf"));
    assert_eq!(
        d["overrides"][0]["file"],
        "<php:8.3-fpm>/usr/local/etc/php-fpm.d/docker.conf"
    );
    assert!(reason.contains("floating"), "{reason}");
    let (d, _, _) = listen_of("php:8.3.30-fpm");
    assert_eq!(d["value"], "127.0.0.1:9000");
}

#[test]
fn explain_says_when_path_has_no_php_fpm_files() {
    let argv = ["wirelint", "explain", "src/rules"];
    let Command::Explain(a) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    assert!(wirelint::cli::explain(&a)
        .unwrap_err()
        .contains("no php-fpm files"));
}

/// `--php-image` with a given php-fpm.conf: the image's stock pool files join its include glob where the
/// glob points at the image's pool directory (relative includes resolve against the image's prefix).
#[test]
fn php_image_applies_to_a_given_php_fpm_conf() {
    let tmp = tempfile::tempdir().unwrap();
    let docker = tmp.path().join("docker");
    std::fs::create_dir_all(docker.join("php-fpm.d")).unwrap();
    let conf = docker.join("php-fpm.conf");
    std::fs::write(
        &conf,
        "[global]\ndaemonize = no\ninclude=etc/php-fpm.d/*.conf\n",
    )
    .unwrap();
    std::fs::write(
        docker.join("php-fpm.d/www.conf"),
        "[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = static\npm.max_children = 3\n",
    )
    .unwrap();
    let other = docker.join("other-fpm.conf");
    std::fs::write(&other, "[global]\ninclude=/etc/fpm/pools/*.conf\n").unwrap();
    let map = format!("/usr/local/etc={}", docker.display());
    let run = |file: &std::path::Path, image: Option<&str>, extra: &[&str]| {
        let mut args = vec![
            file.to_str().unwrap(),
            "--kind",
            "php-fpm",
            "--map",
            &map,
            "--format",
            "json",
        ];
        if let Some(image) = image {
            args.extend(["--php-image", image]);
        }
        args.extend_from_slice(extra);
        let json: serde_json::Value = serde_json::from_str(&explain(&args)).unwrap();
        let set = json["php_fpm"][0].clone();
        let files: Vec<String> = set["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().rsplit('>').next().unwrap().to_string())
            .map(|f| f.rsplit('/').next().unwrap().to_string())
            .collect();
        let listen = set["pools"][0]["directives"]
            .as_array()
            .map(|ds| ds.iter().find(|d| d["key"] == "listen").unwrap().clone());
        (files, listen, set["image"]["reason"].clone())
    };
    // Pre-2026: the stock zz-docker.conf, loaded after the repository's www.conf, wins.
    let (files, listen, _) = run(&conf, Some("php:8.2.20-fpm"), &[]);
    assert_eq!(
        files,
        ["php-fpm.conf", "docker.conf", "www.conf", "zz-docker.conf"]
    );
    let listen = listen.unwrap();
    assert_eq!(listen["value"], "9000");
    assert_eq!(
        listen["file"],
        "<php:8.2.20-fpm>/usr/local/etc/php-fpm.d/zz-docker.conf"
    );
    // Post-2026: docker.conf sets 9000 first, the repository's www.conf wins.
    let (_, listen, reason) = run(&conf, Some("php:8.3-fpm"), &[]);
    assert_eq!(listen.unwrap()["value"], "127.0.0.1:9000");
    assert!(
        reason
            .as_str()
            .unwrap()
            .contains("load where its include reaches them"),
        "{reason}"
    );
    // Without the image, only the repository's files (with the image's prefix given by hand).
    let (files, _, _) = run(&conf, None, &["--php-prefix", "/usr/local"]);
    assert_eq!(files, ["php-fpm.conf", "www.conf"]);
    // The repository's files take every stock name: none of the image's pool files is left to load.
    for name in ["docker.conf", "zz-docker.conf"] {
        std::fs::write(docker.join("php-fpm.d").join(name), "[www]\n").unwrap();
    }
    let (files, _, reason) = run(&conf, Some("php:8.2.20-fpm"), &[]);
    assert_eq!(
        files,
        ["php-fpm.conf", "docker.conf", "www.conf", "zz-docker.conf"]
    );
    assert!(
        reason
            .as_str()
            .unwrap()
            .contains("the repository's files replace every stock pool file"),
        "{reason}"
    );
    // An include that does not reach the image's pool directory: no stock file, and the reason says so.
    let (files, _, reason) = run(&other, Some("php:8.2.20-fpm"), &[]);
    assert_eq!(files, ["other-fpm.conf"]);
    assert!(
        reason.as_str().unwrap().contains(
            "no include of it reaches the image's pool directory /usr/local/etc/php-fpm.d"
        ),
        "{reason}"
    );
}
