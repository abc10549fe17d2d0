// Build script. Nothing to generate yet; the Studio plugin will be built and
// embedded here once it exists (see plugin/README.md).
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
}
