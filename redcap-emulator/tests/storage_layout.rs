//! Stored order survives the storage layout: a checkbox's codes come back in
//! the order they were saved, and a data directory written by older
//! versions (the `data` table as a row-id table with its indexes) opens,
//! is converted once, and exports exactly what it did before.

mod support;

use std::path::{Path, PathBuf};

use redcap_emulator::{Config, Emulator};
use support::{SIMPLE, fixture, post};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redcap-emulator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

async fn call(emu: &Emulator, params: &[(&str, &str)]) -> String {
    let token = emu.token("simple").unwrap();
    let mut form = vec![("token", token)];
    form.extend_from_slice(params);
    let (status, _, body) = post(emu.url(), &form).await;
    assert_eq!(status, 200, "{params:?}: {body}");
    body
}

/// Imports one CSV payload into the simple project.
async fn import(emu: &Emulator, csv: &str) {
    let answer = call(
        emu,
        &[
            ("content", "record"),
            ("format", "csv"),
            ("type", "flat"),
            ("data", csv),
        ],
    )
    .await;
    assert_eq!(answer, "1", "{csv}");
}

/// The checked codes of record 100's `race`, as an EAV export and as
/// `combineCheckboxOptions` list them.
async fn race_codes(emu: &Emulator) -> (Vec<String>, String) {
    let eav = call(
        emu,
        &[
            ("content", "record"),
            ("format", "json"),
            ("type", "eav"),
            ("records", "100"),
            ("fields", "race"),
        ],
    )
    .await;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&eav).unwrap();
    let codes = rows
        .iter()
        .filter(|r| r["field_name"] == "race")
        .map(|r| r["value"].as_str().unwrap().to_owned())
        .collect();
    let combined = call(
        emu,
        &[
            ("content", "record"),
            ("format", "csv"),
            ("records", "100"),
            ("fields", "record_id,race"),
            ("combineCheckboxOptions", "true"),
        ],
    )
    .await;
    (codes, combined)
}

/// Every export whose bytes must not change across the conversion.
async fn exports(emu: &Emulator) -> Vec<String> {
    let mut out = Vec::new();
    for (format, kind) in [
        ("json", "flat"),
        ("csv", "flat"),
        ("json", "eav"),
        ("xml", "flat"),
    ] {
        out.push(
            call(
                emu,
                &[("content", "record"), ("format", format), ("type", kind)],
            )
            .await,
        );
    }
    out
}

#[tokio::test]
async fn checkbox_codes_come_back_in_stored_order() {
    let emu = Emulator::start(Config::default().project("simple", fixture(SIMPLE)))
        .await
        .unwrap();
    import(&emu, "record_id,race___3\n100,1\n").await;
    import(&emu, "record_id,race___1\n100,1\n").await;
    let (codes, combined) = race_codes(&emu).await;
    assert_eq!(codes, ["3", "1"]);
    assert_eq!(combined, "record_id,race\n100,\"3,1\"\n");
    // Unticked and ticked again, a code moves to the end.
    import(&emu, "record_id,race___3\n100,0\n").await;
    import(&emu, "record_id,race___3\n100,1\n").await;
    assert_eq!(race_codes(&emu).await.0, ["1", "3"]);
}

/// Rewrites the `data` table of a database into the layout of older
/// versions: a row-id table (row ids in stored order) with both of the
/// indexes they kept, and no sequence counter.
fn to_old_layout(file: &Path) {
    let conn = rusqlite::Connection::open(file).unwrap();
    conn.execute_batch(
        "BEGIN;
         CREATE TABLE data_old (
             project_id INTEGER NOT NULL,
             event TEXT NOT NULL,
             record TEXT NOT NULL,
             field TEXT NOT NULL,
             instance INTEGER NOT NULL DEFAULT 1,
             value TEXT NOT NULL
         );
         INSERT INTO data_old (rowid, project_id, event, record, field, instance, value)
         SELECT seq, project_id, event, record, field, instance, value FROM data ORDER BY seq;
         DROP TABLE data;
         DROP TABLE data_seq;
         ALTER TABLE data_old RENAME TO data;
         CREATE INDEX data_record ON data (project_id, record);
         CREATE INDEX data_value ON data (project_id, record, field);
         COMMIT;",
    )
    .unwrap();
    assert!(!layout(file).iter().any(|s| s.contains("WITHOUT ROWID")));
}

/// The SQL of the `data` table and of every index on it.
fn layout(file: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(file).unwrap();
    let mut stmt = conn
        .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = 'data' AND sql IS NOT NULL")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

#[tokio::test]
async fn an_old_data_directory_is_converted_keeping_its_order() {
    let dir = temp_dir("old-layout");
    let config = Config::default()
        .project("simple", fixture(SIMPLE))
        .data_dir(&dir);
    let emu = Emulator::start(config.clone()).await.unwrap();
    import(&emu, "record_id,race___3\n100,1\n").await;
    import(&emu, "record_id,race___1\n100,1\n").await;
    let before = exports(&emu).await;
    let codes_before = race_codes(&emu).await;
    drop(emu);

    let file = dir.join("redcap-emulator.sqlite3");
    to_old_layout(&file);
    let emu = Emulator::start(config.clone()).await.unwrap();
    let tables = layout(&file);
    assert_eq!(tables.len(), 1, "{tables:?}");
    assert!(tables[0].contains("WITHOUT ROWID"), "{tables:?}");
    assert_eq!(exports(&emu).await, before);
    assert_eq!(race_codes(&emu).await, codes_before);
    assert_eq!(codes_before.0, ["3", "1"]);
    // New values are numbered after the converted ones.
    import(&emu, "record_id,race___2\n100,1\n").await;
    assert_eq!(race_codes(&emu).await.0, ["3", "1", "2"]);
    drop(emu);

    // Converted once: a restart keeps the table and its order.
    let emu = Emulator::start(config).await.unwrap();
    assert_eq!(layout(&file), tables);
    assert_eq!(race_codes(&emu).await.0, ["3", "1", "2"]);
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}
