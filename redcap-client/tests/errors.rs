//! REDCap's failures as the client reports them: error envelopes in every format and
//! status, failures sent with 200, redirects, plain HTTP, and a token that never leaks.

mod support;

use redcap_client::{Client, Error, ImportOutcome, Payload, params};
use support::{Reply, Server, TOKEN};

const MESSAGE: &str = "You do not have permissions to use the API";

/// Every way the token could end up in output: `Display`, `Debug` and the source chain.
fn assert_no_token(error: &Error) {
    let mut texts = vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
    ];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        texts.push(cause.to_string());
        texts.push(format!("{cause:?}"));
        source = cause.source();
    }
    for text in texts {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
    }
}

#[tokio::test]
async fn error_envelopes_of_every_format_and_status_become_api_errors() {
    let server = Server::start().await;
    let client = server.client();
    let envelopes = [
        ("json", format!("{{\"error\":\"{MESSAGE}\"}}")),
        ("csv", format!("ERROR: {MESSAGE}")),
        (
            "xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<hash>\n\t<error>{MESSAGE}</error>\n</hash>"
            ),
        ),
    ];
    for status in [400, 403, 500, 501] {
        for (format, body) in &envelopes {
            server.reply(Reply::status(status, body.as_str()));
            let error = client.export_arms().send().await.unwrap_err();
            match &error {
                Error::Api {
                    status: got,
                    message,
                    method,
                } => {
                    assert_eq!(*got, status, "{format}");
                    assert_eq!(message, MESSAGE, "{format} {status}");
                    assert_eq!(*method, "export_arms");
                }
                other => panic!("{format} {status}: {other:?}"),
            }
            assert_eq!(error.status(), Some(status));
            assert_eq!(error.api_message(), Some(MESSAGE));
            assert_no_token(&error);
        }
    }
    server.take();
}

#[tokio::test]
async fn an_html_error_page_with_a_500_keeps_its_text() {
    let server = Server::start().await;
    server.reply(Reply::status(500, "<html><body>Fatal error</body></html>"));
    let error = server.client().export_version().send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Api { status: 500, message, .. } if message.contains("Fatal error")),
        "{error:?}"
    );
}

#[tokio::test]
async fn failures_sent_with_status_200_are_errors_not_data() {
    let server = Server::start().await;
    let client = server.client();
    let html =
        "<!DOCTYPE html>\n<html><head><title>REDCap</title></head><body>Log in</body></html>";

    server.reply(Reply::ok(html));
    let error = client.export_version().send().await.unwrap_err();
    assert!(matches!(error, Error::Failure { .. }), "{error:?}");

    server.reply(Reply::ok(html));
    let error = client.export_events().send().await.unwrap_err();
    assert!(matches!(error, Error::Failure { .. }), "{error:?}");

    server.reply(Reply::ok("ERROR: Invalid DAG"));
    let error = client.switch_dag().dag("north").send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Failure { message, .. } if message == "ERROR: Invalid DAG"),
        "{error:?}"
    );

    server.reply(Reply::ok("Current Record does not exists."));
    let error = client
        .rename_record()
        .record("9")
        .new_record_name("10")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Failure { .. }), "{error:?}");

    server.reply(Reply::ok(
        "Cannot randomize. Record 7 has missing stratification values.",
    ));
    let error = client
        .randomize_record()
        .record("7")
        .randomization_id(3)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Failure { .. } | Error::Decode { .. }),
        "{error:?}"
    );

    server.reply(Reply::ok("The data is not in the specified format."));
    let error = client
        .import_arms()
        .data(Payload::json_text("[]"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Failure { .. }), "{error:?}");

    server.reply(Reply::ok(
        r#"{"error":"The value of the parameter \"content\" is not valid"}"#,
    ));
    let error = client.export_instruments().send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Failure { message, .. } if message.contains("content")),
        "{error:?}"
    );

    server.reply(Reply::ok("not a token"));
    let error = Client::new(&server.url, &TOKEN.repeat(2))
        .unwrap()
        .create_project()
        .data(Payload::json_text("[{}]"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Failure { .. }), "{error:?}");
    server.take();
}

#[tokio::test]
async fn redirects_are_refused_and_name_their_location() {
    let server = Server::start().await;
    server.reply(Reply::status(302, "").header("location", "https://redcap.example.edu/api/"));
    let error = server.client().export_records().send().await.unwrap_err();
    match &error {
        Error::Redirect {
            status, location, ..
        } => {
            assert_eq!(*status, 302);
            assert_eq!(location, "https://redcap.example.edu/api/");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error
            .to_string()
            .contains("https://redcap.example.edu/api/")
    );
    assert_eq!(server.take().len(), 1, "the redirect was not followed");
    assert_no_token(&error);
}

#[test]
fn plain_http_is_refused_for_remote_hosts() {
    let error = Client::new("http://redcap.example.edu/api/", TOKEN).unwrap_err();
    assert!(matches!(error, Error::Config { .. }));
    assert!(error.to_string().contains("HTTPS"), "{error}");
    assert_no_token(&error);
    assert!(Client::new("http://127.0.0.1:9/api/", TOKEN).is_ok());
    assert!(Client::new("https://redcap.example.edu/api/", TOKEN).is_ok());
}

#[test]
fn a_malformed_token_is_refused_without_echoing_it() {
    let almost = &TOKEN[..31];
    let error = Client::new("https://redcap.example.edu/api/", almost).unwrap_err();
    assert!(matches!(error, Error::Config { .. }));
    assert!(!error.to_string().contains(almost), "{error}");
}

#[tokio::test]
async fn transport_failures_do_not_leak_the_token() {
    // Bind and drop a listener to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::new(&format!("http://127.0.0.1:{port}/api/"), TOKEN).unwrap();
    let error = client.export_version().send().await.unwrap_err();
    assert!(
        matches!(&error, Error::Transport { source, .. } if source.is_connect()),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_no_token(&error);
    assert!(!format!("{client:?}").contains(TOKEN));
}

#[tokio::test]
async fn missing_required_parameters_fail_before_sending() {
    let server = Server::start().await;
    let error = server
        .client()
        .export_file()
        .record("1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Request { message, .. } if message.contains("field")),
        "{error:?}"
    );
    assert!(server.take().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn typed_answers_decode() {
    let server = Server::start().await;
    let client = server.client();

    server.reply(Reply::ok(
        r#"[{"event_name":"Baseline","arm_num":"1","unique_event_name":"baseline_arm_1","custom_event_label":"","event_id":41}]"#,
    ));
    let events = client.export_events().arms([1]).send().await.unwrap();
    assert_eq!(events[0].unique_event_name, "baseline_arm_1");
    assert_eq!((events[0].arm_num, events[0].event_id), (1, Some(41)));

    server.reply(Reply::ok(r#"["323,10","324,11"]"#));
    let outcome = client
        .import_records()
        .data(Payload::json_text(
            r#"[{"record_id":"10"},{"record_id":"11"}]"#,
        ))
        .force_auto_number(true)
        .return_content(params::ReturnContent::AutoIds)
        .send()
        .await
        .unwrap();
    match outcome {
        ImportOutcome::AutoIds(ids) => {
            assert_eq!(
                (ids[0].new.as_str(), ids[0].original.as_str()),
                ("323", "10")
            );
        }
        other => panic!("{other:?}"),
    }

    server.reply(Reply::ok(
        r#"[{"record_id":"0042","redcap_repeat_instance":3,"weight":"70.10"}]"#,
    ));
    let rows = client.export_records().send().await.unwrap();
    assert_eq!(rows[0].get("record_id"), Some("0042"));
    assert_eq!(rows[0].get("redcap_repeat_instance"), Some("3"));
    assert_eq!(rows[0].get("weight"), Some("70.10"));

    server.reply(
        Reply::ok("record_id,name\n1,\"Doe, Jane\"\n")
            .header("content-type", "text/csv; charset=utf-8"),
    );
    let raw = client
        .export_records()
        .send_raw(params::DataFormat::Csv)
        .await
        .unwrap();
    let rows = redcap_client::rows_from_csv(raw.text().unwrap()).unwrap();
    assert_eq!(rows[0].get("name"), Some("Doe, Jane"));
    let sent = server.take();
    let format = sent
        .last()
        .unwrap()
        .fields
        .iter()
        .find(|(name, _)| name == "format")
        .unwrap();
    assert_eq!(format.1, "csv");

    server.reply(
        Reply::ok("%PDF-1.3 …")
            .header("content-type", "application/pdf")
            .header(
                "content-disposition",
                "attachment; filename=\"demographics.pdf\"",
            ),
    );
    let pdf = client
        .export_pdf()
        .instrument("demographics")
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.name.as_deref(), Some("demographics.pdf"));
    assert_eq!(pdf.mime.as_deref(), Some("application/pdf"));

    server.reply(Reply::ok("0123456789ABCDEF0123456789ABCDEF\n"));
    let token = Client::new(&server.url, &TOKEN.repeat(2))
        .unwrap()
        .create_project()
        .data(Payload::json_text(
            r#"[{"project_title":"P","purpose":"0"}]"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(token.kind(), redcap_client::TokenKind::Project);
    assert!(!format!("{token:?} {token}").contains("0123456789ABCDEF0123456789ABCDEF"));
}

#[tokio::test]
async fn a_payload_format_the_method_does_not_take_is_refused() {
    let server = Server::start().await;
    let error = server
        .client()
        .import_metadata()
        .data(Payload::text(redcap_client::PayloadFormat::Odm, "<ODM/>"))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Request { .. }), "{error:?}");
    assert!(server.take().is_empty());
}
