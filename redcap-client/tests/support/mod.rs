//! A small HTTP server on `127.0.0.1:0` that records every request and answers with
//! scripted replies: what the client sends is checked at the wire, not inside the client.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the support module"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

/// A project token that only tests use.
pub(crate) const TOKEN: &str = "A1B2C3D4E5F60718293A4B5C6D7E8F90";

/// One request as it arrived.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) content_type: String,
    /// Form fields in order; multipart files appear as `file:<name>:<bytes>`.
    pub(crate) fields: Vec<(String, String)>,
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn ok(body: impl Into<Vec<u8>>) -> Self {
        Self::status(200, body)
    }

    pub(crate) fn status(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

#[derive(Default)]
struct Shared {
    recorded: Mutex<Vec<Recorded>>,
    replies: Mutex<VecDeque<Reply>>,
}

/// A running recording server.
pub(crate) struct Server {
    pub(crate) url: String,
    shared: Arc<Shared>,
}

impl Server {
    pub(crate) async fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let app = axum::Router::new()
            .fallback(record)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{address}/api/"),
            shared,
        }
    }

    /// A client without the default rate limit, so that tests of many calls run quickly.
    pub(crate) fn client(&self) -> redcap_client::Client {
        redcap_client::Client::builder()
            .url(&self.url)
            .token(TOKEN)
            .requests_per_minute(1_000_000)
            .build()
            .unwrap()
    }

    /// Queues the answer to the next request.
    pub(crate) fn reply(&self, reply: Reply) {
        self.shared.replies.lock().unwrap().push_back(reply);
    }

    /// Every request received so far, oldest first; clears the record.
    pub(crate) fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut *self.shared.recorded.lock().unwrap())
    }
}

async fn record(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let fields = if content_type.starts_with("multipart/form-data") {
        let mut multipart = Multipart::from_request(request, &()).await.unwrap();
        let mut fields = Vec::new();
        while let Some(field) = multipart.next_field().await.unwrap() {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.unwrap();
                    fields.push((
                        name,
                        format!("file:{file_name}:{}", String::from_utf8_lossy(&bytes)),
                    ));
                }
                None => fields.push((name, field.text().await.unwrap())),
            }
        }
        fields
    } else {
        let body = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .unwrap();
        form_urlencoded::parse(&body).into_owned().collect()
    };
    shared.recorded.lock().unwrap().push(Recorded {
        content_type,
        fields,
    });
    let reply = shared
        .replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Reply::ok(""));
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap();
    for (name, value) in reply.headers {
        response
            .headers_mut()
            .insert(name, HeaderValue::from_str(&value).unwrap());
    }
    response
}

/// `a=1&b=2` → pairs, for writing expected form fields compactly (no `&` in values).
pub(crate) fn fields(spec: &str) -> Vec<(String, String)> {
    spec.split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (name.to_string(), value.to_string())
        })
        .collect()
}
