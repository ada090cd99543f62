//! A typed async client for the REDCap API.
//!
//! Every method of REDCap's API is generated from the redcap-rs API spec as a builder on
//! [`Client`]: `client.export_records().records(["1"]).send().await`. The runtime around
//! it is written by hand and is small:
//!
//! - [`Client`] and [`ClientBuilder`]: HTTPS only (plain HTTP for loopback hosts), TLS
//!   always verified, redirects refused, [`Client::from_env`] for `REDCAP_API_URL` and
//!   `REDCAP_API_TOKEN`;
//! - [`ApiToken`]: the token as a secret, checked, redacted and zeroed;
//! - requests encoded as REDCap reads them: form fields, PHP arrays for lists
//!   (`records[0]=…`), `true`/`false` flags, multipart for files;
//! - responses: REDCap's error envelopes (JSON, CSV, XML) and its status codes become
//!   [`Error::Api`]; plain-text and HTML failures sent with status 200 become
//!   [`Error::Failure`]; success bodies decode into [`types`] or, for records, [`Row`]s;
//! - [`Error`]: one variant per stage that failed.
//!
//! Every client has time limits ([`Timeouts`]: connect, first byte, stall), one rate
//! limiter shared by its clones, and retries failed requests of idempotent methods with
//! jittered backoff ([`RetryPolicy`]); a REDCap IP ban is never retried
//! ([`Error::Banned`]). [`Client::export_all`] and [`Client::export_all_typed`] export a
//! whole project in checked batches (see [`bulk`]).

pub mod bulk;
mod client;
mod error;
mod guards;
pub mod import;
mod limits;
pub mod records;
mod request;
mod response;
mod rows;
mod token;
mod typed;
pub mod types;

pub use client::{Client, ClientBuilder, TOKEN_ENV, URL_ENV};
pub use error::{Error, Incompleteness, TimeoutKind, TransportError};
pub use limits::{DEFAULT_REQUESTS_PER_MINUTE, RetryPolicy, Timeouts};
pub use request::{FileUpload, MethodInfo, Payload, PayloadFormat, Request};
pub use response::{AutoId, FileDownload, ImportOutcome, RawResponse};
pub use rows::{CsvError, Row, rows_from_csv};
pub use token::{ApiToken, TokenError, TokenKind};

/// Derives `records::FlatRow` for an instrument struct; see the `redcap-derive` crate.
pub use redcap_derive::Record;

/// Derives `records::Choice` for a choice enum; see the `redcap-derive` crate.
pub use redcap_derive::Choice;

/// Derives `ALL`, `as_str` and `String` conversion for an enum of REDCap names; see the
/// `redcap-derive` crate.
pub use redcap_derive::Name;

/// Derives `records::FlatRow` for a project's row of every instrument; see the
/// `redcap-derive` crate.
pub use redcap_derive::Row;

/// Derives the event struct of a longitudinal project's record; see the `redcap-derive`
/// crate.
pub use redcap_derive::Event;

/// Derives `from_rows`/`to_rows` for a project's record; see the `redcap-derive` crate.
pub use redcap_derive::FromRows;

/// What generated code and the derives call. Not part of the API: it changes without
/// notice.
#[doc(hidden)]
pub mod __private {
    pub use crate::records::machinery::*;
    pub use crate::records::pseudo::{
        SeenRows, merge_dag, pseudo_column_index, pseudo_column_text, set_pseudo_column,
    };
    pub use crate::records::values::{ColumnValue, decode_choice};
}

/// Expands a project's record types from its schema file; see the `redcap-derive` crate.
pub use redcap_derive::project;

/// The client generated from the API spec by `build.rs`; held to the same lints as
/// hand-written code.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/client.rs"));
}

pub use generated::{METHODS, methods, operation, params};

/// The method with this name, e.g. `export_records`.
pub fn method_info(name: &str) -> Option<&'static MethodInfo> {
    METHODS.iter().copied().find(|method| method.name == name)
}

/// A string that is not one of an enum's wire values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a value of {enum_name}")]
pub struct UnknownValue {
    enum_name: &'static str,
    value: String,
}

impl UnknownValue {
    pub(crate) fn new(enum_name: &'static str, value: &str) -> Self {
        Self {
            enum_name,
            value: value.to_string(),
        }
    }

    /// The enum's name.
    pub fn enum_name(&self) -> &'static str {
        self.enum_name
    }

    /// The string that did not match.
    pub fn value(&self) -> &str {
        &self.value
    }
}
