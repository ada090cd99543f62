//! Files: uploads to File Upload fields, the File Repository, descriptive
//! field attachments and the list of validation types.
//!
//! Uploaded bytes live in SQLite ([`store`]) as REDCap keeps them in
//! `redcap_edocs_metadata`: each has a doc id, and a File Upload field's
//! value in the record data is that doc id.

pub(crate) mod attachment;
pub(crate) mod base64;
pub(crate) mod field;
pub(crate) mod repository;
pub(crate) mod seed;
pub(crate) mod store;
pub(crate) mod validation_types;

use crate::reply::{FileBody, Reply};

/// REDCap's `RestUtility::sendFile`: the bytes with
/// `Content-Type: {mime}; name="{file name}"` and a script-blocking
/// Content-Security-Policy.
pub(crate) fn download(doc: store::Doc) -> Reply {
    Reply::file(FileBody {
        content_type: with_default_charset(format!("{}; name=\"{}\"", doc.mime, doc.name)),
        headers: vec![(
            axum::http::header::CONTENT_SECURITY_POLICY,
            "script-src 'none'".to_owned(),
        )],
        bytes: doc.bytes,
    })
}

/// PHP's `default_charset` (UTF-8) rule for a `Content-Type` set with
/// `header()`: a `text/` type without a charset gets `;charset=UTF-8`
/// appended, after the file name REDCap put there.
fn with_default_charset(content_type: String) -> String {
    if content_type.starts_with("text/") && !content_type.contains("charset=") {
        content_type + ";charset=UTF-8"
    } else {
        content_type
    }
}

/// The name REDCap stores for an upload: backslashes (PHP's
/// `stripslashes`) and single quotes removed.
pub(crate) fn stored_name(sent: &str) -> String {
    sent.chars().filter(|c| *c != '\'' && *c != '\\').collect()
}

/// The MIME type of an upload: the one the client sent, else a guess from
/// the extension (PHP leaves the type empty when the part has none, and
/// REDCap falls back on the extension).
pub(crate) fn mime_of(name: &str, sent: Option<&str>) -> String {
    if let Some(mime) = sent.filter(|m| !m.trim().is_empty()) {
        return mime.to_owned();
    }
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "htm" | "html" => "text/html",
        "xml" => "application/xml",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "zip" => "application/zip",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// The user's general data export level, as REDCap 15.7.6 derives its
/// legacy `data_export_tool` right from the per-form export rights
/// (`UserRights::setFormLevelPrivileges`): `0` when no form may be
/// exported, `2` or `3` when every form is De-Identified or Remove
/// Identifiers, else `1`. The file, attachment and PDF methods check this,
/// not the right on the field's own form.
pub(crate) fn export_level(
    rights: &crate::rights::UserRights,
    schema: &redcap_schema::ProjectSchema,
) -> u8 {
    let levels: Vec<u8> = schema
        .forms
        .iter()
        .map(|f| rights.form_export(&f.name))
        .collect();
    if levels.iter().all(|r| *r == 0) {
        0
    } else if levels.iter().all(|r| *r == 2) {
        2
    } else if levels.iter().all(|r| *r == 3) {
        3
    } else {
        1
    }
}

pub(crate) use redcap_schema::html::escape;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_types() {
        assert_eq!(stored_name("o'brien\\.txt"), "obrien.txt");
        assert_eq!(mime_of("a.PNG", None), "image/png");
        assert_eq!(mime_of("a.png", Some("text/x-custom")), "text/x-custom");
        assert_eq!(mime_of("noext", Some("")), "application/octet-stream");
        assert_eq!(escape("<a href='x'>&"), "&lt;a href=&#039;x&#039;&gt;&amp;");
    }
}
