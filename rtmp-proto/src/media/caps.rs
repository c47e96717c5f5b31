//! Enhanced RTMP capability negotiation in `connect` (RTMP-NOTES items 24, 25).
//!
//! The client lists what it supports in its connect command object: `fourCcList` (strict
//! array of FourCC strings, `"*"` = any), `videoFourCcInfoMap` / `audioFourCcInfoMap`
//! (FourCC → [`FourCcCaps`] mask) and `capsEx` ([`CapsEx`] bits). The server answers with
//! the intersection in its `_result` properties; a client reads the same properties back
//! with [`EnhancedCaps::from_object`].
//!
//! The reconnect request (item 25) lives here too: the onStatus info object the server
//! sends, only to clients that advertised [`CapsEx::RECONNECT`], and its parser.

use crate::amf::{AmfString, Value};

use super::fourcc::FourCc;

/// Per-codec capability mask of the FourCC info maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FourCcCaps(pub u32);

impl FourCcCaps {
    /// Can decode (play) this codec.
    pub const DECODE: FourCcCaps = FourCcCaps(1);
    /// Can encode (publish) this codec.
    pub const ENCODE: FourCcCaps = FourCcCaps(2);
    /// Can forward this codec without decoding it.
    pub const FORWARD: FourCcCaps = FourCcCaps(4);
    /// All three.
    pub const ALL: FourCcCaps = FourCcCaps(7);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: FourCcCaps) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for FourCcCaps {
    type Output = FourCcCaps;
    fn bitor(self, o: FourCcCaps) -> FourCcCaps {
        FourCcCaps(self.0 | o.0)
    }
}

/// The `capsEx` bits: extended features both sides must support.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct CapsEx(pub u32);

impl CapsEx {
    /// Understands NetConnection.Connect.ReconnectRequest.
    pub const RECONNECT: CapsEx = CapsEx(1);
    /// Understands multitrack audio/video.
    pub const MULTITRACK: CapsEx = CapsEx(2);
    /// Can parse ModEx prefixes.
    pub const MOD_EX: CapsEx = CapsEx(4);
    /// Understands the TimestampOffsetNano ModEx.
    pub const TIMESTAMP_NANO_OFFSET: CapsEx = CapsEx(8);

    /// Whether every bit of `other` is set.
    pub fn contains(self, other: CapsEx) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for CapsEx {
    type Output = CapsEx;
    fn bitor(self, o: CapsEx) -> CapsEx {
        CapsEx(self.0 | o.0)
    }
}

/// A key of `fourCcList` or of an info map: a FourCC or the `"*"` wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKey {
    /// `"*"`: any codec.
    Any,
    /// One codec.
    FourCc(FourCc),
}

impl CodecKey {
    fn parse(s: &str) -> Option<Self> {
        if s == "*" {
            Some(CodecKey::Any)
        } else {
            FourCc::from_str_exact(s).map(CodecKey::FourCc)
        }
    }

    fn to_value_string(self) -> AmfString {
        match self {
            CodecKey::Any => AmfString::from("*"),
            CodecKey::FourCc(cc) => AmfString::from(String::from_utf8_lossy(&cc.0).into_owned()),
        }
    }
}

impl From<FourCc> for CodecKey {
    fn from(cc: FourCc) -> Self {
        CodecKey::FourCc(cc)
    }
}

/// The E-RTMP capabilities one side advertises.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnhancedCaps {
    /// `fourCcList` (E-RTMP v1 style). Empty when absent.
    pub fourcc_list: Vec<CodecKey>,
    /// `videoFourCcInfoMap`, in wire order.
    pub video: Vec<(CodecKey, FourCcCaps)>,
    /// `audioFourCcInfoMap`, in wire order.
    pub audio: Vec<(CodecKey, FourCcCaps)>,
    /// `capsEx`.
    pub caps_ex: CapsEx,
}

/// Longest list or map read from a peer; entries past it are ignored. There are a handful
/// of codecs, so anything longer is noise.
const MAX_ENTRIES: usize = 64;

fn read_map(v: Option<&Value>) -> Vec<(CodecKey, FourCcCaps)> {
    let Some(props) = v.and_then(Value::properties) else {
        return Vec::new();
    };
    props
        .iter()
        .filter_map(|(k, v)| {
            let key = CodecKey::parse(k.as_str())?;
            let mask = v
                .as_f64()
                .filter(|m| (0.0..=f64::from(u32::MAX)).contains(m))?;
            Some((key, FourCcCaps(mask as u32)))
        })
        .take(MAX_ENTRIES)
        .collect()
}

fn mask_for(map: &[(CodecKey, FourCcCaps)], key: CodecKey) -> Option<FourCcCaps> {
    let exact = map.iter().find(|(k, _)| *k == key).map(|(_, m)| *m);
    exact.or_else(|| {
        map.iter()
            .find(|(k, _)| *k == CodecKey::Any)
            .map(|(_, m)| *m)
    })
}

/// Codecs in both maps; the mask is the server's own (it describes what the server can do
/// with a codec the client also knows). A key only one side lists matches the other's `"*"`.
fn intersect_map(
    server: &[(CodecKey, FourCcCaps)],
    client: &[(CodecKey, FourCcCaps)],
) -> Vec<(CodecKey, FourCcCaps)> {
    let mut out: Vec<(CodecKey, FourCcCaps)> = Vec::new();
    let keys = server.iter().chain(client.iter()).map(|(k, _)| *k);
    for key in keys {
        if out.iter().any(|(k, _)| *k == key) {
            continue;
        }
        let (Some(s), Some(_)) = (mask_for(server, key), mask_for(client, key)) else {
            continue;
        };
        // A wildcard only survives when both sides sent one.
        if key == CodecKey::Any
            && !(server.iter().any(|(k, _)| *k == key) && client.iter().any(|(k, _)| *k == key))
        {
            continue;
        }
        if s.0 != 0 {
            out.push((key, s));
        }
    }
    out
}

fn intersect_list(server: &[CodecKey], client: &[CodecKey]) -> Vec<CodecKey> {
    let has = |l: &[CodecKey], k: CodecKey| l.contains(&k) || l.contains(&CodecKey::Any);
    let mut out: Vec<CodecKey> = Vec::new();
    for k in server.iter().chain(client.iter()) {
        let both = if *k == CodecKey::Any {
            server.contains(k) && client.contains(k)
        } else {
            has(server, *k) && has(client, *k)
        };
        if both && !out.contains(k) {
            out.push(*k);
        }
    }
    out
}

impl EnhancedCaps {
    /// Reads the capabilities from a connect command object or a `_result` properties
    /// object. `None` when none of the four properties is present (a legacy peer).
    /// Malformed entries are skipped, never fatal.
    pub fn from_object(obj: &Value) -> Option<Self> {
        // One pass over the properties (a connect object has a dozen, and a legacy client
        // none of these), keeping the first of each name like `Value::get`.
        let (mut list, mut video, mut audio, mut caps_ex) = (None, None, None, None);
        for (key, value) in obj.properties().unwrap_or_default() {
            let slot = match key.as_bytes() {
                b"fourCcList" => &mut list,
                b"videoFourCcInfoMap" => &mut video,
                b"audioFourCcInfoMap" => &mut audio,
                b"capsEx" => &mut caps_ex,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        if list.is_none() && video.is_none() && audio.is_none() && caps_ex.is_none() {
            return None;
        }
        let fourcc_list = list
            .and_then(Value::as_array)
            .unwrap_or(&[])
            .iter()
            .filter_map(|v| CodecKey::parse(v.as_str()?))
            .take(MAX_ENTRIES)
            .collect();
        let caps_ex = caps_ex
            .and_then(Value::as_f64)
            .filter(|m| (0.0..=f64::from(u32::MAX)).contains(m))
            .map_or(0, |m| m as u32);
        Some(EnhancedCaps {
            fourcc_list,
            video: read_map(video),
            audio: read_map(audio),
            caps_ex: CapsEx(caps_ex),
        })
    }

    /// The properties to add to a connect command object (client) or to the `_result`
    /// properties (server). Empty lists and maps are left out.
    pub fn to_properties(&self) -> Vec<(AmfString, Value)> {
        let map = |m: &[(CodecKey, FourCcCaps)]| {
            Value::object(
                m.iter()
                    .map(|(k, c)| (k.to_value_string(), Value::from(c.0))),
            )
        };
        let mut out = Vec::new();
        if !self.fourcc_list.is_empty() {
            out.push((
                AmfString::from("fourCcList"),
                Value::strict_array(self.fourcc_list.iter().map(|k| k.to_value_string())),
            ));
        }
        if !self.video.is_empty() {
            out.push((AmfString::from("videoFourCcInfoMap"), map(&self.video)));
        }
        if !self.audio.is_empty() {
            out.push((AmfString::from("audioFourCcInfoMap"), map(&self.audio)));
        }
        out.push((AmfString::from("capsEx"), Value::from(self.caps_ex.0)));
        out
    }

    /// What both sides support: lists and maps intersected (map masks are ours, `self`
    /// being the server), `capsEx` bits ANDed.
    pub fn intersect(&self, client: &EnhancedCaps) -> EnhancedCaps {
        EnhancedCaps {
            fourcc_list: intersect_list(&self.fourcc_list, &client.fourcc_list),
            video: intersect_map(&self.video, &client.video),
            audio: intersect_map(&self.audio, &client.audio),
            caps_ex: CapsEx(self.caps_ex.0 & client.caps_ex.0),
        }
    }

    /// The mask for a video codec (exact entry, else `"*"`); the `fourCcList` counts as
    /// decode + encode + forward.
    pub fn video_caps(&self, cc: FourCc) -> Option<FourCcCaps> {
        mask_for(&self.video, cc.into()).or_else(|| self.listed(cc))
    }

    /// The mask for an audio codec, as [`Self::video_caps`].
    pub fn audio_caps(&self, cc: FourCc) -> Option<FourCcCaps> {
        mask_for(&self.audio, cc.into()).or_else(|| self.listed(cc))
    }

    fn listed(&self, cc: FourCc) -> Option<FourCcCaps> {
        let hit = self.fourcc_list.contains(&CodecKey::FourCc(cc))
            || self.fourcc_list.contains(&CodecKey::Any);
        hit.then_some(FourCcCaps::ALL)
    }
}

/// How a server treats E-RTMP in connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EnhancedPolicy {
    /// Never advertise E-RTMP; the `_result` stays legacy.
    LegacyOnly,
    /// Answer E-RTMP clients with the intersection, legacy clients legacy.
    #[default]
    Auto,
    /// Refuse clients that don't advertise E-RTMP.
    EnhancedOnly,
}

/// The server's decision on a connect.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Negotiation {
    /// Answer with a legacy `_result`.
    Legacy,
    /// Add these capabilities to the `_result` properties.
    Enhanced(EnhancedCaps),
    /// Reject the connect (policy EnhancedOnly, legacy client).
    Refuse,
}

impl EnhancedPolicy {
    /// Decides what a server with capabilities `ours` answers to a client that sent
    /// `connect_object`.
    pub fn negotiate(self, ours: &EnhancedCaps, connect_object: &Value) -> Negotiation {
        self.negotiate_caps(ours, EnhancedCaps::from_object(connect_object).as_ref())
    }

    /// [`negotiate`](Self::negotiate) with the client's capabilities already parsed
    /// (`None`: a legacy client), for a server that keeps them anyway.
    pub fn negotiate_caps(self, ours: &EnhancedCaps, theirs: Option<&EnhancedCaps>) -> Negotiation {
        match (self, theirs) {
            (EnhancedPolicy::LegacyOnly, _) => Negotiation::Legacy,
            (EnhancedPolicy::Auto, None) => Negotiation::Legacy,
            (EnhancedPolicy::EnhancedOnly, None) => Negotiation::Refuse,
            (_, Some(client)) => Negotiation::Enhanced(ours.intersect(client)),
        }
    }
}

/// onStatus code of a reconnect request.
pub const RECONNECT_REQUEST_CODE: &str = "NetConnection.Connect.ReconnectRequest";

/// A server's request that the client reconnect (item 25).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReconnectRequest {
    /// Where to reconnect; absent means the same URL.
    pub tc_url: Option<AmfString>,
    /// Human-readable reason.
    pub description: Option<AmfString>,
}

impl ReconnectRequest {
    /// Whether a client's advertised capabilities allow sending it a reconnect request.
    pub fn allowed_for(client: Option<&EnhancedCaps>) -> bool {
        client.is_some_and(|c| c.caps_ex.contains(CapsEx::RECONNECT))
    }

    /// The onStatus info object: `{level: "status", code, description?, tcUrl?}`.
    pub fn to_info(&self) -> Value {
        let mut props = vec![
            (AmfString::from("level"), Value::from("status")),
            (AmfString::from("code"), Value::from(RECONNECT_REQUEST_CODE)),
        ];
        if let Some(d) = &self.description {
            props.push((AmfString::from("description"), Value::from(d.clone())));
        }
        if let Some(u) = &self.tc_url {
            props.push((AmfString::from("tcUrl"), Value::from(u.clone())));
        }
        Value::object(props)
    }

    /// Reads an onStatus info object; `None` unless its code is the reconnect request.
    pub fn from_info(info: &Value) -> Option<Self> {
        if info.get("code")?.as_str()? != RECONNECT_REQUEST_CODE {
            return None;
        }
        let s = |k| info.get(k).and_then(Value::as_amf_string).cloned();
        Some(ReconnectRequest {
            tc_url: s("tcUrl"),
            description: s("description"),
        })
    }
}
