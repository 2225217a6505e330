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
