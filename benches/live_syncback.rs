//! `cargo bench --bench live_syncback`: live syncback of a real place.
//!
//! Splits `../shared/corpus/places/miners-haven.rbxl` into service chunks as
//! the plugin would, then, in the same run, for an empty place project:
//! - `atlas syncback -i miners-haven.rbxl` (wall time), the reference;
//! - live: `atlas serve`, `POST /api/syncback`, until `/api/rojo` answers
//!   with a new session (the project written and read again), and the
//!   server's peak memory; the downtime is the part after the server's
//!   answer (until then it serves).

#[allow(dead_code)]
#[path = "../tests/common/live.rs"]
mod live;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn empty_project(dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("default.project.json5"),
        "{ name: 'Bench', tree: { $className: 'DataModel', $path: 'src' } }\n",
    )
    .unwrap();
    dir.to_path_buf()
}

fn peak_memory_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let place = repo.join("../shared/corpus/places/miners-haven.rbxl");
    if !place.is_file() {
        eprintln!(
            "the live syncback benchmark needs {} (../shared beside the repository); skipped",
            place.display()
        );
        return;
    }
    // In memory where the system allows, so the disk's mood does not swing
    // the two sides of the comparison differently.
    let shm = Path::new("/dev/shm");
    let out = if shm.is_dir() {
        shm.join("atlas-live-syncback-bench")
    } else {
        repo.join("bench/out/live-syncback")
    };
    let atlas = env!("CARGO_BIN_EXE_atlas");

    let bytes = std::fs::read(&place).expect("the place");
    let dom = atlas::dom_file::read(&bytes, atlas::dom_file::Encoding::Binary).unwrap();
    let (data, chunks) = atlas::syncback::chunks::split(&dom).unwrap();
    let body = live::SyncbackBody::new(&data, &chunks).encode();
    println!(
        "{}: {} services, request body {:.1} MB",
        place.display(),
        chunks.len(),
        body.len() as f64 / 1e6
    );

    for run in 1..=3 {
        let project = empty_project(&out.join("cli"));
        let start = Instant::now();
        let status = Command::new(atlas)
            .arg("syncback")
            .arg(&project)
            .arg("-i")
            .arg(&place)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let cli = start.elapsed();

        let project = empty_project(&out.join("live"));
        let server = live::LiveServer::start(&project, &[]);
        let session = server.session_id();
        let start = Instant::now();
        let (status, response) = server.post_syncback(&body);
        assert_eq!(status, 200, "{response}");
        let answered = start.elapsed();
        server.wait_for_new_session(&session);
        let live = start.elapsed();
        let peak = peak_memory_mib(server.child.id());
        drop(server);
        let _ = std::fs::remove_dir_all(&out);
        // The server answers (and serves everyone else) while it rebuilds
        // the place; it is down from the answer until the new session.
        let downtime = live - answered;
        println!(
            "run {run}: CLI syncback {:.2}s; live {:.2}s (answered in {:.2}s), {:.2}x CLI; downtime {:.2}s, {:.2}x CLI; server peak memory {peak:.0} MiB",
            cli.as_secs_f64(),
            live.as_secs_f64(),
            answered.as_secs_f64(),
            live.as_secs_f64() / cli.as_secs_f64(),
            downtime.as_secs_f64(),
            downtime.as_secs_f64() / cli.as_secs_f64()
        );
    }
}
