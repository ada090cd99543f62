//! Responses: REDCap's error envelopes, its 200-with-failure answers, and one decoder
//! per kind of success body.

use std::fmt;

use bytes::Bytes;

use crate::error::{Error, snippet};
use crate::request::MethodInfo;
use crate::token::ApiToken;

/// A response as it came over the wire, for callers that want the body untouched
/// (a CSV export streamed to disk, an ODM document).
#[derive(Clone)]
pub struct RawResponse {
    pub(crate) method: &'static MethodInfo,
    pub(crate) content_type: Option<String>,
    pub(crate) content_disposition: Option<String>,
    pub(crate) body: Bytes,
}

impl RawResponse {
    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> Result<&str, Error> {
        std::str::from_utf8(&self.body).map_err(|error| self.decode_error(error.to_string()))
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// Consumes the response, giving the body.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    fn decode_error(&self, message: impl Into<String>) -> Error {
        Error::Decode {
            method: self.method.name,
            message: message.into(),
            snippet: snippet(&self.body),
        }
    }

    fn failure(&self) -> Error {
        Error::Failure {
            method: self.method.name,
            message: snippet(&self.body),
        }
    }

    /// Text that is neither an HTML page nor one of REDCap's plain-text `ERROR:` lines.
    fn success_text(&self) -> Result<&str, Error> {
        let text = self.text()?;
        if looks_like_html(text) || text.trim_start().starts_with("ERROR:") {
            return Err(self.failure());
        }
        Ok(text)
    }
}

impl fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawResponse")
            .field("method", &self.method.name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.body.len())
            .finish()
    }
}

/// A downloaded file: its bytes and what REDCap says about it.
#[derive(Clone, PartialEq, Eq)]
pub struct FileDownload {
    /// The file name REDCap gave (`Content-Type: …; name="…"` or `Content-Disposition`).
    pub name: Option<String>,
    /// The MIME type, without parameters.
    pub mime: Option<String>,
    /// The file's contents.
    pub bytes: Bytes,
}

impl fmt::Debug for FileDownload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileDownload")
            .field("name", &self.name)
            .field("mime", &self.mime)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// What a record import answered, per its `returnContent`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImportOutcome {
    /// `returnContent=count`: how many records were imported.
    Count(u64),
    /// `returnContent=ids`: the record names imported.
    Ids(Vec<String>),
    /// `returnContent=auto_ids`: the names REDCap gave, with the names sent.
    AutoIds(Vec<AutoId>),
    /// `returnContent=nothing`.
    Nothing,
    /// `backgroundProcess=true`: REDCap queued the import.
    Queued,
}

/// A record name assigned by auto-numbering, with the name it had in the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoId {
    /// The record's new name.
    pub new: String,
    /// The name the payload used.
    pub original: String,
}

/// Whether a body is an HTML page (REDCap's error and login pages come back with 200).
fn looks_like_html(text: &str) -> bool {
    let head = text.trim_start();
    let head = &head[..head.len().min(64)];
    let lower = head.to_ascii_lowercase();
    lower.starts_with("<!doctype html") || lower.starts_with("<html")
}

/// Whether a message is REDCap running out of memory (PHP's "Allowed memory size of N
/// bytes exhausted") or giving up on an export too large for it.
pub(crate) fn is_out_of_memory(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    (lower.contains("allowed memory size") && lower.contains("exhausted"))
        || lower.contains("out of memory")
        || lower.contains("out of server memory")
        || lower.contains("not able to complete")
}

/// REDCap's message from an error body in any of its three envelopes, or the body itself.
pub(crate) fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.starts_with('{')
        && let Ok(serde_json::Value::Object(map)) = serde_json::from_str(trimmed)
        && let Some(serde_json::Value::String(message)) = map.get("error")
    {
        return message.clone();
    }
    if let Some(message) = trimmed.strip_prefix("ERROR:") {
        return message.trim().to_string();
    }
    if let Some(message) = xml_error(trimmed) {
        return message;
    }
    snippet(body)
}

/// `<hash><error>…</error></hash>`, with or without CDATA.
fn xml_error(text: &str) -> Option<String> {
    let start = text.find("<error>")? + "<error>".len();
    let end = text[start..].find("</error>")? + start;
    let inner = text[start..end].trim();
    let inner = inner
        .strip_prefix("<![CDATA[")
        .and_then(|rest| rest.strip_suffix("]]>"))
        .unwrap_or(inner);
    Some(unescape_xml(inner))
}

fn unescape_xml(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// One decoder per response kind of the spec.
impl RawResponse {
    pub(crate) fn into_json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        let text = self.success_text()?;
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text)
            && let Some(serde_json::Value::String(message)) = map.get("error")
        {
            return Err(Error::Failure {
                method: self.method.name,
                message: message.clone(),
            });
        }
        serde_json::from_str(text).map_err(|error| self.decode_error(error.to_string()))
    }

    pub(crate) fn into_count(self) -> Result<u64, Error> {
        let text = self.success_text()?.trim();
        text.parse()
            .or_else(|_| {
                // Some REDCap versions answer counts of JSON imports as {"count": N}.
                serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|value| value.get("count")?.as_u64())
                    .ok_or(())
            })
            .map_err(|()| self.failure())
    }

    pub(crate) fn into_text(self) -> Result<String, Error> {
        Ok(self
            .success_text()?
            .trim_end_matches(['\r', '\n'])
            .to_string())
    }

    pub(crate) fn into_token(self) -> Result<ApiToken, Error> {
        let text = self.success_text()?.trim();
        ApiToken::new(text).map_err(|_| self.failure())
    }

    pub(crate) fn into_confirmation(self) -> Result<(), Error> {
        match self.success_text()?.trim() {
            "1" => Ok(()),
            _ => Err(self.failure()),
        }
    }

    pub(crate) fn into_document(self) -> Result<String, Error> {
        let text = self.text()?;
        let start = text.trim_start_matches('\u{feff}').trim_start();
        if !start.starts_with('<') || looks_like_html(start) {
            return Err(self.failure());
        }
        Ok(text.to_string())
    }

    pub(crate) fn into_empty(self) -> Result<(), Error> {
        let text = String::from_utf8_lossy(&self.body);
        if text.trim().is_empty() {
            Ok(())
        } else {
            Err(self.failure())
        }
    }

    pub(crate) fn into_file(self) -> Result<FileDownload, Error> {
        let content_type = self.content_type.as_deref().unwrap_or_default();
        if content_type.starts_with("text/html")
            && looks_like_html(&String::from_utf8_lossy(&self.body))
        {
            return Err(self.failure());
        }
        let mime = content_type
            .split(';')
            .next()
            .map(str::trim)
            .filter(|mime| !mime.is_empty())
            .map(str::to_string);
        let name = header_param(content_type, "name").or_else(|| {
            self.content_disposition
                .as_deref()
                .and_then(|value| header_param(value, "filename"))
        });
        Ok(FileDownload {
            name,
            mime,
            bytes: self.body,
        })
    }

    pub(crate) fn into_import_outcome(
        self,
        return_content: Option<&str>,
    ) -> Result<ImportOutcome, Error> {
        let text = self.success_text()?.trim().to_string();
        if text.is_empty() {
            return match return_content {
                Some("nothing") => Ok(ImportOutcome::Nothing),
                _ => Err(self.decode_error("an empty body, but a count or ids were asked for")),
            };
        }
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|error| self.decode_error(error.to_string()))?;
        if let Some(count) = value.get("count") {
            let count = match count {
                serde_json::Value::Number(n) => n.as_u64(),
                serde_json::Value::String(s) => s.parse().ok(),
                _ => None,
            };
            return count
                .map(ImportOutcome::Count)
                .ok_or_else(|| self.decode_error("`count` is not a whole number"));
        }
        if value.get("success").is_some() {
            return match value["success"] {
                serde_json::Value::Bool(true) => Ok(ImportOutcome::Queued),
                _ => Err(self.failure()),
            };
        }
        let ids: Vec<String> = serde_json::from_value(value).map_err(|error| {
            self.decode_error(format!("expected a count or a list of ids: {error}"))
        })?;
        if return_content == Some("auto_ids") {
            let pairs = ids
                .into_iter()
                .map(|pair| match pair.split_once(',') {
                    Some((new, original)) => Ok(AutoId {
                        new: new.to_string(),
                        original: original.to_string(),
                    }),
                    None => Err(self.decode_error("an auto id without its original name")),
                })
                .collect::<Result<_, _>>()?;
            return Ok(ImportOutcome::AutoIds(pairs));
        }
        Ok(ImportOutcome::Ids(ids))
    }
}

/// The value of `key="…"` (or `key=…`) in a header such as `Content-Type`.
fn header_param(header: &str, key: &str) -> Option<String> {
    header.split(';').skip(1).find_map(|part| {
        let (name, value) = part.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case(key) {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        Some(value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_out_of_every_envelope() {
        assert_eq!(
            error_message(br#"{"error":"You do not have permissions to use the API"}"#),
            "You do not have permissions to use the API"
        );
        assert_eq!(
            error_message(b"ERROR: The value of the parameter \"content\" is not valid"),
            "The value of the parameter \"content\" is not valid"
        );
        assert_eq!(
            error_message(b"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<hash>\n  <error>Invalid &amp; bad</error>\n</hash>"),
            "Invalid & bad"
        );
        assert_eq!(
            error_message(b"<hash><error><![CDATA[a < b]]></error></hash>"),
            "a < b"
        );
        assert_eq!(
            error_message(b"Internal Server Error"),
            "Internal Server Error"
        );
    }

    #[test]
    fn header_params_are_read_quoted_or_not() {
        assert_eq!(
            header_param("image/png; name=\"scan 1.png\"", "name").as_deref(),
            Some("scan 1.png")
        );
        assert_eq!(
            header_param("attachment; filename=form.pdf", "filename").as_deref(),
            Some("form.pdf")
        );
        assert_eq!(header_param("text/plain", "name"), None);
    }
}
