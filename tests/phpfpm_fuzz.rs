//! The php-fpm parser and loader never panic, and every span they produce lies on character boundaries
//! inside its file.

use proptest::prelude::*;
use wirelint::phpfpm::syntax::{self, LineKind};
use wirelint::source::FileId;

fn check_span(text: &str, s: wirelint::source::Span) {
    assert!(
        s.start <= s.end && (s.end as usize) <= text.len(),
        "{s:?} in {text:?}"
    );
    assert!(text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parser_spans_are_sound(text in r#"([\[\]=;#"'${}()!&|^~a-z.\[\] \t\r\néß€0-9:/@]{0,40}\n?){0,6}"#) {
        let p = syntax::parse(FileId(0), &text);
        for e in &p.errors {
            check_span(&text, e.span);
        }
        for l in &p.lines {
            check_span(&text, l.span);
            match &l.kind {
                LineKind::Section { name_span, .. } => check_span(&text, *name_span),
                LineKind::Entry(e) => {
                    check_span(&text, e.key_span);
                    check_span(&text, e.value_span);
                    if let Some((_, s)) = &e.index {
                        check_span(&text, *s);
                    }
                }
            }
        }
    }

    #[test]
    fn check_never_panics(text in r#"(\[(www|WWW|global|a)\]\n|(listen|user|pm|pm.max_children|include|php_value\[x\]|env\[A\]|listen.allowed_clients|bogus) ?= ?(9000|127.0.0.1:9000|\[::\]:9000|/run/a.sock|\$\{X\}|"q"|'s'|on|dynamic|x\*.conf|)\n|# c\n|; c\n){0,12}"#) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("www.conf");
        std::fs::write(&path, &text).unwrap();
        let mut settings = wirelint::settings::Settings::default();
        settings.kind = Some(wirelint::settings::Kind::PhpFpm);
        for image in [None, Some("php:8.2.20-fpm".to_string())] {
            settings.phpfpm.image = image;
            let outcome = wirelint::lint::check(std::slice::from_ref(&path), None, &settings).unwrap();
            for d in &outcome.diagnostics {
                let file = outcome.sources.get(d.span.file);
                check_span(&file.text, d.span);
            }
        }
    }
}
