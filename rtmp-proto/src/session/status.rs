//! Session-specific replies built on [`Command`]'s status helpers (RTMP-NOTES 14-19).

use super::request::Rejection;
use crate::amf::Value;
use crate::message::Command;
use crate::message::status::{StatusCode, StatusLevel};

/// `onStatus` level status.
pub(crate) fn on_status(code: &StatusCode, description: &str) -> Command {
    Command::on_status(StatusLevel::Status.as_str(), code.as_str(), description)
}

/// `_error` answering a call, with the given code.
pub(crate) fn call_error(txn: f64, code: &StatusCode, description: &str) -> Command {
    Command::error(
        txn,
        Value::Null,
        Command::status_info(StatusLevel::Error.as_str(), code.as_str(), description),
    )
}

/// `NetStream.Seek.Notify`; a live stream answers at the live point.
pub(crate) fn seek_notify(position: f64) -> Command {
    on_status(&StatusCode::SeekNotify, &format!("Seeking {position}."))
}

/// The connect `_error`: Rejected, or a redirect with `ex: {code 302, redirect}`.
pub(crate) fn connect_rejected(txn: f64, why: Rejection, redirect: Option<&str>) -> Command {
    let mut cmd = match redirect {
        Some(url) => Command::connect_redirect(txn, url, &why.description),
        None => Command::connect_rejected(txn, &why.description),
    };
    if let (Some(code), Some(Value::Object(info))) = (why.code, cmd.arguments.first_mut()) {
        info.insert("code", String::from(code.as_str()));
    }
    cmd
}
