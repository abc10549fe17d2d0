//! HTTP and WebSocket for the plugin, from Rust: what `HttpService`
//! (`RequestAsync`, `CreateWebStreamClient`) does in Studio.
//!
//! WebSocket frames are read on a thread and queued; the test delivers them
//! to the plugin's handlers on the Lua thread with [`Transport::pump`], so
//! the plugin runs single-threaded, as in Studio.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::rc::Rc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::{Duration, Instant};

use mlua::prelude::*;

enum SocketEvent {
    Message(Vec<u8>),
    Closed(String),
}

struct SocketEntry {
    events: Receiver<SocketEvent>,
    on_message: LuaFunction,
    on_close: LuaFunction,
    stream: TcpStream,
    closed_by_plugin: Rc<RefCell<bool>>,
}

#[derive(Clone, Default)]
pub struct Transport {
    sockets: Rc<RefCell<Vec<SocketEntry>>>,
    /// Every request made: (method, url).
    pub requests: Rc<RefCell<Vec<(String, String)>>>,
}

pub struct HttpResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

/// `http://host:port/path` → (host:port, path).
fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("ws://"))
        .ok_or_else(|| format!("{url} is not an http:// or ws:// address"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    Ok((authority.to_owned(), path.to_owned()))
}

fn connect(authority: &str) -> Result<TcpStream, String> {
    let address = authority.replacen("localhost", "127.0.0.1", 1);
    let stream = TcpStream::connect(&address).map_err(|e| format!("{authority}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|e| e.to_string())?;
    Ok(stream)
}

/// One HTTP/1.1 request (Connection: close), as `RequestAsync` makes it.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<HttpResponse, String> {
    let (authority, path) = split_url(url)?;
    let mut stream = connect(&authority)?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .map_err(|e| format!("{authority}: {e}"))?;
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .map_err(|e| format!("{authority}: {e}"))?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("{authority} answered something that is not HTTP"))?;
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{authority} answered without a status"))?;
    let mut body = response[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body)?;
    }
    Ok(HttpResponse { status, body })
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunked body without a chunk size")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("a bad chunk size: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err("a chunked body ends early".into());
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

fn bytes_of(value: &LuaValue) -> LuaResult<Vec<u8>> {
    Ok(match value {
        LuaValue::Nil => Vec::new(),
        LuaValue::String(s) => s.as_bytes().to_vec(),
        LuaValue::Buffer(b) => b.to_vec(),
        other => {
            return Err(LuaError::runtime(format!(
                "a request body must be a string or a buffer, not a {}",
                other.type_name()
            )))
        }
    })
}

impl Transport {
    pub fn new() -> Transport {
        Transport::default()
    }

    /// The transport table the plugin is given: `request(req)` and
    /// `connectSocket(url, handlers)`, both returning `nil, message` when
    /// the server cannot be reached.
    pub fn lua_table(&self, lua: &Lua) -> LuaResult<LuaTable> {
        let table = lua.create_table()?;
        let requests = self.requests.clone();
        table.set(
            "request",
            lua.create_function(move |lua, request: LuaTable| {
                let method: String = request.get("method")?;
                let url: String = request.get("url")?;
                let body = bytes_of(&request.get::<LuaValue>("body")?)?;
                let mut headers = Vec::new();
                if let Some(table) = request.get::<Option<LuaTable>>("headers")? {
                    for pair in table.pairs::<String, String>() {
                        headers.push(pair?);
                    }
                }
                requests.borrow_mut().push((method.clone(), url.clone()));
                match http(&method, &url, &headers, &body) {
                    Ok(response) => {
                        let out = lua.create_table()?;
                        out.set("status", response.status)?;
                        out.set("body", lua.create_string(&response.body)?)?;
                        Ok((LuaValue::Table(out), LuaValue::Nil))
                    }
                    Err(message) => Ok((
                        LuaValue::Nil,
                        LuaValue::String(lua.create_string(&message)?),
                    )),
                }
            })?,
        )?;
        let sockets = self.sockets.clone();
        table.set(
            "connectSocket",
            lua.create_function(
                move |lua, (url, handlers): (String, LuaTable)| match open_socket(&url) {
                    Ok((events, stream)) => {
                        let closed_by_plugin = Rc::new(RefCell::new(false));
                        let handle = stream.try_clone().map_err(LuaError::external)?;
                        sockets.borrow_mut().push(SocketEntry {
                            events,
                            on_message: handlers.get("onMessage")?,
                            on_close: handlers.get("onClose")?,
                            stream,
                            closed_by_plugin: closed_by_plugin.clone(),
                        });
                        let socket = lua.create_table()?;
                        socket.set(
                            "close",
                            lua.create_function(move |_, _: LuaMultiValue| {
                                *closed_by_plugin.borrow_mut() = true;
                                let _ = handle.shutdown(Shutdown::Both);
                                Ok(())
                            })?,
                        )?;
                        Ok((LuaValue::Table(socket), LuaValue::Nil))
                    }
                    Err(message) => Ok((
                        LuaValue::Nil,
                        LuaValue::String(lua.create_string(&message)?),
                    )),
                },
            )?,
        )?;
        Ok(table)
    }

    /// How many sockets are open.
    pub fn open_sockets(&self) -> usize {
        self.sockets.borrow().len()
    }

    /// Delivers queued frames to the plugin (waiting up to `timeout` for the
    /// first); a socket the server closed gets `onClose` once.
    pub fn pump(&self, lua: &Lua, timeout: Duration) -> LuaResult<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut deliveries: Vec<(LuaFunction, LuaFunction, SocketEvent)> = Vec::new();
            {
                let mut sockets = self.sockets.borrow_mut();
                let mut keep = Vec::new();
                for entry in sockets.drain(..) {
                    let mut open = true;
                    loop {
                        match entry.events.try_recv() {
                            Ok(event) => {
                                let closing = matches!(event, SocketEvent::Closed(_));
                                if !(closing && *entry.closed_by_plugin.borrow()) {
                                    deliveries.push((
                                        entry.on_message.clone(),
                                        entry.on_close.clone(),
                                        event,
                                    ));
                                }
                                if closing {
                                    open = false;
                                    break;
                                }
                            }
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => {
                                open = false;
                                break;
                            }
                        }
                    }
                    if open && !*entry.closed_by_plugin.borrow() {
                        keep.push(entry);
                    } else {
                        let _ = entry.stream.shutdown(Shutdown::Both);
                    }
                }
                *sockets = keep;
            }
            let count = deliveries.len();
            for (on_message, on_close, event) in deliveries {
                match event {
                    SocketEvent::Message(bytes) => {
                        on_message.call::<()>(lua.create_string(&bytes)?)?;
                    }
                    SocketEvent::Closed(reason) => on_close.call::<()>(reason)?,
                }
            }
            if count > 0 || Instant::now() >= deadline {
                return Ok(count);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

fn open_socket(url: &str) -> Result<(Receiver<SocketEvent>, TcpStream), String> {
    let (authority, _) = split_url(url)?;
    let stream = connect(&authority)?;
    stream.set_read_timeout(None).map_err(|e| e.to_string())?;
    let handle = stream.try_clone().map_err(|e| e.to_string())?;
    let (mut socket, _) =
        tungstenite::client::client(url.replacen("localhost", "127.0.0.1", 1), stream)
            .map_err(|e| format!("{url}: {e}"))?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || loop {
        match socket.read() {
            Ok(tungstenite::Message::Binary(bytes)) => {
                if sender.send(SocketEvent::Message(bytes.to_vec())).is_err() {
                    return;
                }
            }
            Ok(tungstenite::Message::Text(text)) => {
                if sender
                    .send(SocketEvent::Message(text.as_bytes().to_vec()))
                    .is_err()
                {
                    return;
                }
            }
            Ok(tungstenite::Message::Close(frame)) => {
                let reason = frame
                    .map(|f| f.reason.to_string())
                    .filter(|r| !r.is_empty())
                    .unwrap_or_else(|| "the server closed the connection".to_owned());
                let _ = sender.send(SocketEvent::Closed(reason));
                return;
            }
            Ok(_) => {}
            Err(e) => {
                let _ = sender.send(SocketEvent::Closed(e.to_string()));
                return;
            }
        }
    });
    Ok((receiver, handle))
}
