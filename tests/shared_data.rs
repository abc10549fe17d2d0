//! A clone without the shared test data still passes `cargo test`: every
//! test that needs it says, once and loudly, that it skipped and why; CI sets
//! `ATLAS_REQUIRE_SHARED`, which turns such a skip into a failure.

mod common;

#[test]
fn missing_data_is_skipped_with_a_message_naming_it() {
    let empty = common::temp_dir();
    let wanted = empty.path().join("corpus/places/miners-haven.rbxl");
    let message = common::missing_shared(&wanted).expect("the file is missing");
    assert!(message.starts_with("SKIPPED: "), "{message}");
    assert!(message.contains(&wanted.display().to_string()), "{message}");
    assert!(message.contains("ATLAS_SHARED_DIR"), "{message}");
    assert!(!common::have_shared_or(&wanted, false));
}

#[test]
#[should_panic(expected = "ATLAS_REQUIRE_SHARED")]
fn missing_data_fails_when_it_is_required() {
    let empty = common::temp_dir();
    common::have_shared_or(&empty.path().join("conformance/rojo-build"), true);
}

#[test]
fn present_data_is_used() {
    let here = common::temp_dir();
    assert!(common::missing_shared(here.path()).is_none());
    assert!(common::have_shared_or(here.path(), true));
}
