//! The session's view of messages: turning inbound [`RawMessage`]s into what a session acts
//! on, and building the outbound ones. Typed codecs live in [`crate::message`]; this file only
//! picks and combines them.

use bytes::{BufMut, Bytes, BytesMut};

use super::event::{ConnectRequest, Media, MediaKind, Metadata};
use crate::amf::{self, Value};
use crate::config::Limits;
use crate::error::ProtocolError;
use crate::media::caps::EnhancedCaps;
use crate::message::status::StatusCode;
use crate::message::{
    AggregateMessages, Command, ControlMessage, DataMessage, Encoding, LimitType, MessageType,
    RawMessage, UserControlEvent,
    data::{SET_DATA_FRAME, set_data_frame_inner},
};

/// What a session does with an inbound non-control message.
#[derive(Debug)]
pub(crate) enum Inbound {
    /// A command and the message type it came in (20 or 17).
    Command(Command, Encoding),
    Media(Media),
    Metadata(Metadata),
    Data {
        payload: Bytes,
        timestamp: u32,
    },
    Aggregate(Vec<RawMessage>),
    /// Shared objects and unknown types: accepted and ignored.
    Ignored,
}

/// Protocol control and user control as the sessions care about them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Control {
    WindowAckSize(u32),
    PeerBandwidth(u32),
    PingRequest(u32),
    StreamBegin(u32),
    StreamEof(u32),
    BufferLength { stream: u32, millis: u32 },
    Other,
}

/// Types 1-6: handled at once, never held behind a pending decision.
pub(crate) fn is_protocol_control(m: &RawMessage) -> bool {
    (1..=6).contains(&m.type_id)
}

pub(crate) fn decode_control(m: &RawMessage) -> Result<Control, ProtocolError> {
    if m.type_id == MessageType::UserControl.id() {
        return Ok(match UserControlEvent::decode(&m.payload)? {
            UserControlEvent::PingRequest { timestamp } => Control::PingRequest(timestamp),
            UserControlEvent::StreamBegin { stream_id } => Control::StreamBegin(stream_id),
            UserControlEvent::StreamEof { stream_id } => Control::StreamEof(stream_id),
            UserControlEvent::SetBufferLength {
                stream_id,
                buffer_ms,
            } => Control::BufferLength {
                stream: stream_id,
                millis: buffer_ms,
            },
            _ => Control::Other,
        });
    }
    Ok(match ControlMessage::decode(m.type_id, &m.payload)? {
        ControlMessage::WindowAckSize(n) => Control::WindowAckSize(n),
        ControlMessage::SetPeerBandwidth { window_size, .. } => Control::PeerBandwidth(window_size),
        _ => Control::Other,
    })
}

pub(crate) fn decode_inbound(m: RawMessage, limits: &Limits) -> Result<Inbound, ProtocolError> {
    let kind = match MessageType::from_id(m.type_id) {
        Some(MessageType::Audio) => MediaKind::Audio,
        Some(MessageType::Video) => MediaKind::Video,
        Some(MessageType::CommandAmf0) => {
            let cmd = Command::decode(&m.payload, Encoding::Amf0, &limits.into())?;
            return Ok(Inbound::Command(cmd, Encoding::Amf0));
        }
        Some(MessageType::CommandAmf3) => {
            let cmd = Command::decode(&m.payload, Encoding::Amf3, &limits.into())?;
            return Ok(Inbound::Command(cmd, Encoding::Amf3));
        }
        Some(MessageType::DataAmf0 | MessageType::DataAmf3) => return decode_data(m, limits),
        Some(MessageType::Aggregate) => {
            let parts = AggregateMessages::new(&m).collect::<Result<Vec<_>, _>>()?;
            return Ok(Inbound::Aggregate(parts));
        }
        _ => return Ok(Inbound::Ignored),
    };
    Ok(Inbound::Media(Media {
        kind,
        timestamp: m.timestamp,
        payload: m.payload,
    }))
}

fn decode_data(m: RawMessage, limits: &Limits) -> Result<Inbound, ProtocolError> {
    let encoding = if m.type_id == MessageType::DataAmf3.id() {
        Encoding::Amf3
    } else {
        Encoding::Amf0
    };
    let data = DataMessage::decode(&m.payload, encoding, &limits.into())?;
    if !data.is_metadata() {
        return Ok(Inbound::Data {
            payload: m.payload,
            timestamp: m.timestamp,
        });
    }
    let values = data.metadata().cloned().unwrap_or(Value::Null);
    // What players get: `onMetaData, {...}` byte for byte as the publisher wrote it when
    // possible (a zero-copy slice), re-encoded only for an AMF3-switched wrapper.
    let payload = if data.is_set_data_frame() {
        match set_data_frame_inner(&m) {
            Some(inner) => inner,
            None => {
                let mut out = BytesMut::new();
                data.unwrap_set_data_frame()
                    .encode(Encoding::Amf0, &mut out);
                out.freeze()
            }
        }
    } else {
        encoding.body(&m.payload)
    };
    Ok(Inbound::Metadata(Metadata {
        values,
        payload,
        timestamp: m.timestamp,
    }))
}

/// A command message on `stream_id`: type 20, or type 17 for a peer that spoke AMF3.
pub(crate) fn encode_command(cmd: &Command, encoding: Encoding, stream_id: u32) -> RawMessage {
    cmd.to_raw(encoding, 0, stream_id)
}

/// `@setDataFrame` followed by an `"onMetaData", {...}` payload, as a publisher sends it.
pub(crate) fn set_data_frame(on_metadata: &Bytes) -> Bytes {
    let name = SET_DATA_FRAME.as_bytes();
    let mut out = BytesMut::with_capacity(3 + name.len() + on_metadata.len());
    out.put_u8(amf::amf0::marker::STRING);
    out.put_u16(name.len() as u16);
    out.put_slice(name);
    out.put_slice(on_metadata);
    out.freeze()
}

/// `|RtmpSampleAccess(true, true)`: lets Flash players read the decoded frames.
pub(crate) fn sample_access(stream_id: u32) -> RawMessage {
    DataMessage::sample_access(true, true).to_raw(Encoding::Amf0, 0, stream_id)
}

/// The connect command object as the application sees it.
pub(crate) fn connect_request(object: Value, arguments: Vec<Value>) -> ConnectRequest {
    let text = |k: &str| object.get(k).and_then(Value::as_str).map(str::to_owned);
    let (app, app_query) = split_query(object.get("app").and_then(Value::as_str).unwrap_or(""));
    let tc_url = text("tcUrl");
    let query = app_query.or_else(|| tc_url.as_deref().and_then(|u| split_query(u).1));
    ConnectRequest {
        app,
        query,
        tc_url,
        flash_ver: text("flashVer"),
        swf_url: text("swfUrl"),
        page_url: text("pageUrl"),
        object_encoding: object
            .get("objectEncoding")
            .and_then(Value::as_f64)
            .unwrap_or(0.0),
        enhanced: EnhancedCaps::from_object(&object),
        command_object: object,
        arguments,
    }
}

/// `"name?a=b"` → (`"name"`, `Some("a=b")`).
pub(crate) fn split_query(s: &str) -> (String, Option<String>) {
    match s.split_once('?') {
        Some((name, q)) => (name.to_owned(), Some(q.to_owned())),
        None => (s.to_owned(), None),
    }
}

/// `code` and `description` of an information object (empty when absent).
pub(crate) fn code_and_description(info: &Value) -> (StatusCode, String) {
    let field = |k: &str| info.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    (field("code").into(), field("description"))
}

fn control(m: ControlMessage) -> RawMessage {
    m.to_raw(0)
}

fn user(e: UserControlEvent) -> RawMessage {
    e.to_raw(0)
}

pub(crate) fn window_ack_size(size: u32) -> RawMessage {
    control(ControlMessage::WindowAckSize(size))
}
pub(crate) fn set_peer_bandwidth(size: u32) -> RawMessage {
    control(ControlMessage::SetPeerBandwidth {
        window_size: size,
        limit_type: LimitType::Dynamic,
    })
}
pub(crate) fn set_chunk_size(size: u32) -> RawMessage {
    control(ControlMessage::SetChunkSize(size))
}
pub(crate) fn ping_request(timestamp: u32) -> RawMessage {
    user(UserControlEvent::PingRequest { timestamp })
}
pub(crate) fn ping_response(timestamp: u32) -> RawMessage {
    user(UserControlEvent::PingResponse { timestamp })
}
pub(crate) fn stream_begin(stream_id: u32) -> RawMessage {
    user(UserControlEvent::StreamBegin { stream_id })
}
pub(crate) fn stream_eof(stream_id: u32) -> RawMessage {
    user(UserControlEvent::StreamEof { stream_id })
}
pub(crate) fn set_buffer_length(stream_id: u32, buffer_ms: u32) -> RawMessage {
    user(UserControlEvent::SetBufferLength {
        stream_id,
        buffer_ms,
    })
}
