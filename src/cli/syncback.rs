//! `atlas syncback [PROJECT] -i FILE`

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;

use super::progress::Progress;
use crate::dom_file::{self, Container, DomFileKind};
use crate::project::Project;
use crate::syncback::{self, describe, list_lines, SyncbackOptions};
use crate::vfs::StdVfs;

#[derive(Debug, Args)]
pub struct SyncbackCommand {
    /// The project file, or a folder holding default.project.json5 (or .json).
    #[arg(default_value = ".")]
    pub project: PathBuf,

    /// The place (.rbxl, .rbxlx) or model (.rbxm, .rbxmx) to write back.
    #[arg(short, long)]
    pub input: PathBuf,

    /// Keep the existing file names and formats where instances match, and
    /// only remove files of instances that are gone. Without it, the project
    /// is laid out afresh and every leftover file is removed.
    #[arg(short = 'n', long, conflicts_with = "clean")]
    pub incremental: bool,

    /// Lay the project out afresh even when its `syncbackRules.incremental`
    /// asks for incremental mode.
    #[arg(long)]
    pub clean: bool,

    /// Print every path that would be added, changed or removed.
    #[arg(long)]
    pub list: bool,

    /// Write nothing; report what would change.
    #[arg(long)]
    pub dry_run: bool,

    /// Show what would change and ask before writing.
    #[arg(long)]
    pub interactive: bool,
}

impl SyncbackCommand {
    pub fn run(self) -> anyhow::Result<()> {
        crate::reflection::preload();
        let start = Instant::now();
        let project_file = Project::locate(&self.project)?;

        let Some(kind) = DomFileKind::from_path(&self.input) else {
            bail!(
                "{}: the input must end in .rbxl, .rbxlx, .rbxm or .rbxmx",
                self.input.display()
            );
        };
        let mut phases = crate::timing::Phases::new("atlas syncback");
        let progress = Progress::start(format!("reading {}", self.input.display()));
        let bytes = std::fs::read(&self.input)
            .with_context(|| format!("could not read {}", self.input.display()))?;
        let mut dom = dom_file::read(&bytes, kind.encoding)
            .with_context(|| format!("{}", self.input.display()))?;
        if kind.container == Container::Model {
            dom = syncback::model_root(dom)
                .map_err(|e| anyhow::anyhow!("{}: {e}", self.input.display()))?;
        }

        phases.mark("decode");
        let options = SyncbackOptions {
            incremental: self.incremental,
            clean: self.clean,
        };
        progress.set(format!("laying out {}", project_file.display()));
        let syncback::Plan { project, result } =
            syncback::plan(&StdVfs, &project_file, dom, options)
                .with_context(|| format!("could not sync {} back", self.input.display()))?;
        progress.finish();
        phases.mark("plan");
        if !self.incremental && options.resolved(&project).incremental {
            log::info!("incremental mode: the project's syncbackRules.incremental asks for it (--clean lays it out afresh)");
        }
        for warning in &result.warnings {
            log::warn!("{warning}");
        }

        if self.list || self.dry_run || self.interactive {
            let summary = result.changes.summarize();
            if self.list || self.interactive {
                for line in list_lines(&summary, &project.folder) {
                    println!("{line}");
                }
            }
            if self.dry_run {
                println!(
                    "Dry run: syncback of {} would leave {} ({} instances); nothing was written",
                    self.input.display(),
                    describe(&summary),
                    result.instances
                );
                return Ok(());
            }
            if summary.is_empty() {
                println!(
                    "Syncback: nothing to change ({} files already up to date)",
                    summary.unchanged
                );
                return Ok(());
            }
            if self.interactive && !confirm(&describe(&summary))? {
                println!("Syncback cancelled; nothing was written");
                return Ok(());
            }
        }

        let progress = Progress::start(format!("writing {}", project.folder.display()));
        let applied = result.changes.apply(&project.folder)?;
        progress.finish();
        phases.mark("write");
        phases.log();
        println!(
            "Syncback: {} ({} instances) in {:.2}s",
            describe(&applied),
            result.instances,
            start.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

fn confirm(what: &str) -> anyhow::Result<bool> {
    let mut stderr = io::stderr();
    write!(stderr, "Syncback will leave {what}. Apply? [y/N] ")?;
    stderr.flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}
