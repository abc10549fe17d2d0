//! Serializes any `serde::Serialize` value into a [`JsonValue`], the mirror of
//! `de.rs`. Explicit property values are written through the serde shapes of
//! `rbx_types`, so the writer and the reader agree by construction. `f32`
//! stays `Number::F32`, so it is written with the digits that read back to
//! the same `f32`.

use std::fmt;

use serde::ser::{self, Impossible, Serialize};

use super::{JsonValue, Number};

#[derive(Debug, Clone, PartialEq)]
pub struct ValueSerError(pub String);

impl fmt::Display for ValueSerError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueSerError {}

impl ser::Error for ValueSerError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ValueSerError(msg.to_string())
    }
}

/// The [`JsonValue`] a `Serialize` type turns into.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<JsonValue> {
    value.serialize(ValueSerializer)
}

struct ValueSerializer;

type Result<T> = std::result::Result<T, ValueSerError>;

fn tagged(tag: &str, payload: JsonValue) -> JsonValue {
    JsonValue::Object(vec![(tag.to_owned(), payload)])
}

impl ser::Serializer for ValueSerializer {
    type Ok = JsonValue;
    type Error = ValueSerError;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = SeqBuilder;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = MapBuilder;

    fn serialize_bool(self, v: bool) -> Result<JsonValue> {
        Ok(JsonValue::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<JsonValue> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<JsonValue> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<JsonValue> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<JsonValue> {
        Ok(JsonValue::Number(if v >= 0 {
            Number::U64(v as u64)
        } else {
            Number::I64(v)
        }))
    }
    fn serialize_u8(self, v: u8) -> Result<JsonValue> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<JsonValue> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<JsonValue> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<JsonValue> {
        Ok(JsonValue::Number(Number::U64(v)))
    }
    fn serialize_f32(self, v: f32) -> Result<JsonValue> {
        Ok(JsonValue::Number(Number::F32(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<JsonValue> {
        Ok(JsonValue::Number(Number::F64(v)))
    }
    fn serialize_char(self, v: char) -> Result<JsonValue> {
        Ok(JsonValue::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<JsonValue> {
        Ok(JsonValue::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<JsonValue> {
        Ok(JsonValue::Array(
            v.iter()
                .map(|b| JsonValue::Number(Number::U64(*b as u64)))
                .collect(),
        ))
    }
    fn serialize_none(self) -> Result<JsonValue> {
        Ok(JsonValue::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<JsonValue> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<JsonValue> {
        Ok(JsonValue::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<JsonValue> {
        Ok(JsonValue::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<JsonValue> {
        Ok(JsonValue::String(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<JsonValue> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<JsonValue> {
        Ok(tagged(variant, value.serialize(ValueSerializer)?))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len.unwrap_or(0)),
            tag: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder> {
        Ok(SeqBuilder {
            items: Vec::with_capacity(len),
            tag: Some(variant),
        })
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            next_key: None,
            tag: None,
        })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<MapBuilder> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len),
            next_key: None,
            tag: Some(variant),
        })
    }
}

struct SeqBuilder {
    items: Vec<JsonValue>,
    tag: Option<&'static str>,
}

impl SeqBuilder {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn finish(self) -> JsonValue {
        let array = JsonValue::Array(self.items);
        match self.tag {
            Some(tag) => tagged(tag, array),
            None => array,
        }
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = JsonValue;
    type Error = ValueSerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<JsonValue> {
        Ok(self.finish())
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = JsonValue;
    type Error = ValueSerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<JsonValue> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = JsonValue;
    type Error = ValueSerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<JsonValue> {
        Ok(self.finish())
    }
}

impl ser::SerializeTupleVariant for SeqBuilder {
    type Ok = JsonValue;
    type Error = ValueSerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.push(value)
    }
    fn end(self) -> Result<JsonValue> {
        Ok(self.finish())
    }
}

struct MapBuilder {
    entries: Vec<(String, JsonValue)>,
    next_key: Option<String>,
    tag: Option<&'static str>,
}

impl MapBuilder {
    fn finish(self) -> JsonValue {
        let object = JsonValue::Object(self.entries);
        match self.tag {
            Some(tag) => tagged(tag, object),
            None => object,
        }
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = JsonValue;
    type Error = ValueSerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.next_key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self
            .next_key
            .take()
            .ok_or_else(|| ValueSerError("a map value came before its key".to_owned()))?;
        self.entries.push((key, value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<JsonValue> {
        Ok(self.finish())
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = JsonValue;
    type Error = ValueSerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.entries
            .push((key.to_owned(), value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<JsonValue> {
        Ok(self.finish())
    }
}

impl ser::SerializeStructVariant for MapBuilder {
    type Ok = JsonValue;
    type Error = ValueSerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.entries
            .push((key.to_owned(), value.serialize(ValueSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<JsonValue> {
        Ok(self.finish())
    }
}

/// Map keys must be strings (or something that prints as one).
struct KeySerializer;

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = ValueSerError;
    type SerializeSeq = Impossible<String, ValueSerError>;
    type SerializeTuple = Impossible<String, ValueSerError>;
    type SerializeTupleStruct = Impossible<String, ValueSerError>;
    type SerializeTupleVariant = Impossible<String, ValueSerError>;
    type SerializeMap = Impossible<String, ValueSerError>;
    type SerializeStruct = Impossible<String, ValueSerError>;
    type SerializeStructVariant = Impossible<String, ValueSerError>;

    fn serialize_str(self, v: &str) -> Result<String> {
        Ok(v.to_owned())
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String> {
        Ok(variant.to_owned())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String> {
        value.serialize(self)
    }
    fn serialize_char(self, v: char) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_bool(self, v: bool) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, _v: f32) -> Result<String> {
        Err(ValueSerError(
            "map keys cannot be numbers with fractions".to_owned(),
        ))
    }
    fn serialize_f64(self, _v: f64) -> Result<String> {
        Err(ValueSerError(
            "map keys cannot be numbers with fractions".to_owned(),
        ))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<String> {
        Err(ValueSerError("map keys cannot be bytes".to_owned()))
    }
    fn serialize_none(self) -> Result<String> {
        Err(ValueSerError("map keys cannot be empty".to_owned()))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<String> {
        Err(ValueSerError("map keys cannot be empty".to_owned()))
    }
    fn serialize_unit_struct(self, name: &'static str) -> Result<String> {
        Ok(name.to_owned())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(ValueSerError("map keys must be strings".to_owned()))
    }
}
