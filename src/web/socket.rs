//! `/api/socket/{cursor}`: the WebSocket that carries patches to the plugin.
//!
//! After the handshake the server sends everything after `cursor` at once,
//! then one binary frame per batch of new messages. It never reads what the
//! client sends, except Close, which ends the connection.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::header::{CONNECTION, SEC_WEBSOCKET_ACCEPT, SEC_WEBSOCKET_KEY, UPGRADE};
use hyper::{HeaderMap, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::api::{error, Body};
use super::wire::{to_msgpack, MessagesBody, SocketPacket, SubscribeMessage};
use super::ServerState;

pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    let has = |name, token: &str| {
        headers.get_all(name).iter().any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|part| part.trim().eq_ignore_ascii_case(token))
            })
        })
    };
    has(UPGRADE, "websocket") && has(CONNECTION, "upgrade")
}

pub(crate) fn upgrade(
    state: Arc<ServerState>,
    mut request: Request<Incoming>,
    cursor: u32,
) -> Response<Body> {
    let Some(key) = request.headers().get(SEC_WEBSOCKET_KEY).cloned() else {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the WebSocket handshake has no Sec-WebSocket-Key",
        );
    };
    let accept = derive_accept_key(key.as_bytes());
    tokio::spawn(async move {
        match hyper::upgrade::on(&mut request).await {
            Ok(upgraded) => {
                let stream =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                log::info!("a client subscribed to changes (from message {cursor})");
                serve_socket(state, stream, cursor).await;
                log::info!("a client unsubscribed");
            }
            Err(e) => log::warn!("the WebSocket upgrade failed: {e}"),
        }
    });
    let mut response = Response::new(Body::default());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        UPGRADE,
        hyper::header::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        CONNECTION,
        hyper::header::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(value) = accept.parse() {
        headers.insert(SEC_WEBSOCKET_ACCEPT, value);
    }
    response
}

async fn serve_socket<S>(state: Arc<ServerState>, mut stream: WebSocketStream<S>, mut cursor: u32)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let session = state.session.clone();
    let queue = session.queue().clone();
    let mut changed = queue.subscribe();
    // A cursor from a previous session (after a restart) can be ahead of
    // this one's queue: start from now, or messages would be skipped.
    cursor = cursor.min(queue.cursor());
    loop {
        changed.borrow_and_update();
        let (now, messages) = queue.since(cursor);
        if !messages.is_empty() {
            let packet = SocketPacket {
                session_id: session.session_id(),
                packet_type: "messages",
                body: MessagesBody {
                    message_cursor: now,
                    messages: messages.iter().map(|m| SubscribeMessage::new(m)).collect(),
                },
            };
            let bytes = match to_msgpack(&packet) {
                Ok(bytes) => bytes,
                Err(e) => {
                    log::error!("could not encode a patch: {e}");
                    return;
                }
            };
            if stream.send(Message::Binary(bytes.into())).await.is_err() {
                return;
            }
            cursor = now;
            continue;
        }
        tokio::select! {
            result = changed.changed() => {
                if result.is_err() {
                    let _ = stream.close(None).await;
                    return;
                }
            }
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
