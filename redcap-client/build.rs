//! Generates the client's methods from the API spec into `OUT_DIR/client.rs`.

use std::path::PathBuf;

fn main() {
    // The spec is embedded in `redcap-api-spec`, so a change to it rebuilds that crate
    // and, through it, reruns this script; nothing else here needs watching.
    println!("cargo:rerun-if-changed=build.rs");
    let spec = match redcap_api_spec::load() {
        Ok(spec) => spec,
        Err(error) => panic!("the REDCap API spec is invalid: {error}"),
    };
    let code = redcap_codegen::client::render(&spec);
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let path = out_dir.join("client.rs");
    // Rewriting identical output would make cargo recompile the crate for nothing.
    if std::fs::read_to_string(&path).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&path, code).expect("OUT_DIR is writable");
    }
}
