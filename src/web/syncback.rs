//! `POST /api/syncback`: the plugin's Syncback button.
//!
//! Everything is checked before the answer: the body decodes, the protocol
//! and server versions match, the place is allowed, no other syncback is
//! under way, and the chunk layout rebuilds into a DataModel. Only then does
//! the server answer 200 and hand the DataModel to the serve loop (through
//! [`SyncbackSignal`]), which stops the server, drops the session and runs
//! the same syncback as `atlas syncback`. A refused request changes nothing:
//! the server keeps running with the same session.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

use hyper::StatusCode;
use rbx_dom_weak::{ustr, UstrMap, WeakDom};
use tokio::sync::Notify;

use super::api::{error, msgpack, Body};
use super::wire::{self, SyncbackRequest, SyncbackResponse};
use super::ServerState;
use crate::serve::lock;
use crate::syncback::chunks::{self, ServiceChunk};

/// What an accepted syncback hands to the serve loop.
#[derive(Debug)]
pub struct SyncbackPayload {
    /// The DataModel rebuilt from the chunks.
    pub dom: WeakDom,
    pub place_id: Option<u64>,
    pub services: usize,
}

/// One syncback per server: the first accepted request wins; every later
/// one gets 409 Conflict.
#[derive(Default)]
pub(crate) struct SyncbackSignal {
    claimed: AtomicBool,
    payload: Mutex<Option<SyncbackPayload>>,
    pub notify: Notify,
}

impl SyncbackSignal {
    fn claim(&self) -> bool {
        self.claimed
            .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    }

    fn release(&self) {
        self.claimed.store(false, Ordering::SeqCst);
    }

    fn fire(&self, payload: SyncbackPayload) {
        *lock(&self.payload) = Some(payload);
        self.notify.notify_one();
    }

    pub fn take(&self) -> Option<SyncbackPayload> {
        lock(&self.payload).take()
    }
}

/// A claimed syncback slot: fired, or released when dropped.
struct Claim<'a> {
    signal: &'a SyncbackSignal,
    fired: bool,
}

impl Claim<'_> {
    fn fire(mut self, payload: SyncbackPayload) {
        self.fired = true;
        self.signal.fire(payload);
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.fired {
            self.signal.release();
        }
    }
}

/// A syncback body that decoded and passed every check that needs no
/// server state: what is left is the place check and the rebuild.
#[derive(Debug)]
pub struct ParsedSyncback {
    pub place_id: Option<u64>,
    pub data: Vec<u8>,
    pub services: Vec<ServiceChunk>,
}

/// Decodes a `POST /api/syncback` body and checks its versions, place id
/// and chunk list; `Err` is the message a 400 carries.
pub fn parse(body: &[u8]) -> Result<ParsedSyncback, String> {
    let request: SyncbackRequest =
        wire::from_msgpack(body).map_err(|e| format!("the body is not a syncback request: {e}"))?;
    if request.protocol_version != wire::PROTOCOL_VERSION as f64 {
        return Err(format!(
            "protocol version {} is not this server's ({}); update the plugin or Atlas",
            request.protocol_version,
            wire::PROTOCOL_VERSION
        ));
    }
    if major_minor(&request.server_version) != major_minor(wire::SERVER_VERSION) {
        return Err(format!(
            "the plugin expects Atlas {}, but this is Atlas {}; their major.minor versions must match",
            request.server_version,
            wire::SERVER_VERSION
        ));
    }
    let place_id = match request.place_id.map(wire::LuauNumber) {
        Some(n) => match n.as_id() {
            Some(id) => Some(id),
            None => return Err(format!("placeId {} is not a place id", n.0)),
        },
        None => None,
    };
    let services = chunk_list(&request)?;
    Ok(ParsedSyncback {
        place_id,
        data: request.data,
        services,
    })
}

pub(crate) async fn handle(state: &ServerState, body: &[u8]) -> hyper::Response<Body> {
    let ParsedSyncback {
        place_id,
        data,
        services,
    } = match parse(body) {
        Ok(parsed) => parsed,
        Err(message) => return bad_request(&message),
    };
    if let Err(reason) = check_place(state, place_id) {
        log::warn!("refused a syncback: {reason}");
        return error(StatusCode::FORBIDDEN, "BadRequest", &reason);
    }

    if !state.syncback.claim() {
        return error(
            StatusCode::CONFLICT,
            "BadRequest",
            "a syncback is already under way; wait for the server to come back",
        );
    }
    // Released unless the syncback is handed over, also when the client
    // goes away while the place is being rebuilt (the future is dropped).
    let claim = Claim {
        signal: &state.syncback,
        fired: false,
    };
    let rebuilt = tokio::task::spawn_blocking(move || {
        chunks::reconstruct(&data, &services).map(|dom| (dom, services.len()))
    })
    .await;
    let (dom, count) = match rebuilt {
        Ok(Ok(rebuilt)) => rebuilt,
        Ok(Err(e)) => {
            return bad_request(&format!("the place does not rebuild: {e}"));
        }
        Err(e) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                &format!("rebuilding the place failed: {e}"),
            );
        }
    };
    log::info!(
        "syncback requested ({count} services{}); stopping the server to write the project",
        place_id
            .map(|id| format!(", place {id}"))
            .unwrap_or_default()
    );
    claim.fire(SyncbackPayload {
        dom,
        place_id,
        services: count,
    });
    msgpack(
        StatusCode::OK,
        &SyncbackResponse {
            status: "syncback_initiated",
        },
    )
}

fn bad_request(message: &str) -> hyper::Response<Body> {
    log::warn!("refused a syncback: {message}");
    error(StatusCode::BAD_REQUEST, "BadRequest", message)
}

fn major_minor(version: &str) -> Vec<&str> {
    version.split('.').take(2).collect()
}

/// The project's `servePlaceIds` (when set) must hold the place, and its
/// `blockedPlaceIds` must not. A project that lists allowed places refuses
/// a request that names none.
fn check_place(state: &ServerState, place_id: Option<u64>) -> Result<(), String> {
    let project = state.session.project();
    if let Some(allowed) = &project.serve_place_ids {
        match place_id {
            Some(id) if allowed.contains(&id) => {}
            Some(id) => return Err(format!("place {id} is not in the project's servePlaceIds")),
            None => {
                return Err(
                    "the project lists servePlaceIds, and the request names no place".to_owned(),
                )
            }
        }
    }
    if let (Some(blocked), Some(id)) = (&project.blocked_place_ids, place_id) {
        if blocked.contains(&id) {
            return Err(format!("place {id} is in the project's blockedPlaceIds"));
        }
    }
    Ok(())
}

fn chunk_list(request: &SyncbackRequest) -> Result<Vec<ServiceChunk>, String> {
    request
        .services
        .iter()
        .enumerate()
        .map(|(index, chunk)| {
            let count = |value: Option<f64>, field: &str| match value.map(wire::LuauNumber) {
                None => Ok(0),
                Some(n) => n.as_count().ok_or_else(|| {
                    format!(
                        "services[{}] ({}): {field} {} is not a count",
                        index + 1,
                        chunk.class_name,
                        n.0
                    )
                }),
            };
            let refs = chunk
                .refs
                .iter()
                .map(|(property, index)| {
                    index
                        .as_count()
                        .map(|i| (property.clone(), i))
                        .ok_or_else(|| {
                            format!(
                                "service {}: refs.{property} {} is not a carrier index",
                                chunk.class_name, index.0
                            )
                        })
                })
                .collect::<Result<Vec<_>, String>>()?;
            let mut properties = UstrMap::default();
            for (name, value) in &chunk.properties {
                properties.insert(ustr(name), value.clone());
            }
            Ok(ServiceChunk {
                class_name: chunk.class_name.clone(),
                child_count: count(chunk.child_count, "childCount")?,
                ref_target_count: count(chunk.ref_target_count, "refTargetCount")?,
                properties,
                refs,
            })
        })
        .collect()
}
