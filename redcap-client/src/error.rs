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
    /// REDCap (or something in front of it) did not answer in time.
    #[error("REDCap did not answer {method} in time: {kind}")]
    Timeout {
        /// The API method.
        method: &'static str,
        /// Which limit ran out, and its length.
        kind: TimeoutKind,
    },
    /// The response ended before all of its body arrived.
    #[error("the {method} response was cut short: {}", truncated_detail(*received, *expected))]
    Truncated {
        /// The API method.
        method: &'static str,
        /// Bytes received.
        received: u64,
        /// Bytes announced by `Content-Length`, when the server announced them.
        expected: Option<u64>,
    },
    /// REDCap has banned this machine's IP address for making too many requests a minute
    /// (its `page_hit_threshold_per_minute`). Every later request gets HTTP 429 until a
    /// REDCap administrator lifts the ban, so nothing is retried.
    #[error(
        "REDCap has banned this machine's IP address for suspected abuse (too many requests a minute) while calling {method}; nothing more will succeed until a REDCap administrator removes the ban (Control Center, banned IP addresses): {message}"
    )]
    Banned {
        /// The API method.
        method: &'static str,
        /// REDCap's message.
        message: String,
    },
    /// A bulk export could not deliver every requested record exactly once.
    #[error("the export is incomplete: {problem}")]
    Incomplete {
        /// What is missing or repeated.
        problem: Incompleteness,
    },
    /// Writing exported data to its destination failed.
    #[error("cannot write the exported data")]
    Sink {
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// An import's rows do not fit the project's schema; nothing was sent.
    #[error("the import was not sent: the preflight found problems\n{problems}")]
    Preflight {
        /// Every problem, errors and warnings apart.
        problems: Box<crate::import::Preflight>,
    },
    /// A request that must not be repeated (a `forceAutoNumber` import batch) left, but
    /// no answer says whether REDCap carried it out.
    #[error(
        "batch {batch} of the import (records {first} to {last}, {records} record(s)) may or may not have been imported: {cause}. It is not sent again, since a forceAutoNumber import repeated would create the records twice. Check the project's Logging page (or export_logging, \"Create record\" entries since the import began) for the records this batch created, and import only what is missing"
    )]
    OutcomeUnknown {
        /// The batch, counted from 1.
        batch: usize,
        /// The first record name of the batch, as sent.
        first: String,
        /// The last record name of the batch, as sent.
        last: String,
        /// Records in the batch.
        records: usize,
        /// What happened to the request.
        #[source]
        cause: Box<Error>,
    },
    /// An import journal could not be read or written.
    #[error("import journal {}: {message}", path.display())]
    Journal {
        /// The journal file.
        path: std::path::PathBuf,
        /// What is wrong.
        message: String,
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
            | Error::Decode { method, .. }
            | Error::Timeout { method, .. }
            | Error::Truncated { method, .. }
            | Error::Banned { method, .. } => Some(method),
            Error::Incomplete { .. }
            | Error::Sink { .. }
            | Error::Preflight { .. }
            | Error::Journal { .. } => None,
            Error::OutcomeUnknown { cause, .. } => cause.method(),
        }
    }

    /// The HTTP status, for errors that came with one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Redirect { status, .. } => Some(*status),
            Error::Banned { .. } => Some(429),
            Error::Failure { .. } | Error::Decode { .. } | Error::Record { .. } => Some(200),
            _ => None,
        }
    }

    /// REDCap's own message, for API errors and 200-with-failure answers.
    pub fn api_message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. }
            | Error::Failure { message, .. }
            | Error::Banned { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: transport failures, timeouts, bodies cut
    /// short and HTTP 429, 502, 503 and 504 (but never a ban). Whether the method is safe
    /// to repeat is a separate question (see
    /// [`MethodInfo::idempotent`](crate::MethodInfo::idempotent)); the client retries
    /// only when both are true.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } | Error::Truncated { .. } => true,
            Error::Api { status, .. } => matches!(status, 429 | 502 | 503 | 504),
            _ => false,
        }
    }

    /// Whether the server failed under the size of the request: a timeout, a 5xx, REDCap
    /// running out of memory or giving up on an export, a body cut short. A bulk export
    /// answers these with smaller batches.
    pub fn is_overload(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Truncated { .. } | Error::Transport { .. } => true,
            Error::Api {
                status, message, ..
            } => *status >= 500 || crate::response::is_out_of_memory(message),
            Error::Failure { message, .. } => crate::response::is_out_of_memory(message),
            _ => false,
        }
    }
}

fn truncated_detail(received: u64, expected: Option<u64>) -> String {
    match expected {
        Some(expected) => format!("the response ended after {received} of {expected} bytes"),
        None => {
            format!("the connection closed after {received} bytes, before the body was complete")
        }
    }
}

/// Which of the client's time limits ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// No connection within this time.
    Connect(std::time::Duration),
    /// Connected and sent, but no response began within this time.
    FirstByte(std::time::Duration),
    /// The body started, then no byte arrived for this long.
    Stall(std::time::Duration),
    /// The whole request took longer than this.
    Total(std::time::Duration),
}

impl fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeoutKind::Connect(after) => {
                write!(
                    f,
                    "connect timeout: no connection within {}",
                    seconds(*after)
                )
            }
            TimeoutKind::FirstByte(after) => write!(
                f,
                "first-byte timeout: no response within {} of sending the request",
                seconds(*after)
            ),
            TimeoutKind::Stall(after) => write!(
                f,
                "stall timeout: the response stopped, no bytes for {}",
                seconds(*after)
            ),
            TimeoutKind::Total(after) => {
                write!(
                    f,
                    "total timeout: the request took longer than {}",
                    seconds(*after)
                )
            }
        }
    }
}

fn seconds(duration: std::time::Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs.fract() == 0.0 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.2} s")
    }
}

/// What a bulk export could not deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incompleteness {
    /// Records that were asked for and still did not come back after a second request.
    MissingRecords(Vec<String>),
    /// The same row (record, event, repeat instrument, repeat instance) came back twice.
    DuplicateRow {
        /// The record.
        record: String,
        /// The event, on longitudinal projects.
        event: Option<String>,
        /// The repeating instrument.
        repeat_instrument: Option<String>,
        /// The repeat instance.
        repeat_instance: Option<String>,
    },
    /// Rows of records that were not asked for.
    UnexpectedRecords(Vec<String>),
    /// The batches do not share one set of columns.
    ColumnsDiffer(String),
}

impl fmt::Display for Incompleteness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Incompleteness::MissingRecords(records) => write!(
                f,
                "{} record(s) did not come back, even when asked for again: {}",
                records.len(),
                list(records)
            ),
            Incompleteness::DuplicateRow {
                record,
                event,
                repeat_instrument,
                repeat_instance,
            } => {
                write!(f, "REDCap sent the row of record `{record}`")?;
                if let Some(event) = event {
                    write!(f, ", event `{event}`")?;
                }
                if let Some(instrument) = repeat_instrument {
                    write!(f, ", instrument `{instrument}`")?;
                }
                if let Some(instance) = repeat_instance {
                    write!(f, ", instance {instance}")?;
                }
                f.write_str(" twice")
            }
            Incompleteness::UnexpectedRecords(records) => write!(
                f,
                "REDCap sent {} record(s) that were not asked for: {}",
                records.len(),
                list(records)
            ),
            Incompleteness::ColumnsDiffer(detail) => {
                write!(f, "the batches came back with different columns: {detail}")
            }
        }
    }
}

/// The first few names of a list, quoted, with how many more there are.
fn list(records: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut text = records
        .iter()
        .take(SHOWN)
        .map(|record| format!("`{record}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if records.len() > SHOWN {
        text.push_str(&format!(" and {} more", records.len() - SHOWN));
    }
    text
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
