//! `atlas serve [PROJECT] [--address IP] [--port N]`
//!
//! Runs the dev server in a loop: each time round it reads the project into
//! a fresh session and serves it until the server says why it stopped. A
//! shutdown (Ctrl-C or SIGTERM) ends the process with exit code 0. A live
//! syncback (the plugin's Syncback button) writes the DataModel it carries
//! into the project exactly as `atlas syncback` would (the same
//! `syncback::plan` and `ChangeSet::apply`, clean mode), once the old
//! session, its watcher and every connection are gone; then the loop serves
//! the project again on the same address with a new session. A failed
//! syncback is logged, leaves the project as it was, and serving resumes.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;

use super::progress::Progress;
use crate::project::Project;
use crate::serve::ServeSession;
use crate::syncback::{describe, SyncbackOptions};
use crate::vfs::StdVfs;
use crate::web::{
    LiveServer, ServerExitReason, ServerOptions, SyncbackPayload, DEFAULT_BODY_LIMIT,
};

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
        let mut last_error: Option<String> = None;
        loop {
            let start = Instant::now();
            let progress = Progress::start(format!("reading {}", self.project.display()));
            let read = ServeSession::new(&self.project);
            progress.finish();
            let session = match read {
                Ok(session) => {
                    last_error = None;
                    session
                }
                // After a live syncback the server must come back: the
                // project may be half-edited by hand right now; try again.
                Err(error) if address.is_some() => {
                    let text = error.to_string();
                    if last_error.as_deref() != Some(text.as_str()) {
                        log::error!(
                            "could not read the project again: {text}; trying again every second (Ctrl-C to stop)"
                        );
                    }
                    last_error = Some(text);
                    if while_listening_for_shutdown(|| std::thread::sleep(Duration::from_secs(1))) {
                        return Ok(());
                    }
                    continue;
                }
                Err(error) => {
                    return Err(anyhow::Error::from(error)
                        .context(format!("could not serve {}", self.project.display())))
                }
            };
            let count = session.tree().len();
            log::info!(
                "serving {} ({} instances, read in {:.2}s)",
                session.project_file().display(),
                count,
                start.elapsed().as_secs_f64()
            );
            let project_file = session.project_file().to_path_buf();
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
                ServerExitReason::SyncbackRequested(payload) => {
                    // A Ctrl-C now must not cut the write short: it is
                    // noted, and honoured once the project is written.
                    let interrupted =
                        while_listening_for_shutdown(|| run_live_syncback(&project_file, *payload));
                    if interrupted {
                        log::info!("stopped");
                        return Ok(());
                    }
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

/// Writes the DataModel of a live syncback into the project. The server and
/// its session are gone by now, so no watcher sees these writes.
fn run_live_syncback(project_file: &std::path::Path, payload: SyncbackPayload) {
    let start = Instant::now();
    log::info!("live syncback: writing the project");
    let outcome = crate::syncback::plan(
        &StdVfs,
        project_file,
        payload.dom,
        SyncbackOptions::default(),
    )
    .map_err(anyhow::Error::from)
    .and_then(|plan| {
        for warning in &plan.result.warnings {
            log::warn!("{warning}");
        }
        let instances = plan.result.instances;
        let applied = plan.result.changes.apply(&plan.project.folder);
        // Freeing a whole place's worth of file contents takes a while, and
        // the next session need not wait for it.
        std::thread::spawn(move || drop(plan));
        Ok((applied?, instances))
    });
    match outcome {
        Ok((applied, instances)) => log::info!(
            "live syncback: {} ({} instances) in {:.2}s; serving again",
            describe(&applied),
            instances,
            start.elapsed().as_secs_f64()
        ),
        Err(error) => {
            log::error!("live syncback failed, the project is as it was: {error:#}; serving again")
        }
    }
}

/// Runs `f`; true if Ctrl-C or SIGTERM came meanwhile.
fn while_listening_for_shutdown(f: impl FnOnce()) -> bool {
    let (done, finished) = tokio::sync::oneshot::channel::<()>();
    let listener = std::thread::Builder::new()
        .name("atlas-signals".to_owned())
        .spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return false;
            };
            runtime.block_on(async {
                tokio::select! {
                    _ = crate::web::shutdown_signal() => true,
                    _ = finished => false,
                }
            })
        });
    f();
    let _ = done.send(());
    match listener {
        Ok(listener) => listener.join().unwrap_or(false),
        Err(_) => false,
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
