//! Scripts: `.luau` and `.lua` files.
//!
//! | suffix | instance |
//! |---|---|
//! | `.luau` | ModuleScript |
//! | `.server.luau` | Script, RunContext Server (Legacy with `emitLegacyScripts`) |
//! | `.client.luau` | Script, RunContext Client (LocalScript with `emitLegacyScripts`) |
//! | `.plugin.luau` | Script, RunContext Plugin |
//! | `.local.luau` | LocalScript |
//! | `.legacy.luau` | Script, RunContext Legacy |
//!
//! The same holds for `.lua`. `Source` is the file's text, byte for byte, so a
//! script comes back from a round trip unchanged.

use rbx_dom_weak::types::{Enum, Variant};
use rbx_dom_weak::ustr;

use super::{FileInput, SnapshotResult};
use crate::project::Middleware;
use crate::reflection;
use crate::snapshot::InstanceSnapshot;

/// A script's class and, for `Script`, its RunContext item name.
pub fn script_class(
    middleware: Middleware,
    emit_legacy_scripts: bool,
) -> (&'static str, Option<&'static str>) {
    match middleware {
        Middleware::ServerScript if emit_legacy_scripts => ("Script", Some("Legacy")),
        Middleware::ServerScript | Middleware::RunContextServerScript => ("Script", Some("Server")),
        Middleware::ClientScript if emit_legacy_scripts => ("LocalScript", None),
        Middleware::ClientScript | Middleware::RunContextClientScript => ("Script", Some("Client")),
        Middleware::PluginScript => ("Script", Some("Plugin")),
        Middleware::LegacyScript | Middleware::LegacyServerScript => ("Script", Some("Legacy")),
        Middleware::LocalScript | Middleware::LegacyClientScript => ("LocalScript", None),
        _ => ("ModuleScript", None),
    }
}

/// A script file read by `middleware` holds the instance when it makes that
/// class and the instance has no children (a RunContext its suffix does not
/// give goes in the meta file).
pub fn can_hold(
    middleware: Middleware,
    emit_legacy_scripts: bool,
    instance: &rbx_dom_weak::Instance,
) -> bool {
    middleware.is_script()
        && instance.children().is_empty()
        && script_class(middleware, emit_legacy_scripts).0 == instance.class.as_str()
}

pub fn snapshot(input: &FileInput, middleware: Middleware) -> SnapshotResult {
    let source = input.read_text()?;
    let mut snapshot = script_snapshot(input, middleware, source);
    input.apply_adjacent_meta(&mut snapshot)?;
    Ok(Some(snapshot))
}

/// The script instance for `input`, before any meta file.
pub fn script_snapshot(
    input: &FileInput,
    middleware: Middleware,
    source: String,
) -> InstanceSnapshot {
    let (class_name, run_context) = script_class(middleware, input.context.emit_legacy_scripts);
    let mut snapshot = input.new_snapshot(class_name);
    snapshot
        .properties
        .insert(ustr("Source"), Variant::String(source));
    if let Some(item) = run_context {
        let value = reflection::enum_item("RunContext", item).unwrap_or(match item {
            "Server" => 1,
            "Client" => 2,
            "Plugin" => 3,
            _ => 0,
        });
        snapshot
            .properties
            .insert(ustr("RunContext"), Variant::Enum(Enum::from_u32(value)));
    }
    snapshot
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_legacy_scripts_decides_server_and_client() {
        assert_eq!(
            script_class(Middleware::ServerScript, false),
            ("Script", Some("Server"))
        );
        assert_eq!(
            script_class(Middleware::ServerScript, true),
            ("Script", Some("Legacy"))
        );
        assert_eq!(
            script_class(Middleware::ClientScript, false),
            ("Script", Some("Client"))
        );
        assert_eq!(
            script_class(Middleware::ClientScript, true),
            ("LocalScript", None)
        );
        assert_eq!(
            script_class(Middleware::LocalScript, false),
            ("LocalScript", None)
        );
        assert_eq!(
            script_class(Middleware::PluginScript, true),
            ("Script", Some("Plugin"))
        );
        assert_eq!(
            script_class(Middleware::ModuleScript, true),
            ("ModuleScript", None)
        );
    }
}

/// The suffixes a script file may have, in the order syncback prefers them.
const SUFFIXES: &[(&str, Middleware)] = &[
    ("", Middleware::ModuleScript),
    (".server", Middleware::ServerScript),
    (".client", Middleware::ClientScript),
    (".plugin", Middleware::PluginScript),
    (".local", Middleware::LocalScript),
    (".legacy", Middleware::LegacyScript),
];

/// The suffix (before `.luau`) for a script of `class_name` whose RunContext
/// item is `run_context` (None when the class has none), where
/// `emitLegacyScripts` is `emit_legacy_scripts`. The second value is true
/// when no suffix gives that RunContext, so it must go in the meta file.
/// `None` if `class_name` is not a script class.
pub fn suffix_for(
    class_name: &str,
    run_context: Option<&str>,
    emit_legacy_scripts: bool,
) -> Option<(&'static str, bool)> {
    let mut same_class = None;
    for (suffix, middleware) in SUFFIXES {
        let (class, context) = script_class(*middleware, emit_legacy_scripts);
        if class != class_name {
            continue;
        }
        if context == run_context {
            return Some((suffix, false));
        }
        same_class.get_or_insert((*suffix, true));
    }
    same_class
}

#[cfg(test)]
mod suffix_tests {
    use super::*;

    #[test]
    fn suffixes_read_back_as_the_same_script() {
        for emit in [false, true] {
            for (class, contexts) in [
                (
                    "Script",
                    &[
                        Some("Legacy"),
                        Some("Server"),
                        Some("Client"),
                        Some("Plugin"),
                    ][..],
                ),
                ("LocalScript", &[None][..]),
                ("ModuleScript", &[None][..]),
            ] {
                for context in contexts {
                    let (suffix, in_meta) = suffix_for(class, *context, emit).unwrap();
                    let middleware = SUFFIXES.iter().find(|(s, _)| *s == suffix).unwrap().1;
                    let (read_class, read_context) = script_class(middleware, emit);
                    assert_eq!(read_class, class);
                    assert_eq!(
                        read_context != *context,
                        in_meta,
                        "{class} {context:?} emit={emit}"
                    );
                }
            }
        }
        assert_eq!(
            suffix_for("Script", Some("Server"), false),
            Some((".server", false))
        );
        assert_eq!(
            suffix_for("Script", Some("Legacy"), false),
            Some((".legacy", false))
        );
        assert_eq!(
            suffix_for("LocalScript", None, false),
            Some((".local", false))
        );
        assert_eq!(
            suffix_for("LocalScript", None, true),
            Some((".client", false))
        );
        assert_eq!(
            suffix_for("Script", Some("Client"), true),
            Some((".server", true))
        );
        assert_eq!(suffix_for("Part", None, false), None);
    }
}
