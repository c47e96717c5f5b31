//! [`amf_object!`](crate::amf_object): build a command object in one expression.

/// Builds an anonymous AMF object [`Value`](crate::amf::Value); keys are string literals (or
/// anything `Into<AmfString>`), values anything `Into<Value>`, in order.
///
/// ```
/// let obj = rtmp_proto::amf_object! {
///     "app" => "live",
///     "type" => "nonprivate",
///     "capabilities" => 15.0,
/// };
/// assert_eq!(obj.get("type").and_then(|v| v.as_str()), Some("nonprivate"));
/// ```
#[macro_export]
macro_rules! amf_object {
    ($($key:expr => $value:expr),* $(,)?) => {
        $crate::amf::Value::Object(::std::boxed::Box::new($crate::amf::Object::with_properties(
            ::std::vec![$(
                (
                    $crate::amf::AmfString::from($key),
                    $crate::amf::Value::from($value),
                )
            ),*],
        )))
    };
}
