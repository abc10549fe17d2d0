//! Routing and the request handlers of `/api`.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::{Method, Request, Response, StatusCode};
use rbx_dom_weak::types::Ref;
use serde::Serialize;

use super::security::check_request;
use super::wire::{self, to_msgpack, ErrorResponse, Instance, Instances, ReadResponse, ServerInfo};
use super::{socket, syncback, write, ServerState};
use crate::syncback::VISIBLE_SERVICES;

pub type Body = Full<Bytes>;

pub(crate) async fn handle(state: Arc<ServerState>, request: Request<Incoming>) -> Response<Body> {
    if let Err(refusal) = check_request(
        request.headers(),
        state.bound,
        &state.session.project().serve_allowed_hosts,
    ) {
        log::warn!(
            "refused {} {}: {}",
            request.method(),
            request.uri().path(),
            refusal.0
        );
        return error(StatusCode::FORBIDDEN, "BadRequest", &refusal.0);
    }
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    log::debug!("{method} {path}");

    // Read (and bound) the body before anything else looks at the request.
    let (parts, body) = request.into_parts();
    let socket_route = path.starts_with("/api/socket/");
    if !(socket_route && socket::is_upgrade(&parts.headers)) {
        let body = match Limited::new(body, state.body_limit).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) => {
                let too_large = e
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some();
                return if too_large {
                    error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "BadRequest",
                        &format!(
                            "the request body is over the limit of {} bytes",
                            state.body_limit
                        ),
                    )
                } else {
                    error(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        &format!("could not read the request body: {e}"),
                    )
                };
            }
        };
        if path == "/api/syncback" {
            return if method == Method::POST {
                syncback::handle(&state, &body).await
            } else {
                method_not_allowed(&path)
            };
        }
        if path == "/api/write" {
            return if method == Method::POST {
                write::handle(&state, &body).await
            } else {
                method_not_allowed(&path)
            };
        }
        return route(&state, &method, &path);
    }
    let request = Request::from_parts(parts, body);
    match (&method, path.strip_prefix("/api/socket/")) {
        (&Method::GET, Some(cursor)) => match cursor.parse::<u32>() {
            Ok(cursor) => socket::upgrade(state.clone(), request, cursor),
            Err(_) => error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("`{cursor}` is not a message cursor"),
            ),
        },
        _ => not_found(&path),
    }
}

fn route(state: &ServerState, method: &Method, path: &str) -> Response<Body> {
    let session = &state.session;
    if path == "/api/rojo" {
        return if method == Method::GET {
            server_info(state)
        } else {
            method_not_allowed(path)
        };
    }
    if let Some(ids) = path.strip_prefix("/api/read/") {
        if method != Method::GET {
            return method_not_allowed(path);
        }
        let ids = match wire::parse_ids(ids) {
            Ok(ids) => ids,
            Err(message) => return error(StatusCode::BAD_REQUEST, "BadRequest", &message),
        };
        let read = session.read(&ids, |tree, cursor, referents| {
            msgpack(
                StatusCode::OK,
                &ReadResponse {
                    session_id: session.session_id(),
                    message_cursor: cursor,
                    instances: Instances(
                        referents
                            .iter()
                            .filter_map(|r| Instance::from_tree(tree, *r))
                            .collect(),
                    ),
                },
            )
        });
        return match read {
            Ok(response) => response,
            Err(id) => error(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("no instance has the id {id}"),
            ),
        };
    }
    if path.starts_with("/api/socket/") {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "/api/socket needs a WebSocket upgrade",
        );
    }
    if let Some(id) = path.strip_prefix("/api/open/") {
        if method != Method::POST {
            return method_not_allowed(path);
        }
        return open(state, id);
    }
    not_found(path)
}

fn server_info(state: &ServerState) -> Response<Body> {
    let session = &state.session;
    let project = session.project();
    let ignore_hidden_services = project
        .ignore_hidden_services
        .or(project
            .syncback_rules
            .as_ref()
            .and_then(|r| r.ignore_hidden_services))
        .unwrap_or(true);
    let ids = |set: &Option<std::collections::BTreeSet<u64>>| {
        set.as_ref()
            .map(|s| s.iter().map(|id| *id as f64).collect::<Vec<f64>>())
    };
    msgpack(
        StatusCode::OK,
        &ServerInfo {
            session_id: session.session_id(),
            server_version: wire::SERVER_VERSION,
            protocol_version: wire::PROTOCOL_VERSION,
            server_fork: "atlas",
            project_name: &project.name,
            expected_place_ids: ids(&project.serve_place_ids),
            unexpected_place_ids: ids(&project.blocked_place_ids),
            game_id: project.game_id.map(|id| id as f64),
            place_id: project.place_id.map(|id| id as f64),
            root_instance_id: session.root_ref(),
            sync_source_only: true,
            sync_scripts_only: project.sync_scripts_only.unwrap_or(false),
            ignore_hidden_services,
            visible_services: ignore_hidden_services.then_some(&VISIBLE_SERVICES[..]),
        },
    )
}

fn open(state: &ServerState, id: &str) -> Response<Body> {
    let session = &state.session;
    let id: Ref = match wire::parse_ids(id).as_deref() {
        Ok([id]) => *id,
        Ok(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "give exactly one instance id",
            )
        }
        Err(message) => return error(StatusCode::BAD_REQUEST, "BadRequest", message),
    };
    let path = match session.script_file(id) {
        Ok(path) => path,
        Err(e) => return error(StatusCode::NOT_FOUND, "NotFound", &e.to_string()),
    };
    log::info!("opening {}", path.display());
    if let Err(e) = opener::open(&path) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("could not open {}: {e}", path.display()),
        );
    }
    msgpack(
        StatusCode::OK,
        &wire::OpenResponse {
            session_id: session.session_id(),
        },
    )
}

fn not_found(path: &str) -> Response<Body> {
    error(
        StatusCode::NOT_FOUND,
        "NotFound",
        &format!("no route for {path}"),
    )
}

fn method_not_allowed(path: &str) -> Response<Body> {
    error(
        StatusCode::METHOD_NOT_ALLOWED,
        "BadRequest",
        &format!("wrong method for {path}"),
    )
}

pub(crate) fn error(status: StatusCode, kind: &'static str, details: &str) -> Response<Body> {
    msgpack(status, &ErrorResponse { kind, details })
}

pub(crate) fn msgpack<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match to_msgpack(value) {
        Ok(bytes) => response(status, "application/msgpack", bytes),
        Err(e) => response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            format!("could not encode the response: {e}").into_bytes(),
        ),
    }
}

fn response(status: StatusCode, content_type: &'static str, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}
