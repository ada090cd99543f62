//! Nothing a client sends takes the emulator down or holds it: deep and
//! long logic, connections that go quiet, a second emulator on the same
//! data directory, rows thousands of values wide.

mod support;

use std::io::{Read as _, Write as _};
use std::time::{Duration, Instant};

use redcap_emulator::{Config, Emulator};
use support::{SIMPLE, fixture, post, start};

const PARSE_ERROR: &str = "An unknown error occurred. Please check your API parameters.";

async fn export_with_logic(emu: &Emulator, logic: &str) -> (u16, String) {
    let token = emu.token("simple").unwrap();
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", token),
            ("content", "record"),
            ("format", "json"),
            ("fields", "record_id"),
            ("filterLogic", logic),
        ],
    )
    .await;
    (status, body)
}

async fn version_answers(emu: &Emulator) {
    let token = emu.token("simple").unwrap();
    let (status, _, body) = post(emu.url(), &[("token", token), ("content", "version")]).await;
    assert_eq!(
        (status, body.as_str()),
        (200, redcap_emulator::REDCAP_VERSION)
    );
}

#[tokio::test]
async fn deep_logic_is_a_parse_error_and_the_server_keeps_serving() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let deep = format!("{}[record_id] = '1'{}", "(".repeat(1000), ")".repeat(1000));
    let (status, body) = export_with_logic(&emu, &deep).await;
    assert_eq!(status, 400);
    assert!(body.contains(PARSE_ERROR), "{body}");
    version_answers(&emu).await;
    // Report filters go through the same parser.
    let bangs = format!("{}[record_id] = '1'", "!".repeat(5000));
    assert_eq!(export_with_logic(&emu, &bangs).await.0, 400);
    version_answers(&emu).await;
}

#[tokio::test]
async fn long_or_chains_are_answered_correctly() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let mut terms: Vec<String> = (1000..2000)
        .map(|i| format!("[record_id] = '{i}'"))
        .collect();
    terms.push("[record_id] = '2'".into());
    let (status, body) = export_with_logic(&emu, &terms.join(" or ")).await;
    assert_eq!((status, body.as_str()), (200, r#"[{"record_id":"2"}]"#));
    let ands = vec!["[record_id] <> '3'"; 1000].join(" and ");
    let (status, body) = export_with_logic(&emu, &ands).await;
    assert_eq!(status, 200);
    assert_eq!(body.matches("record_id").count(), 4, "{body}");
    version_answers(&emu).await;
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("redcap-emulator-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn a_data_dir_serves_one_emulator_at_a_time() {
    let dir = temp_dir("lock");
    let config = Config::default()
        .project("simple", fixture(SIMPLE))
        .data_dir(&dir);
    let first = Emulator::start(config.clone()).await.unwrap();
    let error = Emulator::start(config.clone()).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("in use by another emulator")
            && message.contains(&dir.display().to_string()),
        "{message}"
    );
    version_answers(&first).await;
    drop(first);
    // Released with the emulator that held it.
    let again = Emulator::start(config).await.unwrap();
    version_answers(&again).await;
    drop(again);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = temp_dir("mode");
    let emu = Emulator::start(
        Config::default()
            .project("simple", fixture(SIMPLE))
            .data_dir(&dir),
    )
    .await
    .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("redcap-emulator.sqlite3")), 0o600);
    drop(emu);
    // A file left readable by others is tightened at the next start.
    let file = dir.join("redcap-emulator.sqlite3");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let emu = Emulator::start(Config::default().data_dir(&dir))
        .await
        .unwrap();
    assert_eq!(mode(&file), 0o600);
    drop(emu);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Connects, sends `bytes`, and waits (up to `limit`) for the server to
/// close the connection; what it answered and how long that took.
fn closed_after(emu: &Emulator, bytes: &[u8], limit: Duration) -> (String, Duration) {
    let addr = emu
        .url()
        .trim_start_matches("http://")
        .trim_end_matches("/api/")
        .to_owned();
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(limit)).unwrap();
    let started = Instant::now();
    stream.write_all(bytes).unwrap();
    let mut answer = Vec::new();
    let result = stream.read_to_end(&mut answer);
    assert!(
        result.is_ok() || answer.is_empty() && started.elapsed() < limit,
        "connection still open after {limit:?}: {result:?} {:?} {}",
        String::from_utf8_lossy(bytes),
        String::from_utf8_lossy(&answer)
    );
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_and_half_sent_connections_are_closed() {
    let config = Config::default()
        .project("simple", fixture(SIMPLE))
        .idle_timeout(Duration::from_millis(400))
        .header_timeout(Duration::from_millis(600));
    let emu = Emulator::start(config).await.unwrap();
    let limit = Duration::from_secs(5);
    let body = format!("token={}&content=version", emu.token("simple").unwrap());
    let request = format!(
        "POST /api/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let e = &emu;
    // Blocking sockets, each on its own thread, while the server runs on
    // the runtime's other workers.
    let (idle, head, half_body, keep_alive) = tokio::task::block_in_place(|| {
        std::thread::scope(|s| {
            let idle = s.spawn(|| closed_after(e, b"", limit));
            let head = s.spawn(|| closed_after(e, b"POST /api/ HTTP/1.1\r\nHost: x\r\n", limit));
            let half = s.spawn(|| {
                let cut = request.len() - 5;
                closed_after(e, &request.as_bytes()[..cut], limit)
            });
            let whole = s.spawn(|| closed_after(e, request.as_bytes(), limit));
            (
                idle.join().unwrap(),
                head.join().unwrap(),
                half.join().unwrap(),
                whole.join().unwrap(),
            )
        })
    });
    assert_eq!(idle.0, "");
    // The server's clock starts at accept, a moment before the client's.
    assert!(
        idle.1 >= Duration::from_millis(300) && idle.1 < limit,
        "{idle:?}"
    );
    assert!(!head.0.starts_with("HTTP/1.1 200"), "{head:?}");
    assert!(
        head.1 >= Duration::from_millis(500) && head.1 < limit,
        "{head:?}"
    );
    assert!(
        !half_body.0.contains(redcap_emulator::REDCAP_VERSION),
        "{half_body:?}"
    );
    assert!(half_body.1 < limit, "{half_body:?}");
    // A whole request is answered, then the kept-alive connection is
    // closed once it has been idle.
    assert!(keep_alive.0.starts_with("HTTP/1.1 200"), "{keep_alive:?}");
    assert!(
        keep_alive.0.ends_with(redcap_emulator::REDCAP_VERSION),
        "{keep_alive:?}"
    );
    assert!(keep_alive.1 < limit, "{keep_alive:?}");
    version_answers(&emu).await;
}

/// Imports one record with `width` text values into a fresh project of
/// that many fields; how long the import took.
async fn import_wide_row(width: usize) -> Duration {
    let dir = temp_dir(&format!("wide-{width}"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut dictionary = String::from(
        "field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations,field_note,text_validation_type_or_show_slider_number\nrecord_id,wide,,text,ID,,,\n",
    );
    let mut row = serde_json::Map::new();
    row.insert("record_id".into(), "1".into());
    for i in 0..width {
        dictionary.push_str(&format!("v{i},wide,,text,V{i},,,\n"));
        row.insert(format!("v{i}"), format!("value {i}").into());
    }
    let path = dir.join("dictionary.csv");
    std::fs::write(&path, dictionary).unwrap();
    let emu = Emulator::start(Config::default().project("wide", &path))
        .await
        .unwrap();
    let data = serde_json::Value::Array(vec![row.into()]).to_string();
    let token = emu.token("wide").unwrap().to_owned();
    let started = Instant::now();
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", &token),
            ("content", "record"),
            ("format", "json"),
            ("data", &data),
        ],
    )
    .await;
    let took = started.elapsed();
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    let _ = std::fs::remove_dir_all(&dir);
    took
}

#[tokio::test]
async fn import_time_grows_linearly_with_row_width() {
    let narrow = import_wide_row(2_000).await;
    let wide = import_wide_row(8_000).await;
    // Four times the width: about four times the time when linear,
    // sixteen when quadratic.
    let ratio = wide.as_secs_f64() / narrow.as_secs_f64();
    assert!(
        ratio < 9.0,
        "2,000 values: {narrow:?}; 8,000 values: {wide:?}"
    );
}
