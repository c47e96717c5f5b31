//! Readable one-line rendering of values for logs: `{app: "live", capabilities: 15}`.

use std::fmt::{self, Display, Formatter, Write};

use super::{AmfString, Value};

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{n}"),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::String(s) => write!(f, "{:?}", s.as_str()),
            Value::Null => f.write_str("null"),
            Value::Undefined => f.write_str("undefined"),
            Value::Unsupported => f.write_str("unsupported"),
            Value::Object(o) => {
                if let Some(class) = &o.class_name {
                    write!(f, "{class} ")?;
                }
                properties(f, &o.properties)
            }
            Value::EcmaArray(p) => properties(f, p),
            Value::StrictArray(items) => list(f, "", items),
            Value::Array(a) => {
                f.write_char('[')?;
                join(f, &a.dense, |f, v| write!(f, "{v}"))?;
                if !a.dense.is_empty() && !a.assoc.is_empty() {
                    f.write_str(", ")?;
                }
                join(f, &a.assoc, |f, (k, v)| write!(f, "{k}: {v}"))?;
                f.write_char(']')
            }
            Value::Date { millis, timezone } => write!(f, "Date({millis}, tz {timezone})"),
            Value::XmlDocument(s) | Value::Xml(s) => write!(f, "xml{:?}", s.as_str()),
            Value::Amf3(inner) => inner.fmt(f),
            Value::ByteArray(b) => write!(f, "ByteArray({} bytes)", b.len()),
            Value::VectorInt(v) => list(f, "Vector<int>", &v.items),
            Value::VectorUint(v) => list(f, "Vector<uint>", &v.items),
            Value::VectorDouble(v) => list(f, "Vector<Number>", &v.items),
            Value::VectorObject(v) => list(f, &format!("Vector<{}>", v.type_name), &v.items),
            Value::Dictionary(d) => {
                f.write_str("Dictionary{")?;
                join(f, &d.entries, |f, (k, v)| write!(f, "{k} => {v}"))?;
                f.write_char('}')
            }
        }
    }
}

fn properties(f: &mut Formatter<'_>, props: &[(AmfString, Value)]) -> fmt::Result {
    f.write_char('{')?;
    join(f, props, |f, (k, v)| write!(f, "{k}: {v}"))?;
    f.write_char('}')
}

fn list<T: Display>(f: &mut Formatter<'_>, prefix: &str, items: &[T]) -> fmt::Result {
    write!(f, "{prefix}[")?;
    join(f, items, |f, v| write!(f, "{v}"))?;
    f.write_char(']')
}

fn join<T>(
    f: &mut Formatter<'_>,
    items: &[T],
    mut each: impl FnMut(&mut Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf::{Array, Vector};

    #[test]
    fn renders_command_objects_readably() {
        let v = Value::object([("app", Value::from("live")), ("capabilities", 15.0.into())]);
        assert_eq!(v.to_string(), r#"{app: "live", capabilities: 15}"#);
        let typed = Value::typed_object("Point", [("x", 1.5)]);
        assert_eq!(typed.to_string(), "Point {x: 1.5}");
        let arr = Value::strict_array([Value::Null, Value::Undefined, true.into()]);
        assert_eq!(arr.to_string(), "[null, undefined, true]");
        let a3 = Value::Array(Box::new(Array {
            dense: vec![Value::Integer(1)],
            assoc: vec![("k".into(), "v".into())],
        }));
        assert_eq!(Value::Amf3(Box::new(a3)).to_string(), r#"[1, k: "v"]"#);
        assert_eq!(
            Value::VectorInt(Vector::new(vec![1, -2])).to_string(),
            "Vector<int>[1, -2]"
        );
    }
}
