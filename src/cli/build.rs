//! `atlas build [PROJECT] -o FILE [--watch]`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;

use super::progress::Progress;
use crate::build::write_output;
use crate::dom_file::DomFileKind;
use crate::serve::ServeSession;
use crate::vfs::StdVfs;

#[derive(Debug, Args)]
pub struct BuildCommand {
    /// The project file, or a folder holding default.project.json5 (or .json).
    #[arg(default_value = ".")]
    pub project: PathBuf,

    /// Where to write: .rbxl or .rbxlx for a place, .rbxm or .rbxmx for a model.
    #[arg(short, long)]
    pub output: PathBuf,

    /// Keep running: write the output again after every change to the
    /// project's files (Ctrl-C to stop).
    #[arg(long)]
    pub watch: bool,
}

impl BuildCommand {
    pub fn run(self) -> anyhow::Result<()> {
        crate::reflection::preload();
        if self.watch {
            return self.watch();
        }
        let start = Instant::now();
        let progress = Progress::start(format!("building {}", self.output.display()));
        let summary = crate::build::build(&StdVfs, &self.project, &self.output)
            .with_context(|| format!("could not build {}", self.project.display()))?;
        progress.finish();
        println!(
            "Built {} from {} ({} instances) in {:.2}s",
            summary.output.display(),
            summary.project_file.display(),
            summary.instances,
            start.elapsed().as_secs_f64()
        );
        Ok(())
    }

    /// The dev server's session without the server: its tree follows the
    /// files (and equals a fresh build), and each batch of changes writes
    /// the output again.
    fn watch(&self) -> anyhow::Result<()> {
        let Some(kind) = DomFileKind::from_path(&self.output) else {
            bail!(
                "{}: the output must end in .rbxl, .rbxlx, .rbxm or .rbxmx",
                self.output.display()
            );
        };
        let progress = Progress::start(format!("reading {}", self.project.display()));
        let session = ServeSession::new(&self.project)
            .with_context(|| format!("could not build {}", self.project.display()))?;
        progress.finish();
        super::watch::follow(&session, "Built", "Rebuilt", |what| {
            let start = Instant::now();
            let tree = session.tree();
            match write_output(tree.dom(), &self.output, kind) {
                Ok(()) => println!(
                    "{what} {} ({} instances) in {:.2}s",
                    self.output.display(),
                    tree.len(),
                    start.elapsed().as_secs_f64()
                ),
                Err(error) => log::error!("{error}"),
            }
        })
    }
}
