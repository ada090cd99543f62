//! Records from project XML's ClinicalData, as flat rows.

use indexmap::IndexMap;
use serde::Serialize;

/// One flat row: a record in one event (longitudinal projects) and, for
/// repeating instruments or events, one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlatRecord {
    /// The record name (`SubjectKey`), opaque.
    pub record: String,
    /// Unique event name; `None` in classic projects.
    pub event: Option<String>,
    /// The repeating instrument of this row, if it is one.
    pub repeat_instrument: Option<String>,
    /// The instance number as written, on repeating rows.
    pub repeat_instance: Option<String>,
    /// Values by export column (`race___1`, `redcap_data_access_group`, …),
    /// exactly as written.
    pub values: IndexMap<String, String>,
    /// Uploaded files, by field, when the export included them.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub files: IndexMap<String, FileValue>,
}

/// A file carried inside project XML (`ItemDataBase64Binary`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileValue {
    /// The original file name.
    pub doc_name: String,
    /// Its MIME type.
    pub mime_type: String,
    /// The content, base64 as written.
    pub base64: String,
}
