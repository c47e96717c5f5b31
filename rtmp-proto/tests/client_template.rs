//! `UrlTemplate`: placeholders, escapes, expansion and its errors.

use std::collections::HashMap;

use proptest::prelude::*;
use rtmp_proto::client::{TemplateError, UrlError, UrlTemplate};

fn vars<'a>(pairs: &[(&'a str, &'a str)]) -> HashMap<&'a str, &'a str> {
    pairs.iter().copied().collect()
}

#[test]
fn expands_named_variables() {
    let t = UrlTemplate::parse("rtmp://server/live/cam{camera_id}_{stream_name}").unwrap();
    assert_eq!(
        t.variables().collect::<Vec<_>>(),
        ["camera_id", "stream_name"]
    );
    let u = t
        .expand(&vars(&[("camera_id", "7"), ("stream_name", "hd")]))
        .unwrap();
    assert_eq!(u.to_string(), "rtmp://server/live/cam7_hd");
    assert_eq!(u.app(), "live");
    assert_eq!(u.stream(), "cam7_hd");
}

#[test]
fn placeholders_anywhere_and_repeated() {
    let t = UrlTemplate::parse("rtmps://{region}.example.com:{port}/{app}/{id}?id={id}").unwrap();
    let u = t
        .expand_with(|name| match name {
            "region" => Some("eu"),
            "port" => Some("4443"),
            "app" => Some("ingest"),
            "id" => Some("42"),
            _ => None,
        })
        .unwrap();
    assert_eq!(u.host(), "eu.example.com");
    assert_eq!(u.port(), 4443);
    assert_eq!(u.stream(), "42?id=42");
}

#[test]
fn brace_escapes() {
    let t = UrlTemplate::parse("rtmp://h/live/a{{b}}{x}").unwrap();
    assert_eq!(t.render_with(|_| Some("1")).unwrap(), "rtmp://h/live/a{b}1");
    assert_eq!(UrlTemplate::parse(&t.to_string()).unwrap(), t);
    // A template without placeholders is just a URL.
    let t = UrlTemplate::parse("rtmp://h/live/s").unwrap();
    assert_eq!(t.variables().count(), 0);
    assert_eq!(t.expand(&HashMap::new()).unwrap().stream(), "s");
}

#[test]
fn malformed_templates() {
    let e = |s: &str| UrlTemplate::parse(s).expect_err(s);
    assert_eq!(e("rtmp://h/live/{id"), TemplateError::Unclosed { at: 14 });
    assert_eq!(
        e("rtmp://h/live/id}"),
        TemplateError::UnmatchedClose { at: 16 }
    );
    assert_eq!(e("rtmp://h/live/{}"), TemplateError::EmptyName { at: 14 });
    assert_eq!(
        e("rtmp://h/live/{cam-id}"),
        TemplateError::InvalidName {
            name: "cam-id".into(),
            at: 14
        }
    );
    assert_eq!(
        e("rtmp://h/{a{b}}"),
        TemplateError::InvalidName {
            name: "a{b".into(),
            at: 9
        }
    );
    assert!(matches!(
        e(&"x".repeat(5000)),
        TemplateError::TooLong { len: 5000, .. }
    ));
}

#[test]
fn missing_and_unknown_variables() {
    let t = UrlTemplate::parse("rtmp://h/live/{camera_id}_{quality}").unwrap();
    assert_eq!(
        t.expand(&vars(&[("camera_id", "1")])),
        Err(TemplateError::MissingVariable("quality".into()))
    );
    assert_eq!(t.check_known(&["camera_id", "quality", "extra"]), Ok(()));
    assert_eq!(
        t.check_known(&["camera_id"]),
        Err(TemplateError::UnknownVariable("quality".into()))
    );
    let msg = TemplateError::MissingVariable("quality".into()).to_string();
    assert!(msg.contains("quality"), "{msg}");
}

#[test]
fn results_that_are_not_urls() {
    let t = UrlTemplate::parse("{scheme}://h/{app}/s").unwrap();
    assert_eq!(
        t.expand(&vars(&[("scheme", "http"), ("app", "live")])),
        Err(TemplateError::InvalidUrl(UrlError::UnsupportedScheme(
            "http".into()
        )))
    );
    assert_eq!(
        t.expand(&vars(&[("scheme", "rtmp"), ("app", "")])),
        Err(TemplateError::InvalidUrl(UrlError::MissingApp))
    );
    assert!(matches!(
        t.expand(&vars(&[("scheme", "rtmp"), ("app", "a b")])),
        Err(TemplateError::InvalidUrl(UrlError::InvalidChar {
            ch: ' ',
            ..
        }))
    ));
    // A huge value is refused before the string grows without bound.
    let big = "x".repeat(10_000);
    assert!(matches!(
        t.expand(&vars(&[("scheme", "rtmp"), ("app", &big)])),
        Err(TemplateError::TooLong { .. })
    ));
}

proptest! {
    #[test]
    fn arbitrary_templates_never_panic(s in ".{0,60}") {
        if let Ok(t) = UrlTemplate::parse(&s) {
            prop_assert_eq!(UrlTemplate::parse(&t.to_string()).unwrap(), t.clone());
            let _ = t.expand_with(|n| Some(n.to_owned()));
        }
    }

    #[test]
    fn brace_heavy_templates_round_trip(s in "[{}a-z_/:]{0,30}") {
        if let Ok(t) = UrlTemplate::parse(&s) {
            prop_assert_eq!(UrlTemplate::parse(&t.to_string()).unwrap(), t);
        }
    }
}
