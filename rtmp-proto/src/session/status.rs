//! Session-specific replies built on [`Command`]'s status helpers (RTMP-NOTES 14-19).

use super::reply::{LEVEL_ERROR, LEVEL_STATUS};
use super::request::Rejection;
use crate::amf::Value;
use crate::message::Command;

/// `onStatus` level status.
pub(crate) fn on_status(code: &str, description: &str) -> Command {
    Command::on_status(LEVEL_STATUS, code, description)
}

/// `_error` answering a call, with the given code.
pub(crate) fn call_error(txn: f64, code: &str, description: &str) -> Command {
    Command::error(
        txn,
        Value::Null,
        Command::status_info(LEVEL_ERROR, code, description),
    )
}

/// `NetStream.Seek.Notify`; a live stream answers at the live point.
pub(crate) fn seek_notify(position: f64) -> Command {
    on_status("NetStream.Seek.Notify", &format!("Seeking {position}."))
}

/// The connect `_error`: Rejected, or a redirect with `ex: {code 302, redirect}`.
pub(crate) fn connect_rejected(txn: f64, why: Rejection, redirect: Option<&str>) -> Command {
    let mut cmd = match redirect {
        Some(url) => Command::connect_redirect(txn, url, &why.description),
        None => Command::connect_rejected(txn, &why.description),
    };
    if let (Some(code), Some(Value::Object(info))) = (why.code, cmd.arguments.first_mut()) {
        info.insert("code", code);
    }
    cmd
}
