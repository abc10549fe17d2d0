//! The one canonical JSON5 style every file Atlas writes uses.
//!
//! The same value always gives the same bytes:
//! - keys sorted by byte order; a key is bare when it is an ASCII identifier
//!   (`Size`, `$className`, `_x`), quoted otherwise (`"My Attr"`, `"2d"`);
//! - two spaces of indent, LF line ends, no trailing commas, one final `\n`;
//! - arrays of at most 20 scalars on one line as `[ a, b ]`, others one
//!   element per line; empty containers as `[]` and `{}`;
//! - strings in double quotes, escaping `"`, `\`, the usual control
//!   characters, U+2028/U+2029 and any other control character as `\uXXXX`;
//! - numbers as the shortest text that reads back to the identical value: an
//!   `f32` value reads back as the same `f32` after the reader's `f64` parse
//!   and narrowing, so a round trip is bit-exact. Plain decimal between 1e-6
//!   and 1e15, scientific (`1e-7`, `1.5e20`) outside; `-0.0`, `NaN`,
//!   `Infinity` and `-Infinity` for the special values.

use std::fmt::Write;

use super::{JsonValue, Number};

const INLINE_ARRAY_MAX: usize = 20;

/// How object keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Bare keys where JSON5 allows them.
    Json5,
    /// Every key quoted, for `.json` files other tools read as JSON.
    Json,
}

/// The canonical JSON5 text of `value`, ending in one newline.
pub fn to_string(value: &JsonValue) -> String {
    to_string_styled(value, Style::Json5)
}

/// The canonical text of `value` in `style`, ending in one newline.
pub fn to_string_styled(value: &JsonValue, style: Style) -> String {
    to_string_formatted(value, &Format::canonical(style))
}

/// How a file is laid out: the canonical style, or the one an existing file
/// uses (so rewriting a hand-written file keeps its look).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    pub style: Style,
    /// One level of indentation: two spaces, four, a tab...
    pub indent: String,
    /// Keys sorted by byte order, or kept in the value's order.
    pub sort_keys: bool,
    /// Short arrays as `[ a, b ]` rather than `[a, b]`.
    pub pad_arrays: bool,
    pub final_newline: bool,
}

impl Format {
    pub fn canonical(style: Style) -> Format {
        Format {
            style,
            indent: "  ".to_owned(),
            sort_keys: true,
            pad_arrays: true,
            final_newline: true,
        }
    }

    /// The format `text` (an existing file) is written in, as far as it can
    /// be told; keys keep the value's order.
    pub fn detect(text: &str, style: Style) -> Format {
        let indent = text
            .lines()
            .skip(1)
            .map(|line| {
                let trimmed = line.trim_start_matches([' ', '\t']);
                &line[..line.len() - trimmed.len()]
            })
            .find(|indent| !indent.is_empty())
            .map(|indent| match indent.chars().next() {
                Some('\t') => "\t".to_owned(),
                _ => indent.to_owned(),
            })
            .unwrap_or_else(|| "  ".to_owned());
        // The first array written on one line tells.
        let pad_arrays = text
            .match_indices('[')
            .filter_map(|(i, _)| text[i + 1..].chars().next())
            .find(|c| !matches!(c, '\n' | '\r' | ']'))
            .is_none_or(|c| c == ' ');
        Format {
            style,
            indent,
            sort_keys: false,
            pad_arrays,
            final_newline: text.is_empty() || text.ends_with('\n'),
        }
    }
}

/// The text of `value` in `format`.
pub fn to_string_formatted(value: &JsonValue, format: &Format) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0, format);
    if format.final_newline {
        out.push('\n');
    }
    out
}

fn write_value(out: &mut String, value: &JsonValue, depth: usize, format: &Format) {
    match value {
        JsonValue::Null => out.push_str("null"),
        JsonValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsonValue::Number(n) => write_number(out, *n),
        JsonValue::String(s) => write_string(out, s),
        JsonValue::Array(items) => write_array(out, items, depth, format),
        JsonValue::Object(entries) => write_object(out, entries, depth, format),
    }
}

fn is_scalar(value: &JsonValue) -> bool {
    !matches!(value, JsonValue::Array(_) | JsonValue::Object(_))
}

fn write_array(out: &mut String, items: &[JsonValue], depth: usize, format: &Format) {
    if items.is_empty() {
        out.push_str("[]");
    } else if items.len() <= INLINE_ARRAY_MAX && items.iter().all(is_scalar) {
        out.push_str(if format.pad_arrays { "[ " } else { "[" });
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            write_value(out, item, depth, format);
        }
        out.push_str(if format.pad_arrays { " ]" } else { "]" });
    } else {
        out.push_str("[\n");
        for (i, item) in items.iter().enumerate() {
            indent(out, depth + 1, format);
            write_value(out, item, depth + 1, format);
            if i + 1 < items.len() {
                out.push(',');
            }
            out.push('\n');
        }
        indent(out, depth, format);
        out.push(']');
    }
}

fn write_object(out: &mut String, entries: &[(String, JsonValue)], depth: usize, format: &Format) {
    if entries.is_empty() {
        out.push_str("{}");
        return;
    }
    let mut sorted: Vec<&(String, JsonValue)> = entries.iter().collect();
    if format.sort_keys {
        sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    }
    out.push_str("{\n");
    for (i, (key, item)) in sorted.iter().enumerate() {
        indent(out, depth + 1, format);
        if format.style == Style::Json5 && is_bare_key(key) {
            out.push_str(key);
        } else {
            write_string(out, key);
        }
        out.push_str(": ");
        write_value(out, item, depth + 1, format);
        if i + 1 < sorted.len() {
            out.push(',');
        }
        out.push('\n');
    }
    indent(out, depth, format);
    out.push('}');
}

fn indent(out: &mut String, depth: usize, format: &Format) {
    for _ in 0..depth {
        out.push_str(&format.indent);
    }
}

/// ASCII identifiers only: every JSON5 reader agrees on those.
fn is_bare_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of characters that need no escape are copied whole.
    let mut plain_from = 0;
    for (at, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{b}' => "\\v",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            c if c.is_control() => "",
            _ => continue,
        };
        out.push_str(&s[plain_from..at]);
        plain_from = at + c.len_utf8();
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

fn write_number(out: &mut String, number: Number) {
    match number {
        Number::U64(n) => {
            let _ = write!(out, "{n}");
        }
        Number::I64(n) => {
            let _ = write!(out, "{n}");
        }
        Number::F64(f) => write_float(out, f, &format!("{f:e}")),
        Number::F32(f) => {
            // The shortest f32 digits, if the reader's f64 parse narrows
            // back to the same f32; otherwise the exact f64 digits of it.
            let short = format!("{f:e}");
            let reads_back = short
                .parse::<f64>()
                .is_ok_and(|p| (p as f32).to_bits() == f.to_bits());
            if reads_back {
                write_float(out, f as f64, &short);
            } else {
                write_float(out, f as f64, &format!("{:e}", f as f64));
            }
        }
    }
}

/// Writes a float whose shortest digits are `scientific` (Rust's `{:e}`
/// form, like `-1.2345e-7`).
fn write_float(out: &mut String, value: f64, scientific: &str) {
    if value.is_nan() {
        out.push_str("NaN");
        return;
    }
    if value.is_infinite() {
        out.push_str(if value < 0.0 { "-Infinity" } else { "Infinity" });
        return;
    }
    if value == 0.0 {
        out.push_str(if value.is_sign_negative() {
            "-0.0"
        } else {
            "0"
        });
        return;
    }
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let abs = value.abs();
    if !(1e-6..1e15).contains(&abs) {
        out.push_str(mantissa);
        let _ = write!(out, "e{exponent}");
        return;
    }
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if negative {
        out.push('-');
    }
    // The decimal point goes after digit number `exponent + 1`.
    let point = exponent + 1;
    if point <= 0 {
        out.push_str("0.");
        for _ in 0..-point {
            out.push('0');
        }
        out.push_str(&digits);
    } else if point as usize >= digits.len() {
        out.push_str(&digits);
        for _ in 0..(point as usize - digits.len()) {
            out.push('0');
        }
    } else {
        let (int, frac) = digits.split_at(point as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;

    fn obj(entries: Vec<(&str, JsonValue)>) -> JsonValue {
        JsonValue::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        )
    }

    fn num(f: f64) -> JsonValue {
        JsonValue::Number(Number::F64(f))
    }

    #[test]
    fn canonical_layout() {
        let value = obj(vec![
            (
                "properties",
                obj(vec![(
                    "Tags",
                    JsonValue::Array(vec![JsonValue::String("Wave".into())]),
                )]),
            ),
            ("className", JsonValue::String("Model".into())),
            (
                "attributes",
                obj(vec![
                    ("My Attr", num(10.0)),
                    ("Speed", obj(vec![("Float32", num(0.0))])),
                ]),
            ),
            ("$schema", JsonValue::Null),
            ("empty", JsonValue::Array(vec![])),
            (
                "nested",
                JsonValue::Array(vec![JsonValue::Array(vec![num(1.0), num(0.0)])]),
            ),
        ]);
        assert_eq!(
            to_string(&value),
            "{\n  $schema: null,\n  attributes: {\n    \"My Attr\": 10,\n    Speed: {\n      Float32: 0\n    }\n  },\n  className: \"Model\",\n  empty: [],\n  nested: [\n    [ 1, 0 ]\n  ],\n  properties: {\n    Tags: [ \"Wave\" ]\n  }\n}\n"
        );
    }

    #[test]
    fn long_scalar_arrays_go_one_per_line() {
        let value = JsonValue::Array((0..21).map(|i| num(i as f64)).collect());
        assert_eq!(to_string(&value).lines().count(), 23);
    }

    #[test]
    fn floats_are_shortest_and_exact() {
        let cases: &[(f64, &str)] = &[
            (6.0, "6"),
            (0.5, "0.5"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e-7, "1e-7"),
            (1e20, "1e20"),
            (-2.5e-10, "-2.5e-10"),
            (123456.75, "123456.75"),
            (1e15, "1e15"),
            (999999999999999.0, "999999999999999"),
            (0.000001, "0.000001"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (value, text) in cases {
            let mut out = String::new();
            write_number(&mut out, Number::F64(*value));
            assert_eq!(out, *text, "{value:e}");
        }
    }

    #[test]
    fn f32_round_trips_through_the_reader_bit_for_bit() {
        // A spread of f32 bit patterns: every exponent, many mantissas.
        let mut state: u32 = 0x9e37_79b9;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let f = f32::from_bits(state);
            if f.is_nan() {
                continue;
            }
            let mut out = String::new();
            write_number(&mut out, Number::F32(f));
            let read = match parse(&out).unwrap() {
                JsonValue::Number(n) => n.as_f64() as f32,
                other => panic!("{other:?}"),
            };
            assert_eq!(read.to_bits(), f.to_bits(), "{f:e} written as {out}");
        }
    }

    #[test]
    fn f64_round_trips_bit_for_bit() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let f = f64::from_bits(state);
            if f.is_nan() {
                continue;
            }
            let mut out = String::new();
            write_number(&mut out, Number::F64(f));
            let read = parse(&out).unwrap().as_number().unwrap().as_f64();
            assert_eq!(read.to_bits(), f.to_bits(), "{f:e} written as {out}");
        }
    }

    #[test]
    fn strings_and_keys_read_back() {
        let tricky = "quote \" backslash \\ nl \n tab \t cr \r vt \u{b} nul \u{0} del \u{7f} c1 \u{85} ls \u{2028} ps \u{2029} é 日本 /";
        let value = obj(vec![
            (tricky, JsonValue::String(tricky.into())),
            ("true", JsonValue::Bool(true)),
            ("null", JsonValue::Null),
            ("a-b", num(1.0)),
            ("2d", num(2.0)),
            ("é", num(3.0)),
            ("", num(4.0)),
        ]);
        let text = to_string(&value);
        let mut back = parse(&text).unwrap();
        let mut expected = value.clone();
        for v in [&mut back, &mut expected] {
            if let JsonValue::Object(entries) = v {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
        }
        // Numbers come back as integers; compare their f64 values.
        assert_eq!(
            format!("{:?}", normalize(back)),
            format!("{:?}", normalize(expected)),
            "{text}"
        );
    }

    fn normalize(value: JsonValue) -> JsonValue {
        match value {
            JsonValue::Number(n) => JsonValue::Number(Number::F64(n.as_f64())),
            JsonValue::Object(entries) => JsonValue::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, normalize(v)))
                    .collect(),
            ),
            JsonValue::Array(items) => JsonValue::Array(items.into_iter().map(normalize).collect()),
            other => other,
        }
    }
}
