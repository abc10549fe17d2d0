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
