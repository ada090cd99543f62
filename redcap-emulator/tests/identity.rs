//! The super token belongs to a named user, who owns, with every right,
//! the projects it creates and the projects loaded at start.

mod support;

use redcap_emulator::{Config, Emulator, StartError};
use support::{SIMPLE, create_project, fixture, post};

const TITLE: &str = "PyCap test_simple_project: 12-01 20:10:59";

/// Creates a project with the super token; its token.
async fn create(emu: &Emulator, format: &str, data: &str) -> String {
    let (status, body) = create_project(emu, format, data).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body.len(), 32, "{body}");
    body
}

async fn users(emu: &Emulator, token: &str) -> serde_json::Value {
    let (status, _, body) = post(
        emu.url(),
        &[("token", token), ("content", "user"), ("format", "json")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The project's users are exactly the super token's user, with every
/// API right.
async fn owned_by(emu: &Emulator, token: &str, username: &str) {
    let users = users(emu, token).await;
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 1, "{users:?}");
    let user = &users[0];
    assert_eq!(user["username"], username);
    for right in [
        "api_export",
        "api_import",
        "design",
        "user_rights",
        "record_delete",
    ] {
        assert_eq!(user[right], 1, "{right}: {user}");
    }
}

#[tokio::test]
async fn projects_created_with_the_super_token_belong_to_its_user() {
    let emu = Emulator::start(Config::default()).await.unwrap();
    assert_eq!(emu.super_user(), "site_admin");
    let json = create(
        &emu,
        "json",
        &format!(r#"[{{"project_title":"{TITLE}","purpose":"0"}}]"#),
    )
    .await;
    owned_by(&emu, &json, "site_admin").await;
    // The same title again is a second project with its own token.
    let xml = create(
        &emu,
        "xml",
        &format!(
            r#"<?xml version="1.0" encoding="UTF-8" ?><item><project_title>{TITLE}</project_title><purpose>0</purpose></item>"#
        ),
    )
    .await;
    assert_ne!(json, xml);
    owned_by(&emu, &xml, "site_admin").await;
    // Usable at once: records in, records out, users back in.
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", &xml),
            ("content", "record"),
            ("format", "json"),
            ("data", r#"[{"record_id":"1"}]"#),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    let exported = users(&emu, &xml).await.to_string();
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", &xml),
            ("content", "user"),
            ("format", "json"),
            ("data", &exported),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "1"));
}

#[tokio::test]
async fn a_named_super_user_owns_loaded_and_created_projects() {
    let config = Config::default()
        .super_user("jane.doe@example.org")
        .project("simple", fixture(SIMPLE));
    let emu = Emulator::start(config).await.unwrap();
    owned_by(&emu, emu.token("simple").unwrap(), "jane.doe@example.org").await;
    let token = create(
        &emu,
        "json",
        r#"[{"project_title":"Second (copy)","purpose":"4"}]"#,
    )
    .await;
    owned_by(&emu, &token, "jane.doe@example.org").await;
    assert!(
        emu.start_line()
            .contains(r#""super_user":"jane.doe@example.org""#)
    );
}

#[tokio::test]
async fn a_super_user_outside_redcaps_username_format_is_refused() {
    let error = Emulator::start(Config::default().super_user("admin:1"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StartError::SuperUser(ref u) if u == "admin:1"),
        "{error}"
    );
}
