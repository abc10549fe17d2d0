//! Which properties of an instance are written, and how.
//!
//! Everything a place file holds is written, so building the files gives the
//! same instance back, except:
//! - values exactly equal (bit for bit) to the class default: an absent
//!   property reads back as that default;
//! - Ref properties, which become `Rojo_Ref_*` attributes (see `refs`);
//! - `UniqueId`-typed properties (`UniqueId`, `HistoryId`): identities Studio
//!   assigns and regenerates, which would make every file differ from every
//!   copy of it;
//! - what the project's `syncbackRules` exclude (`ignoreProperties`, and
//!   unscriptable properties when `syncUnscriptable` is false);
//! - the property a file format holds itself (`Source`, `Value`, `Contents`).

use std::collections::{BTreeMap, HashMap};

use rbx_dom_weak::types::{CFrame, Color3uint8, UDim, Variant, VariantType, Vector3};
use rbx_dom_weak::{Instance, Ustr};
use rbx_reflection::{PropertyKind, PropertySerialization, Scriptability};

use crate::json::JsonValue;
use crate::project::SyncbackRules;
use crate::reflection;
use crate::snapshot::refs::is_reference_attribute;
use crate::value::{attribute_to_json, property_to_json};

/// The property-level rules in force for one syncback.
pub struct PropertyRules<'a> {
    pub rules: &'a SyncbackRules,
}

impl PropertyRules<'_> {
    /// True if `property` of `class_name` is never written.
    fn is_excluded(&self, class_name: Ustr, property: Ustr, value: &Variant) -> bool {
        if matches!(value.ty(), VariantType::Ref | VariantType::UniqueId)
            || property == "Attributes"
        {
            return true;
        }
        if self
            .rules
            .ignore_properties
            .iter()
            .any(|(class, properties)| {
                properties.iter().any(|p| p == property.as_str())
                    && reflection::is_a(&class_name, class)
            })
        {
            return true;
        }
        match reflection::property_of(class_name, property) {
            Some(descriptor) => {
                let does_not_serialize = matches!(
                    &descriptor.kind,
                    PropertyKind::Canonical {
                        serialization: PropertySerialization::DoesNotSerialize
                    }
                );
                let unscriptable = matches!(descriptor.scriptability, Scriptability::None);
                does_not_serialize || (unscriptable && !self.rules.sync_unscriptable())
            }
            None => false,
        }
    }

    /// The properties to write, as JSON values keyed by name (sorted), minus
    /// those in `skip` (the ones the file format holds).
    pub fn properties(&self, instance: &Instance, skip: &[&str]) -> BTreeMap<String, JsonValue> {
        let class_name = instance.class;
        let mut out = BTreeMap::new();
        for (name, value) in &instance.properties {
            if skip.contains(&name.as_str())
                || self.is_excluded(class_name, *name, value)
                || is_default(class_name, *name, value)
            {
                continue;
            }
            out.insert(name.to_string(), property_to_json(&class_name, name, value));
        }
        out
    }

    /// The properties that are written, by name (unsorted): what
    /// [`Self::properties`] turns into JSON, before that.
    pub fn written<'i>(&self, instance: &'i Instance) -> HashMap<Ustr, &'i Variant> {
        let class_name = instance.class;
        instance
            .properties
            .iter()
            .filter(|(name, value)| {
                !self.is_excluded(class_name, **name, value)
                    && !is_default(class_name, **name, value)
            })
            .map(|(name, value)| (*name, value))
            .collect()
    }

    /// The instance's attributes, minus reference attributes (Atlas writes
    /// its own from the Ref properties).
    pub fn attributes(&self, instance: &Instance) -> BTreeMap<String, JsonValue> {
        let mut out = BTreeMap::new();
        if let Some(Variant::Attributes(attributes)) =
            instance.properties.get(&Ustr::from("Attributes"))
        {
            for (name, value) in attributes.iter() {
                if is_reference_attribute(name) {
                    continue;
                }
                out.insert(name.clone(), attribute_to_json(value));
            }
        }
        out
    }
}

/// True if `value` is exactly the class default as a place file stores it,
/// so leaving it out loses nothing. Floats must match bit for bit (`-0.0` is
/// not `0.0`).
pub fn is_default(class_name: Ustr, property: Ustr, value: &Variant) -> bool {
    reflection::default_of(class_name, property).is_some_and(|default| stored_eq(value, default))
}

/// Equal once stored in a place file: [`exact_eq`], or a `Color3` that the
/// binary format stores as the `Color3uint8` the other value is (a Part's
/// `Color` written `[0.39, 0.37, 0.38]` in a file comes back from a place
/// as `Color3uint8` 99, 94, 97).
pub fn stored_eq(a: &Variant, b: &Variant) -> bool {
    match (a, b) {
        (Variant::Color3(color), Variant::Color3uint8(stored))
        | (Variant::Color3uint8(stored), Variant::Color3(color)) => {
            Color3uint8::from(*color) == *stored
        }
        _ => exact_eq(a, b),
    }
}

/// Equality that tells `-0.0` from `0.0` and a NaN from a number.
pub fn exact_eq(a: &Variant, b: &Variant) -> bool {
    fn f(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits()
    }
    fn v3(a: &Vector3, b: &Vector3) -> bool {
        f(a.x, b.x) && f(a.y, b.y) && f(a.z, b.z)
    }
    fn cf(a: &CFrame, b: &CFrame) -> bool {
        v3(&a.position, &b.position)
            && v3(&a.orientation.x, &b.orientation.x)
            && v3(&a.orientation.y, &b.orientation.y)
            && v3(&a.orientation.z, &b.orientation.z)
    }
    fn udim(a: &UDim, b: &UDim) -> bool {
        f(a.scale, b.scale) && a.offset == b.offset
    }
    match (a, b) {
        (Variant::Float32(x), Variant::Float32(y)) => f(*x, *y),
        (Variant::Float64(x), Variant::Float64(y)) => x.to_bits() == y.to_bits(),
        (Variant::Vector3(x), Variant::Vector3(y)) => v3(x, y),
        (Variant::Vector2(x), Variant::Vector2(y)) => f(x.x, y.x) && f(x.y, y.y),
        (Variant::Color3(x), Variant::Color3(y)) => f(x.r, y.r) && f(x.g, y.g) && f(x.b, y.b),
        (Variant::CFrame(x), Variant::CFrame(y)) => cf(x, y),
        (Variant::OptionalCFrame(x), Variant::OptionalCFrame(y)) => match (x, y) {
            (Some(x), Some(y)) => cf(x, y),
            (None, None) => true,
            _ => false,
        },
        (Variant::UDim(x), Variant::UDim(y)) => udim(x, y),
        (Variant::UDim2(x), Variant::UDim2(y)) => udim(&x.x, &y.x) && udim(&x.y, &y.y),
        (Variant::NumberRange(x), Variant::NumberRange(y)) => f(x.min, y.min) && f(x.max, y.max),
        (Variant::Rect(x), Variant::Rect(y)) => {
            f(x.min.x, y.min.x) && f(x.min.y, y.min.y) && f(x.max.x, y.max.x) && f(x.max.y, y.max.y)
        }
        // Other types with floats inside: compare their printed forms.
        (
            Variant::NumberSequence(_)
            | Variant::ColorSequence(_)
            | Variant::PhysicalProperties(_)
            | Variant::Ray(_)
            | Variant::Region3(_)
            | Variant::Attributes(_),
            _,
        ) => a == b && format!("{a:?}") == format!("{b:?}"),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_exact() {
        let d = |class: &str, property: &str, value: Variant| {
            is_default(Ustr::from(class), Ustr::from(property), &value)
        };
        assert!(d("Part", "Anchored", Variant::Bool(false)));
        assert!(!d("Part", "Anchored", Variant::Bool(true)));
        assert!(d("Part", "Transparency", Variant::Float32(0.0)));
        assert!(!d("Part", "Transparency", Variant::Float32(-0.0)));
        let size = reflection::default_of(Ustr::from("Part"), Ustr::from("Size"))
            .unwrap()
            .clone();
        assert!(d("Part", "Size", size));
        assert!(!d("Part", "Size", Vector3::new(4.0, 1.0, 2.0000002).into()));
        assert!(!d("Part", "NotAProperty", Variant::Bool(false)));
    }
}
