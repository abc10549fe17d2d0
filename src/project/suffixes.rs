//! Every file-name suffix Atlas reads and writes, in one place.
//!
//! [`BUILT_IN`] is what reading follows (the built-in sync rules, first
//! match wins); the named constants below are what writing, init files,
//! orphan scans and the dev server use, and the tests check they agree with
//! [`BUILT_IN`]. The first spelling of each pair is Atlas's own (JSON5), the
//! second Rojo's (`.json`), which Atlas reads and keeps.

use super::Middleware;

/// The built-in rules, by file name suffix. Order matters: the first match
/// wins (`.server.luau` before `.luau`, `.model.json5` before `.json5`).
pub const BUILT_IN: &[(&str, Middleware)] = &[
    (".server.luau", Middleware::ServerScript),
    (".client.luau", Middleware::ClientScript),
    (".plugin.luau", Middleware::PluginScript),
    (".legacy.luau", Middleware::LegacyScript),
    (".local.luau", Middleware::LocalScript),
    (".luau", Middleware::ModuleScript),
    (".project.json5", Middleware::Project),
    (".model.json5", Middleware::JsonModel),
    (".meta.json5", Middleware::Ignore),
    (".json5", Middleware::Json),
    (".server.lua", Middleware::ServerScript),
    (".client.lua", Middleware::ClientScript),
    (".plugin.lua", Middleware::PluginScript),
    (".legacy.lua", Middleware::LegacyScript),
    (".local.lua", Middleware::LocalScript),
    (".lua", Middleware::ModuleScript),
    (".project.json", Middleware::Project),
    (".model.json", Middleware::JsonModel),
    (".meta.json", Middleware::Ignore),
    (".json", Middleware::Json),
    (".toml", Middleware::Toml),
    (".csv", Middleware::Csv),
    (".txt", Middleware::Text),
    (".rbxmx", Middleware::Rbxmx),
    (".rbxm", Middleware::Rbxm),
    (".yml", Middleware::Yaml),
    (".yaml", Middleware::Yaml),
];

/// Script files: `<stem><run-context suffix><LUAU>` (`.server.luau`).
pub const LUAU: &str = ".luau";
/// The older script extension, kept where a project uses it.
pub const LUA: &str = ".lua";
/// Meta files beside a file (`Foo.meta.json5`), preferred first.
pub const META: [&str; 2] = [".meta.json5", ".meta.json"];
/// A folder's own meta file, preferred first.
pub const INIT_META: [&str; 2] = ["init.meta.json5", "init.meta.json"];
pub const MODEL: [&str; 2] = [".model.json5", ".model.json"];
pub const PROJECT: [&str; 2] = [".project.json5", ".project.json"];
/// Data files that become a ModuleScript returning their data.
pub const DATA: [&str; 5] = [".json5", ".json", ".toml", ".yaml", ".yml"];
pub const TEXT: &str = ".txt";
pub const CSV: &str = ".csv";
/// The init file of a folder that holds a LocalizationTable.
pub const INIT_CSV: &str = "init.csv";
/// The empty file that keeps an empty folder in git.
pub const GITKEEP: &str = ".gitkeep";

/// `.meta.json5`, or `.meta.json` for a Rojo project.
pub fn meta(rojo: bool) -> &'static str {
    META[usize::from(rojo)]
}

/// `init.meta.json5`, or `init.meta.json` for a Rojo project.
pub fn init_meta(rojo: bool) -> &'static str {
    INIT_META[usize::from(rojo)]
}

/// `.model.json5`, or `.model.json` for a Rojo project.
pub fn model(rojo: bool) -> &'static str {
    MODEL[usize::from(rojo)]
}

pub fn is_meta(file_name: &str) -> bool {
    META.iter().any(|suffix| file_name.ends_with(suffix))
}

pub fn is_project(file_name: &str) -> bool {
    PROJECT.iter().any(|suffix| file_name.ends_with(suffix))
}

/// `Rojo` spelling (`.json`) of a project file, a model or a meta file.
pub fn is_rojo_spelling(file_name: &str) -> bool {
    file_name.ends_with(".json")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::default_rule_for;

    fn rule(name: &str) -> Option<Middleware> {
        default_rule_for(name).map(|(middleware, _)| middleware)
    }

    #[test]
    fn the_named_suffixes_are_what_reading_follows() {
        for suffix in [LUAU, LUA] {
            assert_eq!(rule(&format!("a{suffix}")), Some(Middleware::ModuleScript));
        }
        for suffix in META {
            assert_eq!(rule(&format!("a{suffix}")), Some(Middleware::Ignore));
        }
        for name in INIT_META {
            assert_eq!(rule(name), Some(Middleware::Ignore));
        }
        for suffix in MODEL {
            assert_eq!(rule(&format!("a{suffix}")), Some(Middleware::JsonModel));
        }
        for suffix in PROJECT {
            assert_eq!(rule(&format!("a{suffix}")), Some(Middleware::Project));
        }
        for suffix in DATA {
            assert!(matches!(
                rule(&format!("a{suffix}")),
                Some(Middleware::Json | Middleware::Toml | Middleware::Yaml)
            ));
        }
        assert_eq!(rule(&format!("a{TEXT}")), Some(Middleware::Text));
        assert_eq!(rule(&format!("a{CSV}")), Some(Middleware::Csv));
        assert_eq!(rule(INIT_CSV), Some(Middleware::Csv));
        assert_eq!(rule(GITKEEP), None);
    }

    #[test]
    fn init_files_are_init_plus_a_built_in_suffix() {
        for (name, middleware) in crate::formats::dir::INIT_FILES {
            assert_eq!(rule(name), Some(*middleware), "{name}");
        }
    }
}
