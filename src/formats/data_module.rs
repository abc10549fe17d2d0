//! Data files (`.json5`, `.json`, `.toml`, `.yaml`/`.yml`): a `ModuleScript`
//! that returns the data as a Lua table.
//!
//! Object keys are sorted; a key that is a valid identifier is written bare,
//! others as `["key"]`. Objects get one entry per line, indented with tabs;
//! arrays are written on one line. `null` becomes `nil`, NaN `0/0` and
//! infinities `math.huge`.

use std::fmt::Write;

use rbx_dom_weak::types::Variant;
use rbx_dom_weak::ustr;

use std::path::Path;

use super::{lua_literal, FileInput, SnapshotError, SnapshotResult};
use crate::json::{self, JsonValue, Number};
use crate::project::Middleware;

pub fn snapshot(input: &FileInput, middleware: Middleware) -> SnapshotResult {
    let text = input.read_text()?;
    let value = match middleware {
        Middleware::Toml => toml_to_value(&text).map_err(|m| SnapshotError::file(input.path, m))?,
        Middleware::Yaml => yaml_to_value(&text).map_err(|m| SnapshotError::file(input.path, m))?,
        _ => json::parse(&text).map_err(|source| SnapshotError::Syntax {
            path: input.path.to_path_buf(),
            source,
        })?,
    };
    let mut source = String::from("return ");
    write_lua(&mut source, &value, 0);
    let mut snapshot = input.new_snapshot("ModuleScript");
    snapshot
        .properties
        .insert(ustr("Source"), Variant::String(source));
    input.apply_adjacent_meta(&mut snapshot)?;
    Ok(Some(snapshot))
}

/// The text of a `middleware` data file (at `path`) that holds `source`, a
/// module's Source, when that format can hold exactly it: the text reads
/// back to the same Source, byte for byte. `old` is the file as it is now: a
/// JSON file keeps its key order and look. `None` when the source is not
/// plain data (code, `nil` in TOML, ...).
pub fn write(
    middleware: Middleware,
    path: &Path,
    source: &str,
    old: Option<&str>,
) -> Option<String> {
    // A file that already gives this source stays as it is.
    if let Some(old) = old.filter(|old| source_of(middleware, old).as_deref() == Some(source)) {
        return Some(old.to_owned());
    }
    let value = lua_literal::parse_module(source)?;
    // Keys keep the order the file has now.
    let old_value = old.and_then(|old| read_value(middleware, old));
    let value = match &old_value {
        Some(old_value) => json::merge_document(old_value, &value, &|_| false),
        None => value,
    };
    let text = match middleware {
        Middleware::Json => {
            let style = if path.extension().is_some_and(|e| e == "json") {
                json::Style::Json
            } else {
                json::Style::Json5
            };
            match old {
                Some(text) if old_value.is_some() => {
                    json::to_string_formatted(&value, &json::Format::detect(text, style))
                }
                _ => json::to_string_styled(&value, style),
            }
        }
        Middleware::Toml => match to_toml(&value)? {
            toml::Value::Table(table) => toml::to_string(&table).ok()?,
            _ => return None,
        },
        Middleware::Yaml => {
            let mut out = String::new();
            yaml_rust2::YamlEmitter::new(&mut out)
                .dump(&to_yaml(&value)?)
                .ok()?;
            let out = match out.strip_prefix("---\n") {
                Some(body) if !old.is_some_and(|o| o.starts_with("---")) => body.to_owned(),
                _ => out,
            };
            out + "\n"
        }
        _ => return None,
    };
    (source_of(middleware, &text).as_deref() == Some(source)).then_some(text)
}

/// The data a data file's text holds.
fn read_value(middleware: Middleware, text: &str) -> Option<JsonValue> {
    match middleware {
        Middleware::Toml => toml_to_value(text).ok(),
        Middleware::Yaml => yaml_to_value(text).ok(),
        _ => json::parse(text).ok(),
    }
}

/// The module source a data file's text gives.
fn source_of(middleware: Middleware, text: &str) -> Option<String> {
    let value = read_value(middleware, text)?;
    let mut source = String::from("return ");
    write_lua(&mut source, &value, 0);
    Some(source)
}

fn to_toml(value: &JsonValue) -> Option<toml::Value> {
    Some(match value {
        JsonValue::Null => return None,
        JsonValue::Bool(b) => toml::Value::Boolean(*b),
        JsonValue::Number(Number::U64(n)) => toml::Value::Integer(i64::try_from(*n).ok()?),
        JsonValue::Number(Number::I64(n)) => toml::Value::Integer(*n),
        JsonValue::Number(n) => toml::Value::Float(n.as_f64()),
        JsonValue::String(s) => toml::Value::String(s.clone()),
        JsonValue::Array(items) => {
            toml::Value::Array(items.iter().map(to_toml).collect::<Option<_>>()?)
        }
        JsonValue::Object(entries) => toml::Value::Table(
            entries
                .iter()
                .map(|(k, v)| Some((k.clone(), to_toml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

fn to_yaml(value: &JsonValue) -> Option<yaml_rust2::Yaml> {
    use yaml_rust2::Yaml;
    Some(match value {
        JsonValue::Null => Yaml::Null,
        JsonValue::Bool(b) => Yaml::Boolean(*b),
        JsonValue::Number(Number::U64(n)) => Yaml::Integer(i64::try_from(*n).ok()?),
        JsonValue::Number(Number::I64(n)) => Yaml::Integer(*n),
        JsonValue::Number(n) => {
            let f = n.as_f64();
            Yaml::Real(if f.is_nan() {
                ".nan".to_owned()
            } else if f.is_infinite() {
                if f < 0.0 { "-.inf" } else { ".inf" }.to_owned()
            } else {
                format!("{f:?}")
            })
        }
        JsonValue::String(s) => Yaml::String(s.clone()),
        JsonValue::Array(items) => Yaml::Array(items.iter().map(to_yaml).collect::<Option<_>>()?),
        JsonValue::Object(entries) => Yaml::Hash(
            entries
                .iter()
                .map(|(k, v)| Some((Yaml::String(k.clone()), to_yaml(v)?)))
                .collect::<Option<_>>()?,
        ),
    })
}

fn toml_to_value(text: &str) -> Result<JsonValue, String> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| format!("invalid TOML: {}", e.message()))?;
    fn convert(value: toml::Value) -> JsonValue {
        match value {
            toml::Value::String(s) => JsonValue::String(s),
            toml::Value::Integer(i) => JsonValue::Number(Number::I64(i)),
            toml::Value::Float(f) => JsonValue::Number(Number::F64(f)),
            toml::Value::Boolean(b) => JsonValue::Bool(b),
            toml::Value::Datetime(d) => JsonValue::String(d.to_string()),
            toml::Value::Array(items) => JsonValue::Array(items.into_iter().map(convert).collect()),
            toml::Value::Table(table) => {
                JsonValue::Object(table.into_iter().map(|(k, v)| (k, convert(v))).collect())
            }
        }
    }
    Ok(convert(toml::Value::Table(table)))
}

fn yaml_to_value(text: &str) -> Result<JsonValue, String> {
    use yaml_rust2::{Yaml, YamlLoader};
    let mut docs = YamlLoader::load_from_str(text).map_err(|e| format!("invalid YAML: {e}"))?;
    if docs.len() > 1 {
        return Err(format!(
            "the file holds {} YAML documents; a data module holds one",
            docs.len()
        ));
    }
    fn convert(value: Yaml) -> Result<JsonValue, String> {
        Ok(match value {
            Yaml::Null | Yaml::BadValue => JsonValue::Null,
            Yaml::Boolean(b) => JsonValue::Bool(b),
            Yaml::Integer(i) => JsonValue::Number(Number::I64(i)),
            Yaml::Real(text) => {
                let lower = text.to_ascii_lowercase();
                let f = match lower.trim_start_matches(['+', '-']) {
                    ".inf" => {
                        f64::INFINITY.copysign(if lower.starts_with('-') { -1.0 } else { 1.0 })
                    }
                    ".nan" => f64::NAN,
                    _ => text
                        .parse()
                        .map_err(|_| format!("`{text}` is not a number"))?,
                };
                JsonValue::Number(Number::F64(f))
            }
            Yaml::String(s) => JsonValue::String(s),
            Yaml::Array(items) => {
                JsonValue::Array(items.into_iter().map(convert).collect::<Result<_, _>>()?)
            }
            Yaml::Hash(hash) => {
                let mut entries = Vec::with_capacity(hash.len());
                for (key, value) in hash {
                    let key = match key {
                        Yaml::String(s) => s,
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Real(r) => r,
                        Yaml::Boolean(b) => b.to_string(),
                        other => return Err(format!("unsupported YAML key {other:?}")),
                    };
                    entries.push((key, convert(value)?));
                }
                JsonValue::Object(entries)
            }
            Yaml::Alias(_) => return Err("YAML aliases are not supported".to_owned()),
        })
    }
    match docs.pop() {
        Some(doc) => convert(doc),
        None => Ok(JsonValue::Null),
    }
}

/// Writes `value` as a Lua expression; `depth` is the current indent level.
pub fn write_lua(out: &mut String, value: &JsonValue, depth: usize) {
    match value {
        JsonValue::Null => out.push_str("nil"),
        JsonValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        JsonValue::Number(n) => write_number(out, *n),
        JsonValue::String(s) => write_string(out, s),
        JsonValue::Array(items) => {
            out.push('{');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_lua(out, item, depth);
            }
            out.push('}');
        }
        JsonValue::Object(entries) => {
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut sorted: Vec<&(String, JsonValue)> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            out.push_str("{\n");
            for (key, item) in sorted {
                push_indent(out, depth + 1);
                if is_identifier(key) {
                    out.push_str(key);
                } else {
                    out.push('[');
                    write_string(out, key);
                    out.push(']');
                }
                out.push_str(" = ");
                write_lua(out, item, depth + 1);
                out.push_str(",\n");
            }
            push_indent(out, depth);
            out.push('}');
        }
    }
}

fn push_indent(out: &mut String, depth: usize) {
    out.extend(std::iter::repeat_n('\t', depth));
}

fn write_number(out: &mut String, n: Number) {
    let v = match n {
        Number::U64(v) => {
            let _ = write!(out, "{v}");
            return;
        }
        Number::I64(v) => {
            let _ = write!(out, "{v}");
            return;
        }
        Number::F64(v) => v,
        Number::F32(v) => v as f64,
    };
    let _ = if v.is_nan() {
        write!(out, "0/0")
    } else if v.is_infinite() {
        write!(out, "{}math.huge", if v < 0.0 { "-" } else { "" })
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        write!(out, "{}", v as i64)
    } else {
        write!(out, "{v:?}")
    };
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\{:03}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

const LUA_KEYWORDS: &[&str] = &[
    "and", "break", "continue", "do", "else", "elseif", "end", "export", "false", "for",
    "function", "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true",
    "type", "until", "while",
];

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    starts_well
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !LUA_KEYWORDS.contains(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_becomes_sorted_lua_table() {
        let value = json::parse(r#"{"array": [1, 2, 3], "object": {"hello": "world"}, "true": true, "null": null, "float": 1234.5452, "1invalidident": "nice"}"#).unwrap();
        let mut out = String::new();
        write_lua(&mut out, &value, 0);
        assert_eq!(
            out,
            "{\n\t[\"1invalidident\"] = \"nice\",\n\tarray = {1, 2, 3},\n\tfloat = 1234.5452,\n\tnull = nil,\n\tobject = {\n\t\thello = \"world\",\n\t},\n\t[\"true\"] = true,\n}"
        );
    }

    #[test]
    fn special_numbers_and_escapes() {
        let mut out = String::new();
        write_lua(
            &mut out,
            &JsonValue::Array(vec![
                JsonValue::Number(Number::F64(f64::NAN)),
                JsonValue::Number(Number::F64(f64::NEG_INFINITY)),
                JsonValue::Number(Number::F64(1e-7)),
                JsonValue::String("a\"b\\\n\u{1}".into()),
            ]),
            0,
        );
        assert_eq!(out, "{0/0, -math.huge, 1e-7, \"a\\\"b\\\\\\n\\001\"}");
    }

    /// A data file written for a source reads back to that source.
    fn written(
        middleware: Middleware,
        file: &str,
        source: &str,
        old: Option<&str>,
    ) -> Option<String> {
        write(middleware, Path::new(file), source, old)
    }

    #[test]
    fn data_is_written_back_in_its_own_format() {
        let source = "return {\n\tname = \"x\",\n\tversion = \"1.2.0\",\n}";
        let toml = written(Middleware::Toml, "wally.toml", source, None).unwrap();
        assert_eq!(toml, "name = \"x\"\nversion = \"1.2.0\"\n");
        let yaml = written(Middleware::Yaml, "a.yaml", source, None).unwrap();
        assert_eq!(yaml, "name: x\nversion: 1.2.0\n");
        let json = written(
            Middleware::Json,
            "a.json",
            source,
            Some("{\n    \"version\": \"1.0.0\",\n    \"name\": \"x\"\n}\n"),
        )
        .unwrap();
        assert_eq!(
            json,
            "{\n    \"version\": \"1.2.0\",\n    \"name\": \"x\"\n}\n"
        );
    }

    #[test]
    fn what_a_format_cannot_hold_is_refused() {
        // TOML has no nil, and code is not data.
        assert!(written(Middleware::Toml, "a.toml", "return {\n\ta = nil,\n}", None).is_none());
        assert!(written(Middleware::Json, "a.json", "return function() end", None).is_none());
        assert!(written(Middleware::Toml, "a.toml", "return {1, 2}", None).is_none());
    }

    #[test]
    fn toml_and_yaml_parse() {
        let value = toml_to_value("a = 1\n[b]\nc = 'x'\n").unwrap();
        let mut out = String::new();
        write_lua(&mut out, &value, 0);
        assert_eq!(out, "{\n\ta = 1,\n\tb = {\n\t\tc = \"x\",\n\t},\n}");
        let value = yaml_to_value("a: 1\nb: [x, 2.5]\n").unwrap();
        let mut out = String::new();
        write_lua(&mut out, &value, 0);
        assert_eq!(out, "{\n\ta = 1,\n\tb = {\"x\", 2.5},\n}");
    }
}
