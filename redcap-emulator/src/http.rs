//! The HTTP side: one endpoint that takes REDCap's form-encoded (or
//! multipart) POSTs, runs each request on a blocking thread (reads side by
//! side, writes one at a time: `dispatch::serve`), and answers 501 to
//! anything but POST. API requests
//! pass the fault rules first (`faults/`).

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::database::Database;
use crate::dispatch;
use crate::faults::cut::{Peer, Plan};
use crate::faults::inject::{Action, Injector};
use crate::faults::{FaultKind, answers, drop};
use crate::format::Format;
use crate::params::{Params, Upload};
use crate::reply::{ApiError, Reply};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;

/// What every request shares.
pub(crate) struct Shared {
    pub(crate) database: Database,
    pub(crate) spec: redcap_api_spec::Spec,
    pub(crate) faults: Injector,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

/// The router: every path answers as REDCap's `/api/` does.
pub(crate) fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::max(512 * 1024 * 1024))
        .with_state(shared)
}

fn response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(file) = reply.file {
        return file_response(status, *file);
    }
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    response
}

/// A file download: the bytes, with a content type and headers built from
/// stored names (file names are sent as they are, non-ASCII bytes
/// included, as PHP's `header()` does).
fn file_response(status: StatusCode, file: crate::reply::FileBody) -> Response {
    let mut response = Response::new(Body::from(file.bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let value = |text: &str| {
        HeaderValue::from_bytes(text.as_bytes())
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
    };
    headers.insert(header::CONTENT_TYPE, value(&file.content_type));
    for (name, text) in file.headers {
        if let Ok(text) = HeaderValue::from_bytes(text.as_bytes()) {
            headers.insert(name, text);
        }
    }
    response
}

async fn read_params(request: Request) -> Result<Params, String> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        let mut form = Multipart::from_request(request, &())
            .await
            .map_err(|e| format!("malformed multipart body: {e}"))?;
        let mut pairs = Vec::new();
        let mut uploads = Vec::new();
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|e| format!("malformed multipart body: {e}"))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let mime = field.content_type().map(str::to_owned);
            let bytes = field
                .bytes()
                .await
                .map_err(|e| format!("malformed multipart body: {e}"))?;
            match file_name {
                Some(file_name) => uploads.push((
                    name,
                    Upload {
                        name: file_name,
                        mime,
                        bytes: bytes.to_vec(),
                    },
                )),
                None => pairs.push((name, String::from_utf8_lossy(&bytes).into_owned())),
            }
        }
        let mut params = Params::from_pairs(pairs);
        for (name, upload) in uploads {
            params.add_file(name, upload);
        }
        return Ok(params);
    }
    let query = request.uri().query().map(str::to_owned);
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|e| format!("cannot read the request body: {e}"))?;
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .flat_map(|q| form_urlencoded::parse(q.as_bytes()).into_owned())
        .collect();
    pairs.extend(form_urlencoded::parse(&body).into_owned());
    Ok(Params::from_pairs(pairs))
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<Peer>,
    request: Request,
) -> Response {
    let is_post = request.method() == Method::POST;
    let under_way = peer.activity.request();
    let params = match read_params(request).await {
        Ok(p) => p,
        Err(message) => {
            return response(ApiError::bad(message).into_reply(Format::Xml));
        }
    };
    under_way.answering();
    let (format, return_format) = dispatch::formats(&params);
    if !is_post {
        return response(
            ApiError {
                status: 501,
                message: "The requested method is not implemented.".into(),
            }
            .into_reply(return_format),
        );
    }
    let action = shared
        .faults
        .decide(dispatch::method_name(&shared.spec, &params), Instant::now());
    let kind = match action {
        None => return response(run(shared, params, return_format).await),
        Some(Action::Banned) => return response(answers::banned(&peer.addr.ip().to_string())),
        Some(Action::Fault(kind)) => kind,
    };
    match kind {
        FaultKind::Status { status, message } => {
            response(answers::status(status, message.as_deref(), return_format))
        }
        FaultKind::RetryAfter { status, seconds } => {
            let mut answer = response(answers::retry_after(status));
            answer
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            answer
        }
        FaultKind::Hang { seconds } => {
            tokio::time::sleep(seconds).await;
            peer.cutter.install(Plan {
                head: false,
                body: 0,
                silence: Duration::ZERO,
            });
            response(Reply::empty(return_format))
        }
        // A ban answers through `Action::Banned`; its rule never fires.
        FaultKind::Ban { .. } => response(run(shared, params, return_format).await),
        FaultKind::Html => response(answers::login_page()),
        FaultKind::ServerMemory { display_errors } => {
            response(answers::server_memory(display_errors, return_format))
        }
        FaultKind::DropRecords { count } => {
            let mut reply = run(shared, params.clone(), return_format).await;
            if reply.status == 200 && reply.file.is_none() {
                let key = match params.get("type") {
                    Some("eav") => drop::Key::Record,
                    _ => drop::Key::First,
                };
                let delimiter = crate::records::export::delimiter(params.get("csvDelimiter"));
                match drop::drop_records(&reply.body, format, delimiter, key, count) {
                    Ok(body) => reply.body = body,
                    Err(e) => {
                        reply = ApiError::internal(format!("drop_records fault: {e}"))
                            .into_reply(return_format);
                    }
                }
            }
            response(reply)
        }
        FaultKind::Stall {
            after_bytes,
            seconds,
        } => {
            let reply = run(shared, params, return_format).await;
            if after_bytes < body_len(&reply) {
                peer.cutter.install(Plan {
                    head: true,
                    body: after_bytes,
                    silence: seconds,
                });
            }
            response(reply)
        }
        FaultKind::Truncate {
            after_bytes,
            chunked,
        } => {
            let reply = run(shared, params, return_format).await;
            let len = body_len(&reply);
            let kept = after_bytes.unwrap_or(len / 2).min(len.saturating_sub(1));
            if chunked {
                return truncated_chunked(reply, kept, &peer);
            }
            if len == 0 {
                // Nothing to cut: the empty answer is whole.
                return response(reply);
            }
            peer.cutter.install(Plan {
                head: true,
                body: kept,
                silence: Duration::ZERO,
            });
            response(reply)
        }
    }
}

fn body_len(reply: &Reply) -> u64 {
    let len = match &reply.file {
        Some(file) => file.bytes.len(),
        None => reply.body.len(),
    };
    len as u64
}

/// The answer sent chunked as two chunks, the first `kept` bytes long,
/// cut after the first: the client sees a valid chunk and then the end of
/// the connection instead of the last chunk.
fn truncated_chunked(mut reply: Reply, kept: u64, peer: &Peer) -> Response {
    let bytes = Bytes::from(match reply.file.as_mut() {
        Some(file) => std::mem::take(&mut file.bytes),
        None => std::mem::take(&mut reply.body).into_bytes(),
    });
    let mut answer = response(reply);
    let split = usize::try_from(kept).unwrap_or(usize::MAX).min(bytes.len());
    let (first, rest) = (bytes.slice(..split), bytes.slice(split..));
    // On the wire a chunk is its size in hex, CRLF, the bytes, CRLF.
    let framed = if first.is_empty() {
        0
    } else {
        format!("{:X}\r\n", first.len()).len() + first.len() + 2
    };
    peer.cutter.install(Plan {
        head: true,
        body: framed as u64,
        silence: Duration::ZERO,
    });
    answer.headers_mut().remove(header::CONTENT_LENGTH);
    *answer.body_mut() = Body::new(Chunks(VecDeque::from([first, rest])));
    answer
}

/// A body of several chunks and no known length, so that it is sent with
/// `Transfer-Encoding: chunked`.
struct Chunks(VecDeque<Bytes>);

impl http_body::Body for Chunks {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.pop_front().map(|b| Ok(http_body::Frame::data(b))))
    }
}

/// Runs a request against the store, on a blocking thread.
async fn run(shared: Arc<Shared>, params: Params, return_format: Format) -> Reply {
    let work = tokio::task::spawn_blocking(move || {
        dispatch::serve(&shared.database, &shared.spec, &params)
    });
    match work.await {
        Ok(reply) => reply,
        Err(_) => ApiError::internal("The server encountered an error processing your request.")
            .into_reply(return_format),
    }
}
