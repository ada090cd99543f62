//! Files carried inside a loaded project XML (`ItemDataBase64Binary`,
//! written with `exportFiles=true`): stored as uploads, so the project's
//! File Upload fields can be downloaded as in the source server.

use redcap_schema::FlatRecord;
use rusqlite::Connection;

use crate::files::{mime_of, store as files};
use crate::layout::CLASSIC_EVENT;
use crate::reply::ApiError;
use crate::store;

/// Stores every file of the records and points the fields at them.
pub(crate) fn seed_files(
    conn: &Connection,
    project_id: i64,
    longitudinal: bool,
    records: &[FlatRecord],
) -> Result<(), ApiError> {
    for r in records {
        for (field, file) in &r.files {
            let bytes = decode_base64(&file.base64).ok_or_else(|| {
                ApiError::bad(format!(
                    "the file of field `{field}` of record `{}` is not valid base64",
                    r.record
                ))
            })?;
            let mime = mime_of(&file.doc_name, Some(&file.mime_type));
            let doc_id = files::insert_doc(conn, project_id, &file.doc_name, &mime, &bytes)?;
            let event = match (&r.event, longitudinal) {
                (Some(e), true) => e.clone(),
                _ => CLASSIC_EVENT.to_owned(),
            };
            let instance = r
                .repeat_instance
                .as_deref()
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            store::set_value(
                conn,
                project_id,
                &store::Value {
                    event,
                    record: r.record.clone(),
                    field: field.clone(),
                    instance,
                    value: doc_id.to_string(),
                },
            )?;
        }
    }
    Ok(())
}

/// Standard base64 (whitespace ignored, `=` padding optional).
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(decode_base64("aGVs\nbG8h").as_deref(), Some(&b"hello!"[..]));
        assert_eq!(decode_base64("a*"), None);
    }
}
