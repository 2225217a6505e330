//! The compose part through the command line: one discovery for nginx and compose, `-f` lists,
//! `--env-file`, `--project-name`, `--stdin-filename`.

use clap::Parser;
use std::path::Path;
use wirelint::cli::{Cli, Command};

fn check(args: &[&str]) -> serde_json::Value {
    let mut argv = vec!["wirelint", "check", "--format=json"];
    argv.extend_from_slice(args);
    let Command::Check(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    let (text, _) = wirelint::cli::check(&args, false).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn codes(v: &serde_json::Value) -> Vec<String> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn one_run_lints_nginx_and_compose() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "nginx/conf.d/site.conf",
        "server {\n  listen 80;\n  location / { proxy_pass http://app:5000; }\n}\n",
    );
    write(
        d.path(),
        "docker-compose.yml",
        "services:\n  app:\n    build: .\n    ports: [\"5000:5000\"]\n",
    );
    let v = check(&[d.path().to_str().unwrap()]);
    assert!(codes(&v).contains(&"C001".to_string()), "{v}");
    // both files were read in the same run
    assert_eq!(v["summary"]["files"], 2, "{v}");
}

#[test]
fn compose_file_flags_merge_in_order() {
    let d = tempfile::tempdir().unwrap();
    write(
        d.path(),
        "base.yml",
        "services:\n  web:\n    image: nginx:1.27\n    ports: [\"127.0.0.1:8081:80\"]\n  api:\n    image: \"api:${TAG}\"\n",
    );
    write(
        d.path(),
        "ports.yml",
        "services:\n  api:\n    ports: [\"127.0.0.1:8081:8000\"]\n",
    );
    write(d.path(), "ci.env", "TAG=1.0\n");
    let base = d.path().join("base.yml");
    let ports = d.path().join("ports.yml");
    let env = d.path().join("ci.env");
    let v = check(&[
        "-f",
        base.to_str().unwrap(),
        "--compose-file",
        ports.to_str().unwrap(),
        "--env-file",
        env.to_str().unwrap(),
        "--project-name",
        "demo",
        d.path()
            .join("nothing-else")
            .parent()
            .unwrap()
            .to_str()
            .unwrap(),
    ]);
    let c = codes(&v);
    assert!(c.contains(&"C002".to_string()), "merged files collide: {v}");
    assert!(
        !c.contains(&"C005".to_string()),
        "TAG comes from --env-file: {v}"
    );
}

#[test]
fn stdin_text_replaces_the_file() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("compose.yaml");
    std::fs::write(&path, "services:\n  web:\n    image: nginx\n").unwrap();
    let mut sources = wirelint::source::SourceMap::new();
    sources.set_overlay(
        &path,
        "services:\n  web:\n    image: nginx\n    ports: [22:22]\n".into(),
    );
    let mut diags = Vec::new();
    wirelint::lint::check_compose(
        &mut sources,
        std::slice::from_ref(&path),
        &wirelint::settings::Settings::default(),
        &mut diags,
    );
    assert!(diags.iter().any(|d| d.code == "C004"), "{diags:?}");
}

#[test]
fn project_name_and_environment_are_injectable() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("compose.yaml");
    std::fs::write(
        &path,
        "name: \"shop-${STAGE}\"\nservices:\n  web:\n    image: \"nginx:${TAG}\"\n",
    )
    .unwrap();
    let mut settings = wirelint::settings::Settings::default();
    settings.compose.environment = [("TAG", "1.27"), ("STAGE", "Prod.1")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut sources = wirelint::source::SourceMap::new();
    let loaded = wirelint::compose::load(&mut sources, std::slice::from_ref(&path), &settings);
    let p = &loaded.projects[0].project;
    assert_eq!(p.name, "shop-prod1");
    assert_eq!(p.services[0].image.as_ref().unwrap().value, "nginx:1.27");
    // the image's span is the text as written, not the interpolated value
    assert_eq!(
        sources.text(p.services[0].image.as_ref().unwrap().span),
        "\"nginx:${TAG}\""
    );
    settings.compose.project_name = Some("Other".into());
    let loaded = wirelint::compose::load(&mut sources, std::slice::from_ref(&path), &settings);
    assert_eq!(loaded.projects[0].project.name, "other");
}
