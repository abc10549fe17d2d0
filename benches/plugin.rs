//! `cargo bench --bench plugin`: the Studio plugin, headless, against the
//! real server on large projects:
//! - the generated project (`../shared/bench/gen_project.py OUT --scripts
//!   3000 --models 1000`, 13.6k instances) under `bench/out/project`;
//! - Miner's Haven's project (`atlas syncback` of
//!   `../shared/corpus/places/miners-haven.rbxl`) under
//!   `bench/out/miners-haven`.
//!
//! For each: `atlas build` (median of 3, the reference); the initial sync
//! into an empty DataModel, press Sync → Accept → DataModel complete
//! (median of 3, split into connect+compare and apply); and file save →
//! patch applied in the DataModel over 100 script edits (p50, p99).

#[path = "../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;
#[path = "../tests/plugin_harness/mod.rs"]
mod plugin_harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::live::LiveServer;
use plugin_harness::{dom, Driver, Harness};
use rbx_dom_weak::{InstanceBuilder, WeakDom};

fn main() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = repo.join("../shared");
    if !shared.is_dir() {
        eprintln!("the plugin benchmark needs ../shared (the project generator and Miner's Haven); skipped");
        return;
    }
    let generated = repo.join("bench/out/project");
    if !generated.is_dir() {
        let status = Command::new("python3")
            .arg(shared.join("bench/gen_project.py"))
            .arg(&generated)
            .args(["--scripts", "3000", "--models", "1000"])
            .stdout(Stdio::null())
            .status()
            .expect("python3 runs");
        assert!(status.success(), "gen_project.py failed");
    }
    let miners = repo.join("bench/out/miners-haven");
    if !miners.is_dir() {
        std::fs::create_dir_all(&miners).unwrap();
        std::fs::copy(
            repo.join("rojo-test/serve-tests/live-syncback/default.project.json5"),
            miners.join("default.project.json5"),
        )
        .unwrap();
        let status = Command::new(env!("CARGO_BIN_EXE_atlas"))
            .arg("syncback")
            .arg(&miners)
            .arg("-i")
            .arg(shared.join("corpus/places/miners-haven.rbxl"))
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "atlas syncback of Miner's Haven failed");
    }
    for project in [generated, miners] {
        measure(&repo, &project);
    }
}

fn measure(repo: &Path, project: &Path) {
    println!("\n== {}", project.display());
    let output = repo.join("bench/out/plugin-bench.rbxl");
    let mut builds = Vec::new();
    for _ in 0..3 {
        let start = Instant::now();
        let status = Command::new(env!("CARGO_BIN_EXE_atlas"))
            .arg("build")
            .arg(project)
            .arg("-o")
            .arg(&output)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        builds.push(start.elapsed());
    }
    let _ = std::fs::remove_file(&output);
    let build = median(&mut builds);
    println!("atlas build: median {}", ms(build));

    let server = LiveServer::start(project, &[]);
    let port = server.address.port();
    let mut connects = Vec::new();
    let mut applies = Vec::new();
    let mut totals = Vec::new();
    let mut instances = 0;
    for _ in 0..3 {
        let harness = Harness::new();
        let game = dom::load_place(WeakDom::new(InstanceBuilder::new("DataModel")));
        let driver = Driver::new(&harness, game, port, "");
        let start = Instant::now();
        driver.press("sync");
        assert_eq!(driver.page(), "Confirming", "{}", driver.texts());
        let connected = start.elapsed();
        driver.press("accept");
        assert_eq!(driver.page(), "Connected", "{}", driver.texts());
        let total = start.elapsed();
        connects.push(connected);
        applies.push(total - connected);
        totals.push(total);
        instances = driver.place().descendants().count();
    }
    let total = median(&mut totals);
    println!(
        "initial sync, Sync → Accept → DataModel complete ({instances} instances): median {} ({:.2}x build); \
         connect, read and compare {}, apply {}",
        ms(total),
        total.as_secs_f64() / build.as_secs_f64(),
        ms(median(&mut connects)),
        ms(median(&mut applies))
    );

    let harness = Harness::new();
    let game = dom::load_place(WeakDom::new(InstanceBuilder::new("DataModel")));
    let driver = Driver::new(&harness, game, port, "");
    driver.press("sync");
    driver.press("accept");
    let scripts = script_files(project);
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut latencies = Vec::new();
    let mut plugin_side = Vec::new();
    for i in 0..100 {
        let path = &scripts[(i * 7) % scripts.len()];
        let before = driver.recordings().len();
        let start = Instant::now();
        std::fs::write(path, format!("-- edit {i} of run {run}\nreturn {i}\n")).unwrap();
        let mut handling = Duration::ZERO;
        while driver.recordings().len() == before {
            let pumped = Instant::now();
            if harness.pump(Duration::from_millis(1)).unwrap() > 0 {
                handling += pumped.elapsed();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "edit {i} was never applied"
            );
        }
        latencies.push(start.elapsed());
        plugin_side.push(handling);
        std::thread::sleep(Duration::from_millis(20));
    }
    latencies.sort();
    println!(
        "file save → applied in the DataModel over 100 edits: p50 {}, p99 {}, max {}; \
         of which the plugin (decode and apply the frame): p50 {}",
        ms(latencies[latencies.len() / 2]),
        ms(latencies[latencies.len() * 99 / 100 - 1]),
        ms(*latencies.last().unwrap()),
        ms(median(&mut plugin_side))
    );
}

fn script_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                stack.push(path);
            } else if (name.ends_with(".luau") || name.ends_with(".lua"))
                && !name.starts_with("init.")
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}
