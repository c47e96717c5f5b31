//! Fuzz body for the `url` target: the input (as lossy UTF-8) is parsed as an RTMP URL, as
//! an OBS server URL + stream key (split at the first NUL), and as a URL template. Whatever
//! parses must survive its round trip.

use rtmp_proto::client::{RtmpUrl, UrlTemplate};

/// Feeds arbitrary text to the URL and template parsers; must never panic.
pub fn run(data: &[u8]) {
    let text = String::from_utf8_lossy(data);

    if let Ok(u) = RtmpUrl::parse(&text) {
        let shown = u.to_string();
        let again = RtmpUrl::parse(&shown).expect("a displayed URL parses");
        assert_eq!(again, u, "display round trip changed the URL");
        let rebuilt = RtmpUrl::from_server_and_key(&u.tc_url(), &u.stream())
            .expect("tcUrl + stream of a parsed URL is a valid server URL and key");
        assert_eq!(rebuilt, u, "tcUrl + stream does not rebuild the URL");
        let _ = (
            u.socket_addr_string(),
            u.connect_params(),
            u.app_name(),
            u.instance(),
        );
    }

    let (server, key) = text.split_once('\0').unwrap_or((&text, ""));
    if let Ok(u) = RtmpUrl::from_server_and_key(server, key) {
        let again = RtmpUrl::from_server_and_key(&u.tc_url(), &u.stream())
            .expect("tcUrl + stream of a parsed URL parses");
        assert_eq!(again, u, "server + key round trip changed the URL");
        let _ = u.redirected(server);
    }

    if let Ok(t) = UrlTemplate::parse(&text) {
        let again = UrlTemplate::parse(&t.to_string()).expect("a displayed template parses");
        assert_eq!(again, t, "template display round trip changed it");
        let _ = t.expand_with(|name| Some(name.to_owned()));
    }
}
