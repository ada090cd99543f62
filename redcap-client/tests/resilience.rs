//! Time limits, retries, the rate limiter and bans, against servers that misbehave on
//! purpose: scripted replies, and raw sockets for hangs, stalls and bodies cut short.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use redcap_client::{Client, Error, RetryPolicy, TimeoutKind};
use support::{Reply, Server, TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Fast retries for tests.
fn quick() -> RetryPolicy {
    RetryPolicy::default().delays(Duration::from_millis(5), Duration::from_millis(20))
}

fn client(url: &str) -> redcap_client::ClientBuilder {
    Client::builder()
        .url(url)
        .token(TOKEN)
        .retry_policy(quick())
        .requests_per_minute(1_000_000)
}

/// A socket server answering every connection with `answer`, which gets the request text
/// and the stream; counts connections.
async fn raw_server<F, Fut>(answer: F) -> (String, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/api/", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            counter.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            tokio::spawn(async move { answer(stream).await });
        }
    });
    (url, count)
}

/// Reads the request head and body (enough for the small forms these tests send).
async fn read_request(stream: &mut tokio::net::TcpStream) -> String {
    let mut buffer = vec![0; 65536];
    let mut text = String::new();
    loop {
        let n = stream.read(&mut buffer).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        text.push_str(&String::from_utf8_lossy(&buffer[..n]));
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length = text[..head_end]
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if text.len() >= head_end + 4 + length {
                break;
            }
        }
    }
    text
}

#[tokio::test]
async fn a_server_that_never_answers_fails_with_the_first_byte_timeout() {
    let (url, count) = raw_server(|mut stream| async move {
        read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let client = client(&url)
        .first_byte_timeout(Duration::from_millis(300))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.export_version().send().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(
            &error,
            Error::Timeout {
                kind: TimeoutKind::FirstByte(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("first-byte timeout"), "{error}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_body_that_stops_fails_with_the_stall_timeout_and_is_retried() {
    let (url, count) = raw_server(|mut stream| async move {
        read_request(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n15.7.6")
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let client = client(&url)
        .stall_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let error = client.export_version().send().await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::Timeout {
                kind: TimeoutKind::Stall(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("no bytes for 0.30 s"), "{error}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "retried once: a second timeout means the server is down"
    );
}

#[tokio::test]
async fn a_body_cut_short_says_how_much_arrived() {
    let (url, _) = raw_server(|mut stream| async move {
        read_request(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            .await;
    })
    .await;
    let client = client(&url)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.export_version().send().await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("the response ended after 10 of 100 bytes"),
        "{error}"
    );
}

#[tokio::test]
async fn idempotent_calls_are_retried_honouring_retry_after() {
    let server = Server::start().await;
    server.reply(Reply::status(503, "busy"));
    server.reply(Reply::status(429, "slow down").header("retry-after", "1"));
    server.reply(Reply::ok("15.7.6"));
    let client = client(&server.url).build().unwrap();
    let started = Instant::now();
    let version = client.export_version().send().await.unwrap();
    assert_eq!(version, "15.7.6");
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After");
    assert_eq!(server.take().len(), 3);
    assert_eq!(client.retries(), 2);
}

#[tokio::test]
async fn non_idempotent_calls_are_never_retried() {
    let server = Server::start().await;
    server.reply(Reply::status(503, "busy"));
    server.reply(Reply::ok("1"));
    let client = client(&server.url).build().unwrap();
    assert!(
        !redcap_client::method_info("delete_records")
            .unwrap()
            .idempotent
    );
    let error = client
        .delete_records()
        .records(["1"])
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503), "{error:?}");
    assert_eq!(server.take().len(), 1, "sent once");
    assert_eq!(client.retries(), 0);
}

#[tokio::test]
async fn a_ban_is_never_retried_and_says_what_to_do() {
    let server = Server::start().await;
    server.reply(Reply::status(
        429,
        "Your IP address (127.0.0.1) has been banned due to suspected abuse.",
    ));
    let client = client(&server.url).build().unwrap();
    let error = client.export_version().send().await.unwrap_err();
    assert!(matches!(&error, Error::Banned { .. }), "{error:?}");
    assert!(error.to_string().contains("administrator"), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(server.take().len(), 1);
}

#[tokio::test]
async fn the_retry_budget_stops_a_storm() {
    let server = Server::start().await;
    for _ in 0..20 {
        server.reply(Reply::status(503, "busy"));
    }
    let policy = quick().budget(2, 1000);
    let client = client(&server.url).retry_policy(policy).build().unwrap();
    assert!(client.export_version().send().await.is_err());
    assert!(client.export_version().send().await.is_err());
    assert_eq!(client.retries(), 2);
    assert_eq!(
        server.take().len(),
        4,
        "3 attempts, then 1 once the budget is spent"
    );
}

#[tokio::test]
async fn an_echoed_token_never_reaches_the_error() {
    let server = Server::start().await;
    let echo = format!("ERROR: bad request token={TOKEN}&content=version");
    server.reply(Reply::status(400, echo.as_str()));
    server.reply(Reply::ok(echo.as_str()));
    server.reply(Reply::ok(echo.as_str()));
    let client = client(&server.url).build().unwrap();
    for _ in 0..2 {
        let error = client.export_version().send().await.unwrap_err();
        let text = format!("{error} {error:?}");
        assert!(!text.contains(TOKEN), "{text}");
        assert!(text.contains("[API token]"), "{text}");
    }
    let response = client.call_raw("export_version", &[]).await.unwrap();
    let body = String::from_utf8_lossy(response.body());
    assert!(
        !body.contains(TOKEN) && body.contains("[API token]"),
        "{body}"
    );
}

#[tokio::test]
async fn the_rate_limit_is_shared_by_clones() {
    let server = Server::start().await;
    let client = Client::builder()
        .url(&server.url)
        .token(TOKEN)
        .requests_per_minute(600)
        .build()
        .unwrap();
    let started = Instant::now();
    let calls = (0..34).map(|_| {
        let client = client.clone();
        server.reply(Reply::ok("15.7.6"));
        tokio::spawn(async move { client.export_version().send().await.unwrap() })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap();
    }
    // 600 a minute is one every 100 ms: a burst of 30, then four more spaced out.
    assert!(
        started.elapsed() >= Duration::from_millis(350),
        "{:?}",
        started.elapsed()
    );
}
