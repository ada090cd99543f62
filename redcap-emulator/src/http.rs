//! The HTTP side: one endpoint that takes REDCap's form-encoded (or
//! multipart) POSTs, runs each request in one SQLite transaction on a
//! blocking thread, and answers 501 to anything but POST.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use rusqlite::Connection;

use crate::dispatch;
use crate::params::{Params, Upload};
use crate::reply::{ApiError, Reply};

/// What every request shares.
pub(crate) struct Shared {
    pub(crate) conn: Mutex<Connection>,
    pub(crate) spec: redcap_api_spec::Spec,
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

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let is_post = request.method() == Method::POST;
    let params = match read_params(request).await {
        Ok(p) => p,
        Err(message) => {
            return response(ApiError::bad(message).into_reply(crate::format::Format::Xml));
        }
    };
    let (_, return_format) = dispatch::formats(&params);
    if !is_post {
        return response(
            ApiError {
                status: 501,
                message: "The requested method is not implemented.".into(),
            }
            .into_reply(return_format),
        );
    }
    let work = tokio::task::spawn_blocking(move || {
        // A panic in an earlier request must not take the server down, so
        // a poisoned lock is taken over (its transaction was rolled back).
        let mut conn = shared
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let tx = match conn.transaction() {
            Ok(tx) => tx,
            Err(e) => return ApiError::from(e).into_reply(return_format),
        };
        let (reply, commit) = dispatch::handle(&tx, &shared.spec, &params);
        if commit && let Err(e) = tx.commit() {
            return ApiError::from(e).into_reply(return_format);
        }
        reply
    });
    match work.await {
        Ok(reply) => response(reply),
        Err(_) => response(
            ApiError::internal("The server encountered an error processing your request.")
                .into_reply(return_format),
        ),
    }
}
