//! The project file: `*.project.json5` (Atlas) or `*.project.json` (Rojo).
//!
//! This module parses and validates one project file. It reads that file and
//! nothing else: turning the project into instances is `formats::project`.

mod node;
pub mod suffixes;
mod sync_rule;
mod syncback_rules;

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use globset::GlobMatcher;
use serde::Deserialize;

use crate::json::{self, Json5Error};

pub use node::{PathNode, ProjectNode, SPECIAL_KEYS};
pub use sync_rule::{default_rule_for, Middleware, SyncRule};
pub use syncback_rules::SyncbackRules;

/// Project file names looked for in a folder, in order.
pub const DEFAULT_PROJECT_NAMES: [&str; 2] = ["default.project.json5", "default.project.json"];

#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error("{}: could not read the project file: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error("{}: {source}", path.display())]
    Syntax { path: PathBuf, source: Json5Error },

    #[error("{}: {field}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        field: String,
        message: String,
    },

    #[error("no project file in {} (looked for default.project.json5 and default.project.json)", dir.display())]
    NotFound { dir: PathBuf },
}

/// Which family a project file belongs to; decides defaults that differ
/// between Atlas and Rojo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectFlavor {
    /// `*.project.json5`
    Atlas,
    /// `*.project.json`
    Rojo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileLogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    None,
}

/// A glob from `globIgnorePaths`, with the folder it is relative to.
#[derive(Debug, Clone)]
pub struct IgnoreGlob {
    pub pattern: String,
    pub base: PathBuf,
    matcher: GlobMatcher,
}

impl IgnoreGlob {
    /// True if `path` (absolute or relative like `base`) is ignored.
    pub fn is_ignored(&self, path: &Path) -> bool {
        match path.strip_prefix(&self.base) {
            Ok(relative) => self.matcher.is_match(relative),
            Err(_) => false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub tree: ProjectNode,
    /// The project file itself.
    pub file_location: PathBuf,
    /// The folder holding the project file; `$path`s are relative to it.
    pub folder: PathBuf,
    pub flavor: ProjectFlavor,
    pub schema: Option<String>,
    /// True when the file gave `name`; otherwise it was inferred.
    pub has_explicit_name: bool,
    pub serve_port: Option<u16>,
    pub serve_address: Option<IpAddr>,
    pub serve_place_ids: Option<BTreeSet<u64>>,
    pub blocked_place_ids: Option<BTreeSet<u64>>,
    pub serve_allowed_hosts: Vec<String>,
    pub place_id: Option<u64>,
    pub game_id: Option<u64>,
    pub glob_ignore_paths: Vec<IgnoreGlob>,
    pub sync_rules: Vec<SyncRule>,
    pub syncback_rules: Option<SyncbackRules>,
    pub emit_legacy_scripts: Option<bool>,
    pub sync_scripts_only: Option<bool>,
    pub ignore_hidden_services: Option<bool>,
    pub file_log_level: Option<FileLogLevel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ProjectFile {
    #[serde(rename = "$schema")]
    schema: Option<String>,
    name: Option<String>,
    tree: ProjectNode,
    serve_port: Option<u16>,
    serve_address: Option<IpAddr>,
    serve_place_ids: Option<BTreeSet<u64>>,
    blocked_place_ids: Option<BTreeSet<u64>>,
    #[serde(default)]
    serve_allowed_hosts: Vec<String>,
    place_id: Option<u64>,
    game_id: Option<u64>,
    #[serde(default)]
    glob_ignore_paths: Vec<String>,
    #[serde(default)]
    sync_rules: Vec<sync_rule::RawSyncRule>,
    syncback_rules: Option<SyncbackRules>,
    emit_legacy_scripts: Option<bool>,
    sync_scripts_only: Option<bool>,
    ignore_hidden_services: Option<bool>,
    file_log_level: Option<FileLogLevel>,
}

impl Project {
    /// True if a file name names a project file.
    pub fn is_project_file(path: &Path) -> bool {
        path.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(suffixes::is_project)
    }

    /// The project file for a path given on the command line: the file
    /// itself, or the default project inside a folder.
    pub fn locate(path: &Path) -> Result<PathBuf, ProjectError> {
        if path.is_dir() {
            DEFAULT_PROJECT_NAMES
                .iter()
                .map(|name| path.join(name))
                .find(|candidate| candidate.is_file())
                .ok_or_else(|| ProjectError::NotFound {
                    dir: path.to_path_buf(),
                })
        } else {
            Ok(path.to_path_buf())
        }
    }

    /// Reads and validates the project file at `path`.
    pub fn load(path: &Path) -> Result<Project, ProjectError> {
        let bytes = fs::read(path).map_err(|source| ProjectError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Project::from_bytes(path, &bytes)
    }

    /// Parses project file contents; `path` locates it (for `$path`s and
    /// the inferred name) and names it in errors.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Project, ProjectError> {
        let text = std::str::from_utf8(bytes).map_err(|_| ProjectError::Invalid {
            path: path.to_path_buf(),
            field: "(file)".to_owned(),
            message: "the file is not valid UTF-8".to_owned(),
        })?;
        let raw: ProjectFile = json::from_str(text).map_err(|source| ProjectError::Syntax {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |field: String, message: String| ProjectError::Invalid {
            path: path.to_path_buf(),
            field,
            message,
        };

        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let flavor = if file_name.ends_with(suffixes::PROJECT[1]) {
            ProjectFlavor::Rojo
        } else {
            ProjectFlavor::Atlas
        };

        let has_explicit_name = raw.name.is_some();
        let name = match raw.name {
            Some(name) if name.is_empty() => {
                return Err(invalid(
                    "name".to_owned(),
                    "the project name cannot be empty".to_owned(),
                ))
            }
            Some(name) => name,
            None => inferred_name(path, &folder),
        };

        let mut glob_ignore_paths = Vec::with_capacity(raw.glob_ignore_paths.len());
        for (i, pattern) in raw.glob_ignore_paths.into_iter().enumerate() {
            let matcher = sync_rule::compile_glob(&pattern)
                .map_err(|e| invalid(format!("globIgnorePaths[{i}]"), e.to_string()))?;
            glob_ignore_paths.push(IgnoreGlob {
                pattern,
                base: folder.clone(),
                matcher,
            });
        }

        let mut sync_rules = Vec::with_capacity(raw.sync_rules.len());
        for (i, rule) in raw.sync_rules.into_iter().enumerate() {
            sync_rules.push(
                rule.compile(&folder)
                    .map_err(|e| invalid(format!("syncRules[{i}]"), e))?,
            );
        }

        if let Some(rules) = &raw.syncback_rules {
            rules
                .validate()
                .map_err(|(field, message)| invalid(field, message))?;
        }

        if let (Some(allowed), Some(blocked)) = (&raw.serve_place_ids, &raw.blocked_place_ids) {
            if let Some(id) = allowed.intersection(blocked).next() {
                return Err(invalid(
                    "blockedPlaceIds".to_owned(),
                    format!("place {id} is both in servePlaceIds and blockedPlaceIds"),
                ));
            }
        }

        Ok(Project {
            name,
            tree: raw.tree,
            file_location: path.to_path_buf(),
            folder,
            flavor,
            schema: raw.schema,
            has_explicit_name,
            serve_port: raw.serve_port,
            serve_address: raw.serve_address,
            serve_place_ids: raw.serve_place_ids,
            blocked_place_ids: raw.blocked_place_ids,
            serve_allowed_hosts: raw.serve_allowed_hosts,
            place_id: raw.place_id,
            game_id: raw.game_id,
            glob_ignore_paths,
            sync_rules,
            syncback_rules: raw.syncback_rules,
            emit_legacy_scripts: raw.emit_legacy_scripts,
            sync_scripts_only: raw.sync_scripts_only,
            ignore_hidden_services: raw.ignore_hidden_services,
            file_log_level: raw.file_log_level,
        })
    }

    /// `emitLegacyScripts` when this project is the root: on for Rojo
    /// projects (as in Rojo), off for Atlas projects.
    pub fn default_emit_legacy_scripts(&self) -> bool {
        self.flavor == ProjectFlavor::Rojo
    }
}

/// The name of a project file that gives none: the folder's name for
/// `default.project.*`, else the file name without `.project.json5`/`.json`.
fn inferred_name(path: &Path, folder: &Path) -> String {
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if DEFAULT_PROJECT_NAMES.contains(&file_name) {
        let folder_name = folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .or_else(|| {
                let dir = if folder.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    folder
                };
                fs::canonicalize(dir)
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            });
        if let Some(name) = folder_name {
            return name;
        }
    }
    suffixes::PROJECT
        .iter()
        .find_map(|suffix| file_name.strip_suffix(suffix))
        .unwrap_or(file_name)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<Project, ProjectError> {
        Project::from_bytes(&Path::new("/work/game").join(name), text.as_bytes())
    }

    #[test]
    fn unknown_top_level_key_is_an_error_with_position() {
        let err = parse(
            "default.project.json5",
            "{\n  tree: {},\n  servePorts: 1,\n}",
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("servePorts"), "{text}");
        assert!(text.contains("line 3"), "{text}");
    }

    #[test]
    fn name_is_inferred_from_folder_or_file() {
        assert_eq!(
            parse("default.project.json5", "{tree: {}}").unwrap().name,
            "game"
        );
        assert_eq!(
            parse("other.project.json", "{tree: {}}").unwrap().name,
            "other"
        );
        assert_eq!(
            parse("x.project.json5", "{name: 'n', tree: {}}")
                .unwrap()
                .name,
            "n"
        );
    }

    #[test]
    fn flavor_decides_legacy_script_default() {
        assert!(parse("a.project.json", "{tree: {}}")
            .unwrap()
            .default_emit_legacy_scripts());
        assert!(!parse("a.project.json5", "{tree: {}}")
            .unwrap()
            .default_emit_legacy_scripts());
    }

    #[test]
    fn invalid_glob_names_its_field() {
        let err = parse(
            "a.project.json5",
            "{tree: {}, globIgnorePaths: ['ok', 'a[']}",
        )
        .unwrap_err();
        assert!(err.to_string().contains("globIgnorePaths[1]"), "{err}");
    }

    #[test]
    fn all_fields_parse() {
        let p = parse(
            "a.project.json5",
            r#"{
              $schema: "x", name: "n", tree: {$className: "DataModel"},
              servePort: 1234, serveAddress: "0.0.0.0", servePlaceIds: [2, 1], blockedPlaceIds: [3],
              placeId: 1, gameId: 9, globIgnorePaths: ["**/*.spec.luau"],
              syncRules: [{pattern: "*.foo", use: "text"}],
              syncbackRules: {ignoreTrees: ["ServerStorage/RBX_ANIMSAVES/**"], syncCurrentCamera: true},
              emitLegacyScripts: true, syncScriptsOnly: false, ignoreHiddenServices: true,
              fileLogLevel: "info", serveAllowedHosts: ["example.test"],
            }"#,
        )
        .unwrap();
        assert_eq!(p.serve_port, Some(1234));
        assert_eq!(
            p.serve_place_ids.unwrap().into_iter().collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(p.sync_rules[0].middleware, Middleware::Text);
        assert!(p.syncback_rules.unwrap().sync_current_camera);
        assert_eq!(p.emit_legacy_scripts, Some(true));
    }

    #[test]
    fn unknown_syncback_rule_is_an_error() {
        let err = parse(
            "a.project.json5",
            "{tree: {}, syncbackRules: {ignoreTree: []}}",
        )
        .unwrap_err();
        assert!(err.to_string().contains("ignoreTree"), "{err}");
    }
}
