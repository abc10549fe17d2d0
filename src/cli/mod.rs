//! The command line: argument types, logging setup, exit codes. One file per
//! subcommand; each is a thin adapter over the library.

mod build;
mod init;
mod plugin;
mod progress;
mod schema;
mod serve;
mod sourcemap;
mod syncback;
mod watch;

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "atlas",
    version,
    about = "Keep a Roblox game as files: build places from a project folder, and write places back into it"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalOptions {
    /// More output: -v for debug, -vv for trace.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Less output: no progress line, only warnings, errors and results.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// When to color output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build a project into a place (.rbxl, .rbxlx) or model (.rbxm, .rbxmx).
    Build(build::BuildCommand),
    /// Write a place or model file back into the project folder.
    Syncback(syncback::SyncbackCommand),
    /// Serve the project to the Studio plugin, live-syncing every file change.
    Serve(serve::ServeCommand),
    /// Install or remove the Atlas Studio plugin.
    Plugin(plugin::PluginCommand),
    /// Print the JSON schema of project, meta or model files.
    Schema(schema::SchemaCommand),
    /// Start a new project (place, model or plugin) that builds and serves.
    Init(init::InitCommand),
    /// Write the sourcemap luau-lsp reads (JSON: every script, its files).
    Sourcemap(sourcemap::SourcemapCommand),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(&cli.global);
    progress::set_quiet(cli.global.quiet);
    let project = match &cli.command {
        Command::Build(command) => Some(&command.project),
        Command::Syncback(command) => Some(&command.project),
        Command::Serve(command) => Some(&command.project),
        Command::Sourcemap(command) => Some(&command.project),
        Command::Plugin(_) | Command::Init(_) | Command::Schema(_) => None,
    };
    let recovered = match project {
        Some(project) => finish_interrupted_syncback(project),
        None => Ok(()),
    };
    let result = recovered.and_then(|()| match cli.command {
        Command::Build(command) => command.run(),
        Command::Syncback(command) => command.run(),
        Command::Serve(command) => command.run(),
        Command::Plugin(command) => command.run(),
        Command::Sourcemap(command) => command.run(),
        Command::Init(command) => command.run(),
        Command::Schema(command) => command.run(),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            let mut message = format!("error: {err}");
            // Library errors already quote their cause; only add causes
            // that say something new.
            for cause in err.chain().skip(1) {
                let cause = cause.to_string();
                if !message.contains(&cause) {
                    message.push_str(&format!("\n  caused by: {cause}"));
                }
            }
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// A syncback killed halfway into this project left a journal: finish it
/// or take it back before anything reads the project (see
/// `syncback::journal`).
fn finish_interrupted_syncback(project: &std::path::Path) -> anyhow::Result<()> {
    // A project that cannot be found fails in the command, with its message.
    let Ok(project_file) = crate::project::Project::locate(project) else {
        return Ok(());
    };
    let folder = project_file.parent().unwrap_or(std::path::Path::new("."));
    if let Some(recovery) = crate::syncback::journal::recover(folder)? {
        log::warn!("{}", recovery.describe(folder));
    }
    Ok(())
}

fn init_logging(global: &GlobalOptions) {
    let level = match global.verbose {
        _ if global.quiet => log::LevelFilter::Warn,
        0 => log::LevelFilter::Info,
        1 => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    let style = match global.color {
        ColorChoice::Auto => env_logger::WriteStyle::Auto,
        ColorChoice::Always => env_logger::WriteStyle::Always,
        ColorChoice::Never => env_logger::WriteStyle::Never,
    };
    let mut builder = env_logger::Builder::new();
    builder
        .filter_level(log::LevelFilter::Warn)
        .filter_module("atlas", level)
        .write_style(style)
        .format(|buf, record| {
            let level = match record.level() {
                log::Level::Error => "error: ",
                log::Level::Warn => "warning: ",
                _ => "",
            };
            writeln!(buf, "{level}{}", record.args())
        })
        .parse_env("ATLAS_LOG");
    let _ = builder.try_init();
}
