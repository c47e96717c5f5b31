//! How large a message the peer may announce, by the connection's phase and the
//! message's type: the decoder checks it on the chunk header that starts a message, before
//! any byte of the payload is held.
//!
//! A server does not know its peer before an accepted `connect`, so until then every
//! message is held to [`Limits::max_pre_connect_len`]; after it, commands and data to
//! [`Limits::max_command_len`]; only audio, video and aggregate messages on a message
//! stream whose publish was accepted may reach [`Limits::max_message_len`]. A client (and
//! a bare decoder) holds every message to `max_message_len`.

use crate::config::Limits;
use crate::message::MessageType;

/// Which of the [`Limits`] a message was held to; named in
/// [`ChunkError::MessageTooLong`](super::ChunkError::MessageTooLong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageBound {
    /// [`Limits::max_message_len`], for every message (a client, a bare decoder).
    Message,
    /// [`Limits::max_pre_connect_len`]: before an accepted `connect`.
    PreConnect,
    /// [`Limits::max_command_len`]: commands, data and media not on a publishing stream.
    Command,
    /// [`Limits::max_message_len`]: audio, video or aggregate on a publishing stream.
    Media,
}

impl std::fmt::Display for MessageBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MessageBound::Message => "message",
            MessageBound::PreConnect => "pre-connect",
            MessageBound::Command => "command",
            MessageBound::Media => "media",
        })
    }
}

/// The phase a server connection is in, as far as message sizes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessagePhase {
    /// Every message up to [`Limits::max_message_len`] (the default: clients).
    Uniform,
    /// Before an accepted `connect`.
    PreConnect,
    /// After it.
    Connected,
}

/// The bounds in force; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Bounds {
    phase: MessagePhase,
    message: u32,
    pre_connect: u32,
    command: u32,
    /// Message streams whose publish was accepted (a handful at most).
    media_streams: Vec<u32>,
}

impl Bounds {
    pub(crate) fn new(limits: &Limits) -> Self {
        let message = limits.message_len_limit();
        Bounds {
            phase: MessagePhase::Uniform,
            message,
            pre_connect: limits.max_pre_connect_len.min(message),
            command: limits.max_command_len.min(message),
            media_streams: Vec::new(),
        }
    }

    pub(crate) fn set_phase(&mut self, phase: MessagePhase) {
        self.phase = phase;
    }

    pub(crate) fn allow_media(&mut self, stream_id: u32) {
        if !self.media_streams.contains(&stream_id) {
            self.media_streams.push(stream_id);
        }
    }

    pub(crate) fn forbid_media(&mut self, stream_id: u32) {
        self.media_streams.retain(|s| *s != stream_id);
    }

    /// The most bytes all partially received messages together may hold now: before an
    /// accepted `connect`, the pre-connect bound (a stranger cannot spread it over many
    /// chunk streams); after it, `max_partial_bytes`.
    pub(crate) fn partial_limit(&self, max_partial_bytes: usize) -> usize {
        match self.phase {
            MessagePhase::PreConnect => (self.pre_connect as usize).min(max_partial_bytes),
            _ => max_partial_bytes,
        }
    }

    /// The largest length a message of `type_id` on `stream_id` may announce now.
    pub(crate) fn limit(&self, type_id: u8, stream_id: u32) -> (u32, MessageBound) {
        match self.phase {
            MessagePhase::Uniform => (self.message, MessageBound::Message),
            MessagePhase::PreConnect => (self.pre_connect, MessageBound::PreConnect),
            MessagePhase::Connected => {
                let media = matches!(
                    MessageType::from_id(type_id),
                    Some(MessageType::Audio | MessageType::Video | MessageType::Aggregate)
                );
                if media && self.media_streams.contains(&stream_id) {
                    (self.message, MessageBound::Media)
                } else {
                    (self.command, MessageBound::Command)
                }
            }
        }
    }
}
