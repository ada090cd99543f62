//! Fault rules over real HTTP: each kind does what it says, counting by
//! `every` and `times` per rule and method, and the byte-level kinds
//! (hang, stall, truncate) seen from a raw TCP client with timestamps.

mod support;

use std::time::{Duration, Instant};

use redcap_emulator::{Config, Emulator, FaultKind, FaultRule, Faults};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn start_with(fixture_path: &str, faults: &str) -> Emulator {
    let faults = Faults::from_json(faults).expect("valid faults");
    Emulator::start(
        Config::default()
            .project("p", fixture(fixture_path))
            .faults(faults),
    )
    .await
    .expect("emulator starts")
}

fn form<'a>(emu: &'a Emulator, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut form = vec![("token", emu.token("p").expect("project"))];
    form.extend_from_slice(extra);
    form
}

const VERSION: &[(&str, &str)] = &[("content", "version")];
const RECORDS_JSON: &[(&str, &str)] = &[("content", "record"), ("format", "json")];

/// What a raw client saw: the bytes and when each piece arrived.
struct Exchange {
    bytes: Vec<u8>,
    /// (time since the request was written, total bytes so far).
    arrivals: Vec<(Duration, usize)>,
    /// When the server closed the connection.
    closed_at: Duration,
}

impl Exchange {
    fn head_end(&self) -> Option<usize> {
        self.bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| i + 4)
    }

    fn head(&self) -> String {
        let end = self.head_end().unwrap_or(self.bytes.len());
        String::from_utf8_lossy(&self.bytes[..end]).into_owned()
    }

    fn body(&self) -> &[u8] {
        &self.bytes[self.head_end().unwrap_or(self.bytes.len())..]
    }

    fn header(&self, name: &str) -> Option<String> {
        self.head().lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    /// When the first `n` bytes had arrived.
    fn time_of(&self, n: usize) -> Duration {
        self.arrivals
            .iter()
            .find(|(_, total)| *total >= n)
            .map(|(t, _)| *t)
            .expect("that many bytes arrived")
    }
}

/// One POST over a fresh TCP connection (`Connection: close`), read to the
/// end.
async fn exchange(url: &str, form: &[(&str, &str)]) -> Exchange {
    let authority = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("authority");
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let request = format!(
        "POST /api/ HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .expect("connect");
    stream.write_all(request.as_bytes()).await.expect("write");
    let start = Instant::now();
    let mut bytes = Vec::new();
    let mut arrivals = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("the server closes the connection within 20 s");
        match read {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                arrivals.push((start.elapsed(), bytes.len()));
            }
        }
    }
    Exchange {
        bytes,
        arrivals,
        closed_at: start.elapsed(),
    }
}

#[tokio::test]
async fn status_every_nth_request_of_its_method_only() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [{"kind": "status", "status": 502, "every": 3, "method": "export_version"}]}"#,
    )
    .await;
    let mut seen = Vec::new();
    for i in 0..7 {
        // Record exports in between are not counted by the rule.
        let (status, _, _) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
        assert_eq!(status, 200, "record export {i}");
        let (status, _, body) = post(emu.url(), &form(&emu, VERSION)).await;
        seen.push(status);
        if status == 502 {
            // No `format`: REDCap's XML error envelope.
            assert_eq!(
                body,
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><hash><error>An unknown error occurred. Please check your API parameters.</error></hash>"
            );
        }
    }
    assert_eq!(seen, [200, 200, 502, 200, 200, 502, 200]);
}

#[tokio::test]
async fn status_body_follows_return_format_and_message() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [{"kind": "status", "status": 500, "times": 1, "message": "boom"}]}"#,
    )
    .await;
    let (status, ct, body) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert_eq!((status, body.as_str()), (500, r#"{"error":"boom"}"#));
    assert!(ct.starts_with("application/json"), "{ct}");
    // `times: 1`: the next request is answered.
    let (status, _, _) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn retry_after_for_the_first_n_requests() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [{"kind": "retry_after", "status": 503, "seconds": 7, "times": 2}]}"#,
    )
    .await;
    let client = reqwest::Client::new();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let response = client
            .post(emu.url())
            .form(&form(&emu, VERSION))
            .send()
            .await
            .expect("answer");
        let retry = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().expect("ascii").to_owned());
        seen.push((response.status().as_u16(), retry));
    }
    assert_eq!(
        seen,
        [
            (503, Some("7".to_owned())),
            (503, Some("7".to_owned())),
            (200, None),
            (200, None)
        ]
    );
}

#[tokio::test]
async fn earlier_rules_take_their_requests_from_later_ones() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [
            {"kind": "status", "status": 500, "times": 1},
            {"kind": "retry_after", "status": 429, "seconds": 1, "times": 1},
            {"kind": "html", "times": 1}
        ]}"#,
    )
    .await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let (status, ct, _) = post(emu.url(), &form(&emu, VERSION)).await;
        seen.push((status, ct.split(';').next().unwrap_or_default().to_owned()));
    }
    assert_eq!(
        seen,
        [
            (500, "text/xml".to_owned()),
            (429, "text/plain".to_owned()),
            (200, "text/html".to_owned()),
            (200, "text/csv".to_owned()),
        ]
    );
}

#[tokio::test]
async fn after_spares_the_first_requests() {
    let emu = start_with(
        LONGITUDINAL,
        r#"{"faults": [{"kind": "drop_records", "count": 1, "times": 1, "after": 1}]}"#,
    )
    .await;
    let (_, _, first) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let (_, _, second) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let (_, _, third) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let rows = |text: &str| -> Vec<serde_json::Value> { serde_json::from_str(text).expect("json") };
    let names = record_names(&rows(&first), "study_id");
    assert_eq!(record_names(&rows(&second), "study_id"), names[1..]);
    assert_eq!(first, third);
}

#[tokio::test]
async fn html_is_a_200_login_page() {
    let emu = start_with(SIMPLE, r#"{"faults": [{"kind": "html", "times": 1}]}"#).await;
    let (status, ct, body) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(body.starts_with("<!DOCTYPE HTML>"), "{body}");
    assert!(body.contains("type=\"password\""), "{body}");
}

#[tokio::test]
async fn server_memory_in_both_shapes() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [
            {"kind": "server_memory", "times": 1},
            {"kind": "server_memory", "display_errors": true, "times": 1}
        ]}"#,
    )
    .await;
    let message = "REDCap ran out of server memory. The request cannot be processed. Please try importing/exporting a smaller amount of data.";
    let (status, _, body) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        format!(r#"{{"error":"{}"}}"#, message.replace('/', "\\/"))
    );
    let (status, ct, body) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(
        body.starts_with("<br />\n<b>Fatal error</b>:  Allowed memory size of "),
        "{body}"
    );
    assert!(
        body.contains(" bytes exhausted (tried to allocate "),
        "{body}"
    );
    assert!(body.ends_with(&format!(r#"{{"error":"{}"}}"#, message.replace('/', "\\/"))));
}

#[tokio::test]
async fn hang_sends_nothing_then_closes() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [{"kind": "hang", "seconds": 0.6, "times": 1}]}"#,
    )
    .await;
    let seen = exchange(emu.url(), &form(&emu, VERSION)).await;
    assert!(
        seen.bytes.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&seen.bytes)
    );
    assert!(
        seen.closed_at >= Duration::from_millis(550),
        "{:?}",
        seen.closed_at
    );
    // The next request is answered.
    let seen = exchange(emu.url(), &form(&emu, VERSION)).await;
    assert!(seen.head().starts_with("HTTP/1.1 200"), "{}", seen.head());
    assert_eq!(seen.body(), b"15.7.6");
}

#[tokio::test]
async fn stall_sends_the_head_and_some_bytes_then_goes_silent() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [{"kind": "stall", "after_bytes": 10, "seconds": 0.8, "method": "export_records", "times": 1}]}"#,
    )
    .await;
    let whole = exchange(emu.url(), &form(&emu, VERSION)).await;
    assert_eq!(whole.body(), b"15.7.6", "other methods are not counted");
    let seen = exchange(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert!(seen.head().starts_with("HTTP/1.1 200"), "{}", seen.head());
    let promised: usize = seen
        .header("content-length")
        .expect("content-length")
        .parse()
        .expect("number");
    assert!(promised > 10, "{promised}");
    assert_eq!(seen.body().len(), 10);
    let head_and_ten = seen.head_end().expect("head") + 10;
    assert!(seen.time_of(head_and_ten) < Duration::from_millis(500));
    assert!(
        seen.closed_at >= Duration::from_millis(750),
        "{:?}",
        seen.closed_at
    );
    // The ten bytes are the real answer's first ten.
    let full = exchange(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert_eq!(full.body().len(), promised);
    assert_eq!(seen.body(), &full.body()[..10]);
}

#[tokio::test]
async fn truncate_promises_more_than_it_sends() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [
            {"kind": "truncate", "after_bytes": 25, "times": 1},
            {"kind": "truncate", "times": 1}
        ]}"#,
    )
    .await;
    let cut = exchange(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let half = exchange(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let full = exchange(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let length = full.body().len();
    for seen in [&cut, &half] {
        assert!(seen.head().starts_with("HTTP/1.1 200"), "{}", seen.head());
        assert_eq!(
            seen.header("content-length"),
            Some(length.to_string()),
            "the whole length is promised"
        );
        assert_eq!(seen.body(), &full.body()[..seen.body().len()]);
    }
    assert_eq!(cut.body().len(), 25);
    assert_eq!(half.body().len(), length / 2);
    assert!(cut.closed_at < Duration::from_secs(2));
    // A client notices: the body read fails.
    let emu = start_with(SIMPLE, r#"{"faults": [{"kind": "truncate", "times": 1}]}"#).await;
    let client = reqwest::Client::new();
    let response = client
        .post(emu.url())
        .form(&form(&emu, RECORDS_JSON))
        .send()
        .await
        .expect("head arrives");
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.bytes().await.is_err());
    // The same client's next request is answered whole.
    let again = client
        .post(emu.url())
        .form(&form(&emu, RECORDS_JSON))
        .send()
        .await
        .expect("answer");
    assert_eq!(again.bytes().await.expect("whole body").len(), length);
}

#[tokio::test]
async fn truncate_chunked_ends_without_the_last_chunk() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [{"kind": "truncate", "after_bytes": 30, "chunked": true, "times": 1}]}"#,
    )
    .await;
    let seen = exchange(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let full = exchange(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert!(seen.head().starts_with("HTTP/1.1 200"), "{}", seen.head());
    assert_eq!(seen.header("transfer-encoding").as_deref(), Some("chunked"));
    assert_eq!(seen.header("content-length"), None);
    let mut expected = b"1E\r\n".to_vec();
    expected.extend_from_slice(&full.body()[..30]);
    expected.extend_from_slice(b"\r\n");
    assert_eq!(
        String::from_utf8_lossy(seen.body()),
        String::from_utf8_lossy(&expected)
    );
}

/// Distinct values of the first column of each row, in order.
fn record_names(rows: &[serde_json::Value], key: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        let name = row[key].as_str().expect("string").to_owned();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[tokio::test]
async fn drop_records_json_removes_every_row_of_the_first_records() {
    let emu = start_with(
        LONGITUDINAL,
        r#"{"faults": [{"kind": "drop_records", "count": 1, "times": 1}]}"#,
    )
    .await;
    // Not counted: only record exports are.
    let (_, _, version) = post(emu.url(), &form(&emu, VERSION)).await;
    assert_eq!(version, "15.7.6");
    let (status, _, dropped) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    assert_eq!(status, 200);
    let (_, _, full) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let dropped: Vec<serde_json::Value> = serde_json::from_str(&dropped).expect("json");
    let full: Vec<serde_json::Value> = serde_json::from_str(&full).expect("json");
    let names = record_names(&full, "study_id");
    assert!(names.len() >= 2, "{names:?}");
    let first_rows = full
        .iter()
        .filter(|r| r["study_id"] == names[0].as_str())
        .count();
    assert!(first_rows > 1, "the first record has several rows");
    assert_eq!(record_names(&dropped, "study_id"), names[1..]);
    assert_eq!(dropped, full[first_rows..]);
}

#[tokio::test]
async fn drop_records_csv_flat_and_eav() {
    let emu = start_with(
        LONGITUDINAL,
        r#"{"faults": [{"kind": "drop_records", "count": 2, "every": 2}]}"#,
    )
    .await;
    for extra in [
        &[("content", "record"), ("format", "csv")][..],
        &[("content", "record"), ("format", "csv"), ("type", "eav")][..],
        &[("content", "record"), ("format", "xml")][..],
    ] {
        let (_, _, full) = post(emu.url(), &form(&emu, extra)).await;
        let (status, _, dropped) = post(emu.url(), &form(&emu, extra)).await;
        assert_eq!(status, 200);
        let eav = extra.contains(&("type", "eav"));
        if extra.contains(&("format", "xml")) {
            // Items of records other than the first two.
            let names = xml_record_names(&full);
            let first = full.find("<item>").expect("items");
            let kept: Vec<&str> = std::iter::once(&full[..first])
                .chain(full[first..].split_inclusive("</item>\n"))
                .filter(|item| {
                    !names[..2]
                        .iter()
                        .any(|n| item.contains(&format!("<study_id><![CDATA[{n}]]>")))
                })
                .collect();
            assert_eq!(dropped, kept.concat(), "{extra:?}");
            continue;
        }
        let (header, rows) = csv_rows(&full);
        let column = if eav {
            header
                .iter()
                .position(|h| h == "record")
                .expect("record column")
        } else {
            0
        };
        let mut names: Vec<&str> = Vec::new();
        for row in &rows {
            if !names.contains(&row[column].as_str()) {
                names.push(&row[column]);
            }
        }
        assert!(names.len() >= 3, "{names:?}");
        let mut expected: Vec<&Vec<String>> = rows
            .iter()
            .filter(|r| !names[..2].contains(&r[column].as_str()))
            .collect();
        let (dropped_header, dropped_rows) = csv_rows(&dropped);
        assert_eq!(dropped_header, header);
        // Compared as sets of rows: the order of an eav export's rows
        // within a record may differ between two identical requests.
        let mut got: Vec<&Vec<String>> = dropped_rows.iter().collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{extra:?}");
        assert_eq!(
            dropped.lines().next(),
            full.lines().next(),
            "the header line is kept as written"
        );
    }
}

fn csv_rows(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn xml_record_names(xml: &str) -> Vec<String> {
    let mut names = Vec::new();
    for part in xml.split("<study_id><![CDATA[").skip(1) {
        let name = part.split("]]>").next().expect("cdata").to_owned();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[tokio::test]
async fn ban_is_permanent_and_answers_every_request() {
    let emu = start_with(SIMPLE, r#"{"faults": [{"kind": "ban", "per_minute": 3}]}"#).await;
    let ban = "Your IP address (127.0.0.1) has been banned due to suspected abuse.";
    let mut seen = Vec::new();
    for _ in 0..5 {
        let (status, _, _) = post(emu.url(), &form(&emu, VERSION)).await;
        seen.push(status);
    }
    // The fourth request passes the threshold and is still answered, as in
    // REDCap, which records the ban while serving it.
    assert_eq!(seen, [200, 200, 200, 200, 429]);
    // Every later request, whatever it is, gets the ban text.
    for extra in [RECORDS_JSON, &[("content", "nonsense")][..]] {
        let (status, ct, body) = post(emu.url(), &form(&emu, extra)).await;
        assert_eq!((status, body.as_str()), (429, ban));
        assert!(ct.starts_with("text/html"), "{ct}");
    }
    let (status, _, body) = post(emu.url(), &[("token", "bad"), ("content", "record")]).await;
    assert_eq!((status, body.as_str()), (429, ban));
}

#[tokio::test]
async fn ban_counts_only_its_method() {
    let emu = start_with(
        SIMPLE,
        r#"{"faults": [{"kind": "ban", "per_minute": 1, "method": "export_records"}]}"#,
    )
    .await;
    for _ in 0..5 {
        let (status, _, _) = post(emu.url(), &form(&emu, VERSION)).await;
        assert_eq!(status, 200);
    }
    let (first, _, _) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let (second, _, _) = post(emu.url(), &form(&emu, RECORDS_JSON)).await;
    let (third, _, _) = post(emu.url(), &form(&emu, VERSION)).await;
    assert_eq!([first, second, third], [200, 200, 429]);
}

#[tokio::test]
async fn faults_come_from_the_command_line_file() {
    let dir = std::env::temp_dir().join(format!("redcap-faults-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("faults.json");
    std::fs::write(
        &file,
        r#"{"faults": [{"kind": "status", "status": 503, "times": 1}]}"#,
    )
    .expect("write");
    let args = redcap_emulator::cli::ServeArgs {
        port: 0,
        projects: vec![format!("p={}", fixture(SIMPLE).display())],
        data_dir: None,
        super_token: None,
        super_user: None,
        reports: None,
        randomization: None,
        faults: Some(file.clone()),
        idle_timeout: None,
        header_timeout: None,
        tls: false,
        tls_cert: None,
    };
    let emu = Emulator::start(args.config().expect("config"))
        .await
        .expect("starts");
    let (status, _, _) = post(emu.url(), &form(&emu, VERSION)).await;
    assert_eq!(status, 503);
    // A bad file is refused, naming the file and the rule.
    std::fs::write(&file, r#"{"faults": [{"kind": "hang", "every": 1}]}"#).expect("write");
    let error = args.config().expect_err("invalid").to_string();
    assert_eq!(
        error,
        format!("{}: fault 1: `seconds` is missing", file.display())
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn an_unknown_method_is_refused_at_start() {
    let faults = Faults::none().rule(
        FaultRule::new(FaultKind::Html)
            .times(1)
            .method("export_recordz"),
    );
    let error = Emulator::start(Config::default().faults(faults))
        .await
        .expect_err("refused")
        .to_string();
    assert_eq!(
        error,
        "faults: fault 1 (`html`): `export_recordz` is not a method of the API spec"
    );
}
