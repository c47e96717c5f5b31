//! `RtmpUrl`: parsing, the ffmpeg app/stream split, OBS server + key, tcUrl, errors, and
//! round trips.

use proptest::prelude::*;
use rtmp_proto::client::{MAX_URL_LEN, RtmpUrl, Scheme, UrlError};

fn url(s: &str) -> RtmpUrl {
    RtmpUrl::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn err(s: &str) -> UrlError {
    RtmpUrl::parse(s).expect_err(s)
}

#[test]
fn plain_url_with_default_port() {
    let u = url("rtmp://live.example.com/live/stream1");
    assert_eq!(u.scheme(), Scheme::Rtmp);
    assert_eq!(u.host(), "live.example.com");
    assert_eq!(u.port(), 1935);
    assert_eq!(u.explicit_port(), None);
    assert_eq!(u.app(), "live");
    assert_eq!(u.app_name(), "live");
    assert_eq!(u.instance(), None);
    assert_eq!(u.stream(), "stream1");
    assert_eq!(u.query(), None);
    assert_eq!(u.tc_url(), "rtmp://live.example.com/live");
    assert_eq!(u.socket_addr_string(), "live.example.com:1935");
    assert_eq!(u.to_string(), "rtmp://live.example.com/live/stream1");
}

#[test]
fn rtmps_defaults_to_443_and_keeps_explicit_ports() {
    let u = url("rtmps://a.rtmp.youtube.com/live2/key");
    assert_eq!(u.scheme(), Scheme::Rtmps);
    assert!(u.scheme().is_tls());
    assert_eq!(u.port(), 443);
    assert_eq!(u.socket_addr_string(), "a.rtmp.youtube.com:443");

    let u = url("rtmps://h:8443/app/s");
    assert_eq!(u.port(), 8443);
    assert_eq!(u.tc_url(), "rtmps://h:8443/app");
    let u = url("rtmp://10.0.0.1:1936/live/s");
    assert_eq!(u.explicit_port(), Some(1936));
    assert_eq!(u.socket_addr_string(), "10.0.0.1:1936");
    // An explicit default port stays explicit, as written.
    assert_eq!(url("rtmp://h:1935/live").tc_url(), "rtmp://h:1935/live");
}

#[test]
fn scheme_is_case_insensitive() {
    let u = url("RTMP://h/live/s");
    assert_eq!(u.scheme(), Scheme::Rtmp);
    assert_eq!(u.to_string(), "rtmp://h/live/s");
}

#[test]
fn ipv6_hosts_in_brackets() {
    let u = url("rtmp://[::1]/live/s");
    assert!(u.is_ipv6());
    assert_eq!(u.host(), "::1");
    assert_eq!(u.socket_addr_string(), "[::1]:1935");
    assert_eq!(u.tc_url(), "rtmp://[::1]/live");
    let u = url("rtmps://[2001:db8::7]:4443/app/inst/s");
    assert_eq!(u.host(), "2001:db8::7");
    assert_eq!(u.port(), 4443);
    assert_eq!(u.socket_addr_string(), "[2001:db8::7]:4443");
    assert_eq!(u.app(), "app/inst");
    assert_eq!(u.to_string(), "rtmps://[2001:db8::7]:4443/app/inst/s");
    // The socket address parses as a std SocketAddr.
    assert!(
        url("rtmp://[fe80::1]:99/a")
            .socket_addr_string()
            .parse::<std::net::SocketAddr>()
            .is_ok()
    );
}

#[test]
fn instance_is_everything_up_to_the_second_slash() {
    let u = url("rtmp://h/app/instance/stream");
    assert_eq!(u.app(), "app/instance");
    assert_eq!(u.app_name(), "app");
    assert_eq!(u.instance(), Some("instance"));
    assert_eq!(u.stream(), "stream");
    assert_eq!(u.tc_url(), "rtmp://h/app/instance");
    // Further slashes belong to the stream (ffmpeg: fname after the second slash).
    let u = url("rtmp://h/app/instance/dir/stream");
    assert_eq!(u.app(), "app/instance");
    assert_eq!(u.stream(), "dir/stream");
}

#[test]
fn colon_before_second_slash_means_a_playpath() {
    let u = url("rtmp://h/vod/mp4:folder/file.mp4");
    assert_eq!(u.app(), "vod");
    assert_eq!(u.stream(), "mp4:folder/file.mp4");
}

#[test]
fn ondemand_is_a_one_level_app() {
    let u = url("rtmp://h/ondemand/a/b/c");
    assert_eq!(u.app(), "ondemand");
    assert_eq!(u.stream(), "a/b/c");
}

#[test]
fn query_stays_on_the_stream_name() {
    // Wowza-style auth: ffmpeg keeps the query on the playpath.
    let u = url("rtmp://h/live/cam1?wowzatokenhash=abc&e=1");
    assert_eq!(u.stream(), "cam1?wowzatokenhash=abc&e=1");
    assert_eq!(u.stream_name(), "cam1");
    assert_eq!(u.query(), Some("wowzatokenhash=abc&e=1"));
    assert_eq!(u.app(), "live");
    assert_eq!(u.tc_url(), "rtmp://h/live");
    // A slash inside the query does not move the app/stream boundary.
    let u = url("rtmp://h/live/cam1?next=/a/b");
    assert_eq!(u.app(), "live");
    assert_eq!(u.stream(), "cam1?next=/a/b");
    // With no stream, the query goes with the app (and into the tcUrl).
    let u = url("rtmp://h/live?token=x");
    assert_eq!(u.app(), "live?token=x");
    assert_eq!(u.app_path(), "live");
    assert_eq!(u.app_query(), Some("token=x"));
    assert_eq!(u.tc_url(), "rtmp://h/live?token=x");
    assert_eq!(u.stream(), "");
}

#[test]
fn trailing_slash_and_empty_stream() {
    let a = url("rtmp://h/live/");
    let b = url("rtmp://h/live");
    assert_eq!(a, b);
    assert_eq!(a.stream(), "");
    let u = url("rtmp://h/app/inst/");
    assert_eq!(u.app(), "app/inst");
    assert_eq!(u.stream(), "");
    assert_eq!(u.to_string(), "rtmp://h/app/inst/");
}

#[test]
fn percent_escapes_are_kept_verbatim() {
    let u = url("rtmp://h/li%20ve/str%2Fe%41m?k=%3D");
    assert_eq!(u.app(), "li%20ve");
    assert_eq!(u.stream(), "str%2Fe%41m?k=%3D");
    assert_eq!(u.to_string(), "rtmp://h/li%20ve/str%2Fe%41m?k=%3D");
}

#[test]
fn obs_server_url_and_key() {
    // OBS: the whole server path is the app, however many slashes it has.
    let u = RtmpUrl::from_server_and_key("rtmp://ingest.example.com/a/b/c", "sk_123?pw=1").unwrap();
    assert_eq!(u.app(), "a/b/c");
    assert_eq!(u.app_name(), "a");
    assert_eq!(u.instance(), Some("b/c"));
    assert_eq!(u.stream(), "sk_123?pw=1");
    assert_eq!(u.query(), Some("pw=1"));
    assert_eq!(u.tc_url(), "rtmp://ingest.example.com/a/b/c");
    // tcUrl + stream round-trips through from_server_and_key.
    assert_eq!(
        RtmpUrl::from_server_and_key(&u.tc_url(), &u.stream()).unwrap(),
        u
    );

    let u = RtmpUrl::from_server_and_key("rtmp://h/live/", "key").unwrap();
    assert_eq!(u, url("rtmp://h/live/key"));
    let u = RtmpUrl::from_server_and_key("rtmp://h/app?auth=1", "key").unwrap();
    assert_eq!(u.app(), "app?auth=1");
    assert_eq!(u.tc_url(), "rtmp://h/app?auth=1");
    assert_eq!(u.stream(), "key");
    assert_eq!(
        RtmpUrl::from_server_and_key("rtmp://h/", "key"),
        Err(UrlError::MissingApp)
    );
    assert!(matches!(
        RtmpUrl::from_server_and_key("rtmp://h/live", "a key"),
        Err(UrlError::InvalidChar { ch: ' ', at: 14 })
    ));
}

#[test]
fn connect_params_carry_app_and_tc_url() {
    let p = url("rtmps://h:444/app/inst/s?x=1").connect_params();
    assert_eq!(p.app, "app/inst");
    assert_eq!(p.tc_url, "rtmps://h:444/app/inst");
    let p = url("rtmp://h/live?t=9").connect_params();
    assert_eq!(p.app, "live?t=9");
    assert_eq!(p.tc_url, "rtmp://h/live?t=9");
}

#[test]
fn redirect_keeps_the_stream() {
    let u = url("rtmp://old/live/cam?k=1");
    let r = u.redirected("rtmp://new:1940/edge/x").unwrap();
    assert_eq!(r.host(), "new");
    assert_eq!(r.port(), 1940);
    assert_eq!(r.app(), "edge/x");
    assert_eq!(r.stream(), "cam?k=1");
    assert_eq!(
        u.with_stream("other").unwrap().to_string(),
        "rtmp://old/live/other"
    );
}

#[test]
fn malformed_urls_have_clear_errors() {
    assert_eq!(err("live.example.com/live/s"), UrlError::MissingScheme);
    assert_eq!(err("://h/live"), UrlError::MissingScheme);
    assert_eq!(
        err("http://h/live/s"),
        UrlError::UnsupportedScheme("http".into())
    );
    assert_eq!(
        err("rtmpt://h/live/s"),
        UrlError::UnsupportedScheme("rtmpt".into())
    );
    assert_eq!(err("rtmp:///live/s"), UrlError::EmptyHost);
    assert_eq!(err("rtmp://:1935/live"), UrlError::EmptyHost);
    assert_eq!(err("rtmp://h"), UrlError::MissingApp);
    assert_eq!(err("rtmp://h/"), UrlError::MissingApp);
    assert_eq!(err("rtmp://h?x=1"), UrlError::MissingApp);
    assert_eq!(err("rtmp://h//s"), UrlError::MissingApp);
    assert_eq!(
        err("rtmp://h/live//s"),
        UrlError::EmptySegment("live/".into())
    );
    assert_eq!(err("rtmp://h:/live"), UrlError::InvalidPort("".into()));
    assert_eq!(err("rtmp://h:0/live"), UrlError::InvalidPort("0".into()));
    assert_eq!(
        err("rtmp://h:65536/live"),
        UrlError::InvalidPort("65536".into())
    );
    assert_eq!(
        err("rtmp://h:+80/live"),
        UrlError::InvalidPort("+80".into())
    );
    assert_eq!(
        err("rtmp://h:80:81/live"),
        UrlError::InvalidPort("80:81".into())
    );
    assert_eq!(err("rtmp://user:pw@h/live"), UrlError::Credentials);
    assert_eq!(err("rtmp://::1/live"), UrlError::EmptyHost);
    assert_eq!(
        err("rtmp://fe80::1/live"),
        UrlError::InvalidPort(":1".into())
    );
    assert_eq!(err("rtmp://[::1/live"), UrlError::InvalidIpv6("::1".into()));
    assert_eq!(
        err("rtmp://[not:v6]/live"),
        UrlError::InvalidIpv6("not:v6".into())
    );
    assert_eq!(err("rtmp://[::1]x/live"), UrlError::InvalidPort("x".into()));
    assert_eq!(
        err("rtmp://h%41/live"),
        UrlError::InvalidHost("h%41".into())
    );
    assert_eq!(
        err("rtmp://h/live/my stream"),
        UrlError::InvalidChar { ch: ' ', at: 16 }
    );
    assert_eq!(
        err("rtmp://h/live/s\n"),
        UrlError::InvalidChar { ch: '\n', at: 15 }
    );
    let long = format!("rtmp://h/live/{}", "x".repeat(MAX_URL_LEN));
    assert!(matches!(
        RtmpUrl::parse(&long),
        Err(UrlError::TooLong { .. })
    ));
    // Messages name the problem.
    assert!(err("rtmp://h:0/live").to_string().contains("\"0\""));
    assert!(err("rtmp://h").to_string().contains("application"));
}

/// A URL built from generated pieces that `parse` accepts.
fn url_string() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        "[a-z0-9][a-z0-9.-]{0,20}",
        Just("[::1]".to_owned()),
        Just("[2001:db8::1]".to_owned()),
    ];
    let seg = "[A-Za-z0-9_.~%:-]{1,8}";
    (
        prop_oneof![Just("rtmp"), Just("rtmps"), Just("RTMP")],
        host,
        proptest::option::of(1u16..),
        proptest::collection::vec(seg, 1..5),
        any::<bool>(),
        proptest::option::of("[A-Za-z0-9=&/%?-]{0,12}"),
    )
        .prop_map(|(scheme, host, port, segs, slash, query)| {
            let mut s = format!("{scheme}://{host}");
            if let Some(p) = port {
                s.push_str(&format!(":{p}"));
            }
            s.push('/');
            s.push_str(&segs.join("/"));
            if slash {
                s.push('/');
            }
            if let Some(q) = query {
                s.push('?');
                s.push_str(&q);
            }
            s
        })
}

proptest! {
    #[test]
    fn parse_display_round_trip(s in url_string()) {
        let u = RtmpUrl::parse(&s).unwrap();
        let shown = u.to_string();
        prop_assert_eq!(RtmpUrl::parse(&shown).unwrap(), u.clone());
        // Display is a fixed point after one step.
        prop_assert_eq!(RtmpUrl::parse(&shown).unwrap().to_string(), shown);
        // tcUrl + stream rebuild the same URL the OBS way.
        prop_assert_eq!(RtmpUrl::from_server_and_key(&u.tc_url(), &u.stream()).unwrap(), u);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,80}") {
        if let Ok(u) = RtmpUrl::parse(&s) {
            let again = RtmpUrl::parse(&u.to_string()).unwrap();
            prop_assert_eq!(again, u);
        }
    }

    #[test]
    fn arbitrary_url_like_strings_never_panic(
        s in "(rtmps?://)?[\\[\\]:@a-z0-9/?%.]{0,40}",
        key in "[a-z/?:]{0,8}",
    ) {
        if let Ok(u) = RtmpUrl::parse(&s) {
            let _ = (u.tc_url(), u.socket_addr_string(), u.connect_params());
            prop_assert_eq!(RtmpUrl::parse(&u.to_string()).unwrap(), u);
        }
        let _ = RtmpUrl::from_server_and_key(&s, &key);
    }
}
