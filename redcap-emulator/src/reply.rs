//! What a handler answers: a success body with its format, or REDCap's
//! error with a status code.

use crate::format::{Format, error_body};

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: String,
    /// A binary download instead of `body` (files, PDFs).
    pub(crate) file: Option<Box<FileBody>>,
}

/// The body and headers of a binary download.
#[derive(Debug)]
pub(crate) struct FileBody {
    pub(crate) bytes: Vec<u8>,
    /// The whole `Content-Type` value (`image/png; name="a.png"`).
    pub(crate) content_type: String,
    /// Further headers (`Content-Disposition`, `Content-Security-Policy`).
    pub(crate) headers: Vec<(axum::http::HeaderName, String)>,
}

impl Reply {
    /// A body in the given format.
    pub(crate) fn new(format: Format, body: String) -> Reply {
        Reply {
            status: 200,
            content_type: format.content_type(),
            body,
            file: None,
        }
    }

    /// A 200 binary download.
    pub(crate) fn file(file: FileBody) -> Reply {
        Reply {
            status: 200,
            content_type: "application/octet-stream",
            body: String::new(),
            file: Some(Box::new(file)),
        }
    }

    /// REDCap's `RestUtility::sendResponse(200)` with no content: an empty
    /// body.
    pub(crate) fn empty(format: Format) -> Reply {
        Reply::new(format, String::new())
    }

    /// A bare count, as REDCap answers imports and deletes of structure
    /// (`3`, whatever the format).
    pub(crate) fn count(format: Format, n: usize) -> Reply {
        Reply::new(format, n.to_string())
    }

    /// A 200 answer whose body is plain text: REDCap's way of reporting some
    /// failures (rename) and some values (version).
    pub(crate) fn plain(format: Format, text: impl Into<String>) -> Reply {
        Reply::new(format, text.into())
    }
}

/// An error REDCap reports with a status code; the body is wrapped per
/// `returnFormat` when sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) message: String,
}

impl ApiError {
    /// 400 with a message.
    pub(crate) fn bad(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 400,
            message: message.into(),
        }
    }

    /// 403 with a message.
    pub(crate) fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 403,
            message: message.into(),
        }
    }

    /// 500: something in the emulator itself failed (storage). The
    /// message says what, so that a defect is visible rather than silent.
    pub(crate) fn internal(message: impl Into<String>) -> ApiError {
        ApiError {
            status: 500,
            message: message.into(),
        }
    }

    /// The response to send.
    pub(crate) fn into_reply(self, return_format: Format) -> Reply {
        Reply {
            status: self.status,
            content_type: return_format.content_type(),
            body: error_body(return_format, &self.message),
            file: None,
        }
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(error: rusqlite::Error) -> ApiError {
        ApiError::internal(format!("emulator storage error: {error}"))
    }
}

/// REDCap's `{"count": N}` family of import answers.
pub(crate) fn import_count(format: Format, n: usize) -> Reply {
    match format {
        Format::Json => Reply::new(format, format!("{{\"count\": {n}}}")),
        Format::Csv => Reply::new(format, n.to_string()),
        Format::Xml | Format::Odm => Reply::new(
            format,
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\" ?><count>{n}</count>"),
        ),
    }
}
