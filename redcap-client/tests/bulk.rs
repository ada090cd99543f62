//! The bulk export's checks against scripted answers: hashed record IDs, a row sent twice,
//! a record not asked for.

mod support;

use redcap_client::bulk::{ExportOptions, RawFormat};
use redcap_client::{Error, Incompleteness};
use support::{Reply, Server};

const FIELD_NAMES: &str =
    r#"[{"original_field_name":"record_id","choice_value":"","export_field_name":"record_id"}]"#;
const H1: &str = "0cc175b9c0f1b6a831c399e269772661";
const H2: &str = "92eb5ffee6ae2fec3ad71c777531578f";

/// Queues the planning answers: the field names and the record list, twice.
fn plan(server: &Server, list: &str) {
    server.reply(Reply::ok(FIELD_NAMES));
    server.reply(Reply::ok(list.to_string()));
    server.reply(Reply::ok(list.to_string()));
}

#[tokio::test]
async fn hashed_record_ids_make_one_checked_request() {
    let server = Server::start().await;
    plan(&server, &format!("record_id\n{H1}\n{H2}\n"));
    server.reply(Reply::ok(format!("record_id,age\n{H1},3\n{H2},4\n")));
    let mut out = Vec::new();
    let progress = server
        .client()
        .export_all(
            &ExportOptions::new().batch_size(1),
            RawFormat::Csv,
            &mut out,
        )
        .await
        .unwrap();
    assert!(progress.hashed_record_ids);
    assert_eq!(progress.batches, 1);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("record_id,age\n{H1},3\n{H2},4\n")
    );
    let requests = server.take();
    assert_eq!(requests.len(), 4);
    assert!(
        requests[3]
            .fields
            .iter()
            .all(|(name, _)| !name.starts_with("records")),
        "hashed names cannot be asked for"
    );
}

#[tokio::test]
async fn a_row_sent_twice_is_an_error() {
    let server = Server::start().await;
    plan(&server, "record_id\n1\n2\n");
    server.reply(Reply::ok("record_id,age\n1,3\n2,4\n2,4\n"));
    let error = server
        .client()
        .export_all(&ExportOptions::new(), RawFormat::Csv, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Incomplete {
                problem: Incompleteness::DuplicateRow { record, .. }
            } if record == "2"
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_record_not_asked_for_is_an_error() {
    let server = Server::start().await;
    plan(&server, "record_id\n1\n");
    server.reply(Reply::ok("record_id,age\n1,3\n7,4\n"));
    let error = server
        .client()
        .export_all(&ExportOptions::new(), RawFormat::Csv, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("not asked for: `7`"), "{error}");
}
