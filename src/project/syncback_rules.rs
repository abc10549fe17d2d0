//! `syncbackRules`: what `atlas syncback` may write, read and remove.
//!
//! Parsed and validated with the project so a typo fails early; the syncback
//! pipeline is what acts on them.

use std::collections::BTreeMap;

use globset::GlobMatcher;
use serde::Deserialize;

use super::sync_rule::compile_glob;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SyncbackRules {
    /// Globs over instance paths (`ServerStorage/RBX_ANIMSAVES/**`).
    #[serde(default)]
    pub ignore_trees: Vec<String>,
    /// Globs over file paths relative to the project folder.
    #[serde(default)]
    pub ignore_paths: Vec<String>,
    /// Class name → property names never written (inherited by subclasses).
    #[serde(default)]
    pub ignore_properties: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub ignore_classes: Vec<String>,
    #[serde(default)]
    pub sync_current_camera: bool,
    /// Write properties scripts cannot read (`MeshPart.InitialSize`,
    /// `PhysicalConfigData`, ...). On by default: without them the place
    /// does not come back the same.
    pub sync_unscriptable: Option<bool>,
    #[serde(default)]
    pub ignore_referents: bool,
    #[serde(default = "yes")]
    pub create_ignore_dir_paths: bool,
    pub ignore_hidden_services: Option<bool>,
    #[serde(default)]
    pub warn_duplicate_names: bool,
    /// Syncback keeps the project's layout (incremental mode) unless asked
    /// for clean mode (`atlas syncback --clean`): for live syncback from
    /// Studio too. For projects adopted with their own layout.
    #[serde(default)]
    pub incremental: bool,
}

fn yes() -> bool {
    true
}

impl Default for SyncbackRules {
    fn default() -> Self {
        SyncbackRules {
            ignore_trees: Vec::new(),
            ignore_paths: Vec::new(),
            ignore_properties: BTreeMap::new(),
            ignore_classes: Vec::new(),
            sync_current_camera: false,
            sync_unscriptable: None,
            ignore_referents: false,
            create_ignore_dir_paths: true,
            ignore_hidden_services: None,
            warn_duplicate_names: false,
            incremental: false,
        }
    }
}

impl SyncbackRules {
    pub fn sync_unscriptable(&self) -> bool {
        self.sync_unscriptable.unwrap_or(true)
    }

    /// Checks what can be checked without a place: globs compile and class
    /// names exist. Returns the offending field and a message.
    pub fn validate(&self) -> Result<(), (String, String)> {
        for (i, pattern) in self.ignore_paths.iter().enumerate() {
            compile_glob(pattern)
                .map_err(|e| (format!("syncbackRules.ignorePaths[{i}]"), e.to_string()))?;
        }
        // ignoreTrees entries that are not valid globs are matched as plain
        // prefixes, so they cannot be wrong; only warn.
        for (i, pattern) in self.ignore_trees.iter().enumerate() {
            if compile_glob(pattern).is_err() {
                log::warn!(
                    "syncbackRules.ignoreTrees[{i}] `{pattern}` is not a valid glob; it is matched as a path prefix"
                );
            }
        }
        for class in self
            .ignore_properties
            .keys()
            .chain(self.ignore_classes.iter())
        {
            if crate::reflection::class(class).is_none() {
                log::warn!("syncbackRules names class `{class}`, which Atlas does not know");
            }
        }
        Ok(())
    }

    /// The compiled `ignorePaths` globs.
    pub fn ignore_path_matchers(&self) -> Vec<GlobMatcher> {
        self.ignore_paths
            .iter()
            .filter_map(|p| compile_glob(p).ok())
            .collect()
    }
}
