//! The write direction: a value in the form the reader turns back into the
//! very same value.
//!
//! A property is written implicitly (`[1, 2, 3]`, `"Neon"`) when its value has
//! the type the reflection database declares and the implicit form is exact;
//! otherwise explicitly (`{Color3uint8: [163, 162, 165]}`). Explicit forms are
//! made by serializing the `Variant` itself, so they are the shapes the
//! reader's serde path expects.

use rbx_dom_weak::types::{CFrame, ContentType, Variant, VariantType};
use rbx_reflection::DataType;

use crate::json::{to_value, JsonValue, Number};
use crate::reflection;

/// The value of property `property` of an instance of `class_name`.
pub fn property_to_json(class_name: &str, property: &str, value: &Variant) -> JsonValue {
    reflection::property_type(class_name, property)
        .and_then(|declared| implicit_form(declared, value))
        .unwrap_or_else(|| explicit_form(value))
}

/// An attribute value: strings, Float64 numbers and booleans as they are,
/// everything else explicit.
pub fn attribute_to_json(value: &Variant) -> JsonValue {
    match value {
        Variant::String(s) => JsonValue::String(s.clone()),
        Variant::BinaryString(b) => match std::str::from_utf8(b.as_ref()) {
            // Files store string attributes as bytes; text reads back as a
            // String, which is stored the same way.
            Ok(text) => JsonValue::String(text.to_owned()),
            Err(_) => explicit_form(value),
        },
        Variant::Float64(f) => JsonValue::Number(Number::F64(*f)),
        Variant::Bool(b) => JsonValue::Bool(*b),
        other => explicit_form(other),
    }
}

/// `{Type: payload}`.
pub fn explicit_form(value: &Variant) -> JsonValue {
    // Serializing a Variant into a JsonValue cannot fail: every type has a
    // serde shape made of maps with string keys, sequences and scalars.
    to_value(value).unwrap_or_else(|err| JsonValue::String(format!("<unwritable value: {err}>")))
}

fn implicit_form(declared: &DataType, value: &Variant) -> Option<JsonValue> {
    let declared_ty = match declared {
        DataType::Enum(enum_name) => {
            return match value {
                Variant::Enum(item) => reflection::enum_item_name(enum_name, item.to_u32())
                    .map(|name| JsonValue::String(name.to_owned())),
                _ => None,
            };
        }
        DataType::Value(ty) => *ty,
        other => other.ty(),
    };
    if value.ty() != declared_ty {
        return None;
    }
    Some(match value {
        Variant::Bool(b) => JsonValue::Bool(*b),
        Variant::Float32(f) => JsonValue::Number(Number::F32(*f)),
        Variant::Float64(f) => JsonValue::Number(Number::F64(*f)),
        Variant::Int32(i) => int(*i as i64),
        Variant::Int64(i) => int(*i),
        Variant::String(s) => JsonValue::String(s.clone()),
        Variant::ContentId(c) => JsonValue::String(c.as_str().to_owned()),
        Variant::Content(c) => match c.value() {
            ContentType::None => JsonValue::String(String::new()),
            ContentType::Uri(uri) if !uri.is_empty() => JsonValue::String(uri.clone()),
            _ => return None,
        },
        Variant::BinaryString(b) => {
            JsonValue::String(std::str::from_utf8(b.as_ref()).ok()?.to_owned())
        }
        Variant::Tags(tags) => JsonValue::Array(
            tags.iter()
                .map(|t| JsonValue::String(t.to_owned()))
                .collect(),
        ),
        Variant::BrickColor(color) => int(*color as i64),
        Variant::CFrame(cframe) => cframe_numbers(cframe),
        Variant::OptionalCFrame(Some(cframe)) => cframe_numbers(cframe),
        Variant::OptionalCFrame(None) | Variant::Ref(_) | Variant::Attributes(_) => return None,
        // Everything else: the implicit form is the explicit payload.
        other => match explicit_form(other) {
            JsonValue::Object(mut entries) if entries.len() == 1 => entries.remove(0).1,
            _ => return None,
        },
    })
}

fn int(i: i64) -> JsonValue {
    JsonValue::Number(if i >= 0 {
        Number::U64(i as u64)
    } else {
        Number::I64(i)
    })
}

/// `[x, y, z, R00, R01, R02, R10, R11, R12, R20, R21, R22]`.
fn cframe_numbers(cframe: &CFrame) -> JsonValue {
    let p = cframe.position;
    let o = cframe.orientation;
    let numbers = [
        p.x, p.y, p.z, o.x.x, o.x.y, o.x.z, o.y.x, o.y.y, o.y.z, o.z.x, o.z.y, o.z.z,
    ];
    JsonValue::Array(
        numbers
            .iter()
            .map(|n| JsonValue::Number(Number::F32(*n)))
            .collect(),
    )
}

/// True for types whose values can be written at all (everything but Ref,
/// which files hold as `Rojo_Ref_*` attributes).
pub fn is_writable(ty: VariantType) -> bool {
    ty != VariantType::Ref
}
