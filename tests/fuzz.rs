//! Hostile input never crashes Atlas. Each target takes mutated inputs
//! (bit flips, cut and repeated ranges, splices between seeds, tokens that
//! mean something to the format: `../`, `CON`, `Rojo_Ref_`, `NaN`, msgpack
//! type markers...) and must answer with a result or an error, never a
//! panic:
//!
//! - `place_files`: `.rbxl`/`.rbxlx`/`.rbxm` bytes as Atlas reads them, then
//!   syncback of what decodes (hostile names and values on the write path);
//! - `project_files`: one file of a project replaced or added (its path and
//!   bytes both mutated: JSON5 project, meta and model files, CSV, data
//!   modules, `Rojo_Ref_*` paths, file names), read as `atlas build` reads it,
//!   then synced back over itself;
//! - `syncback_body`: `POST /api/syncback` bodies, checked and rebuilt as the
//!   server does, then synced back;
//! - `write_body`: `POST /api/write` bodies, applied by a live session to a
//!   real project folder, which must still read afterwards.
//!
//! `cargo test` runs `ATLAS_FUZZ_CASES` cases per target (default 250) from
//! `ATLAS_FUZZ_SEED`; `bench/fuzz.sh` runs long campaigns. Every input that
//! ever crashed is kept in `tests/fuzz/<target>/` and runs first.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use atlas::dom_file::{self, Encoding};
use atlas::project::Project;
use atlas::syncback::{self, SyncbackOptions};
use atlas::vfs::{MemoryVfs, StdVfs};
use common::rng::Rng;
use serde_json::json;

fn cases() -> usize {
    std::env::var("ATLAS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250)
}

fn first_seed() -> u64 {
    std::env::var("ATLAS_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_a71a5)
}

const TOKENS: &[&[u8]] = &[
    b"../",
    b"..",
    b"/",
    b"\\",
    b"CON",
    b"aux.txt",
    b"~2",
    b"init",
    b".meta.json5",
    b".model.json5",
    b"Rojo_Ref_Value",
    b"Rojo_Target_x",
    b"Rojo_Id",
    b"@self/..",
    b"@game/Workspace",
    b"$path",
    b"$className",
    b"$properties",
    b"NaN",
    b"Infinity",
    b"-0",
    b"1e999",
    b"18446744073709551616",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\n",
    b"\0",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    // msgpack markers: map32, array32, str32, bin32, ext, float64, nil.
    b"\xdf\xff\xff\xff\xff",
    b"\xdd\xff\xff\xff\xff",
    b"\xdb\xff\xff\xff\xff",
    b"\xc6\xff\xff\xff\xff",
    b"\xc7\x01\x00",
    b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00",
    b"\xc0",
];

/// One to four random edits of `input`.
fn mutate(rng: &mut Rng, input: &[u8], seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = out.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = *rng.pick(&[0u8, 0xff, 0x7f, 0x80, b'0', b'~', b'/']);
            }
            2 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                out.splice(i..i, bytes);
            }
            3 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                out.drain(i..i + n);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(256));
                let copy = out[i..i + n].to_vec();
                let at = rng.below(len + 1);
                out.splice(at..at, copy);
            }
            5 if len > 0 => out.truncate(rng.below(len)),
            6 => {
                let other = rng.pick(seeds);
                if !other.is_empty() {
                    let i = rng.below(other.len());
                    let n = 1 + rng.below((other.len() - i).min(512));
                    let at = rng.below(len + 1);
                    out.splice(at..at, other[i..i + n].iter().copied());
                }
            }
            _ => {
                let token = rng.pick(TOKENS);
                let at = rng.below(len + 1);
                if rng.chance(50) && at < len {
                    let end = (at + token.len()).min(len);
                    out.splice(at..end, token.iter().copied());
                } else {
                    out.splice(at..at, token.iter().copied());
                }
            }
        }
    }
    out
}

/// Runs `target` on every kept crash of `name`, then on `cases()` mutated
/// seeds. A panic saves the input and fails, naming it. `target` says
/// whether the input got through to its last stage; at least
/// `deep_percent` of the cases must, or the mutations only ever test the
/// first check.
fn campaign(name: &str, seeds: &[Vec<u8>], deep_percent: usize, target: impl Fn(&[u8]) -> bool) {
    assert!(!seeds.is_empty(), "{name}: no seeds");
    let kept = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(name);
    let mut regressions: Vec<PathBuf> = std::fs::read_dir(&kept)
        .map(|entries| entries.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    regressions.sort();
    for path in &regressions {
        let input = std::fs::read(path).unwrap();
        if catch_unwind(AssertUnwindSafe(|| target(&input))).is_err() {
            panic!("{name}: the kept crash {} crashes again", path.display());
        }
    }
    for (i, seed) in seeds.iter().enumerate() {
        match catch_unwind(AssertUnwindSafe(|| target(seed))) {
            Ok(true) => {}
            Ok(false) => panic!("{name}: seed {i} does not get through every stage"),
            Err(_) => panic!("{name}: seed {i} crashes"),
        }
    }
    let mut rng = Rng(first_seed() ^ (name.len() as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    // An abort (a failed allocation, a stack overflow) cannot be caught:
    // the input being run is always in `current.bin`.
    let findings = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-findings")
        .join(name);
    std::fs::create_dir_all(&findings).unwrap();
    let current = findings.join("current.bin");
    let mut deep = 0;
    for case in 0..cases() {
        let seed = rng.pick(seeds).clone();
        let input = mutate(&mut rng, &seed, seeds);
        std::fs::write(&current, &input).unwrap();
        let result = catch_unwind(AssertUnwindSafe(|| target(&input)));
        if matches!(result, Ok(true)) {
            deep += 1;
        }
        if result.is_err() {
            let saved = findings.join(format!("case-{case}.bin"));
            std::fs::write(&saved, &input).unwrap();
            panic!(
                "{name}: case {case} crashed Atlas; the input is in {} (fix it, then keep it in tests/fuzz/{name}/)",
                saved.display()
            );
        }
    }
    eprintln!(
        "{name}: {} kept crashes, {} seeds, {} cases ({deep} through every stage): no crash",
        regressions.len(),
        seeds.len(),
        cases()
    );
    assert!(
        deep * 100 >= cases() * deep_percent,
        "{name}: only {deep} of {} cases got through every stage",
        cases()
    );
}

fn demo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo-place")
}

/// Every file of the demo project: relative path → bytes.
fn demo_files() -> Vec<(String, Vec<u8>)> {
    let root = demo_root();
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn demo_dom() -> rbx_dom_weak::WeakDom {
    let loaded = atlas::build::load_tree(&StdVfs, &demo_root().join("default.project.json5"))
        .expect("the demo reads");
    let dom = loaded.tree.dom();
    let mut bytes = Vec::new();
    dom_file::write(&mut bytes, dom, dom.root().children(), Encoding::Binary).unwrap();
    dom_file::read(&bytes, Encoding::Binary).unwrap()
}

const PLACE_PROJECT: &str = "{ name: 'Fuzz', tree: { $className: 'DataModel', $path: 'src' } }";
const MODEL_PROJECT: &str = "{ name: 'Fuzz', tree: { $path: 'src' } }";

/// Syncback (clean mode) of `dom` into an empty in-memory project: a
/// result or an error, and nothing touches the disk. True if it wrote.
fn syncback_into_memory(dom: rbx_dom_weak::WeakDom) -> bool {
    let root = Path::new("/fuzz");
    let is_place = dom.root().class == "DataModel";
    let (dom, project_text) = if is_place {
        (dom, PLACE_PROJECT)
    } else {
        match syncback::model_root(dom) {
            Ok(dom) => (dom, MODEL_PROJECT),
            Err(_) => return false,
        }
    };
    let vfs = MemoryVfs::new(root, [("default.project.json5", project_text.as_bytes())]);
    let project_file = root.join("default.project.json5");
    let project = Project::from_bytes(&project_file, project_text.as_bytes()).unwrap();
    syncback::syncback(&vfs, &project, None, dom, SyncbackOptions::default()).is_ok()
}

/// A binary place or model with every LZ4 chunk stored uncompressed (a
/// chunk whose compressed length is 0), which decoders read the same.
fn uncompressed(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(b"<roblox!\x89") {
        return None;
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let mut out = bytes[..32].to_vec();
    let mut offset = 32;
    while offset + 16 <= bytes.len() {
        let (compressed, len) = (u32_at(offset + 4), u32_at(offset + 8));
        let data =
            &bytes[offset + 16..offset + 16 + if compressed == 0 { len } else { compressed }];
        let plain = if compressed == 0 {
            data.to_vec()
        } else {
            lz4_flex::block::decompress(data, len).ok()?
        };
        out.extend(&bytes[offset..offset + 4]);
        out.extend(0u32.to_le_bytes());
        out.extend((plain.len() as u32).to_le_bytes());
        out.extend([0; 4]);
        out.extend(&plain);
        offset += 16 + data.len();
    }
    Some(out)
}

#[test]
fn place_files() {
    let dom = demo_dom();
    let mut seeds = Vec::new();
    for encoding in [Encoding::Binary, Encoding::Xml] {
        let mut bytes = Vec::new();
        dom_file::write(&mut bytes, &dom, dom.root().children(), encoding).unwrap();
        seeds.push(bytes);
        // A model: one service's subtree.
        let mut model = Vec::new();
        dom_file::write(&mut model, &dom, &dom.root().children()[..1], encoding).unwrap();
        seeds.push(model);
    }
    let uncompressed: Vec<Vec<u8>> = seeds.iter().filter_map(|s| uncompressed(s)).collect();
    assert_eq!(uncompressed.len(), 2, "the binary seeds decompress");
    seeds.extend(uncompressed);
    campaign("place_files", &seeds, 3, |input| {
        match dom_file::read(input, Encoding::Binary) {
            Ok(dom) => syncback_into_memory(dom),
            Err(_) => false,
        }
    });
}

/// A case: `relative path \0 contents` replaces or adds one file of the
/// demo project.
fn demo_with(input: &[u8]) -> (MemoryVfs, PathBuf) {
    let root = Path::new("/demo");
    let (path, contents) = match input.iter().position(|b| *b == 0) {
        Some(i) => (
            String::from_utf8_lossy(&input[..i]).into_owned(),
            &input[i + 1..],
        ),
        None => ("default.project.json5".to_owned(), input),
    };
    let mut files = demo_files();
    match files.iter_mut().find(|(p, _)| *p == path) {
        Some(file) => file.1 = contents.to_vec(),
        None => files.push((path, contents.to_vec())),
    }
    let vfs = MemoryVfs::new(root, files.iter().map(|(p, c)| (p.as_str(), c.as_slice())));
    (vfs, root.join("default.project.json5"))
}

#[test]
fn project_files() {
    let seeds: Vec<Vec<u8>> = demo_files()
        .into_iter()
        .filter(|(path, _)| !path.ends_with(".rbxm") && !path.ends_with(".rbxmx"))
        .map(|(path, contents)| {
            let mut input = path.into_bytes();
            input.push(0);
            input.extend(contents);
            input
        })
        .collect();
    campaign("project_files", &seeds, 20, |input| {
        let (vfs, project_file) = demo_with(input);
        let Ok(loaded) = atlas::build::load_tree(&vfs, &project_file) else {
            return false;
        };
        let Ok(bytes) = vfs_read(&vfs, &project_file) else {
            return false;
        };
        let Ok(project) = Project::from_bytes(&project_file, &bytes) else {
            return false;
        };
        let dom = loaded.tree.dom();
        let mut stored = Vec::new();
        if dom_file::write(&mut stored, dom, dom.root().children(), Encoding::Binary).is_err() {
            return false;
        }
        let Ok(stored) = dom_file::read(&stored, Encoding::Binary) else {
            return false;
        };
        syncback::syncback(
            &vfs,
            &project,
            Some(&loaded.tree),
            stored,
            SyncbackOptions::INCREMENTAL,
        )
        .is_ok()
    });
}

fn vfs_read(vfs: &MemoryVfs, path: &Path) -> std::io::Result<Vec<u8>> {
    use atlas::vfs::Vfs;
    vfs.read(path)
}

#[test]
fn syncback_body() {
    let dom = demo_dom();
    let (data, chunks) = syncback::chunks::split(&dom).unwrap();
    let seeds = vec![
        common::live::SyncbackBody::new(&data, &chunks).encode(),
        common::live::SyncbackBody::new(&[], &chunks[..1]).encode(),
    ];
    campaign("syncback_body", &seeds, 5, |input| {
        let Ok(parsed) = atlas::web::parse_syncback(input) else {
            return false;
        };
        match syncback::chunks::reconstruct(&parsed.data, &parsed.services) {
            Ok(dom) => syncback_into_memory(dom),
            Err(_) => false,
        }
    });
}

#[test]
fn write_body() {
    let (_dir, root) = common::repo_copy("examples/demo-place", "demo");
    let session = atlas::serve::ServeSession::new(&root).expect("the demo serves");
    let id = |path: &str| {
        let tree = session.tree();
        let referent = common::instance_at(tree.dom(), path);
        referent.to_string()
    };
    let (util, workspace, baseplate, pointer, door) = (
        id("ReplicatedStorage/Util"),
        id("Workspace"),
        id("Workspace/Baseplate"),
        id("Workspace/Door/Pointer"),
        id("Workspace/Door"),
    );
    let new_id = "0123456789abcdef0123456789abcdef";
    let bodies = [
        json!({"sessionId": "s", "updated": [{"id": util, "changedProperties": {"Source": {"String": "return 2\n"}}}]}),
        json!({"sessionId": "s", "updated": [{"id": baseplate, "changedName": "Floor", "changedProperties": {"Transparency": {"Float32": 0.5}, "Attributes": {"Attributes": {"Speed": {"Float64": 2.0}}}, "Tags": {"Tags": ["A", "B"]}}}]}),
        json!({"sessionId": "s", "added": {new_id: {"parent": workspace, "name": "Crate", "className": "Part", "properties": {"Anchored": {"Bool": true}}, "children": [{"id": "fedcba9876543210fedcba9876543210", "name": "Tag", "className": "StringValue", "properties": {"Value": {"String": "x"}}, "children": []}]}}, "updated": [{"id": pointer, "changedProperties": {"Value": {"Ref": new_id}}}]}),
        json!({"sessionId": "s", "updated": [{"id": baseplate, "changedParent": door}]}),
        json!({"sessionId": "s", "removed": [door]}),
    ];
    let seeds: Vec<Vec<u8>> = bodies
        .iter()
        .map(|b| rmp_serde::to_vec_named(b).unwrap())
        .collect();
    campaign("write_body", &seeds, 3, |input| {
        let Ok(body) = atlas::web::wire::from_msgpack::<atlas::web::wire::WriteBody>(input) else {
            return false;
        };
        let Ok(request) = body.into_request() else {
            return false;
        };
        // The session catches a panic in a write (and says so): for the
        // fuzzer that is a crash all the same.
        match session.write(request) {
            Err(atlas::serve::WriteError::Internal) => {
                panic!("a write panicked inside the session");
            }
            result => result.is_ok(),
        }
    });
    // Whatever was written, the project still reads.
    drop(session);
    atlas::build::load_tree(&StdVfs, &root.join("default.project.json5"))
        .expect("after the writes the project no longer reads");
}
