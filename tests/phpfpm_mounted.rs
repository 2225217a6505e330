//! `phpfpm::load_mounted`: files mounted into a container load in the order of their container names, as one set.

use std::path::PathBuf;
use wirelint::settings::Settings;
use wirelint::source::SourceMap;

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
