//! The JSON schemas in `schemas/` (printed by `atlas schema`, written by
//! `atlas init`) against the parser: every project, meta and model file of
//! the fixtures and examples that the parser takes, the schema takes too;
//! a wrong field is refused by both; and each schema lists exactly the
//! fields the parser reads (the parser's own "expected one of" list).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use atlas::schemas::SchemaKind;
use serde_json::Value;

fn validator(kind: SchemaKind) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(kind.text()).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON schema")
}

/// Which schema a file name calls for.
fn kind_of(name: &str) -> Option<SchemaKind> {
    if name.ends_with(".project.json5") || name.ends_with(".project.json") {
        Some(SchemaKind::Project)
    } else if name.ends_with(".meta.json5") || name.ends_with(".meta.json") {
        Some(SchemaKind::Meta)
    } else if name.ends_with(".model.json5") || name.ends_with(".model.json") {
        Some(SchemaKind::Model)
    } else {
        None
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    common::files::find_files(dir, &|name| kind_of(name).is_some(), out);
}

/// True if the parser takes the file's fields (its shape: what the schema
/// can say; meaning, such as a class that does not exist, is the build's).
fn parser_takes(kind: SchemaKind, path: &Path, text: &str) -> Result<(), String> {
    match kind {
        SchemaKind::Project => atlas::project::Project::from_bytes(path, text.as_bytes())
            .map(|_| ())
            .map_err(|e| e.to_string()),
        SchemaKind::Meta => atlas::json::from_str::<atlas::formats::meta::MetaFile>(text)
            .map(|_| ())
            .map_err(|e| e.to_string()),
        SchemaKind::Model => atlas::json::from_str::<atlas::formats::json_model::JsonModel>(text)
            .map(|_| ())
            .map_err(|e| e.to_string()),
    }
}

fn errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
}

#[test]
fn every_file_the_parser_takes_validates_against_its_schema() {
    let mut files = Vec::new();
    walk(Path::new("rojo-test"), &mut files);
    walk(Path::new("examples"), &mut files);
    walk(Path::new("plugin"), &mut files);
    let rojo = common::shared_dir().join("conformance").join("rojo-build");
    if common::have_shared(&rojo) {
        walk(&rojo, &mut files);
    }
    files.sort();
    let validators = SchemaKind::ALL.map(|k| (k, validator(k)));
    let mut checked = 0;
    let mut failures = Vec::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy();
        let kind = kind_of(&name).unwrap();
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let Ok(value) = atlas::json::from_str::<Value>(&text) else {
            continue; // not JSON5 at all: the malformed-file fixtures
        };
        if parser_takes(kind, path, &text).is_err() {
            continue;
        }
        let (_, validator) = validators.iter().find(|(k, _)| *k == kind).unwrap();
        let found = errors(validator, &value);
        if !found.is_empty() {
            failures.push(format!("{}: {}", path.display(), found.join("; ")));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 100, "only {checked} files checked");
}

#[test]
fn a_wrong_field_is_refused_by_the_schema_and_the_parser_alike() {
    let cases = [
        (
            SchemaKind::Project,
            r#"{ tree: { $className: "Folder" }, servePort: "not a number" }"#,
        ),
        (
            SchemaKind::Project,
            r#"{ tree: { $className: "Folder" }, notAField: true }"#,
        ),
        (
            SchemaKind::Project,
            r#"{ tree: { $path: { optional: "x", other: 1 } } }"#,
        ),
        (
            SchemaKind::Project,
            r#"{ tree: {}, syncRules: [{ pattern: "*.x", use: "notAMiddleware" }] }"#,
        ),
        (
            SchemaKind::Project,
            r#"{ tree: {}, syncbackRules: { ignoreTree: [] } }"#,
        ),
        (SchemaKind::Meta, r#"{ classname: "Folder" }"#),
        (SchemaKind::Meta, r#"{ ignoreUnknownInstances: "yes" }"#),
        (SchemaKind::Model, r#"{ className: "Part", propertes: {} }"#),
        (
            SchemaKind::Model,
            r#"{ className: "Model", children: [{ name: "A", className: "Part", extra: 1 }] }"#,
        ),
        (SchemaKind::Model, r#"{ name: "NoClass" }"#),
    ];
    for (kind, text) in cases {
        let value: Value = atlas::json::from_str(text).unwrap();
        let schema_errors = errors(&validator(kind), &value);
        assert!(
            !schema_errors.is_empty(),
            "the {kind:?} schema takes {text}"
        );
        assert!(
            parser_takes(kind, Path::new("x.project.json5"), text).is_err(),
            "the parser takes {text}"
        );
    }
}

/// The names the parser lists in its "unknown field `x`, expected one of
/// ..." message for `text` (which has one unknown field).
fn expected_fields(kind: SchemaKind, text: &str) -> BTreeSet<String> {
    let message = parser_takes(kind, Path::new("x.project.json5"), text)
        .expect_err("an unknown field is refused");
    let list = message
        .split("expected one of ")
        .nth(1)
        .or_else(|| message.split("expected ").nth(1))
        .unwrap_or_else(|| panic!("no list of fields in: {message}"));
    list.split(',')
        .map(|f| {
            f.trim()
                .trim_start_matches("or ")
                .split('`')
                .nth(1)
                .unwrap_or("")
                .to_owned()
        })
        .filter(|f| !f.is_empty())
        .collect()
}

/// The property names a schema object (at a JSON pointer) lists.
fn schema_fields(kind: SchemaKind, pointer: &str) -> BTreeSet<String> {
    let schema: Value = serde_json::from_str(kind.text()).unwrap();
    schema
        .pointer(pointer)
        .and_then(|p| p.as_object())
        .unwrap_or_else(|| panic!("{kind:?} schema has no {pointer}"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn each_schema_lists_exactly_the_fields_the_parser_reads() {
    let cases = [
        (
            SchemaKind::Project,
            "/properties",
            r#"{ tree: {}, zzz: 1 }"#,
        ),
        (
            SchemaKind::Project,
            "/definitions/syncRule/properties",
            r#"{ tree: {}, syncRules: [{ pattern: "x", use: "json", zzz: 1 }] }"#,
        ),
        (
            SchemaKind::Project,
            "/definitions/syncbackRules/properties",
            r#"{ tree: {}, syncbackRules: { zzz: 1 } }"#,
        ),
        (SchemaKind::Meta, "/properties", r#"{ zzz: 1 }"#),
    ];
    for (kind, pointer, text) in cases {
        assert_eq!(
            schema_fields(kind, pointer),
            expected_fields(kind, text),
            "{kind:?} {pointer}"
        );
    }
    // A model file takes older capitalized spellings too (serde aliases,
    // which its message leaves out): every field the message lists is in
    // the schema, and every other schema field is one the parser takes.
    let model = schema_fields(SchemaKind::Model, "/definitions/instance/properties");
    let listed = expected_fields(SchemaKind::Model, r#"{ className: "Folder", zzz: 1 }"#);
    assert!(listed.is_subset(&model), "{listed:?} ⊄ {model:?}");
    for field in model.difference(&listed) {
        let text = match field.as_str() {
            "ClassName" => r#"{ ClassName: "Folder" }"#.to_owned(),
            "Children" => r#"{ className: "Folder", Children: [] }"#.to_owned(),
            other => format!(r#"{{ className: "Folder", {other}: {{}} }}"#),
        };
        assert!(
            parser_takes(SchemaKind::Model, Path::new("x"), &text).is_ok(),
            "the schema lists {field}, which the parser refuses"
        );
    }
    // A project node: its `$` keys, every other key a child.
    let node = schema_fields(SchemaKind::Project, "/definitions/node/properties");
    let parsed: BTreeSet<String> = atlas::project::SPECIAL_KEYS
        .iter()
        .map(|k| k.to_string())
        .collect();
    assert_eq!(node, parsed);
}

#[test]
fn atlas_schema_prints_each_schema() {
    for (arg, kind) in [
        ("project", SchemaKind::Project),
        ("meta", SchemaKind::Meta),
        ("model", SchemaKind::Model),
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_atlas"))
            .args(["schema", arg])
            .output()
            .unwrap();
        assert!(output.status.success());
        assert_eq!(String::from_utf8(output.stdout).unwrap(), kind.text());
    }
}

#[test]
fn the_projects_atlas_init_writes_validate_and_point_at_their_schema() {
    let validator = validator(SchemaKind::Project);
    for kind in [
        atlas::init::InitKind::Place,
        atlas::init::InitKind::Model,
        atlas::init::InitKind::Plugin,
    ] {
        let files = atlas::init::files(kind, "Game");
        let (_, project) = files
            .iter()
            .find(|(p, _)| p == Path::new("default.project.json5"))
            .unwrap();
        let value: Value = atlas::json::from_str(project).unwrap();
        assert_eq!(errors(&validator, &value), Vec::<String>::new(), "{kind:?}");
        let schema = value["$schema"].as_str().unwrap();
        let (_, written) = files
            .iter()
            .find(|(p, _)| Path::new(".").join(p) == Path::new(schema))
            .unwrap_or_else(|| panic!("{kind:?}: $schema {schema} is not written"));
        assert_eq!(written, SchemaKind::Project.text());
    }
}
