//! `.csv` files: a `LocalizationTable`.
//!
//! The first row is the header. The columns `Key`, `Source`, `Context` and
//! `Example` (case-sensitive) fill those fields of an entry; any other named
//! column is a locale id whose cells become the entry's translations; columns
//! with an empty header are skipped. Empty cells are skipped, and rows with
//! neither a key nor a source are dropped. `Contents` holds the entries as
//! compact JSON, the form Roblox itself stores.

use std::collections::BTreeMap;

use rbx_dom_weak::types::Variant;
use rbx_dom_weak::ustr;
use serde::{Deserialize, Serialize};

use super::{FileInput, SnapshotError, SnapshotResult};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LocalizationEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", alias = "examples")]
    pub example: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default)]
    pub values: BTreeMap<String, String>,
}

pub fn snapshot(input: &FileInput) -> SnapshotResult {
    let text = input.read_text()?;
    let contents =
        contents_from_csv(&text).map_err(|message| SnapshotError::file(input.path, message))?;
    let mut snapshot = input.new_snapshot("LocalizationTable");
    snapshot
        .properties
        .insert(ustr("Contents"), Variant::String(contents));
    input.apply_adjacent_meta(&mut snapshot)?;
    Ok(Some(snapshot))
}

enum Column {
    Key,
    Source,
    Context,
    Example,
    Locale(String),
    Skip,
}

/// Reads CSV text into the JSON `Contents` of a LocalizationTable.
pub fn contents_from_csv(text: &str) -> Result<String, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();

    let columns: Vec<Column> = match records.next() {
        None => Vec::new(),
        Some(header) => header
            .map_err(describe_csv_error)?
            .iter()
            .map(|cell| match cell {
                "Key" => Column::Key,
                "Source" => Column::Source,
                "Context" => Column::Context,
                "Example" => Column::Example,
                "" => Column::Skip,
                locale => Column::Locale(locale.to_owned()),
            })
            .collect(),
    };

    let mut entries = Vec::new();
    for record in records {
        let record = record.map_err(describe_csv_error)?;
        let mut entry = LocalizationEntry::default();
        for (column, cell) in columns.iter().zip(record.iter()) {
            if cell.is_empty() {
                continue;
            }
            let cell = cell.to_owned();
            match column {
                Column::Key => entry.key = Some(cell),
                Column::Source => entry.source = Some(cell),
                Column::Context => entry.context = Some(cell),
                Column::Example => entry.example = Some(cell),
                Column::Locale(locale) => {
                    entry.values.insert(locale.clone(), cell);
                }
                Column::Skip => {}
            }
        }
        if entry.key.is_some() || entry.source.is_some() {
            entries.push(entry);
        }
    }

    serde_json::to_string(&entries).map_err(|e| format!("could not encode the table: {e}"))
}

/// The CSV text for a LocalizationTable's `Contents`, when reading that text
/// back gives exactly the same `Contents`. Entries keep their order; the
/// locale columns are sorted. `None` when CSV cannot hold the table as it is
/// (fields CSV has no column for, entries with neither key nor source, JSON
/// spelled differently from Atlas's own); the caller then keeps `Contents`
/// as a property.
/// A LocalizationTable's CSV text, when CSV holds its `Contents` exactly
/// (so a `.csv` file can hold the instance).
pub fn text_for(instance: &rbx_dom_weak::Instance) -> Option<String> {
    if instance.class != "LocalizationTable" {
        return None;
    }
    match instance.properties.get(&rbx_dom_weak::ustr("Contents")) {
        Some(rbx_dom_weak::types::Variant::String(contents)) => csv_from_contents(contents),
        // No Contents means the default, an empty table.
        None => csv_from_contents("[]"),
        _ => None,
    }
}

pub fn csv_from_contents(contents: &str) -> Option<String> {
    let entries: Vec<LocalizationEntry> = serde_json::from_str(contents).ok()?;
    let mut locales: Vec<&str> = entries
        .iter()
        .flat_map(|e| e.values.keys().map(String::as_str))
        .collect();
    locales.sort_unstable();
    locales.dedup();

    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut header = vec!["Key", "Source", "Context", "Example"];
    header.extend(locales.iter().copied());
    writer.write_record(&header).ok()?;
    for entry in &entries {
        let mut row: Vec<&str> = vec![
            entry.key.as_deref().unwrap_or(""),
            entry.source.as_deref().unwrap_or(""),
            entry.context.as_deref().unwrap_or(""),
            entry.example.as_deref().unwrap_or(""),
        ];
        row.extend(
            locales
                .iter()
                .map(|l| entry.values.get(*l).map(String::as_str).unwrap_or("")),
        );
        writer.write_record(&row).ok()?;
    }
    let text = String::from_utf8(writer.into_inner().ok()?).ok()?;
    (contents_from_csv(&text).ok()? == contents).then_some(text)
}

fn describe_csv_error(err: csv::Error) -> String {
    match err.position() {
        Some(pos) => format!("invalid CSV at line {}: {err}", pos.line()),
        None => format!("invalid CSV: {err}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_json_in_field_order() {
        let contents = contents_from_csv(
            "Key,Source,Context,Example,es\nAck,Ack!,,An exclamation of despair,¡Ay!\n",
        )
        .unwrap();
        assert_eq!(
            contents,
            r#"[{"key":"Ack","example":"An exclamation of despair","source":"Ack!","values":{"es":"¡Ay!"}}]"#
        );
    }

    #[test]
    fn csv_round_trips_when_it_can() {
        let contents = r#"[{"key":"Greet","context":"Menu","example":"Said on join, once","source":"Hello","values":{"es":"Hola","fr":"Bonjour"}},{"source":"Only source","values":{}},{"key":"Multi","source":"line one\nline two","values":{"de":"x"}}]"#;
        let csv = csv_from_contents(contents).unwrap();
        assert_eq!(contents_from_csv(&csv).unwrap(), contents);
        assert!(csv.starts_with("Key,Source,Context,Example,de,es,fr\n"));
        // Roblox's own spelling of the JSON differs (spaces): keep it as a property.
        assert_eq!(
            csv_from_contents(r#"[{"key": "a", "source": "b", "values": {}}]"#),
            None
        );
        assert_eq!(
            csv_from_contents(r#"[{"key":"a","values":{},"extra":1}]"#),
            None
        );
        assert_eq!(csv_from_contents("not json"), None);
    }

    #[test]
    fn empty_header_columns_and_empty_rows_are_skipped() {
        let contents = contents_from_csv(",Key,Source\nMeta,a,b\n,,\n").unwrap();
        assert_eq!(contents, r#"[{"key":"a","source":"b","values":{}}]"#);
    }
}
