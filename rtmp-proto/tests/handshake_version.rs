//! RTMP-NOTES item 12: C0/S0 must be 3. 6 and 8 (RTMPE) get their own clear error, any other
//! value a version error; both are sticky and are reported as soon as the byte arrives.

use bytes::BytesMut;
use rtmp_proto::ProtocolError;
use rtmp_proto::handshake::{ClientConfig, Handshake, HandshakeError, ServerConfig};
use rtmp_proto::rng::Rng;

fn both_roles() -> [Handshake; 2] {
    let mut rng = Rng::new(3);
    [
        Handshake::client(&ClientConfig::default(), &mut rng, 0),
        Handshake::server(&ServerConfig::default(), &mut rng, 0),
    ]
}

#[test]
fn version_3_is_accepted_and_consumed() {
    for mut hs in both_roles() {
        let mut input = BytesMut::from(&[3u8][..]);
        hs.handle_input(&mut input).unwrap();
        assert!(input.is_empty());
        assert!(!hs.is_complete());
    }
}

#[test]
fn rtmpe_is_refused_with_a_clear_error() {
    for version in [6u8, 8] {
        for mut hs in both_roles() {
            let mut input = BytesMut::from(&[version, 0, 0][..]);
            let err = hs.handle_input(&mut input).unwrap_err();
            assert_eq!(err, HandshakeError::Encrypted(version));
            assert!(err.to_string().contains("RTMPE"), "{err}");
            assert_eq!(input.len(), 3, "nothing consumed on error");
            let wrapped = ProtocolError::from(err);
            assert!(wrapped.to_string().starts_with("handshake: "), "{wrapped}");
        }
    }
}

#[test]
fn other_versions_are_refused_and_the_error_sticks() {
    for version in (0..=255u8).filter(|v| ![3, 6, 8].contains(v)) {
        for mut hs in both_roles() {
            let mut input = BytesMut::from(&[version][..]);
            let expected = HandshakeError::UnsupportedVersion(version);
            assert_eq!(hs.handle_input(&mut input), Err(expected.clone()));
            // Sticky: a valid byte afterwards does not revive the handshake.
            let mut more = BytesMut::from(&[3u8][..]);
            assert_eq!(hs.handle_input(&mut more), Err(expected));
            assert!(!hs.is_complete() && hs.negotiated().is_none());
        }
    }
}

#[test]
fn an_empty_buffer_is_not_an_error() {
    for mut hs in both_roles() {
        hs.handle_input(&mut BytesMut::new()).unwrap();
        assert!(!hs.is_complete());
    }
}
