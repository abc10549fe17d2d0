//! Lets a parsed [`JsonValue`] feed any `serde::Deserialize` type.
//!
//! Explicit property values (`{Vector3: [1, 2, 3]}`) use the serde shapes that
//! `rbx_types` defines, so once a value is known to be explicit it is handed
//! to `Variant::deserialize` through this deserializer.

use std::fmt;

use serde::de::{
    self, value::MapDeserializer, value::SeqDeserializer, value::StringDeserializer,
    DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, VariantAccess, Visitor,
};

use super::{JsonValue, Number};

/// A message from a type that did not accept the value it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueDeError(pub String);

impl fmt::Display for ValueDeError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueDeError {}

impl de::Error for ValueDeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueDeError(msg.to_string())
    }
}

/// Deserializes `T` from a parsed value.
pub fn from_value<T: de::DeserializeOwned>(value: JsonValue) -> Result<T, ValueDeError> {
    T::deserialize(value)
}

impl<'de> IntoDeserializer<'de, ValueDeError> for JsonValue {
    type Deserializer = JsonValue;

    fn into_deserializer(self) -> JsonValue {
        self
    }
}

impl<'de> Deserializer<'de> for JsonValue {
    type Error = ValueDeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueDeError> {
        match self {
            JsonValue::Null => visitor.visit_unit(),
            JsonValue::Bool(b) => visitor.visit_bool(b),
            JsonValue::Number(Number::U64(n)) => visitor.visit_u64(n),
            JsonValue::Number(Number::I64(n)) => visitor.visit_i64(n),
            JsonValue::Number(Number::F64(n)) => visitor.visit_f64(n),
            JsonValue::Number(Number::F32(n)) => visitor.visit_f32(n),
            JsonValue::String(s) => visitor.visit_string(s),
            JsonValue::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            JsonValue::Object(entries) => {
                let mut map = MapDeserializer::new(entries.into_iter());
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueDeError> {
        match self {
            JsonValue::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueDeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueDeError> {
        match self {
            JsonValue::String(tag) => visitor.visit_enum(TaggedValue { tag, payload: None }),
            JsonValue::Object(mut entries) if entries.len() == 1 => {
                let (tag, payload) = entries.remove(0);
                visitor.visit_enum(TaggedValue {
                    tag,
                    payload: Some(payload),
                })
            }
            other => Err(de::Error::custom(format_args!(
                "expected a string or an object with one key, found {}",
                other.kind()
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// `{Tag: payload}` or a bare `"Tag"`, seen as an externally tagged enum.
struct TaggedValue {
    tag: String,
    payload: Option<JsonValue>,
}

impl<'de> EnumAccess<'de> for TaggedValue {
    type Error = ValueDeError;
    type Variant = Payload;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Payload), ValueDeError> {
        let tag: StringDeserializer<ValueDeError> = self.tag.into_deserializer();
        Ok((seed.deserialize(tag)?, Payload(self.payload)))
    }
}

/// What follows the tag of a tagged value, if anything.
struct Payload(Option<JsonValue>);

impl<'de> VariantAccess<'de> for Payload {
    type Error = ValueDeError;

    fn unit_variant(self) -> Result<(), ValueDeError> {
        match self.0 {
            None | Some(JsonValue::Null) => Ok(()),
            Some(other) => Err(de::Error::custom(format_args!(
                "expected no value, found {}",
                other.kind()
            ))),
        }
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<S::Value, ValueDeError> {
        seed.deserialize(self.0.unwrap_or(JsonValue::Null))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueDeError> {
        self.0.unwrap_or(JsonValue::Null).deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueDeError> {
        self.0.unwrap_or(JsonValue::Null).deserialize_any(visitor)
    }
}
