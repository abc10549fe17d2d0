//! `atlas init [PATH] [--kind place|model|plugin]`

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::init::{init, InitKind};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// A game: one script per side (server, client, shared).
    Place,
    /// A model: one ModuleScript.
    Model,
    /// A Studio plugin: one plugin Script.
    Plugin,
}

#[derive(Debug, Args)]
pub struct InitCommand {
    /// The folder of the new project (created if missing).
    #[arg(default_value = ".")]
    pub path: PathBuf,

    /// What the project builds.
    #[arg(long, value_enum, default_value_t = Kind::Place)]
    pub kind: Kind,
}

impl InitCommand {
    pub fn run(self) -> anyhow::Result<()> {
        let kind = match self.kind {
            Kind::Place => InitKind::Place,
            Kind::Model => InitKind::Model,
            Kind::Plugin => InitKind::Plugin,
        };
        let written = init(&self.path, kind)
            .with_context(|| format!("could not start a project in {}", self.path.display()))?;
        for path in &written {
            println!("created {}", path.display());
        }
        if !inside_git_repository(&self.path) {
            match Command::new("git")
                .arg("init")
                .arg("-q")
                .arg(&self.path)
                .status()
            {
                Ok(status) if status.success() => println!("created a git repository"),
                Ok(_) => log::warn!("git init failed; the project has no repository"),
                Err(_) => log::debug!("git is not installed; no repository created"),
            }
        }
        Ok(())
    }
}

/// True if `path` is inside a git work tree (or git cannot tell).
fn inside_git_repository(path: &std::path::Path) -> bool {
    match Command::new("git")
        .arg("-C")
        .arg(path)
        .args(["rev-parse", "--is-inside-work-tree"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
    {
        Ok(status) => status.success(),
        Err(_) => true, // no git: nothing to do
    }
}
