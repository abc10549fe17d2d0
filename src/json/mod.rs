//! JSON5, the text format of every project, model and meta file.
//!
//! Reading goes through [`from_str`], which wraps the `json5` crate so that
//! every syntax error carries a 1-based line and column. Files are parsed into
//! typed structs directly, or into a neutral [`JsonValue`] where the meaning of
//! a value depends on context (property values).

mod de;
mod merge;
mod quote_keys;
mod ser;
mod value;
mod write;

use std::fmt;

use serde::de::DeserializeOwned;

pub use de::{from_value, ValueDeError};
pub use merge::merge_document;
pub use ser::{to_value, ValueSerError};
pub use value::{JsonValue, Number};
pub use write::{to_string, to_string_formatted, to_string_styled, Format, Style};

/// A JSON5 syntax or shape error, with the position where the parser stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct Json5Error {
    pub message: String,
    /// 1-based line and column, when the parser knows them.
    pub position: Option<(usize, usize)>,
}

impl fmt::Display for Json5Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "line {line}, column {column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for Json5Error {}

/// Parses JSON5 text into `T`. A leading byte-order mark is ignored.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Json5Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Plain JSON (every Rojo `.json` file, most generated files) means the
    // same in JSON5, and serde_json reads it several times faster. Anything
    // it rejects goes to the JSON5 parser, which also gives the error.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    // The JSON5 Atlas writes differs from JSON only by its unquoted keys.
    if let Some(value) =
        quote_keys::quote_keys(text).and_then(|json| serde_json::from_str(&json).ok())
    {
        return Ok(value);
    }
    json5_only(text)
}

/// [`from_str`] through the JSON5 parser alone (the fast paths must agree
/// with it: tested on every JSON5 file of the repository).
pub fn json5_only<T: DeserializeOwned>(text: &str) -> Result<T, Json5Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    json5::from_str(text).map_err(|err| {
        let position = err.position().map(|p| (p.line + 1, p.column + 1));
        // The crate's Display appends the position in its own 0-based form;
        // rebuild the message without it.
        let message = match err.code() {
            Some(code) => code.to_string(),
            None => {
                let full = err.to_string();
                match full.rfind(" at ") {
                    Some(idx) if position.is_some() => full[..idx].to_owned(),
                    _ => full,
                }
            }
        };
        Json5Error { message, position }
    })
}

/// Parses JSON5 text into a [`JsonValue`].
pub fn parse(text: &str) -> Result<JsonValue, Json5Error> {
    from_str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_have_one_based_positions() {
        let err = parse("{\n  a: 1\n  b: 2\n}").unwrap_err();
        assert_eq!(err.position, Some((3, 3)));
        assert_eq!(err.to_string(), "line 3, column 3: expected comma");
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse("{a: 1, a: 2}").unwrap_err();
        assert!(err.message.contains("duplicate key `a`"), "{err}");
    }

    #[test]
    fn integers_stay_exact() {
        let value = parse("[9007199254740993, -5, 1.5]").unwrap();
        assert_eq!(
            value,
            JsonValue::Array(vec![
                JsonValue::Number(Number::U64(9007199254740993)),
                JsonValue::Number(Number::I64(-5)),
                JsonValue::Number(Number::F64(1.5)),
            ])
        );
    }

    #[test]
    fn plain_json_and_json5_read_the_same() {
        let json =
            parse(r#"{"a": [1, -2, 2.5, "x", null, true], "b": {"c": 18446744073709551615}}"#)
                .unwrap();
        let json5 =
            parse("{a: [1, -2, 2.5, 'x', null, true,], b: {c: 18446744073709551615},} // done")
                .unwrap();
        assert_eq!(json, json5);
    }

    #[test]
    fn duplicate_keys_are_rejected_in_plain_json_too() {
        assert!(parse(r#"{"a": 1, "a": 2}"#).is_err());
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        assert_eq!(parse("\u{feff}true").unwrap(), JsonValue::Bool(true));
    }
}
