//! `cargo bench --bench serve`: the dev server on a large generated project.
//!
//! Generates `../shared/bench/gen_project.py OUT --scripts 3000 --models 1000`
//! under `bench/out/project` (once), then measures with the release binary:
//! - `atlas build` of the project (median of 5), the reference;
//! - start-up: from spawning `atlas serve` to the first successful
//!   `/api/read` of the root (median of 5);
//! - change latency: from writing a script to receiving the WebSocket frame
//!   that carries its patch, over 200 edits (1,000 on Miner's Haven's
//!   project, with the server's memory before and after: it must stay
//!   flat) (median and p99), with the
//!   processor's debounce (10 ms quiet, 50 ms at most);
//! - idle CPU of the server over 5 s after the edits.
//!
//! `ATLAS_BENCH_SERVE_PROJECT=DIR` measures that project instead of Miner's
//! Haven's (500 edits), e.g. the 244k-instance project `bench/scale_bench.sh`
//! writes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let project = repo.join("bench/out/project");
    let generator = repo.join("../shared/bench/gen_project.py");
    if !project.is_dir() && !generator.is_file() {
        eprintln!(
            "the serve benchmark needs {} to generate its project (../shared beside the repository); skipped",
            generator.display()
        );
        return;
    }
    if !project.is_dir() {
        let status = Command::new("python3")
            .arg(repo.join("../shared/bench/gen_project.py"))
            .arg(&project)
            .args(["--scripts", "3000", "--models", "1000"])
            .stdout(Stdio::null())
            .status()
            .expect("python3 runs");
        assert!(status.success(), "gen_project.py failed");
    }
    let atlas = env!("CARGO_BIN_EXE_atlas");
    measure(atlas, &repo, &project, 10, 200);

    // Any other project, such as the 244k-instance one `bench/scale_bench.sh`
    // leaves in /dev/shm/atlas-scale-bench/s-x4: whether patch latency stays
    // flat at four times Miner's Haven's size.
    if let Some(other) = std::env::var_os("ATLAS_BENCH_SERVE_PROJECT") {
        measure(atlas, &repo, Path::new(&other), 3, 500);
        return;
    }

    // Miner's Haven's project (61k instances), written by `atlas syncback`
    // once: whether patch latency stays flat as the project grows.
    let place = repo.join("../shared/corpus/places/miners-haven.rbxl");
    let big = repo.join("bench/out/miners-haven-project");
    if !place.is_file() {
        eprintln!(
            "{} is missing: Miner's Haven's project skipped",
            place.display()
        );
        return;
    }
    if !big.join("default.project.json5").is_file() {
        let _ = std::fs::remove_dir_all(&big);
        std::fs::create_dir_all(big.join("src")).unwrap();
        std::fs::write(
            big.join("default.project.json5"),
            "{ name: 'MinersHaven', tree: { $className: 'DataModel', $path: 'src' } }\n",
        )
        .unwrap();
        let status = Command::new(atlas)
            .args(["syncback", "-q"])
            .arg(&big)
            .arg("-i")
            .arg(&place)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "syncback of Miner's Haven failed");
    }
    measure(atlas, &repo, &big, 4, 1000);
}

/// Build, serve start-up (`runs` - 1 measured) and edit latency of one
/// project.
fn measure(atlas: &str, repo: &Path, project: &Path, runs: usize, edits: usize) {
    let scripts = script_files(project);
    println!();
    println!("project: {} ({} scripts)", project.display(), scripts.len());

    // Builds and serve start-ups alternate, so both see the same machine.
    let output = repo.join("bench/out/serve-bench.rbxl");
    let mut builds = Vec::new();
    let mut startups = Vec::new();
    let mut reads = Vec::new();
    for run in 0..runs {
        let start = Instant::now();
        let status = Command::new(atlas)
            .arg("build")
            .arg(project)
            .arg("-o")
            .arg(&output)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let build = start.elapsed();

        let start = Instant::now();
        let mut server = Server::start(atlas, project);
        let root = server.root_id();
        let read_start = Instant::now();
        let (status, body) = server.get(&format!("/api/read/{root}"));
        assert_eq!(status, 200);
        let startup = start.elapsed();
        let read = read_start.elapsed();
        server.stop();
        if run == 0 {
            println!(
                "the root's read response: {:.1} MB",
                body.len() as f64 / 1e6
            );
            continue; // warm-up
        }
        builds.push(build);
        startups.push(startup);
        reads.push(read);
    }
    let _ = std::fs::remove_file(&output);
    let build = median(&mut builds);
    println!("atlas build: median {} ({} runs)", ms(build), runs - 1);

    let startup = median(&mut startups);
    println!(
        "serve start-up to first /api/read of the root: median {} ({:.2}x build)",
        ms(startup),
        startup.as_secs_f64() / build.as_secs_f64()
    );
    println!(
        "  of which the /api/read itself: median {}",
        ms(median(&mut reads))
    );

    let mut server = Server::start(atlas, project);
    let root = server.root_id();
    server.get(&format!("/api/read/{root}"));
    let (mut socket, _) = tungstenite::connect(format!(
        "ws://localhost:{}/api/socket/0",
        server.address.port()
    ))
    .expect("the socket connects");
    if let tungstenite::stream::MaybeTlsStream::Plain(stream) = socket.get_ref() {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
    }
    // Unique to this run: the files keep the last run's edits.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut latencies = Vec::new();
    let memory_before = resident_mib(server.child.id());
    for i in 0..edits {
        let path = &scripts[(i * 7) % scripts.len()];
        let text = format!("-- edit {i} of run {run}\nreturn {i}\n");
        let start = Instant::now();
        std::fs::write(path, &text).unwrap();
        let needle = format!("-- edit {i} of run {run}\n");
        wait_for_frame(&mut socket, Some(needle.as_bytes()));
        latencies.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    let memory_after = resident_mib(server.child.id());
    report(
        &format!("edit -> WebSocket frame over {edits} edits"),
        latencies,
    );

    // Structural edits: a new script file beside an existing one, then its
    // removal (instances added and removed, so references are looked at).
    let mut adds = Vec::new();
    let mut removes = Vec::new();
    let mut slowest_adds = Vec::new();
    for i in 0..edits / 5 {
        let beside = &scripts[(i * 13) % scripts.len()];
        let Some(folder) = beside.parent() else {
            continue;
        };
        let path = folder.join(format!("AtlasBenchNew{i}.luau"));
        let marker = format!("-- added {i} of run {run}\n");
        let start = Instant::now();
        std::fs::write(&path, format!("{marker}return {i}\n")).unwrap();
        wait_for_frame(&mut socket, Some(marker.as_bytes()));
        adds.push(start.elapsed());
        slowest_adds.push((start.elapsed(), i, folder.to_path_buf()));
        std::thread::sleep(Duration::from_millis(20));
        let start = Instant::now();
        std::fs::remove_file(&path).unwrap();
        wait_for_frame(&mut socket, None);
        removes.push(start.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    report(
        &format!("new file -> WebSocket frame over {} additions", adds.len()),
        adds,
    );
    // Where the slowest additions went: a folder that is read whole (a
    // project node's, or one with an init file) shows here.
    slowest_adds.sort_by(|a, b| b.0.cmp(&a.0));
    for (took, i, folder) in slowest_adds.iter().take(3) {
        println!(
            "  slow addition #{i}: {} in {}",
            ms(*took),
            folder.strip_prefix(project).unwrap_or(folder).display()
        );
    }
    report(
        &format!(
            "removed file -> WebSocket frame over {} removals",
            removes.len()
        ),
        removes,
    );
    println!(
        "server memory (resident) before the edits {memory_before:.0} MiB, after {memory_after:.0} MiB ({:+.1} MiB)",
        memory_after - memory_before
    );

    let before = cpu_ticks(server.child.id());
    std::thread::sleep(Duration::from_secs(5));
    let after = cpu_ticks(server.child.id());
    let ticks_per_second = 100.0;
    println!(
        "idle CPU over 5 s: {:.2}% of one core",
        (after - before) as f64 / ticks_per_second / 5.0 * 100.0
    );
    server.stop();
}

/// Reads frames until a binary one (holding `needle`, when given) arrives.
fn wait_for_frame(
    socket: &mut tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<std::net::TcpStream>>,
    needle: Option<&[u8]>,
) {
    loop {
        if let tungstenite::Message::Binary(bytes) = socket.read().expect("a frame within 5 s") {
            match needle {
                Some(needle) if !bytes.windows(needle.len()).any(|w| w == needle) => continue,
                _ => return,
            }
        }
    }
}

/// Prints the median, p99 and maximum of `latencies`.
fn report(what: &str, mut latencies: Vec<Duration>) {
    if latencies.is_empty() {
        return;
    }
    latencies.sort();
    let p99 = latencies[(latencies.len() * 99 / 100).saturating_sub(1)];
    println!(
        "{what}: median {}, p99 {}, max {} (debounce: 10 ms quiet, 50 ms at most)",
        ms(latencies[latencies.len() / 2]),
        ms(p99),
        ms(*latencies.last().unwrap())
    );
}

fn script_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "luau")
                && !path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("init.")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// utime + stime of a process, in clock ticks.
/// The process's resident memory (VmRSS), in MiB.
fn resident_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of the line; 12 and 13 after the name and state.
    field(11) + field(12)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    fn start(atlas: &str, project: &Path) -> Server {
        let mut child = Command::new(atlas)
            .arg("serve")
            .arg(project)
            .args(["--port", "0"])
            .env("ATLAS_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines.next().unwrap().unwrap();
        let address = line
            .strip_prefix("listening: http://")
            .unwrap()
            .parse()
            .unwrap();
        std::thread::spawn(move || for _ in lines {});
        Server { child, address }
    }

    fn get(&self, path: &str) -> (u16, Vec<u8>) {
        let mut stream = TcpStream::connect(self.address).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            self.address.port()
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let status = String::from_utf8_lossy(&response[9..12]).parse().unwrap();
        (status, response[split + 4..].to_vec())
    }

    fn root_id(&self) -> String {
        let (status, body) = self.get("/api/rojo");
        assert_eq!(status, 200);
        let info: serde_json::Value = rmp_serde::from_slice(&body).unwrap();
        info["rootInstanceId"].as_str().unwrap().to_owned()
    }

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
