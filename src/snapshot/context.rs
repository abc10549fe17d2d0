//! `InstanceContext`: the project settings in force where an instance was read.
//!
//! A nested project changes some of them for everything under it: its own
//! `syncRules` replace the outer ones, its `globIgnorePaths` add to them, and
//! `emitLegacyScripts`/`syncScriptsOnly` apply when it sets them.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use crate::project::{IgnoreGlob, Project, SyncRule};

/// A project file on the way from the root project to an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectLink {
    /// The path as the project (or the user) wrote it, for messages.
    pub path: PathBuf,
    /// The same file, canonicalized, to compare.
    pub canonical: PathBuf,
}

#[derive(Debug, Clone, Default)]
pub struct InstanceContext {
    pub sync_rules: Arc<[SyncRule]>,
    pub ignore_globs: Arc<[IgnoreGlob]>,
    pub emit_legacy_scripts: bool,
    pub sync_scripts_only: bool,
    /// The project files being read, outermost first. A project that is
    /// already in the chain includes itself.
    pub project_chain: Arc<[ProjectLink]>,
}

impl InstanceContext {
    /// The context inside `project`, entered from `self` (use
    /// `InstanceContext::default()` for the root project).
    pub fn enter_project(
        &self,
        project: &Project,
        link: ProjectLink,
        is_root: bool,
    ) -> InstanceContext {
        let emit_legacy_scripts = project.emit_legacy_scripts.unwrap_or(if is_root {
            project.default_emit_legacy_scripts()
        } else {
            self.emit_legacy_scripts
        });
        let sync_scripts_only = project.sync_scripts_only.unwrap_or(self.sync_scripts_only);
        let ignore_globs: Vec<IgnoreGlob> = self
            .ignore_globs
            .iter()
            .chain(project.glob_ignore_paths.iter())
            .cloned()
            .collect();
        let project_chain: Vec<ProjectLink> = self
            .project_chain
            .iter()
            .cloned()
            .chain(std::iter::once(link))
            .collect();
        InstanceContext {
            sync_rules: project.sync_rules.clone().into(),
            ignore_globs: ignore_globs.into(),
            emit_legacy_scripts,
            sync_scripts_only,
            project_chain: project_chain.into(),
        }
    }

    /// True if any `globIgnorePaths` rule in force ignores `path`.
    pub fn is_ignored(&self, path: &Path) -> bool {
        self.ignore_globs.iter().any(|glob| glob.is_ignored(path))
    }
}
