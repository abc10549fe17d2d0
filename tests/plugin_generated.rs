//! Files of the plugin generated from Atlas's own data, so the two cannot
//! drift: `plugin/src/Reflection.luau` comes from the reflection database
//! the server uses. The test fails when the file is out of date;
//! `ATLAS_UPDATE_GENERATED=1 cargo test --test plugin_generated` writes it.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use rbx_reflection::{DataType, PropertyKind, PropertySerialization};

fn type_of(data_type: &DataType) -> (String, Option<String>) {
    match data_type {
        DataType::Value(variant) => (format!("{variant:?}"), None),
        DataType::Enum(name) => ("Enum".to_owned(), Some(name.to_string())),
        other => (format!("{other:?}"), None),
    }
}

fn reflection_luau() -> String {
    let db = atlas::reflection::database();
    let mut out = String::new();
    out.push_str(
        "--!strict\n\
         -- Generated from Atlas's reflection database by tests/plugin_generated.rs;\n\
         -- do not edit. `ATLAS_UPDATE_GENERATED=1 cargo test --test plugin_generated`\n\
         -- writes it again.\n\n\
         export type Property = { name: string, type: string, enum: string? }\n\n\
         local Reflection = {}\n\n\
         -- What a syncback sends of each service: every property the engine saves\n\
         -- in a place file, but Name and Refs (Refs travel in carriers).\n\
         Reflection.serviceProperties = {\n",
    );
    let mut refs_out = String::from("Reflection.serviceRefs = {\n");
    for service in atlas::syncback::VISIBLE_SERVICES {
        let mut properties: BTreeMap<String, String> = BTreeMap::new();
        let mut refs = Vec::new();
        let mut class = db.classes.get(service);
        while let Some(c) = class {
            for property in c.properties.values() {
                let saved = matches!(
                    property.kind,
                    PropertyKind::Canonical {
                        serialization: PropertySerialization::Serializes
                            | PropertySerialization::SerializesAs(_)
                    }
                );
                let name = property.name.to_string();
                if !saved || name == "Name" || properties.contains_key(&name) {
                    continue;
                }
                let (ty, enum_name) = type_of(&property.data_type);
                if ty == "Ref" {
                    refs.push(name);
                    continue;
                }
                let mut line = format!("{{ name = {name:?}, type = {ty:?}");
                if let Some(e) = enum_name {
                    let _ = write!(line, ", enum = {e:?}");
                }
                line.push_str(" },");
                properties.insert(name, line);
            }
            class = c
                .superclass
                .as_ref()
                .and_then(|s| db.classes.get(s.as_ref() as &str));
        }
        let _ = writeln!(out, "\t{service} = {{");
        for line in properties.values() {
            let _ = writeln!(out, "\t\t{line}");
        }
        out.push_str("\t},\n");
        refs.sort();
        let list: Vec<String> = refs.iter().map(|r| format!("{r:?}")).collect();
        let _ = writeln!(refs_out, "\t{service} = {{ {} }},", list.join(", "));
    }
    out.push_str("}\n\n");
    out.push_str(&refs_out);
    out.push_str("}\n\n");

    out.push_str(
        "-- Every class: its superclass and the properties it adds that the engine\n\
         -- saves in a place file (Name apart) with their types (`types`, in the same\n\
         -- order), and the older or other names a project\n\
         -- may give them (`covers`). A sync into a place that already has an\n\
         -- instance puts those the project does not set back to their default.\n\
         Reflection.classes = {\n",
    );
    let mut classes: Vec<_> = db.classes.values().collect();
    classes.sort_by(|a, b| a.name.cmp(&b.name));
    for class in classes {
        let mut saved: Vec<(String, String)> = class
            .properties
            .values()
            .filter(|p| {
                matches!(
                    p.kind,
                    PropertyKind::Canonical {
                        serialization: PropertySerialization::Serializes
                            | PropertySerialization::SerializesAs(_)
                    }
                ) && p.name != "Name"
            })
            .map(|p| {
                (
                    format!("{:?}", p.name),
                    format!("{:?}", type_of(&p.data_type).0),
                )
            })
            .collect();
        saved.sort();
        let names: Vec<&str> = saved.iter().map(|(n, _)| n.as_str()).collect();
        let types: Vec<&str> = saved.iter().map(|(_, t)| t.as_str()).collect();
        let superclass = class
            .superclass
            .as_ref()
            .map(|s| format!("{:?}", s.as_ref() as &str))
            .unwrap_or_else(|| "nil".to_owned());
        // Older or other names a project may use for a saved property.
        let mut covers: Vec<String> = class
            .properties
            .values()
            .filter_map(|p| {
                let targets: Vec<String> = match &p.kind {
                    PropertyKind::Alias { alias_for } => vec![alias_for.to_string()],
                    PropertyKind::Canonical {
                        serialization: PropertySerialization::Migrate(migration),
                    } => migration
                        .new_property_names()
                        .iter()
                        .map(|n| n.to_string())
                        .collect(),
                    _ => return None,
                };
                let list: Vec<String> = targets.iter().map(|t| format!("{t:?}")).collect();
                Some(format!("{} = {{ {} }}", p.name, list.join(", ")))
            })
            .collect();
        covers.sort();
        let covers = if covers.is_empty() {
            String::new()
        } else {
            format!(", covers = {{ {} }}", covers.join(", "))
        };
        let _ = writeln!(
            out,
            "\t{} = {{ superclass = {superclass}, properties = {{ {} }}, types = {{ {} }}{covers} }},",
            class.name,
            names.join(", "),
            types.join(", ")
        );
    }
    out.push_str("}\n\n");
    out.push_str("return Reflection\n");
    out.replace("{  }", "{}")
}

#[test]
fn reflection_module_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("plugin/src/Reflection.luau");
    let wanted = reflection_luau();
    if std::env::var_os("ATLAS_UPDATE_GENERATED").is_some() {
        std::fs::write(&path, &wanted).unwrap();
        return;
    }
    let present = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        present == wanted,
        "{} is out of date with the reflection database; run \
         `ATLAS_UPDATE_GENERATED=1 cargo test --test plugin_generated`",
        path.display()
    );
}
