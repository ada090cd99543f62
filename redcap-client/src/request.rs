//! Requests as REDCap reads them: named parameters, PHP-style arrays, REDCap's flags,
//! and the two body encodings.

use std::borrow::Cow;
use std::fmt;

use crate::error::Error;

/// What the client knows about one API method, generated from the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodInfo {
    /// The method's name, e.g. `export_records`.
    pub name: &'static str,
    /// The `content` parameter.
    pub content: &'static str,
    /// The `action` parameter, if REDCap needs one.
    pub action: Option<&'static str>,
    /// False for methods REDCap accepts but does not document.
    pub documented: bool,
    /// Wire names of the parameters REDCap requires.
    pub required: &'static [&'static str],
    /// Whether the body is `multipart/form-data`.
    pub multipart: bool,
    /// The parameter that picks the success body's format, if any.
    pub response_format: Option<&'static str>,
    /// The parameter that states the `data` payload's format, if any.
    pub payload_format: Option<&'static str>,
    /// Payload formats the method accepts.
    pub payload_formats: &'static [&'static str],
    /// The `returnFormat` parameter, if the method has one.
    pub error_format: Option<&'static str>,
    /// True when the method changes nothing on the server.
    pub read_only: bool,
    /// True when repeating the request leaves the server as sending it once.
    pub idempotent: bool,
    /// True when the method can erase or replace data or design.
    pub destructive: bool,
}

/// One parameter value, before encoding.
#[derive(Clone)]
pub(crate) enum Value {
    Text(String),
    List(Vec<String>),
    File(FileUpload),
}

/// A request under construction: the method and its parameters in the order they were set.
#[derive(Clone)]
pub struct Request {
    pub(crate) method: &'static MethodInfo,
    params: Vec<(Cow<'static, str>, Value)>,
    /// Whether the typed client's guards apply (not to `Client::call_raw`).
    guarded: bool,
    /// Whether this request may be repeated even though its method is not idempotent
    /// as a whole (a record import without `forceAutoNumber` writes the same values
    /// twice to the same records).
    pub(crate) repeatable: bool,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parameter values may be patient data (records, filter logic, payloads): names only.
        let names: Vec<&str> = self.params.iter().map(|(name, _)| name.as_ref()).collect();
        f.debug_struct("Request")
            .field("method", &self.method.name)
            .field("params", &names)
            .finish()
    }
}

impl Request {
    /// An empty request for `method`.
    pub(crate) fn new(method: &'static MethodInfo) -> Self {
        Self {
            method,
            params: Vec::new(),
            guarded: true,
            repeatable: false,
        }
    }

    /// A request sent as it is, without the typed client's guards.
    pub(crate) fn unguarded(method: &'static MethodInfo) -> Self {
        Self {
            guarded: false,
            ..Self::new(method)
        }
    }

    /// Sets a parameter, replacing an earlier value of the same name.
    pub(crate) fn set(&mut self, name: impl Into<Cow<'static, str>>, value: Value) {
        let name = name.into();
        match self
            .params
            .iter_mut()
            .find(|(existing, _)| *existing == name)
        {
            Some(slot) => slot.1 = value,
            None => self.params.push((name, value)),
        }
    }

    /// Sets a parameter whose name is only known at run time (`Client::call_raw`).
    pub(crate) fn set_dynamic(&mut self, name: String, value: String) {
        self.set(name, Value::Text(value));
    }

    pub(crate) fn set_text(&mut self, name: &'static str, value: impl Into<String>) {
        self.set(name, Value::Text(value.into()));
    }

    pub(crate) fn set_list(&mut self, name: &'static str, values: Vec<String>) {
        self.set(name, Value::List(values));
    }

    /// A flag as `true`/`false`, REDCap's usual reading.
    pub(crate) fn set_flag(&mut self, name: &'static str, value: bool) {
        self.set_text(name, if value { "true" } else { "false" });
    }

    /// A flag REDCap casts with `(int)`: `1`/`0`.
    pub(crate) fn set_flag_zero_one(&mut self, name: &'static str, value: bool) {
        self.set_text(name, if value { "1" } else { "0" });
    }

    /// A flag REDCap reads by presence alone: sent when true, removed when false.
    pub(crate) fn set_flag_presence(&mut self, name: &'static str, value: bool) {
        if value {
            self.set_text(name, "true");
        } else {
            self.params.retain(|(existing, _)| existing != name);
        }
    }

    pub(crate) fn set_datetime(&mut self, name: &'static str, value: chrono::NaiveDateTime) {
        self.set_text(name, value.format("%Y-%m-%d %H:%M:%S").to_string());
    }

    pub(crate) fn set_datetime_minutes(
        &mut self,
        name: &'static str,
        value: chrono::NaiveDateTime,
    ) {
        self.set_text(name, value.format("%Y-%m-%d %H:%M").to_string());
    }

    /// Sets `data` and, where the method has one, its format parameter.
    pub(crate) fn set_payload(&mut self, payload: Payload) {
        if let Some(format_param) = self.method.payload_format {
            self.set_text(format_param, payload.format.as_wire());
        }
        self.set("data", Value::Text(payload.text));
    }

    pub(crate) fn set_file(&mut self, name: &'static str, file: FileUpload) {
        self.set(name, Value::File(file));
    }

    /// The text value of a parameter, if set.
    pub(crate) fn text(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find_map(|(existing, value)| match value {
                Value::Text(text) if existing == name => Some(text.as_str()),
                _ => None,
            })
    }

    fn has(&self, name: &str) -> bool {
        // `call_raw` sends lists as the PHP array items `name[0]`, `name[1]`, ….
        self.params.iter().any(|(existing, _)| {
            existing == name
                || existing
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('['))
        })
    }

    /// Checks what REDCap would reject before anything is sent.
    pub(crate) fn check(&self) -> Result<(), Error> {
        let method = self.method;
        let missing: Vec<&str> = method
            .required
            .iter()
            .copied()
            .filter(|name| !self.has(name))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Request {
                method: method.name,
                message: format!("missing required parameter(s): {}", missing.join(", ")),
            });
        }
        if let Some(format_param) = method.payload_format
            && let Some(format) = self.text(format_param)
            && !method.payload_formats.contains(&format)
        {
            return Err(Error::Request {
                method: method.name,
                message: format!(
                    "{format} payloads are not accepted; use one of: {}",
                    method.payload_formats.join(", ")
                ),
            });
        }
        if self.guarded
            && method.name == "import_users"
            && let Some(data) = self.text("data")
            && let Some(message) = crate::guards::user_rows_name_their_group(
                method
                    .payload_format
                    .and_then(|p| self.text(p))
                    .unwrap_or("json"),
                data,
            )
        {
            return Err(Error::Request {
                method: method.name,
                message,
            });
        }
        for (name, value) in &self.params {
            if let Value::List(items) = value
                && items.is_empty()
                && method.required.contains(&name.as_ref())
            {
                return Err(Error::Request {
                    method: method.name,
                    message: format!("`{name}` needs at least one value"),
                });
            }
        }
        Ok(())
    }

    /// The form fields in wire order: `token`, `content`, `action`, then the parameters,
    /// lists as PHP arrays (`records[0]=…`). Files are not included.
    pub(crate) fn form_fields(&self, token: &str) -> Vec<(String, String)> {
        let mut fields = vec![
            ("token".to_string(), token.to_string()),
            ("content".to_string(), self.method.content.to_string()),
        ];
        if let Some(action) = self.method.action {
            fields.push(("action".to_string(), action.to_string()));
        }
        for (name, value) in &self.params {
            match value {
                Value::Text(text) => fields.push((name.to_string(), text.clone())),
                Value::List(items) => {
                    for (index, item) in items.iter().enumerate() {
                        fields.push((format!("{name}[{index}]"), item.clone()));
                    }
                }
                Value::File(_) => {}
            }
        }
        fields
    }

    /// The file parts of a multipart request.
    pub(crate) fn files(&self) -> impl Iterator<Item = (String, &FileUpload)> {
        self.params.iter().filter_map(|(name, value)| match value {
            Value::File(file) => Some((name.to_string(), file)),
            _ => None,
        })
    }
}

/// The format of an import payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadFormat {
    /// JSON.
    Json,
    /// CSV with a header row.
    Csv,
    /// REDCap's XML.
    Xml,
    /// CDISC ODM XML (record imports only).
    Odm,
}

impl PayloadFormat {
    /// The value of REDCap's `format` parameter.
    pub fn as_wire(self) -> &'static str {
        match self {
            PayloadFormat::Json => "json",
            PayloadFormat::Csv => "csv",
            PayloadFormat::Xml => "xml",
            PayloadFormat::Odm => "odm",
        }
    }
}

/// The `data` of an import, with its format.
///
/// `Debug` shows the format and size only: payloads are usually patient data.
#[derive(Clone, PartialEq, Eq)]
pub struct Payload {
    format: PayloadFormat,
    text: String,
}

impl Payload {
    /// Serialises `value` as JSON (e.g. a slice of [`Row`](crate::Row)s or typed items).
    pub fn json<T: serde::Serialize + ?Sized>(value: &T) -> Result<Self, Error> {
        let text = serde_json::to_string(value).map_err(|error| Error::Request {
            method: "import",
            message: format!("cannot serialise the payload as JSON: {error}"),
        })?;
        Ok(Self::text(PayloadFormat::Json, text))
    }

    /// A payload already written in `format`, sent as it is.
    pub fn text(format: PayloadFormat, text: impl Into<String>) -> Self {
        Self {
            format,
            text: text.into(),
        }
    }

    /// JSON text, sent as it is.
    pub fn json_text(text: impl Into<String>) -> Self {
        Self::text(PayloadFormat::Json, text)
    }

    /// CSV text with a header row, sent as it is.
    pub fn csv(text: impl Into<String>) -> Self {
        Self::text(PayloadFormat::Csv, text)
    }

    /// REDCap XML, sent as it is.
    pub fn xml(text: impl Into<String>) -> Self {
        Self::text(PayloadFormat::Xml, text)
    }

    /// The payload's format.
    pub fn format(&self) -> PayloadFormat {
        self.format
    }

    /// The payload text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("format", &self.format)
            .field("bytes", &self.text.len())
            .finish()
    }
}

/// A file to upload (multipart part `file`).
#[derive(Clone, PartialEq, Eq)]
pub struct FileUpload {
    pub(crate) name: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) mime: Option<String>,
}

impl FileUpload {
    /// A file called `name` (REDCap keeps this name) holding `bytes`.
    pub fn new(name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.into(),
            mime: None,
        }
    }

    /// Sets the part's MIME type (REDCap otherwise guesses from the name).
    pub fn mime(mut self, mime: impl Into<String>) -> Self {
        self.mime = Some(mime.into());
        self
    }

    /// Reads a file from disk, keeping its file name.
    pub fn from_path(path: impl AsRef<std::path::Path>) -> std::io::Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path)?;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".to_string());
        Ok(Self::new(name, bytes))
    }
}

impl fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUpload")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .field("mime", &self.mime)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static METHOD: MethodInfo = MethodInfo {
        name: "delete_records",
        content: "record",
        action: Some("delete"),
        documented: true,
        required: &["records"],
        multipart: false,
        response_format: None,
        payload_format: None,
        payload_formats: &[],
        error_format: Some("returnFormat"),
        read_only: false,
        idempotent: false,
        destructive: true,
    };

    #[test]
    fn lists_are_php_arrays_and_setting_twice_replaces() {
        let mut request = Request::new(&METHOD);
        request.set_list("records", vec!["1".into(), "a b".into()]);
        request.set_flag_zero_one("delete_logging", true);
        request.set_list("records", vec!["007".into(), "x,y".into()]);
        let fields = request.form_fields("TOKEN");
        let expected: Vec<(String, String)> = [
            ("token", "TOKEN"),
            ("content", "record"),
            ("action", "delete"),
            ("records[0]", "007"),
            ("records[1]", "x,y"),
            ("delete_logging", "1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(fields, expected);
    }

    #[test]
    fn missing_required_parameters_are_named() {
        let request = Request::new(&METHOD);
        let error = request.check().unwrap_err().to_string();
        assert_eq!(
            error,
            "cannot send delete_records: missing required parameter(s): records"
        );
        let mut empty = Request::new(&METHOD);
        empty.set_list("records", Vec::new());
        assert!(
            empty
                .check()
                .unwrap_err()
                .to_string()
                .contains("at least one value")
        );
    }

    #[test]
    fn presence_flags_are_removed_when_false() {
        let mut request = Request::new(&METHOD);
        request.set_list("records", vec!["1".into()]);
        request.set_flag_presence("allRecords", true);
        request.set_flag_presence("allRecords", false);
        assert!(
            request
                .form_fields("T")
                .iter()
                .all(|(name, _)| name != "allRecords")
        );
    }

    #[test]
    fn debug_never_shows_values() {
        let mut request = Request::new(&METHOD);
        request.set_text("filterLogic", "[name] = 'Jane Doe'");
        assert!(!format!("{request:?}").contains("Jane"));
        let payload = Payload::csv("record_id,name\n1,Jane Doe\n");
        assert!(!format!("{payload:?}").contains("Jane"));
    }
}
