//! Implicit values: the JSON shape is read according to the property's type.

use rbx_dom_weak::types::{
    BinaryString, BrickColor, CFrame, Content, ContentId, Enum, Matrix3, Tags, Variant,
    VariantType, Vector3,
};
use rbx_reflection::DataType;

use super::{describe_type, parse_tagged, resolve_attributes};
use crate::json::{JsonValue, Number};
use crate::reflection;

pub(super) fn resolve(
    data_type: &DataType,
    property: &str,
    value: &JsonValue,
) -> Result<Variant, String> {
    let ty = match data_type {
        DataType::Enum(enum_name) => return resolve_enum(enum_name, value),
        DataType::Value(ty) => *ty,
        other => other.ty(),
    };
    let mismatch = || {
        format!(
            "expected {} for a {} property, found {}",
            shape_of(ty),
            describe_type(data_type),
            value.kind()
        )
    };

    match (ty, value) {
        (VariantType::Bool, JsonValue::Bool(b)) => Ok(Variant::Bool(*b)),
        (VariantType::Float32, JsonValue::Number(n)) => Ok(Variant::Float32(n.as_f64() as f32)),
        (VariantType::Float64, JsonValue::Number(n)) => Ok(Variant::Float64(n.as_f64())),
        (VariantType::Int32, JsonValue::Number(n)) => n
            .as_i64()
            .and_then(|i| i32::try_from(i).ok())
            .map(Variant::Int32)
            .ok_or_else(|| format!("expected a whole number that fits in Int32, found {}", show(*n))),
        (VariantType::Int64, JsonValue::Number(n)) => n
            .as_i64()
            .map(Variant::Int64)
            .ok_or_else(|| format!("expected a whole number that fits in Int64, found {}", show(*n))),
        (VariantType::String, JsonValue::String(s)) => Ok(Variant::String(s.clone())),
        (VariantType::ContentId, JsonValue::String(s)) => Ok(Variant::ContentId(ContentId::from(s.as_str()))),
        (VariantType::Content, JsonValue::String(s)) => Ok(Variant::Content(if s.is_empty() {
            Content::none()
        } else {
            Content::from_uri(s.as_str())
        })),
        (VariantType::BinaryString, JsonValue::String(s)) => {
            Ok(Variant::BinaryString(BinaryString::from(s.as_bytes())))
        }
        (VariantType::Tags, JsonValue::Array(items)) => {
            let mut tags = Tags::default();
            for item in items {
                match item {
                    JsonValue::String(tag) => tags.push(tag),
                    other => return Err(format!("tags must be strings, found {}", other.kind())),
                }
            }
            Ok(Variant::Tags(tags))
        }
        (VariantType::Attributes, JsonValue::Object(entries)) => {
            resolve_attributes(entries.iter().map(|(k, v)| (k, v)))
                .map(Variant::Attributes)
                .map_err(|(name, msg)| format!("attribute `{name}`: {msg}"))
        }
        (VariantType::BrickColor, JsonValue::Number(n)) => n
            .as_u64()
            .and_then(|v| u16::try_from(v).ok())
            .and_then(BrickColor::from_number)
            .map(Variant::BrickColor)
            .ok_or_else(|| format!("{} is not a BrickColor number", show(*n))),
        (VariantType::BrickColor, JsonValue::String(name)) => BrickColor::from_name(name)
            .map(Variant::BrickColor)
            .ok_or_else(|| format!("`{name}` is not a BrickColor name")),
        (VariantType::CFrame | VariantType::OptionalCFrame, JsonValue::Array(items)) if items.len() == 12 => {
            let cframe = cframe_from_numbers(items).ok_or_else(mismatch)?;
            Ok(if ty == VariantType::CFrame {
                Variant::CFrame(cframe)
            } else {
                Variant::OptionalCFrame(Some(cframe))
            })
        }
        (VariantType::Ref, JsonValue::String(_)) => Err(format!(
            "Ref properties cannot be set from a string; add an attribute `Rojo_Ref_{property}` holding the target's path instead"
        )),
        (VariantType::Ref, _) => Err(format!(
            "Ref properties are set with an attribute `Rojo_Ref_{property}` holding the target's path"
        )),
        // Scalars of the wrong kind: say what was expected.
        (
            VariantType::Bool
            | VariantType::Float32
            | VariantType::Float64
            | VariantType::Int32
            | VariantType::Int64
            | VariantType::String
            | VariantType::ContentId
            | VariantType::Content
            | VariantType::BinaryString
            | VariantType::Tags
            | VariantType::Attributes
            | VariantType::BrickColor,
            _,
        ) => Err(mismatch()),
        // Every other type: the implicit form is the payload of the explicit one.
        _ => {
            let tagged = JsonValue::Object(vec![(format!("{ty:?}"), value.clone())]);
            match parse_tagged(ty, tagged) {
                Ok(variant) if variant.ty() == ty => Ok(variant),
                Ok(_) => Err(mismatch()),
                // The type's own message only helps when the shape was close.
                Err(detail) if matches!(value, JsonValue::Array(_) | JsonValue::Object(_)) => {
                    Err(format!("{} ({detail})", mismatch()))
                }
                Err(_) => Err(mismatch()),
            }
        }
    }
}

fn resolve_enum(enum_name: &str, value: &JsonValue) -> Result<Variant, String> {
    match value {
        JsonValue::String(item) => match reflection::enum_item(enum_name, item) {
            Some(v) => Ok(Variant::Enum(Enum::from_u32(v))),
            None => {
                let names = reflection::enum_item_names(enum_name);
                let shown: Vec<&str> = names.iter().take(12).copied().collect();
                let more = if names.len() > shown.len() { ", ..." } else { "" };
                Err(format!(
                    "`{item}` is not an item of Enum.{enum_name} (items: {}{more})",
                    shown.join(", ")
                ))
            }
        },
        JsonValue::Number(n) => Err(format!(
            "Enum.{enum_name} values are written by item name; to use the number {} write {{Enum: {}}}",
            show(*n),
            show(*n)
        )),
        other => Err(format!(
            "expected the name of an Enum.{enum_name} item, found {}",
            other.kind()
        )),
    }
}

/// `[x, y, z, R00, R01, R02, R10, R11, R12, R20, R21, R22]`.
fn cframe_from_numbers(items: &[JsonValue]) -> Option<CFrame> {
    let mut n = [0.0f32; 12];
    for (slot, item) in n.iter_mut().zip(items) {
        *slot = item.as_number()?.as_f64() as f32;
    }
    Some(CFrame::new(
        Vector3::new(n[0], n[1], n[2]),
        Matrix3::new(
            Vector3::new(n[3], n[4], n[5]),
            Vector3::new(n[6], n[7], n[8]),
            Vector3::new(n[9], n[10], n[11]),
        ),
    ))
}

fn show(n: Number) -> String {
    match n {
        Number::U64(v) => v.to_string(),
        Number::I64(v) => v.to_string(),
        Number::F64(v) => v.to_string(),
        Number::F32(v) => v.to_string(),
    }
}

/// How a value of `ty` is written implicitly, for error messages.
fn shape_of(ty: VariantType) -> &'static str {
    use VariantType as T;
    match ty {
        T::Bool => "true or false",
        T::Float32 | T::Float64 => "a number",
        T::Int32 | T::Int64 => "a whole number",
        T::String | T::ContentId | T::Content | T::BinaryString => "a string",
        T::Tags => "an array of strings",
        T::Attributes => "an object of attributes",
        T::BrickColor => "a BrickColor number or name",
        T::Vector2 => "[x, y]",
        T::Vector3 => "[x, y, z]",
        T::Vector2int16 => "[x, y] (whole numbers)",
        T::Vector3int16 => "[x, y, z] (whole numbers)",
        T::Color3 => "[r, g, b] (0 to 1)",
        T::Color3uint8 => "[r, g, b] (0 to 255)",
        T::CFrame | T::OptionalCFrame => "12 numbers [x, y, z, R00, R01, R02, R10, R11, R12, R20, R21, R22]",
        T::UDim => "[scale, offset]",
        T::UDim2 => "[[xScale, xOffset], [yScale, yOffset]]",
        T::NumberRange => "[min, max]",
        T::Rect => "[[minX, minY], [maxX, maxY]]",
        T::Region3 => "[[minX, minY, minZ], [maxX, maxY, maxZ]]",
        T::Font => "{family, weight, style}",
        T::NumberSequence => "{keypoints: [{time, value, envelope}, ...]}",
        T::ColorSequence => "{keypoints: [{time, color}, ...]}",
        T::PhysicalProperties => "\"Default\" or {Custom: {density, friction, elasticity, frictionWeight, elasticityWeight}}",
        T::MaterialColors => "{Grass: [r, g, b], ...}",
        _ => "a value of that type",
    }
}
