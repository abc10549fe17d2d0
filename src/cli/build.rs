//! `atlas build [PROJECT] -o FILE`

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::vfs::StdVfs;

#[derive(Debug, Args)]
pub struct BuildCommand {
    /// The project file, or a folder holding default.project.json5 (or .json).
    #[arg(default_value = ".")]
    pub project: PathBuf,

    /// Where to write: .rbxl or .rbxlx for a place, .rbxm or .rbxmx for a model.
    #[arg(short, long)]
    pub output: PathBuf,
}

impl BuildCommand {
    pub fn run(self) -> anyhow::Result<()> {
        crate::reflection::preload();
        let start = Instant::now();
        let summary = crate::build::build(&StdVfs, &self.project, &self.output)
            .with_context(|| format!("could not build {}", self.project.display()))?;
        println!(
            "Built {} from {} ({} instances) in {:.2}s",
            summary.output.display(),
            summary.project_file.display(),
            summary.instances,
            start.elapsed().as_secs_f64()
        );
        Ok(())
    }
}
