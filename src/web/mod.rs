//! `LiveServer`: the dev server's HTTP and WebSocket front (hyper 1, tokio).
//!
//! Only this module knows the wire format ([`wire`]) and does network I/O.
//! It serves one [`ServeSession`]; [`LiveServer::start`] blocks until the
//! server should stop and says why ([`ServerExitReason`]). Each start has its
//! own tokio runtime; when it returns, the runtime is gone with every
//! connection and WebSocket, and the session can be dropped.

mod api;
mod security;
mod socket;
mod syncback;
pub mod wire;
mod write;

pub use syncback::{parse as parse_syncback, ParsedSyncback, SyncbackPayload};

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::serve::ServeSession;

/// The default limit on request bodies: generous enough for a whole place
/// sent by the plugin.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// Why [`LiveServer::start`] returned.
#[derive(Debug)]
pub enum ServerExitReason {
    /// Ctrl-C or SIGTERM.
    Shutdown,
    /// The plugin sent the whole DataModel (`POST /api/syncback`): write it
    /// into the project, then serve again.
    SyncbackRequested(Box<SyncbackPayload>),
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("could not start the server's runtime: {0}")]
    Runtime(io::Error),
    #[error("could not listen on {address}: {source}")]
    Bind {
        address: SocketAddr,
        source: io::Error,
    },
}

pub struct ServerOptions {
    pub address: SocketAddr,
    pub body_limit: usize,
}

pub struct LiveServer {
    session: Arc<ServeSession>,
    options: ServerOptions,
}

/// What every request handler shares.
pub(crate) struct ServerState {
    pub session: Arc<ServeSession>,
    pub bound: SocketAddr,
    pub body_limit: usize,
    pub syncback: syncback::SyncbackSignal,
}

impl LiveServer {
    pub fn new(session: Arc<ServeSession>, options: ServerOptions) -> LiveServer {
        LiveServer { session, options }
    }

    /// Serves until told to stop. `on_listening` is called once the socket
    /// is bound, with the real address (the port may have been 0). When it
    /// returns, the server's runtime, every connection and the session are
    /// gone (the session's watcher and thread with it).
    pub fn start(
        self,
        on_listening: impl FnOnce(SocketAddr),
    ) -> Result<ServerExitReason, ServerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("atlas-server")
            .enable_all()
            .build()
            .map_err(ServerError::Runtime)?;
        let session = Arc::downgrade(&self.session);
        let result = runtime.block_on(self.run(on_listening));
        // Cancels every connection task (WebSockets included), which
        // releases their hold on the session.
        runtime.shutdown_timeout(Duration::from_secs(1));
        // A handler still blocked on the tree lock when the runtime stopped
        // holds the session until it returns; nothing may go on (a live
        // syncback would write under a live watcher) until it is gone.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while session.strong_count() > 0 {
            if std::time::Instant::now() > deadline {
                log::error!("the session outlived its server by 30 s (a bug); going on anyway");
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        result
    }

    async fn run(
        self,
        on_listening: impl FnOnce(SocketAddr),
    ) -> Result<ServerExitReason, ServerError> {
        let listener = bind(self.options.address).await?;
        let bound = listener.local_addr().map_err(|source| ServerError::Bind {
            address: self.options.address,
            source,
        })?;
        on_listening(bound);
        let state = Arc::new(ServerState {
            session: self.session,
            bound,
            body_limit: self.options.body_limit,
            syncback: syncback::SyncbackSignal::default(),
        });
        let shutdown = shutdown_signal();
        tokio::pin!(shutdown);
        // Tells open connections to finish what they are answering, then
        // close (WebSockets are cut when the runtime stops).
        let (closing, closing_receiver) = tokio::sync::watch::channel(false);
        let mut connections = tokio::task::JoinSet::new();
        let reason = loop {
            while connections.try_join_next().is_some() {}
            tokio::select! {
                accepted = listener.accept() => {
                    let (stream, peer) = match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            log::warn!("could not accept a connection: {error}");
                            continue;
                        }
                    };
                    let _ = stream.set_nodelay(true);
                    connections.spawn(serve_connection(state.clone(), stream, peer, closing_receiver.clone()));
                }
                () = state.syncback.notify.notified() => {
                    match state.syncback.take() {
                        Some(payload) => break ServerExitReason::SyncbackRequested(Box::new(payload)),
                        None => continue,
                    }
                }
                reason = &mut shutdown => break reason,
            }
        };
        drop(listener);
        let _ = closing.send(true);
        let drained = tokio::time::timeout(Duration::from_secs(5), async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            log::debug!("some connections were still open after 5 s; closing them");
        }
        Ok(reason)
    }
}

async fn serve_connection(
    state: Arc<ServerState>,
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let service = service_fn(move |request| {
        let state = state.clone();
        async move {
            // A bug in a handler answers 500; the server goes on.
            let answer = std::panic::AssertUnwindSafe(api::handle(state, request))
                .catch_unwind()
                .await
                .unwrap_or_else(|_| {
                    log::error!("internal error while answering a request (a bug in Atlas)");
                    api::error(
                        hyper::StatusCode::INTERNAL_SERVER_ERROR,
                        "InternalError",
                        "an internal error stopped this request; the server goes on",
                    )
                });
            Ok::<_, std::convert::Infallible>(answer)
        }
    });
    let connection = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(connection);
    let result = tokio::select! {
        result = connection.as_mut() => result,
        _ = closing.changed() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    };
    if let Err(error) = result {
        log::debug!("connection from {peer}: {error}");
    }
}

/// Binds `address`, trying again a few times while the port is still held
/// (by a server that just stopped).
async fn bind(address: SocketAddr) -> Result<TcpListener, ServerError> {
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match TcpListener::bind(address).await {
            Ok(listener) => return Ok(listener),
            Err(error) if error.kind() == io::ErrorKind::AddrInUse && attempt < 5 => {
                log::warn!("{address} is in use; trying again in {delay:?}");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(source) => return Err(ServerError::Bind { address, source }),
        }
    }
}

/// Ctrl-C or SIGTERM.
pub(crate) async fn shutdown_signal() -> ServerExitReason {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => ctrl_c().await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c().await;
    ServerExitReason::Shutdown
}

/// Ctrl-C; never, if the handler cannot be installed.
async fn ctrl_c() {
    if let Err(error) = tokio::signal::ctrl_c().await {
        log::warn!("cannot listen for Ctrl-C: {error}");
        std::future::pending::<()>().await;
    }
}
