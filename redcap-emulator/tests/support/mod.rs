//! What every emulator test file shares: the corpus fixtures, starting an
//! emulator, a client for one of its projects, and raw calls.

#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::PathBuf;

use redcap_client::{Client, Error};
use redcap_emulator::{Config, Emulator};

pub(crate) fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../redcap-schema/tests/fixtures")
        .join(path)
}

pub(crate) const SIMPLE: &str = "REDCapR/inst/test-data/projects/simple/project.xml";
pub(crate) const REPEATING: &str = "REDCapR/inst/test-data/projects/vignette-repeating/project.xml";
pub(crate) const LONGITUDINAL: &str = "REDCapR/inst/test-data/projects/longitudinal/project.xml";
pub(crate) const PYCAP_LONG: &str = "PyCap/tests/data/test_long_project.xml";

pub(crate) async fn start(projects: &[(&str, &str)]) -> Emulator {
    let mut config = Config::default();
    for (name, path) in projects {
        config = config.project(*name, fixture(path));
    }
    Emulator::start(config).await.expect("emulator starts")
}

pub(crate) fn client(emulator: &Emulator, project: &str) -> Client {
    Client::new(
        emulator.url(),
        emulator.token(project).expect("project loaded"),
    )
    .expect("client")
}

pub(crate) async fn raw(
    client: &Client,
    method: &str,
    params: &[(&str, &str)],
) -> Result<String, Error> {
    let params: Vec<(String, String)> = params
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let response = client.call_raw(method, &params).await?;
    Ok(response.text()?.to_owned())
}

/// A POST with any form fields, for requests the typed client refuses to
/// build (bad tokens, unknown contents).
pub(crate) async fn post(url: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.text().await.expect("body"))
}

/// `content=project` with the super token: status and body (the new
/// project's token on success).
pub(crate) async fn create_project(emulator: &Emulator, format: &str, data: &str) -> (u16, String) {
    let (status, _, body) = post(
        emulator.url(),
        &[
            ("token", emulator.super_token()),
            ("content", "project"),
            ("format", format),
            ("data", data),
        ],
    )
    .await;
    (status, body)
}

/// A record import of `data` in `format` into a loaded project, errors
/// and counts in JSON: status and body.
pub(crate) async fn import_records(
    emulator: &Emulator,
    project: &str,
    format: &str,
    data: &str,
) -> (u16, String) {
    let token = emulator.token(project).expect("project loaded");
    let (status, _, body) = post(
        emulator.url(),
        &[
            ("token", token),
            ("content", "record"),
            ("format", format),
            ("returnFormat", "json"),
            ("data", data),
        ],
    )
    .await;
    (status, body)
}
