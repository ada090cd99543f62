//! The client: configuration, the one transport function, and typed sends.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, TimeoutKind, TransportError};
use crate::limits::{DEFAULT_REQUESTS_PER_MINUTE, RateLimiter, RetryBudget, RetryPolicy, Timeouts};
use crate::request::{FileUpload, Request};
use crate::response::{FileDownload, ImportOutcome, RawResponse, error_message};
use crate::rows::Row;
use crate::token::ApiToken;

/// A REDCap API client for one endpoint and one token.
///
/// Cheap to clone (the connection pool is shared). Methods are generated from the API
/// spec, one builder per method:
///
/// ```no_run
/// # async fn demo() -> Result<(), redcap_client::Error> {
/// let client = redcap_client::Client::from_env()?;
/// let rows = client
///     .export_records()
///     .records(["1", "2"])
///     .fields(["record_id", "age"])
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    url: url::Url,
    token: ApiToken,
    timeouts: Timeouts,
    retry: RetryPolicy,
    limiter: RateLimiter,
    budget: RetryBudget,
}

/// What REDCap answers, with HTTP 429, to every request from a banned IP address.
const BAN_TEXT: &str = "has been banned due to suspected abuse";

/// Takes a success body as it arrives, so that it is read while the rest is on the wire.
pub(crate) trait BodySink: Send {
    /// An attempt's body starts: whatever an earlier attempt fed is void.
    fn restart(&mut self);
    /// The next bytes of the body. An error ends the request, without a retry.
    fn feed(&mut self, chunk: bytes::Bytes) -> Result<(), Error>;
}

/// Bytes of a success body that tell whether it is data or one of REDCap's failure
/// answers (see [`looks_like_failure`]).
const FAILURE_HEAD: usize = 16;

/// Whether a 200 body is one of REDCap's failure answers, which may echo the request.
fn looks_like_failure(body: &[u8]) -> bool {
    let start = body.trim_ascii_start();
    let head = &start[..start.len().min(FAILURE_HEAD)];
    head.starts_with(b"ERROR") || head.starts_with(b"<") || head.starts_with(b"{\"error")
}

/// The body with every occurrence of the token replaced, so that a server echoing the
/// request cannot put the token into an error message or the output.
fn redact(body: bytes::Bytes, token: &str) -> bytes::Bytes {
    let token = token.as_bytes();
    if token.is_empty() || !body.windows(token.len()).any(|window| window == token) {
        return body;
    }
    let mut clean = Vec::with_capacity(body.len());
    let mut rest = &body[..];
    while let Some(at) = rest.windows(token.len()).position(|window| window == token) {
        clean.extend_from_slice(&rest[..at]);
        clean.extend_from_slice(b"[API token]");
        rest = &rest[at + token.len()..];
    }
    clean.extend_from_slice(rest);
    clean.into()
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.inner.url.as_str())
            .field("token", &self.inner.token)
            .finish()
    }
}

/// Environment variable holding the API URL, e.g. `https://redcap.example.edu/api/`.
pub const URL_ENV: &str = "REDCAP_API_URL";
/// Environment variable holding the API token.
pub const TOKEN_ENV: &str = "REDCAP_API_TOKEN";

impl Client {
    /// A client for `url` (REDCap's `…/api/` endpoint) with `token`, default settings.
    pub fn new(url: &str, token: &str) -> Result<Self, Error> {
        Self::builder().url(url).token(token).build()
    }

    /// A client configured from `REDCAP_API_URL` and `REDCAP_API_TOKEN`.
    pub fn from_env() -> Result<Self, Error> {
        let read = |name: &str| {
            std::env::var(name).map_err(|_| Error::Config {
                message: format!("environment variable {name} is not set (or not UTF-8)"),
            })
        };
        Self::new(&read(URL_ENV)?, &read(TOKEN_ENV)?)
    }

    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The API endpoint.
    pub fn url(&self) -> &str {
        self.inner.url.as_str()
    }

    /// The token's kind (project or super).
    pub fn token_kind(&self) -> crate::TokenKind {
        self.inner.token.kind()
    }

    /// Sends a request and returns the success response, or the error REDCap gave.
    ///
    /// The one transport function every generated method goes through, kept non-generic
    /// so the transport is compiled once. Idempotent methods are retried per the client's
    /// [`RetryPolicy`]; every attempt waits for the client's rate limiter.
    pub(crate) async fn execute(&self, request: Request) -> Result<RawResponse, Error> {
        self.execute_observed(request, &mut |_| {}).await
    }

    /// [`Client::execute`], telling `on_retry` about each retry before it waits.
    pub(crate) async fn execute_observed(
        &self,
        request: Request,
        on_retry: &mut (dyn FnMut(&Error) + Send),
    ) -> Result<RawResponse, Error> {
        self.execute_streamed(request, on_retry, None).await
    }

    /// [`Client::execute_observed`], a success body going to `sink` as it arrives (the
    /// response's own body is then empty). A 200 that is one of REDCap's failure answers
    /// reaches `sink` whole, its token redacted.
    pub(crate) async fn execute_streamed(
        &self,
        request: Request,
        on_retry: &mut (dyn FnMut(&Error) + Send),
        mut sink: Option<&mut dyn BodySink>,
    ) -> Result<RawResponse, Error> {
        request.check()?;
        let policy = self.inner.retry;
        let mut attempt = 1;
        let mut timeouts = 0;
        loop {
            self.inner.limiter.acquire().await;
            self.inner.budget.count_request();
            let (error, retry_after) = match self.attempt(&request, sink.as_deref_mut()).await {
                Ok(response) => return Ok(response),
                Err(failed) => failed,
            };
            if matches!(error, Error::Timeout { .. }) {
                timeouts += 1;
            }
            // Each timed-out attempt costs the whole limit: a server that hangs twice in a
            // row is down, not busy.
            let retryable = (request.method.idempotent || request.repeatable)
                && error.is_retryable()
                && timeouts < 2
                && attempt < policy.attempts
                && retry_after.is_none_or(|asked| asked <= policy.max_retry_after);
            if !retryable || !self.inner.budget.take(&policy) {
                return Err(error);
            }
            let delay = policy.delay(attempt, retry_after);
            tracing::warn!(
                method = request.method.name,
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %error,
                "retrying"
            );
            on_retry(&error);
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Retries made by this client (and its clones) so far.
    pub fn retries(&self) -> u64 {
        self.inner.budget.retries()
    }

    /// The client's retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The client's time limits.
    pub fn timeouts(&self) -> Timeouts {
        self.inner.timeouts
    }

    /// One attempt: the error, and the `Retry-After` the server asked for, on failure.
    async fn attempt(
        &self,
        request: &Request,
        sink: Option<&mut (dyn BodySink + '_)>,
    ) -> Result<RawResponse, (Error, Option<Duration>)> {
        let method = request.method;
        let plain = |error: Error| (error, None);
        let fields = request.form_fields(self.inner.token.expose_secret());
        let builder = self.inner.http.post(self.inner.url.clone());
        let builder = if method.multipart {
            let mut form = reqwest::multipart::Form::new();
            for (name, value) in fields {
                form = form.text(name, value);
            }
            for (name, file) in request.files() {
                let mut part = reqwest::multipart::Part::bytes(file.bytes.clone())
                    .file_name(file.name.clone());
                if let Some(mime) = &file.mime {
                    part = part.mime_str(mime).map_err(|_| {
                        plain(Error::Request {
                            method: method.name,
                            message: format!("`{mime}` is not a MIME type"),
                        })
                    })?;
                }
                form = form.part(name, part);
            }
            builder.multipart(form)
        } else {
            builder.form(&fields)
        };
        let timeouts = self.inner.timeouts;
        let transport = |source: reqwest::Error| self.transport_error(method.name, source);
        let mut response = tokio::time::timeout(timeouts.first_byte, builder.send())
            .await
            .map_err(|_| {
                plain(Error::Timeout {
                    method: method.name,
                    kind: TimeoutKind::FirstByte(timeouts.first_byte),
                })
            })?
            .map_err(|source| plain(transport(source)))?;
        let status = response.status();
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let content_disposition = header(reqwest::header::CONTENT_DISPOSITION);
        let location = header(reqwest::header::LOCATION);
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.trim().parse::<u64>().ok().map(Duration::from_secs));
        let expected = response.content_length();
        // Only a success body is streamed; the sink sees it once its first bytes show it
        // is not a failure answer.
        let mut sink = sink.filter(|_| status.is_success());
        let mut streaming = false;
        let mut received = 0u64;
        let mut body = bytes::BytesMut::with_capacity(if sink.is_some() {
            0
        } else {
            expected.unwrap_or(0).min(64 << 20).try_into().unwrap_or(0)
        });
        loop {
            let chunk = tokio::time::timeout(timeouts.stall, response.chunk())
                .await
                .map_err(|_| {
                    plain(Error::Timeout {
                        method: method.name,
                        kind: TimeoutKind::Stall(timeouts.stall),
                    })
                })?;
            match chunk {
                Ok(Some(chunk)) => {
                    received += chunk.len() as u64;
                    match sink.as_deref_mut() {
                        Some(sink) if streaming => sink.feed(chunk).map_err(plain)?,
                        Some(sink) => {
                            body.extend_from_slice(&chunk);
                            if body.trim_ascii_start().len() >= FAILURE_HEAD
                                && !looks_like_failure(&body)
                            {
                                streaming = true;
                                sink.restart();
                                sink.feed(body.split().freeze()).map_err(plain)?;
                            }
                        }
                        None => body.extend_from_slice(&chunk),
                    }
                }
                Ok(None) => break,
                Err(source) if source.is_timeout() => return Err(plain(transport(source))),
                Err(_) => {
                    return Err(plain(Error::Truncated {
                        method: method.name,
                        received,
                        expected,
                    }));
                }
            }
        }
        if let Some(expected) = expected
            && received < expected
        {
            return Err(plain(Error::Truncated {
                method: method.name,
                received,
                expected: Some(expected),
            }));
        }
        let mut body = body.freeze();
        if !status.is_success() || looks_like_failure(&body) {
            body = redact(body, self.inner.token.expose_secret());
        }
        if let Some(sink) = sink
            && !streaming
        {
            // A short body, or a failure answer: the sink reads it whole.
            sink.restart();
            sink.feed(std::mem::take(&mut body)).map_err(plain)?;
        }
        if status.is_redirection() {
            return Err(plain(Error::Redirect {
                method: method.name,
                status: status.as_u16(),
                location: location.unwrap_or_default(),
            }));
        }
        if !status.is_success() {
            let message = error_message(&body);
            if status.as_u16() == 429 && message.contains(BAN_TEXT) {
                return Err(plain(Error::Banned {
                    method: method.name,
                    message,
                }));
            }
            return Err((
                Error::Api {
                    method: method.name,
                    status: status.as_u16(),
                    message,
                },
                retry_after,
            ));
        }
        Ok(RawResponse {
            method,
            content_type,
            content_disposition,
            body,
        })
    }

    /// A transport failure, with timeouts named as such.
    fn transport_error(&self, method: &'static str, source: reqwest::Error) -> Error {
        let timeouts = self.inner.timeouts;
        if source.is_timeout() {
            let kind = if source.is_connect() {
                TimeoutKind::Connect(timeouts.connect)
            } else {
                match timeouts.total {
                    Some(total) => TimeoutKind::Total(total),
                    None => TimeoutKind::FirstByte(timeouts.first_byte),
                }
            };
            return Error::Timeout { method, kind };
        }
        Error::Transport {
            method,
            source: TransportError::new(source),
        }
    }

    /// Sends with the response format set to JSON, the format typed decoding reads.
    async fn execute_json(&self, mut request: Request) -> Result<RawResponse, Error> {
        if let Some(param) = request.method.response_format {
            request.set_text(param, "json");
        }
        if let Some(param) = request.method.error_format {
            request.set_text(param, "json");
        }
        self.execute(request).await
    }

    pub(crate) async fn send_raw(
        &self,
        mut request: Request,
        format: &'static str,
    ) -> Result<RawResponse, Error> {
        if let Some(param) = request.method.response_format {
            request.set_text(param, format);
        }
        if let Some(param) = request.method.error_format {
            request.set_text(param, "json");
        }
        self.execute(request).await
    }

    pub(crate) async fn send_rows(&self, request: Request) -> Result<Vec<Row>, Error> {
        self.execute_json(request).await?.into_json()
    }

    pub(crate) async fn send_list<T: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<Vec<T>, Error> {
        self.execute_json(request).await?.into_json()
    }

    pub(crate) async fn send_object<T: serde::de::DeserializeOwned>(
        &self,
        request: Request,
    ) -> Result<T, Error> {
        self.execute_json(request).await?.into_json()
    }

    pub(crate) async fn send_count(&self, request: Request) -> Result<u64, Error> {
        self.execute_json(request).await?.into_count()
    }

    pub(crate) async fn send_import_outcome(
        &self,
        request: Request,
    ) -> Result<ImportOutcome, Error> {
        let return_content = request.text("returnContent").map(str::to_string);
        self.execute_json(request)
            .await?
            .into_import_outcome(return_content.as_deref())
    }

    pub(crate) async fn send_text(&self, request: Request) -> Result<String, Error> {
        self.execute_json(request).await?.into_text()
    }

    pub(crate) async fn send_token(&self, request: Request) -> Result<ApiToken, Error> {
        self.execute_json(request).await?.into_token()
    }

    pub(crate) async fn send_confirmation(&self, request: Request) -> Result<(), Error> {
        self.execute_json(request).await?.into_confirmation()
    }

    pub(crate) async fn send_document(&self, request: Request) -> Result<String, Error> {
        self.execute_json(request).await?.into_document()
    }

    pub(crate) async fn send_file(&self, request: Request) -> Result<FileDownload, Error> {
        self.execute_json(request).await?.into_file()
    }

    pub(crate) async fn send_empty(&self, request: Request) -> Result<(), Error> {
        self.execute_json(request).await?.into_empty()
    }

    /// Calls a method by name with parameters given as wire name and value pairs, and
    /// returns the body untouched: the escape hatch behind `cargo redcap call`.
    ///
    /// Lists are sent as given (use `name[0]`, `name[1]`, … for PHP arrays). The method's
    /// `content` and `action` are filled in; `token` must not be among the parameters.
    pub async fn call_raw(
        &self,
        method: &str,
        params: &[(String, String)],
    ) -> Result<RawResponse, Error> {
        let request = raw_request(method, params)?;
        self.execute(request).await
    }

    /// [`Client::call_raw`] with a file, sent in a multipart body as the `file` part (the
    /// one name REDCap's API gives an uploaded file).
    pub async fn call_raw_with_file(
        &self,
        method: &str,
        params: &[(String, String)],
        file: FileUpload,
    ) -> Result<RawResponse, Error> {
        let mut request = raw_request(method, params)?;
        request.set_file("file", file);
        self.execute(request).await
    }
}

/// A request for `method` by name, with the parameters as given.
fn raw_request(method: &str, params: &[(String, String)]) -> Result<Request, Error> {
    let info = crate::method_info(method).ok_or_else(|| Error::Config {
        message: format!("unknown API method `{method}`"),
    })?;
    let mut request = Request::unguarded(info);
    for (name, value) in params {
        if matches!(name.as_str(), "token" | "content" | "action") {
            return Err(Error::Request {
                method: info.name,
                message: format!("`{name}` is set by the client"),
            });
        }
        request.set_dynamic(name.clone(), value.clone());
    }
    Ok(request)
}

/// Configures a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    url: Option<String>,
    token: Option<Result<ApiToken, crate::TokenError>>,
    extra_roots: Vec<Vec<u8>>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    requests_per_minute: Option<u32>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("url", &self.url)
            .field(
                "token",
                &self.token.as_ref().map(|t| t.as_ref().map(ApiToken::kind)),
            )
            .field("extra_roots", &self.extra_roots.len())
            .field("timeouts", &self.timeouts)
            .field("retry", &self.retry)
            .field("requests_per_minute", &self.requests_per_minute)
            .finish()
    }
}

impl ClientBuilder {
    /// REDCap's API endpoint, e.g. `https://redcap.example.edu/api/`.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// The API token (checked when the client is built).
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(ApiToken::new(token));
        self
    }

    /// An already checked API token.
    pub fn api_token(mut self, token: ApiToken) -> Self {
        self.token = Some(Ok(token));
        self
    }

    /// Trusts one more CA certificate (PEM), beside the platform's roots: for
    /// institutions whose REDCap uses an internal CA.
    pub fn add_root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(pem.into());
        self
    }

    /// Gives up on a request that takes longer than `timeout` in all (no limit by
    /// default: large exports take time; the first-byte and stall limits catch a server
    /// that hangs).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.total = Some(timeout);
        self
    }

    /// Gives up connecting after `timeout` (30 s by default).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }

    /// Gives up when no response starts within `timeout` of sending (10 minutes by
    /// default: REDCap builds a large export before it sends a byte).
    pub fn first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.first_byte = timeout;
        self
    }

    /// Gives up when a response body stops arriving for `timeout` (2 minutes by default).
    pub fn stall_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.stall = timeout;
        self
    }

    /// Sets every time limit at once.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// How failed requests of idempotent methods are retried (see [`RetryPolicy`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// At most this many requests a minute, shared by the client and all its clones
    /// (240 by default, well under the 600 a minute at which REDCap bans an IP address).
    pub fn requests_per_minute(mut self, limit: u32) -> Self {
        self.requests_per_minute = Some(limit);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let config = |message: String| Error::Config { message };
        let raw_url = self.url.ok_or_else(|| config("no API URL given".into()))?;
        let url = checked_url(&raw_url)?;
        let token = match self.token {
            None => return Err(config("no API token given".into())),
            Some(Err(error)) => return Err(config(error.to_string())),
            Some(Ok(token)) => token,
        };
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.timeouts.connect)
            .user_agent(concat!("redcap-rs/", env!("CARGO_PKG_VERSION")));
        if let Some(timeout) = self.timeouts.total {
            http = http.timeout(timeout);
        }
        let per_minute = self
            .requests_per_minute
            .unwrap_or(DEFAULT_REQUESTS_PER_MINUTE);
        if per_minute == 0 {
            return Err(config(
                "the request rate must be at least 1 a minute".into(),
            ));
        }
        for pem in &self.extra_roots {
            let certificate = reqwest::Certificate::from_pem(pem).map_err(|error| {
                config(format!(
                    "the extra CA certificate is not valid PEM: {error}"
                ))
            })?;
            http = http.add_root_certificate(certificate);
        }
        let http = http
            .build()
            .map_err(|error| config(format!("cannot set up HTTPS: {error}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                url,
                token,
                timeouts: self.timeouts,
                retry: self.retry,
                limiter: RateLimiter::new(per_minute),
                budget: RetryBudget::default(),
            }),
        })
    }
}

/// Parses the endpoint URL and refuses plain HTTP to anything but this machine.
fn checked_url(raw: &str) -> Result<url::Url, Error> {
    let config = |message: String| Error::Config { message };
    let url =
        url::Url::parse(raw).map_err(|error| config(format!("`{raw}` is not a URL: {error}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config(
            "the API URL must not carry a user name or password".into(),
        ));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(config(format!(
            "`{raw}` uses plain HTTP; REDCap tokens and data may only travel over HTTPS (plain HTTP is allowed for localhost only)"
        ))),
        other => Err(config(format!("`{raw}` has scheme `{other}`; use https"))),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_for_loopback_only() {
        for ok in [
            "https://redcap.example.edu/api/",
            "http://127.0.0.1:8080/api/",
            "http://localhost/api/",
            "http://[::1]/api/",
        ] {
            assert!(checked_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://redcap.example.edu/api/",
            "http://10.0.0.1/api/",
            "ftp://x/api/",
            "https://u:p@x/api/",
            "not a url",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }
}
