//! The canonical `schema.json` snapshot: pretty JSON, keys in a fixed order,
//! lists in REDCap's order, a trailing newline; documented in `SCHEMA.md`.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::ProjectSchema;
use crate::read::json_util;

/// The value of the snapshot's `format` key. It changes only when the
/// snapshot's shape changes incompatibly.
pub const FORMAT: &str = "redcap-schema/1";

#[derive(Serialize)]
struct Snapshot<'a> {
    format: &'static str,
    #[serde(flatten)]
    schema: &'a ProjectSchema,
}

/// Writes the canonical snapshot of a schema.
pub fn to_snapshot(schema: &ProjectSchema) -> String {
    let snapshot = Snapshot {
        format: FORMAT,
        schema,
    };
    // Serialising plain data to a String cannot fail: every map key is a string.
    let mut text = serde_json::to_string_pretty(&snapshot).unwrap_or_default();
    text.push('\n');
    text
}

#[derive(Deserialize)]
struct SnapshotIn {
    format: String,
    #[serde(flatten)]
    schema: ProjectSchema,
}

/// Reads a snapshot written by [`to_snapshot`]; errors name the line where
/// the snapshot stops making sense.
pub fn from_snapshot(text: &str, source_name: &str) -> Result<ProjectSchema, Error> {
    let snapshot: SnapshotIn = json_util::parse(text, source_name)?;
    if snapshot.format != FORMAT {
        return Err(Error::UnknownFormat {
            source_name: source_name.to_owned(),
            reason: format!(
                "schema snapshot format {:?}, expected {FORMAT:?}",
                snapshot.format
            ),
        });
    }
    Ok(snapshot.schema)
}
