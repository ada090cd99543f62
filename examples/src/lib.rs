//! What the examples share: the sample project's record types and a local REDCap serving
//! it. Against a real REDCap, replace [`local_redcap`] with `Client::from_env()`.
//!
//! - `nightly_export`: typed records to a summary CSV.
//! - `import_csv`: rows from a CSV checked against the schema, then imported.
//! - `partial_struct`: `project!` plus a hand-written struct holding a few fields.
//! - `generated_module`: the committed output of `cargo redcap gen` ([`sample_records`]).
//!
//! `cargo test -p redcap-examples` runs every one of them.

use redcap_client::Client;

/// The sample project's record types, expanded at compile time from its project XML, as
/// `cargo redcap gen` would write them.
#[allow(missing_docs)]
pub mod records {
    redcap_client::project!(
        "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml"
    );
}

/// The project XML `records` comes from; the emulator serves it, records included.
pub const PROJECT_XML: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml"
);

/// A running local REDCap and a client for the sample project. Keep the emulator alive
/// while the client is used.
pub async fn local_redcap() -> Result<(redcap_emulator::Emulator, Client), String> {
    let config = redcap_emulator::Config::default().project("sample", PROJECT_XML);
    let emulator = redcap_emulator::Emulator::start(config)
        .await
        .map_err(|e| format!("cannot start the local REDCap: {e}"))?;
    let token = emulator
        .token("sample")
        .ok_or("the local REDCap has no sample project")?;
    let client = Client::new(emulator.url(), token).map_err(|e| e.to_string())?;
    Ok((emulator, client))
}

/// The same types, written by `cargo redcap gen --out examples/src/sample_records.rs`: the
/// file to commit when a project's types should be read and reviewed like other code. A
/// test runs `gen --check` so it never goes stale, and `cargo fmt` leaves it as it is.
pub mod sample_records;

/// The exit status of an example: success, or the error on stderr and failure.
pub fn exit_code(result: Result<(), String>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}
