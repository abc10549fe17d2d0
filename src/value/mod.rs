//! Property and attribute values as written in project, model and meta files.
//!
//! A value is either **explicit**, `{Vector3: [1, 2, 3]}`, whose shape is the
//! serde form of `rbx_types::Variant` and which needs no outside knowledge; or
//! **implicit**, `[1, 2, 3]`, which only means something once the reflection
//! database says what type the property has. Attributes have no declared type,
//! so only strings, numbers and booleans may be implicit there.
//!
//! The functions here return plain messages; callers add the file and field.

mod implicit;
mod write;

pub use write::{attribute_to_json, explicit_form, is_writable, property_to_json};

use rbx_dom_weak::types::{Attributes, Variant, VariantType};
use rbx_reflection::DataType;

use crate::json::{from_value, JsonValue};
use crate::reflection;

/// Resolves the value of property `property` on an instance of `class_name`.
pub fn resolve_property(
    class_name: &str,
    property: &str,
    value: &JsonValue,
) -> Result<Variant, String> {
    let declared = reflection::property_type(class_name, property);

    if let Some(explicit) = explicit_value(value) {
        let variant = explicit?;
        if let Some(declared) = declared {
            check_explicit_type(declared, &variant)?;
        }
        return Ok(variant);
    }

    match declared {
        Some(data_type) => implicit::resolve(data_type, property, value),
        None if reflection::class(class_name).is_none() => Err(format!(
            "`{class_name}` is not a class Atlas knows, so the value of `{property}` needs an explicit type, e.g. {{String: \"...\"}}"
        )),
        None => Err(format!(
            "`{class_name}` has no property `{property}`; if it is new, give the value an explicit type, e.g. {{Float32: 1}}"
        )),
    }
}

/// The types Roblox can store in an attribute.
pub const ATTRIBUTE_TYPES: &[VariantType] = &[
    VariantType::String,
    VariantType::BinaryString,
    VariantType::Bool,
    VariantType::Float64,
    VariantType::Float32,
    VariantType::Int32,
    VariantType::UDim,
    VariantType::UDim2,
    VariantType::BrickColor,
    VariantType::Color3,
    VariantType::Vector2,
    VariantType::Vector3,
    VariantType::CFrame,
    VariantType::NumberSequence,
    VariantType::ColorSequence,
    VariantType::NumberRange,
    VariantType::Rect,
    VariantType::Font,
    VariantType::EnumItem,
];

/// Resolves one attribute value: a plain string, number (`Float64`) or
/// boolean, or an explicit `{Type: value}`.
pub fn resolve_attribute(value: &JsonValue) -> Result<Variant, String> {
    if let Some(explicit) = explicit_value(value) {
        let variant = explicit?;
        if !ATTRIBUTE_TYPES.contains(&variant.ty()) {
            let allowed: Vec<String> = ATTRIBUTE_TYPES.iter().map(|t| format!("{t:?}")).collect();
            return Err(format!(
                "attributes cannot hold {:?} values; Roblox attributes may be {}",
                variant.ty(),
                allowed.join(", ")
            ));
        }
        return Ok(variant);
    }
    match value {
        JsonValue::String(s) => Ok(Variant::String(s.clone())),
        JsonValue::Number(n) => Ok(Variant::Float64(n.as_f64())),
        JsonValue::Bool(b) => Ok(Variant::Bool(*b)),
        other => Err(format!(
            "found {}; attribute values other than strings, numbers and booleans need an explicit type, e.g. {{Vector3: [1, 2, 3]}}",
            other.kind()
        )),
    }
}

/// Resolves a whole attribute map. On failure, returns the attribute's name
/// and the message.
pub fn resolve_attributes<'a>(
    entries: impl IntoIterator<Item = (&'a String, &'a JsonValue)>,
) -> Result<Attributes, (String, String)> {
    let mut attributes = Attributes::new();
    for (name, value) in entries {
        let variant = resolve_attribute(value).map_err(|msg| (name.clone(), msg))?;
        attributes.insert(name.clone(), variant);
    }
    Ok(attributes)
}

/// If `value` is written as `{TypeName: payload}` with a known type name,
/// parses it. Returns `None` for anything else.
pub fn explicit_value(value: &JsonValue) -> Option<Result<Variant, String>> {
    let entries = value.as_object()?;
    let [(tag, _)] = entries else {
        return None;
    };
    let ty: VariantType = from_value(JsonValue::String(tag.clone())).ok()?;
    Some(parse_tagged(ty, value.clone()))
}

/// Parses `{TypeName: payload}` through the serde shapes of `rbx_types`.
pub(crate) fn parse_tagged(ty: VariantType, tagged: JsonValue) -> Result<Variant, String> {
    if ty == VariantType::Ref {
        return Err(
            "Ref values cannot be written directly; use a `Rojo_Ref_<Property>` attribute holding the target's path"
                .to_owned(),
        );
    }
    from_value::<Variant>(tagged).map_err(|err| format!("invalid {ty:?} value: {err}"))
}

/// Explicit values keep the type they were written with (so a `Color3uint8`
/// read from a place survives), but a type from a different family than the
/// property's is a mistake worth stopping for.
fn check_explicit_type(declared: &DataType, variant: &Variant) -> Result<(), String> {
    let declared_ty = declared.ty();
    let actual = variant.ty();
    if declared_ty == actual || family(declared_ty).is_some_and(|f| family(actual) == Some(f)) {
        return Ok(());
    }
    Err(format!(
        "the property has type {}, but the value is written as {actual:?}",
        describe_type(declared)
    ))
}

/// Groups of types that stand for the same kind of value in different files.
fn family(ty: VariantType) -> Option<u8> {
    use VariantType as T;
    Some(match ty {
        T::Float32 | T::Float64 | T::Int32 | T::Int64 => 0,
        T::Color3 | T::Color3uint8 | T::BrickColor => 1,
        T::String | T::Content | T::ContentId | T::BinaryString | T::SharedString => 2,
        T::Enum | T::EnumItem => 3,
        T::CFrame | T::OptionalCFrame => 4,
        _ => return None,
    })
}

pub(crate) fn describe_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Enum(name) => format!("Enum.{name}"),
        DataType::Value(ty) => format!("{ty:?}"),
        _ => format!("{:?}", data_type.ty()),
    }
}

#[cfg(test)]
mod tests;
