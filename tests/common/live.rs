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
        let mut child = Command::new(env!("CARGO_BIN_EXE_atlas"))
            .arg("serve")
            .arg(project)
            .args(["--port", "0"])
            .args(extra)
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
