//! The client's error type: one variant per stage that can fail.

use std::fmt;

/// Everything that can go wrong between building a request and decoding its answer.
///
/// Messages never contain the API token. Server messages are REDCap's own; decode
/// errors carry a short snippet of the body so the cause can be seen.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be configured: a bad URL, a non-HTTPS remote host, a bad
    /// token or CA certificate. Nothing was sent.
    #[error("invalid REDCap client configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// The request could not be built: a required parameter is missing or a value is
    /// not acceptable. Nothing was sent.
    #[error("cannot send {method}: {message}")]
    Request {
        /// The API method.
        method: &'static str,
        /// What is wrong.
        message: String,
    },
    /// REDCap could not be reached, or the connection failed before a response arrived.
    #[error("could not reach REDCap for {method}")]
    Transport {
        /// The API method.
        method: &'static str,
        /// The underlying failure.
        #[source]
        source: TransportError,
    },
    /// REDCap answered with an error status and its message.
    #[error("REDCap refused {method} (HTTP {status}): {message}")]
    Api {
        /// The API method.
        method: &'static str,
        /// The HTTP status (REDCap uses 400, 403, 404, 500 and 501).
        status: u16,
        /// REDCap's message, taken out of its JSON, CSV or XML error envelope.
        message: String,
    },
    /// REDCap answered with a redirect. API calls are never followed, so that a form
    /// body with the token is never re-sent to another place.
    #[error(
        "REDCap answered {method} with a redirect (HTTP {status}) to {location}; API requests are not redirected: if that is the API endpoint, configure it as the URL"
    )]
    Redirect {
        /// The API method.
        method: &'static str,
        /// The 3xx status.
        status: u16,
        /// The `Location` header (empty if there was none).
        location: String,
    },
    /// REDCap answered 200 but the body is a failure: a plain-text `ERROR: …` message, an
    /// HTML page, or something other than the success value the method promises.
    #[error("REDCap reported a failure for {method} with HTTP 200: {message}")]
    Failure {
        /// The API method.
        method: &'static str,
        /// The text REDCap sent (shortened).
        message: String,
    },
    /// Record values do not fit the fields they belong to.
    #[error("records exported by {method} do not fit their type")]
    Record {
        /// The API method.
        method: &'static str,
        /// Every such cell: row, record, event, instance, column and value.
        #[source]
        source: Box<crate::records::InvalidCells>,
    },
    /// The success body could not be decoded into the expected type.
    #[error("cannot decode the {method} response: {message} (body starts {snippet:?})")]
    Decode {
        /// The API method.
        method: &'static str,
        /// What did not fit.
        message: String,
        /// The first characters of the body.
        snippet: String,
    },
}

impl Error {
    /// The API method the error belongs to, if a request was involved.
    pub fn method(&self) -> Option<&'static str> {
        match self {
            Error::Config { .. } => None,
            Error::Request { method, .. }
            | Error::Transport { method, .. }
            | Error::Api { method, .. }
            | Error::Redirect { method, .. }
            | Error::Failure { method, .. }
            | Error::Record { method, .. }
            | Error::Decode { method, .. } => Some(method),
        }
    }

    /// The HTTP status, for errors that came with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Redirect { status, .. } => Some(*status),
            Error::Failure { .. } | Error::Decode { .. } | Error::Record { .. } => Some(200),
            _ => None,
        }
    }

    /// REDCap's own message, for API errors and 200-with-failure answers.
    pub fn api_message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } | Error::Failure { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: transport failures and HTTP 429, 502, 503
    /// and 504. The caller decides whether the method is safe to repeat (see
    /// [`MethodInfo::idempotent`](crate::MethodInfo::idempotent)).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } => true,
            Error::Api { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }
}

/// A failure below HTTP (DNS, connect, TLS, timeout, a broken body stream).
///
/// Opaque so that the HTTP library's types stay out of this crate's API; the original
/// error is reachable through [`std::error::Error::source`].
pub struct TransportError {
    inner: Box<dyn std::error::Error + Send + Sync>,
    timeout: bool,
    connect: bool,
}

impl TransportError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        Self {
            timeout: error.is_timeout(),
            connect: error.is_connect(),
            inner: Box::new(error.without_url()),
        }
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.timeout
    }

    /// Whether the connection could not be established.
    pub fn is_connect(&self) -> bool {
        self.connect
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportError")
            .field("message", &self.inner.to_string())
            .field("timeout", &self.timeout)
            .field("connect", &self.connect)
            .finish()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner.source()
    }
}

/// The first characters of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    const LIMIT: usize = 160;
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    match trimmed.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &trimmed[..cut]),
        None => trimmed.to_string(),
    }
}
