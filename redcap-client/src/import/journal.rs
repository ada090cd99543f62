//! The journal of an import: which batches REDCap committed, so an interrupted
//! import resumes after them and sends every row once.
//!
//! One JSON object a line, appended and flushed to disk as each batch ends:
//! a header naming the import (a fingerprint of its rows, options and batch
//! plan), then `sending` (for batches that must not be repeated) and `done`
//! lines. A line cut short by a crash is ignored.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::{AutoId, Error};

/// What an earlier run of the same import left behind.
#[derive(Debug, Default)]
pub(crate) struct Committed {
    /// Batches REDCap answered with success, with their answers.
    pub(crate) done: BTreeMap<usize, (u64, Vec<AutoId>)>,
    /// Batches that left without an answer recorded.
    pub(crate) sending: BTreeSet<usize>,
}

/// An open journal, appending.
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
}

fn journal_error(path: &Path, message: impl Into<String>) -> Error {
    Error::Journal {
        path: path.to_owned(),
        message: message.into(),
    }
}

impl Journal {
    /// Opens the journal at `path` for an import with `fingerprint` and
    /// `batches` batches. An existing journal is resumed only with `resume`,
    /// and only if it belongs to the same import.
    pub(crate) fn open(
        path: &Path,
        fingerprint: &str,
        batches: usize,
        resume: bool,
    ) -> Result<(Self, Committed), Error> {
        let existing = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => return Err(journal_error(path, error.to_string())),
        };
        // A line torn by a crash is dropped, so the next line starts clean.
        let whole = existing
            .as_deref()
            .map(|text| text.rfind('\n').map_or(0, |end| end + 1));
        let committed = match existing {
            Some(_) if !resume => {
                return Err(journal_error(
                    path,
                    "exists from an earlier import; resume it, or delete the file to start again",
                ));
            }
            Some(text) if !text.trim().is_empty() => read(path, &text, fingerprint, batches)?,
            _ => Committed::default(),
        };
        let fresh = committed.done.is_empty() && committed.sending.is_empty();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|error| journal_error(path, error.to_string()))?;
        let keep = if fresh { 0 } else { whole.unwrap_or(0) as u64 };
        file.set_len(keep)
            .map_err(|error| journal_error(path, error.to_string()))?;
        let mut journal = Self {
            path: path.to_owned(),
            file,
        };
        if fresh {
            journal.append(&json!({
                "journal": "redcap-import",
                "fingerprint": fingerprint,
                "batches": batches,
            }))?;
        }
        Ok((journal, committed))
    }

    /// Records that a batch is about to leave.
    pub(crate) fn sending(&mut self, batch: usize) -> Result<(), Error> {
        self.append(&json!({ "batch": batch, "state": "sending" }))
    }

    /// Records that REDCap committed a batch, with its answer.
    pub(crate) fn done(&mut self, batch: usize, count: u64, ids: &[AutoId]) -> Result<(), Error> {
        let ids: Vec<[&str; 2]> = ids
            .iter()
            .map(|id| [id.new.as_str(), id.original.as_str()])
            .collect();
        self.append(&json!({ "batch": batch, "state": "done", "count": count, "auto_ids": ids }))
    }

    fn append(&mut self, line: &Value) -> Result<(), Error> {
        let mut text = line.to_string();
        text.push('\n');
        self.file
            .write_all(text.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(|error| journal_error(&self.path, error.to_string()))
    }
}

fn read(path: &Path, text: &str, fingerprint: &str, batches: usize) -> Result<Committed, Error> {
    let mut lines = text.lines();
    let header: Value = lines
        .next()
        .and_then(|line| serde_json::from_str(line).ok())
        .ok_or_else(|| journal_error(path, "the first line is not an import journal header"))?;
    if header["journal"] != "redcap-import" {
        return Err(journal_error(path, "is not an import journal"));
    }
    if header["fingerprint"] != fingerprint || header["batches"] != batches {
        return Err(journal_error(
            path,
            "belongs to another import (other rows, options or batch size); resume with the same file and options, or delete the journal",
        ));
    }
    let mut committed = Committed::default();
    for (index, line) in lines.enumerate() {
        // A last line cut short by a crash is not a record of anything.
        let Ok(entry) = serde_json::from_str::<Value>(line) else {
            if index + 2 == text.lines().count() {
                break;
            }
            return Err(journal_error(
                path,
                format!("line {} is not valid JSON", index + 2),
            ));
        };
        let Some(batch) = entry["batch"].as_u64().map(|b| b as usize) else {
            return Err(journal_error(
                path,
                format!("line {} names no batch", index + 2),
            ));
        };
        match entry["state"].as_str() {
            Some("sending") => {
                committed.sending.insert(batch);
            }
            Some("done") => {
                let ids = entry["auto_ids"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|pair| {
                        Some(AutoId {
                            new: pair.get(0)?.as_str()?.to_owned(),
                            original: pair.get(1)?.as_str()?.to_owned(),
                        })
                    })
                    .collect();
                committed.sending.remove(&batch);
                committed
                    .done
                    .insert(batch, (entry["count"].as_u64().unwrap_or(0), ids));
            }
            _ => {
                return Err(journal_error(
                    path,
                    format!("line {} has an unknown state", index + 2),
                ));
            }
        }
    }
    Ok(committed)
}

/// A stable 64-bit FNV-1a fingerprint, in hex (the standard library's hasher may
/// change between Rust releases, and a journal outlives a build).
pub(crate) fn fingerprint(parts: impl IntoIterator<Item = impl AsRef<[u8]>>) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.as_ref().iter().chain(&[0xff]) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_only_the_same_import_and_skips_a_torn_last_line() {
        let dir = std::env::temp_dir().join(format!("redcap-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("import.journal");
        let _ = std::fs::remove_file(&path);
        let (mut journal, committed) = Journal::open(&path, "abc", 3, false).unwrap();
        assert!(committed.done.is_empty());
        journal.done(1, 10, &[]).unwrap();
        journal.sending(2).unwrap();
        drop(journal);
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(b"{\"batch\":2,\"sta").unwrap();
        drop(file);
        assert!(matches!(
            Journal::open(&path, "abc", 3, false),
            Err(Error::Journal { .. })
        ));
        assert!(matches!(
            Journal::open(&path, "other", 3, true),
            Err(Error::Journal { .. })
        ));
        let (_, committed) = Journal::open(&path, "abc", 3, true).unwrap();
        assert_eq!(committed.done.keys().copied().collect::<Vec<_>>(), [1]);
        assert_eq!(committed.done[&1].0, 10);
        assert!(committed.sending.contains(&2));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn fingerprints_separate_parts() {
        assert_ne!(fingerprint(["ab", "c"]), fingerprint(["a", "bc"]));
        assert_eq!(fingerprint(["x"]), fingerprint(["x"]));
    }
}
