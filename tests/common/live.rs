//! A real `atlas serve` process for tests: started on an OS-assigned port,
//! talked to with a plain HTTP client (so tests control every header) and a
//! real WebSocket client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct LiveServer {
    pub child: Child,
    pub address: SocketAddr,
}

impl LiveServer {
    /// Starts `atlas serve PROJECT --port 0 EXTRA...` and waits for its
    /// start line.
    pub fn start(project: &Path, extra: &[&str]) -> LiveServer {
        LiveServer::start_with_env(project, extra, &[])
    }

    /// [`LiveServer::start`] with environment variables set for the server.
    /// Every test server also syncs back whole each write it syncs back
    /// scoped, and fails the write if the two differ.
    pub fn start_with_env(project: &Path, extra: &[&str], env: &[(&str, &str)]) -> LiveServer {
        let mut child = Command::new(env!("CARGO_BIN_EXE_atlas"))
            .arg("serve")
            .arg(project)
            .args(["--port", "0"])
            .args(extra)
            .env("ATLAS_TEST_CHECK_SCOPED", "1")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("atlas serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let line = lines
            .next()
            .expect("a start line")
            .expect("a readable start line");
        let address = line
            .strip_prefix("listening: http://")
            .unwrap_or_else(|| panic!("unexpected start line: {line}"))
            .parse()
            .expect("an address");
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        LiveServer { child, address }
    }

    pub fn host(&self) -> String {
        format!("localhost:{}", self.address.port())
    }

    /// A request with exactly the given headers (plus Content-Length).
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(self.address).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).unwrap();
        // The server may answer (413) before reading the whole body.
        let _ = stream.write_all(body);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let split = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no HTTP head in {:?}", String::from_utf8_lossy(&response)));
        let head = String::from_utf8_lossy(&response[..split]).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status code");
        (status, response[split + 4..].to_vec())
    }

    /// GET with a correct Host header.
    pub fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let host = self.host();
        self.request("GET", path, &[("Host", &host)], &[])
    }

    /// GET that must succeed, decoded.
    pub fn get_ok(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {}", decode(&body));
        decode(&body)
    }

    pub fn info(&self) -> Value {
        self.get_ok("/api/rojo")
    }

    /// Connects to `/api/socket/{cursor}`.
    pub fn socket(&self, cursor: u32) -> Socket {
        let url = format!("ws://{}/api/socket/{cursor}", self.host());
        let (socket, _) = tungstenite::connect(url).expect("the WebSocket connects");
        if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
        }
        Socket { socket }
    }

    /// Sends SIGINT, as Ctrl-C does, and waits for the exit status.
    pub fn interrupt(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop on SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for LiveServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Socket {
    socket: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
}

impl Socket {
    /// The next packet, or `None` after `timeout`.
    pub fn next_packet(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.socket.read() {
                Ok(tungstenite::Message::Binary(bytes)) => return Some(decode(&bytes)),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => panic!("the socket failed: {e}"),
            }
        }
        None
    }

    /// True if the server closes the socket (or drops the connection)
    /// within `timeout`; packets on the way are skipped.
    pub fn is_closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.socket.read() {
                Ok(tungstenite::Message::Close(_)) => return true,
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => return true,
            }
        }
        false
    }

    /// Reads packets until the messages received since this call satisfy
    /// `done`; returns them.
    pub fn messages_until(&mut self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let mut messages = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(&messages) {
            assert!(
                Instant::now() < deadline,
                "{what}: the expected patch never came; got {messages:#?}"
            );
            if let Some(packet) = self.next_packet(Duration::from_millis(200)) {
                assert_eq!(packet["packetType"], "messages");
                messages.extend(
                    packet["body"]["messages"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .cloned(),
                );
            }
        }
        messages
    }
}

/// A msgpack body as JSON-like data.
pub fn decode(bytes: &[u8]) -> Value {
    rmp_serde::from_slice(bytes).unwrap_or_else(|e| panic!("not msgpack ({e}): {bytes:?}"))
}

/// The added instances of `messages` with this name.
pub fn added_named<'a>(messages: &'a [Value], name: &str) -> Vec<&'a Value> {
    messages
        .iter()
        .filter_map(|m| m["added"].as_object())
        .flat_map(|added| added.values())
        .filter(|i| i["Name"] == name)
        .collect()
}

/// The updates of `messages` for instance `id`.
pub fn updates_of<'a>(messages: &'a [Value], id: &str) -> Vec<&'a Value> {
    messages
        .iter()
        .filter_map(|m| m["updated"].as_array())
        .flatten()
        .filter(|u| u["id"] == id)
        .collect()
}

pub fn removed_ids(messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|m| m["removed"].as_array())
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// `POST /api/syncback` with a body the way the plugin builds it.
pub struct SyncbackBody<'a> {
    pub protocol_version: f64,
    pub server_version: &'a str,
    pub place_id: Option<f64>,
    pub data: &'a [u8],
    pub services: &'a [atlas::syncback::chunks::ServiceChunk],
    /// Added to every `refs` index (0.5 makes a malformed request).
    pub ref_index_offset: f64,
}

impl<'a> SyncbackBody<'a> {
    pub fn new(data: &'a [u8], services: &'a [atlas::syncback::chunks::ServiceChunk]) -> Self {
        SyncbackBody {
            protocol_version: 6.0,
            server_version: env!("CARGO_PKG_VERSION"),
            place_id: None,
            data,
            services,
            ref_index_offset: 0.0,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        use serde::ser::{SerializeMap, Serializer};
        struct Bin<'a>(&'a [u8]);
        impl serde::Serialize for Bin<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
        struct Chunk<'a>(&'a atlas::syncback::chunks::ServiceChunk, f64);
        impl serde::Serialize for Chunk<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let c = self.0;
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("className", &c.class_name)?;
                // Luau numbers are doubles.
                map.serialize_entry("childCount", &(c.child_count as f64))?;
                map.serialize_entry("refTargetCount", &(c.ref_target_count as f64))?;
                let properties: std::collections::BTreeMap<&str, &rbx_dom_weak::types::Variant> =
                    c.properties.iter().map(|(k, v)| (k.as_str(), v)).collect();
                if properties.is_empty() {
                    // msgpack-luau writes an empty table as an array.
                    map.serialize_entry("properties", &Vec::<u8>::new())?;
                } else {
                    map.serialize_entry("properties", &properties)?;
                }
                let refs: std::collections::BTreeMap<&str, f64> = c
                    .refs
                    .iter()
                    .map(|(k, v)| (k.as_str(), *v as f64 + self.1))
                    .collect();
                map.serialize_entry("refs", &refs)?;
                map.end()
            }
        }
        struct Body<'a>(&'a SyncbackBody<'a>);
        impl serde::Serialize for Body<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let b = self.0;
                let mut map = s.serialize_map(None)?;
                map.serialize_entry("protocolVersion", &b.protocol_version)?;
                map.serialize_entry("serverVersion", b.server_version)?;
                if let Some(id) = b.place_id {
                    map.serialize_entry("placeId", &id)?;
                }
                map.serialize_entry("data", &Bin(b.data))?;
                let chunks: Vec<Chunk> = b
                    .services
                    .iter()
                    .map(|c| Chunk(c, b.ref_index_offset))
                    .collect();
                map.serialize_entry("services", &chunks)?;
                map.end()
            }
        }
        atlas::web::wire::to_msgpack(&Body(self)).expect("the body encodes")
    }
}

impl LiveServer {
    pub fn session_id(&self) -> String {
        self.info()["sessionId"].as_str().unwrap().to_owned()
    }

    pub fn post_syncback(&self, body: &[u8]) -> (u16, Value) {
        let host = self.host();
        let (status, bytes) = self.request(
            "POST",
            "/api/syncback",
            &[("Host", &host), ("Content-Type", "application/msgpack")],
            body,
        );
        (status, decode(&bytes))
    }

    /// Waits until the server answers with a session other than `old`.
    pub fn wait_for_new_session(&self, old: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(mut stream) = TcpStream::connect(self.address) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let request = format!(
                    "GET /api/rojo HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                    self.host()
                );
                let mut response = Vec::new();
                if stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_to_end(&mut response).is_ok()
                {
                    if let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") {
                        if response.starts_with(b"HTTP/1.1 200") {
                            let info = decode(&response[split + 4..]);
                            if info["sessionId"] != old {
                                return info;
                            }
                        }
                    }
                }
            }
            assert!(Instant::now() < deadline, "the server never came back");
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// (threads, open file descriptors) of the server process.
    pub fn resources(&self) -> (usize, usize) {
        let count = |what: &str| {
            std::fs::read_dir(format!("/proc/{}/{what}", self.child.id()))
                .map(|entries| entries.count())
                .unwrap_or(0)
        };
        (count("task"), count("fd"))
    }
}
