//! `POST /api/write`: Studio edits (two-way sync) written into the project.
//!
//! The body is decoded and its session checked here; the session's change
//! processor does the write (see `serve::write`). The answer comes once the
//! files are written and the live tree holds the edits, so the plugin's
//! next read already sees them.

use hyper::StatusCode;

use super::api::{error, msgpack, Body};
use super::wire::{self, WriteBody, WriteResponse};
use super::ServerState;

pub(crate) async fn handle(state: &ServerState, body: &[u8]) -> hyper::Response<Body> {
    let body: WriteBody = match wire::from_msgpack(body) {
        Ok(body) => body,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("the body is not a write request: {e}"),
            )
        }
    };
    let session = state.session.clone();
    if body.session_id != session.session_id() {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!(
                "wrong session: the write is for session {}, but this is {}; read the tree again",
                body.session_id,
                session.session_id()
            ),
        );
    }
    let request = match body.into_request() {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, "BadRequest", &message),
    };
    if request.is_empty() {
        return msgpack(
            StatusCode::OK,
            &WriteResponse {
                session_id: session.session_id(),
                warnings: &[],
            },
        );
    }
    let outcome = {
        let session = session.clone();
        tokio::task::spawn_blocking(move || session.write(request)).await
    };
    match outcome {
        Ok(Ok(outcome)) => msgpack(
            StatusCode::OK,
            &WriteResponse {
                session_id: session.session_id(),
                warnings: &outcome.warnings,
            },
        ),
        Ok(Err(e)) if e.is_bad_request() => {
            error(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string())
        }
        Ok(Err(e)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &e.to_string(),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            &format!("the write stopped: {e}"),
        ),
    }
}
