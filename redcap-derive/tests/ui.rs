//! Compile errors of the record macros, with their messages kept in `ui/*.stderr`.

#[test]
#[allow(
    unsafe_code,
    reason = "set_var before trybuild spawns cargo; this binary runs this one test, so no other thread reads the environment"
)]
fn compile_errors() {
    // trybuild builds these files outside the source tree; the macros resolve schema paths
    // against this override instead of the generated crate's manifest directory.
    // SAFETY: no other thread exists that could read the environment concurrently.
    unsafe { std::env::set_var("REDCAP_MANIFEST_DIR_OVERRIDE", env!("CARGO_MANIFEST_DIR")) };
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
