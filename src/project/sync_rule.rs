//! Sync rules: which file becomes which kind of instance.
//!
//! A project's `syncRules` are tried first (first match wins), then the
//! built-in rules of [`default_rule_for`].

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

/// The ways a file can become an instance. Users name them in `syncRules`
/// (`use: "moduleScript"`), so the names are part of the project format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Middleware {
    /// `Script`: RunContext Server, or Legacy when `emitLegacyScripts` is on.
    ServerScript,
    /// `Script` with RunContext Client, or a `LocalScript` when
    /// `emitLegacyScripts` is on.
    ClientScript,
    ModuleScript,
    /// `Script` with RunContext Plugin.
    PluginScript,
    LocalScript,
    /// `Script` with RunContext Legacy.
    LegacyScript,
    /// Rojo's names for the two meanings of `.server` and `.client`.
    LegacyServerScript,
    LegacyClientScript,
    RunContextServerScript,
    RunContextClientScript,
    JsonModel,
    Json,
    Toml,
    Yaml,
    Text,
    Csv,
    Rbxm,
    Rbxmx,
    Project,
    Ignore,
}

impl Middleware {
    pub fn is_script(self) -> bool {
        matches!(
            self,
            Middleware::ServerScript
                | Middleware::ClientScript
                | Middleware::ModuleScript
                | Middleware::PluginScript
                | Middleware::LocalScript
                | Middleware::LegacyScript
                | Middleware::LegacyServerScript
                | Middleware::LegacyClientScript
                | Middleware::RunContextServerScript
                | Middleware::RunContextClientScript
        )
    }
}

/// A `syncRules` entry, with its globs compiled.
#[derive(Debug, Clone)]
pub struct SyncRule {
    pub pattern: String,
    pub exclude: Option<String>,
    pub middleware: Middleware,
    /// Removed from the file name to get the instance name; when absent the
    /// last extension is removed.
    pub suffix: Option<String>,
    /// The folder of the project that declared the rule; patterns are
    /// relative to it.
    pub base: PathBuf,
    matcher: GlobMatcher,
    exclude_matcher: Option<GlobMatcher>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSyncRule {
    pattern: String,
    #[serde(rename = "use")]
    middleware: Middleware,
    exclude: Option<String>,
    suffix: Option<String>,
}

impl RawSyncRule {
    pub(super) fn compile(self, base: &Path) -> Result<SyncRule, String> {
        let matcher = compile_glob(&self.pattern).map_err(|e| format!("pattern: {e}"))?;
        let exclude_matcher = match &self.exclude {
            Some(exclude) => Some(compile_glob(exclude).map_err(|e| format!("exclude: {e}"))?),
            None => None,
        };
        Ok(SyncRule {
            pattern: self.pattern,
            exclude: self.exclude,
            middleware: self.middleware,
            suffix: self.suffix,
            base: base.to_path_buf(),
            matcher,
            exclude_matcher,
        })
    }
}

impl SyncRule {
    /// True if the rule applies to `path`.
    pub fn matches(&self, path: &Path) -> bool {
        let Ok(relative) = path.strip_prefix(&self.base) else {
            return false;
        };
        self.matcher.is_match(relative)
            && !self
                .exclude_matcher
                .as_ref()
                .is_some_and(|exclude| exclude.is_match(relative))
    }

    /// The instance name this rule gives `file_name`, before `~N` removal.
    pub fn name_for<'a>(&self, file_name: &'a str) -> &'a str {
        match &self.suffix {
            Some(suffix) => file_name.strip_suffix(suffix.as_str()).unwrap_or(file_name),
            None => match file_name.rfind('.') {
                Some(idx) if idx > 0 => &file_name[..idx],
                _ => file_name,
            },
        }
    }
}

pub(crate) fn compile_glob(pattern: &str) -> Result<GlobMatcher, globset::Error> {
    Ok(Glob::new(pattern)?.compile_matcher())
}

/// The built-in rule for a file name: the middleware and the suffix it
/// matched (see [`super::suffixes::BUILT_IN`]).
pub fn default_rule_for(file_name: &str) -> Option<(Middleware, &'static str)> {
    super::suffixes::BUILT_IN
        .iter()
        .find_map(|(suffix, middleware)| {
            // A file named exactly like a suffix (".luau") has no name: skip it.
            (file_name.len() > suffix.len() && file_name.ends_with(suffix))
                .then_some((*middleware, *suffix))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_pick_the_longest_script_suffix() {
        assert_eq!(
            default_rule_for("Foo.server.luau"),
            Some((Middleware::ServerScript, ".server.luau"))
        );
        assert_eq!(
            default_rule_for("Foo.luau"),
            Some((Middleware::ModuleScript, ".luau"))
        );
        assert_eq!(
            default_rule_for("a.meta.json5"),
            Some((Middleware::Ignore, ".meta.json5"))
        );
        assert_eq!(default_rule_for("README.md"), None);
        assert_eq!(default_rule_for(".gitkeep"), None);
        assert_eq!(default_rule_for(".luau"), None);
    }

    #[test]
    fn rule_name_strips_suffix_or_last_extension() {
        let raw: RawSyncRule =
            crate::json::from_str("{pattern: '*.dog.rojo2', use: 'text', suffix: '.dog.rojo2'}")
                .unwrap();
        let rule = raw.compile(Path::new("/p")).unwrap();
        assert_eq!(rule.name_for("cat.dog.rojo2"), "cat");
        assert!(rule.matches(Path::new("/p/src/cat.dog.rojo2")));
        let raw: RawSyncRule =
            crate::json::from_str("{pattern: '*.rojo', use: 'project', exclude: '*.ignore.rojo'}")
                .unwrap();
        let rule = raw.compile(Path::new("/p")).unwrap();
        assert_eq!(rule.name_for("qux.rojo"), "qux");
        assert!(!rule.matches(Path::new("/p/src/rat.ignore.rojo")));
    }
}
