//! A stable, readable text form of an instance tree, for insta snapshots.
//!
//! ```text
//! Folder "root"
//!   Attributes = {Speed: Float64(10)}
//!   ModuleScript "Util"
//!     Source = "return {}"
//! ```
//! Properties are sorted by name; Ref values show the target's path.

use std::fmt::Write;

use rbx_dom_weak::types::{Ref, Variant};
use rbx_dom_weak::WeakDom;

pub fn view(dom: &WeakDom, root: Ref) -> String {
    let mut out = String::new();
    write_instance(&mut out, dom, root, 0);
    out
}

fn write_instance(out: &mut String, dom: &WeakDom, referent: Ref, depth: usize) {
    let Some(instance) = dom.get_by_ref(referent) else {
        return;
    };
    let indent = "  ".repeat(depth);
    let _ = writeln!(out, "{indent}{} {:?}", instance.class, instance.name);
    let mut properties: Vec<(&str, &Variant)> = instance
        .properties
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    properties.sort_by(|a, b| a.0.cmp(b.0));
    for (name, value) in properties {
        let _ = writeln!(out, "{indent}  .{name} = {}", show_value(dom, value));
    }
    for child in instance.children() {
        write_instance(out, dom, *child, depth + 1);
    }
}

pub fn show_value(dom: &WeakDom, value: &Variant) -> String {
    match value {
        Variant::Ref(target) if target.is_none() => "nil".to_owned(),
        Variant::Ref(target) => match dom.get_by_ref(*target) {
            Some(_) => format!("-> {}", atlas::snapshot::refs::instance_path(dom, *target)),
            None => "-> (not in tree)".to_owned(),
        },
        Variant::String(s) => format!("{s:?}"),
        Variant::Bool(b) => b.to_string(),
        Variant::Float32(f) => format!("Float32({f:?})"),
        Variant::Float64(f) => format!("Float64({f:?})"),
        Variant::Int32(i) => format!("Int32({i})"),
        Variant::Int64(i) => format!("Int64({i})"),
        Variant::Enum(e) => format!("Enum({})", e.to_u32()),
        Variant::Vector3(v) => format!("Vector3({:?}, {:?}, {:?})", v.x, v.y, v.z),
        Variant::Vector2(v) => format!("Vector2({:?}, {:?})", v.x, v.y),
        Variant::Color3(c) => format!("Color3({:?}, {:?}, {:?})", c.r, c.g, c.b),
        Variant::Tags(tags) => format!("Tags{:?}", tags.iter().collect::<Vec<_>>()),
        Variant::Attributes(attributes) => {
            let mut entries: Vec<(&String, &Variant)> = attributes.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            let shown: Vec<String> = entries
                .into_iter()
                .map(|(k, v)| format!("{k}: {}", show_value(dom, v)))
                .collect();
            format!("{{{}}}", shown.join(", "))
        }
        other => format!("{other:?}"),
    }
}
