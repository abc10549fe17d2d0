//! `atlas serve [PROJECT] [--address IP] [--port N]`
//!
//! Runs the dev server in a loop: each time round it reads the project into
//! a fresh session and serves it until the server says why it stopped.
//! Today the only reason is a shutdown (Ctrl-C or SIGTERM), which ends the
//! process with exit code 0; live syncback will add a reason that comes
//! back round the loop.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use crate::project::Project;
use crate::serve::ServeSession;
use crate::web::{LiveServer, ServerExitReason, ServerOptions, DEFAULT_BODY_LIMIT};

/// The port when neither the flag nor the project gives one.
pub const DEFAULT_PORT: u16 = 34873;

#[derive(Debug, Args)]
pub struct ServeCommand {
    /// The project file, or a folder holding default.project.json5 (or .json).
    #[arg(default_value = ".")]
    pub project: PathBuf,

    /// The address to listen on (default: the project's serveAddress, else 127.0.0.1).
    #[arg(long)]
    pub address: Option<IpAddr>,

    /// The port to listen on (default: the project's servePort, else 34873; 0 picks a free one).
    #[arg(long)]
    pub port: Option<u16>,

    /// The largest request body accepted, in MiB.
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT / (1024 * 1024))]
    pub max_body_mib: usize,
}

impl ServeCommand {
    pub fn run(self) -> anyhow::Result<()> {
        crate::reflection::preload();
        let mut address: Option<SocketAddr> = None;
        // Every exit reason but a shutdown comes back round with a fresh
        // session on the same address; live syncback adds the first one.
        #[allow(clippy::never_loop)]
        loop {
            let start = Instant::now();
            let session = ServeSession::new(&self.project)
                .with_context(|| format!("could not serve {}", self.project.display()))?;
            let count = session.tree().len();
            log::info!(
                "serving {} ({} instances, read in {:.2}s)",
                session.project_file().display(),
                count,
                start.elapsed().as_secs_f64()
            );
            let target = address.unwrap_or_else(|| self.address_for(session.project()));
            let server = LiveServer::new(
                Arc::new(session),
                ServerOptions {
                    address: target,
                    body_limit: self.max_body_mib.saturating_mul(1024 * 1024),
                },
            );
            let reason = server.start(|bound| {
                address = Some(bound);
                print_listening(bound);
            })?;
            match reason {
                ServerExitReason::Shutdown => {
                    log::info!("stopped");
                    return Ok(());
                }
            }
        }
    }

    fn address_for(&self, project: &Project) -> SocketAddr {
        let ip = self
            .address
            .or(project.serve_address)
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let port = self.port.or(project.serve_port).unwrap_or(DEFAULT_PORT);
        SocketAddr::new(ip, port)
    }
}

/// The start line scripts and tests wait for: `listening: http://IP:PORT`.
fn print_listening(bound: SocketAddr) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "listening: http://{bound}");
    let _ = stdout.flush();
    if bound.ip().is_loopback() {
        log::info!(
            "Atlas is serving at http://localhost:{}; connect from the Studio plugin",
            bound.port()
        );
    }
}
