//! `phpfpm::load_mounted`: files mounted into a container load in the order of their container names, as one set.

use std::path::PathBuf;
use wirelint::settings::Settings;
use wirelint::source::SourceMap;

/// `phpfpm::load_container` for a container whose main config is the image's `/usr/local/etc/php-fpm.conf`.
fn load_container(
    sources: &mut SourceMap,
    files: &[(String, PathBuf)],
    complete_dirs: &[String],
    image: &str,
) -> wirelint::phpfpm::Loaded {
    let tree = wirelint::phpfpm::ContainerTree {
        files,
        complete_dirs,
        main: "/usr/local/etc/php-fpm.conf",
    };
    wirelint::phpfpm::load_container(sources, tree, &Settings::default(), Some(image), None)
        .unwrap()
}

#[test]
fn mounted_files_order_by_container_name_and_form_one_set() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // Host names sort the other way round from the container names.
    let early = a.join("zz.conf");
    let late = b.join("aa.conf");
    std::fs::write(&early, "[www]\nlisten = 9000\n").unwrap();
    std::fs::write(&late, "[www]\nlisten = 127.0.0.1:9000\n").unwrap();
    let files: Vec<(String, PathBuf)> = vec![
        (
            "/usr/local/etc/php-fpm.d/zzz-late.conf".into(),
            late.clone(),
        ),
        ("/usr/local/etc/php-fpm.d/www.conf".into(), early.clone()),
    ];
    let mut sources = SourceMap::default();
    let settings = Settings::default();
    let loaded =
        wirelint::phpfpm::load_mounted(&mut sources, &files, &settings, None, None).unwrap();
    assert_eq!(loaded.sets.len(), 1, "one pool directory in the container");
    let set = &loaded.sets[0];
    let pool = &set.pools[0];
    let listen = pool.get("listen").unwrap();
    assert_eq!(listen.winner().value.as_deref(), Some("127.0.0.1:9000"));
    assert_eq!(
        sources.get(listen.winner().value_span.file).path.as_deref(),
        Some(late.as_path())
    );
}

/// The file names of a set in load order.
fn names(sources: &SourceMap, set: &wirelint::phpfpm::PoolSet) -> Vec<String> {
    set.files
        .iter()
        .map(|f| sources.get(*f).name.clone())
        .collect()
}

#[test]
fn mounted_main_config_includes_every_file_in_the_container_pool_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    for (path, text) in [
        (
            "php/php-fpm.conf",
            "[global]\ninclude=etc/php-fpm.d/*.conf\n",
        ),
        ("pools/www.conf", "[www]\nlisten = 9000\n"),
        ("other/zz-extra.conf", "[www]\nlisten = 127.0.0.1:9000\n"),
        ("other/.hidden.conf", "[www]\nlisten = 9999\n"),
    ] {
        std::fs::create_dir_all(root.join(path).parent().unwrap()).unwrap();
        std::fs::write(root.join(path), text).unwrap();
    }
    let files: Vec<(String, PathBuf)> = vec![
        (
            "/usr/local/etc/php-fpm.conf".into(),
            root.join("php/php-fpm.conf"),
        ),
        (
            "/usr/local/etc/php-fpm.d/.hidden.conf".into(),
            root.join("other/.hidden.conf"),
        ),
        (
            "/usr/local/etc/php-fpm.d/www.conf".into(),
            root.join("pools/www.conf"),
        ),
        (
            "/usr/local/etc/php-fpm.d/zz-extra.conf".into(),
            root.join("other/zz-extra.conf"),
        ),
    ];
    let mut sources = SourceMap::default();
    let loaded = load_container(&mut sources, &files, &[], "php:8.2.20-fpm");
    assert_eq!(loaded.sets.len(), 1);
    let set = &loaded.sets[0];
    let shown = names(&sources, set);
    // The stock www.conf is replaced by the mount; the hidden file is not matched by `*.conf`.
    let expected_tail = [
        "<php:8.2.20-fpm>/usr/local/etc/php-fpm.d/docker.conf".to_string(),
        wirelint::source::display_name(&root.join("pools/www.conf")),
        "<php:8.2.20-fpm>/usr/local/etc/php-fpm.d/zz-docker.conf".to_string(),
        wirelint::source::display_name(&root.join("other/zz-extra.conf")),
    ];
    assert_eq!(shown[1..], expected_tail, "{shown:?}");
    let listen = set.pools[0].get("listen").unwrap();
    assert_eq!(listen.winner().value.as_deref(), Some("127.0.0.1:9000"));
    assert_eq!(listen.overridden().len(), 2);
}

#[test]
fn a_directory_mount_hides_the_image_pool_files() {
    let tmp = tempfile::tempdir().unwrap();
    let www = tmp.path().join("www.conf");
    std::fs::write(&www, "[www]\nlisten = 127.0.0.1:9000\n").unwrap();
    let files = vec![("/usr/local/etc/php-fpm.d/www.conf".to_string(), www.clone())];
    let complete = vec!["/usr/local/etc/php-fpm.d".to_string()];
    let mut sources = SourceMap::default();
    let loaded = load_container(&mut sources, &files, &complete, "php:8.2.20-fpm");
    let set = &loaded.sets[0];
    // The image's php-fpm.conf, then only the mounted directory's file: no stock zz-docker.conf after it.
    assert_eq!(
        names(&sources, set),
        vec![
            "<php:8.2.20-fpm>/usr/local/etc/php-fpm.conf".to_string(),
            wirelint::source::display_name(&www)
        ]
    );
    let listen = set.pools[0].get("listen").unwrap();
    assert_eq!(listen.winner().value.as_deref(), Some("127.0.0.1:9000"));
}

#[test]
fn explain_service_lists_php_fpm_files_in_container_order_with_provenance() {
    let dir = "fixtures/stack/S003-fpm-unreachable/bad-mounted-fpm-conf-two-host-dirs";
    let args = wirelint::cli::ExplainArgs {
        path: PathBuf::from("php"),
        dir: Some(PathBuf::from(dir)),
        format: wirelint::cli::ExplainFormat::Human,
        phpfpm: Default::default(),
        kind: None,
        maps: Vec::new(),
    };
    let text = wirelint::cli::explain(&args).unwrap();
    let order = [
        format!("1. {dir}/php/php-fpm.conf  → /usr/local/etc/php-fpm.conf (a bind mount (read-only), {dir}/compose.yaml:12)"),
        "2. <php:8.2.20-fpm>/usr/local/etc/php-fpm.d/docker.conf  (the image's stock file)".to_string(),
        format!("3. {dir}/pools/www.conf  → /usr/local/etc/php-fpm.d/www.conf (a bind mount (read-only), {dir}/compose.yaml:13)"),
        "4. <php:8.2.20-fpm>/usr/local/etc/php-fpm.d/zz-docker.conf  (the image's stock file)".to_string(),
        format!("5. {dir}/other/zz-extra.conf  → /usr/local/etc/php-fpm.d/zz-extra.conf (a bind mount (read-only), {dir}/compose.yaml:14)"),
    ];
    for line in &order {
        assert!(text.contains(line.as_str()), "missing {line:?} in\n{text}");
    }
    assert!(
        text.contains(&format!(
            "[www] loopback 127.0.0.1:9000 (this container only)  ({dir}/other/zz-extra.conf:3; overrides <php:8.2.20-fpm>/usr/local/etc/php-fpm.d/zz-docker.conf:5 \"9000\"; overrides {dir}/pools/www.conf:4 \"9000\")"
        )),
        "{text}"
    );
}

#[test]
fn literal_includes_in_a_mounted_directory_missing_only_when_absent() {
    let tmp = tempfile::tempdir().unwrap();
    let etc = tmp.path().join("etc");
    std::fs::create_dir_all(etc.join("php-fpm.d")).unwrap();
    std::fs::write(
        etc.join("php-fpm.conf"),
        "[global]\ninclude=etc/php-fpm.d\ninclude=etc/nope.conf\ninclude=etc/php-fpm.d/www.conf\n",
    )
    .unwrap();
    std::fs::write(etc.join("php-fpm.d/www.conf"), "[www]\nlisten = 9000\n").unwrap();
    // `./etc` mounted at /usr/local/etc.
    let files = vec![
        (
            "/usr/local/etc/php-fpm.conf".to_string(),
            etc.join("php-fpm.conf"),
        ),
        (
            "/usr/local/etc/php-fpm.d/www.conf".to_string(),
            etc.join("php-fpm.d/www.conf"),
        ),
    ];
    let complete = vec!["/usr/local/etc".to_string()];
    let mut sources = SourceMap::default();
    let loaded = load_container(&mut sources, &files, &complete, "php:8.3-fpm");
    let set = &loaded.sets[0];
    let missing: Vec<(&str, bool)> = set
        .includes
        .iter()
        .map(|i| (i.pattern.as_str(), i.missing))
        .collect();
    assert_eq!(
        missing,
        [
            ("etc/php-fpm.d", false),
            ("etc/nope.conf", true),
            ("etc/php-fpm.d/www.conf", false)
        ]
    );
    // Only the mounted files: the image's pool files are under the mounted directory.
    assert_eq!(set.files.len(), 2);
}
