//! Properties of the compose building blocks: no input panics them, and what they parse round-trips.

use proptest::prelude::*;
use std::collections::HashMap;
use wirelint::compose::{interp, ports, yaml};

proptest! {
    #[test]
    fn parsers_never_panic(s in "\\PC{0,64}") {
        let _ = ports::parse_short(&s);
        let _ = interp::interpolate(&s, &HashMap::new());
        let _ = yaml::parse(wirelint::source::FileId(0), &s);
    }

    #[test]
    fn yaml_like_text_never_panics(s in "[a-z:\\-\\[\\]{}&*<>!|'\" \\n#,$]{0,80}") {
        let _ = yaml::parse(wirelint::source::FileId(0), &s);
    }

    #[test]
    fn text_without_dollar_is_unchanged(s in "[^$]{0,64}") {
        prop_assert_eq!(interp::interpolate(&s, &HashMap::new()).unwrap().text, s);
    }

    #[test]
    fn short_port_round_trips(
        ip in prop::option::of(prop_oneof![Just("127.0.0.1"), Just("[::1]"), Just("0.0.0.0")]),
        host in prop::option::of(1u16..65535),
        target in 1u16..65535,
        proto in prop_oneof![Just("tcp"), Just("udp"), Just("sctp")],
    ) {
        let mut s = String::new();
        if let Some(ip) = ip {
            s.push_str(ip);
            s.push(':');
            if let Some(h) = host { s.push_str(&h.to_string()); }
            s.push(':');
        } else if let Some(h) = host {
            s.push_str(&format!("{h}:"));
        }
        s.push_str(&format!("{target}/{proto}"));
        let parsed = ports::parse_short(&s).unwrap();
        prop_assert_eq!(parsed.len(), 1);
        let p = &parsed[0];
        prop_assert_eq!(p.target, target);
        prop_assert_eq!(p.published.map(|r| r.start), host);
        prop_assert_eq!(p.protocol.as_str(), proto);
        prop_assert_eq!(p.host_ip.is_some(), ip.is_some());
    }
}
