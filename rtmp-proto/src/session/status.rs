//! The commands a server answers with: `_result`, `_error` and `onStatus` objects, with the
//! codes and fields real clients look for (RTMP-NOTES 14-19).

use super::server::ConnectReply;
use super::request::Rejection;
use crate::amf::Value;
use crate::message::Command;

fn command(name: &str, transaction_id: f64, command_object: Value, arguments: Vec<Value>) -> Command {
    Command { name: name.into(), transaction_id, command_object, arguments }
}

fn info(level: &str, code: &str, description: &str) -> Value {
    Value::object([
        ("level", Value::from(level)),
        ("code", Value::from(code)),
        ("description", Value::from(description)),
    ])
}

/// `_result(txn, object, args...)`.
pub(crate) fn result(txn: f64, object: Value, args: Vec<Value>) -> Command {
    command("_result", txn, object, args)
}

/// `_error(txn, null, {level: error, code, description})`.
pub(crate) fn call_error(txn: f64, code: &str, description: &str) -> Command {
    command("_error", txn, Value::Null, vec![info("error", code, description)])
}

/// `onStatus(0, null, {level: status, code, description})`.
pub(crate) fn on_status(code: &str, description: &str) -> Command {
    command("onStatus", 0.0, Value::Null, vec![info("status", code, description)])
}

/// `onStatus` with level `error`.
pub(crate) fn on_status_error(code: &str, description: &str) -> Command {
    command("onStatus", 0.0, Value::Null, vec![info("error", code, description)])
}

/// `onFCPublish`, sent after FCPublish (FMLE and OBS wait for it in some versions).
pub(crate) fn fc_publish(name: &str) -> Command {
    command(
        "onFCPublish",
        0.0,
        Value::Null,
        vec![info("status", "NetStream.Publish.Start", name)],
    )
}

/// `onFCUnpublish`.
pub(crate) fn fc_unpublish(name: &str) -> Command {
    command(
        "onFCUnpublish",
        0.0,
        Value::Null,
        vec![info("status", "NetStream.Unpublish.Success", name)],
    )
}

/// `NetStream.Seek.Notify`; a live stream always answers at the live point.
pub(crate) fn seek_notify(position: f64) -> Command {
    on_status("NetStream.Seek.Notify", &format!("Seeking {position}."))
}

/// `NetStream.Play.Start`.
pub(crate) fn play_start(description: &str) -> Command {
    on_status("NetStream.Play.Start", if description.is_empty() { "Started playing." } else { description })
}

/// The connect `_result`: {fmsVer, capabilities 31, mode 1} and
/// {level status, code NetConnection.Connect.Success, description, objectEncoding}.
pub(crate) fn connect_result(txn: f64, fms_version: &str, object_encoding: f64, reply: ConnectReply) -> Command {
    let mut properties = vec![
        ("fmsVer".into(), Value::from(fms_version)),
        ("capabilities".into(), Value::Number(31.0)),
        ("mode".into(), Value::Number(1.0)),
    ];
    properties.extend(reply.properties.into_iter().map(|(k, v)| (k.into(), v)));
    let mut information = vec![
        ("level".into(), Value::from("status")),
        ("code".into(), Value::from("NetConnection.Connect.Success")),
        ("description".into(), Value::from("Connection succeeded.")),
        ("objectEncoding".into(), Value::Number(object_encoding)),
    ];
    information.extend(reply.information.into_iter().map(|(k, v)| (k.into(), v)));
    command(
        "_result",
        txn,
        Value::object(properties),
        vec![Value::object(information)],
    )
}

/// The connect `_error`: NetConnection.Connect.Rejected, with `ex: {code 302, redirect}` when
/// redirecting (the form librtmp, ffmpeg and Wowza clients read).
pub(crate) fn connect_rejected(txn: f64, why: Rejection, redirect: Option<&str>) -> Command {
    let code = why.code.unwrap_or_else(|| "NetConnection.Connect.Rejected".to_owned());
    let mut information = vec![
        ("level".into(), Value::from("error")),
        ("code".into(), Value::from(code.as_str())),
        ("description".into(), Value::from(why.description.as_str())),
    ];
    if let Some(url) = redirect {
        information.push((
            "ex".into(),
            Value::object([("code", Value::Number(302.0)), ("redirect", Value::from(url))]),
        ));
    }
    command("_error", txn, Value::Null, vec![Value::object(information)])
}
