//! Project XML: REDCap's CDISC ODM 1.3.1 with `redcap:` extensions.

mod read;
pub mod records;
mod write;

pub use read::{read_clinical_data, read_project_xml};
pub use write::{to_project_xml, to_records_odm};

use crate::build::Parts;
use crate::error::Error;
use crate::model::ProjectSchema;
use records::FlatRecord;

/// The implicit event of a classic project, named in its repeating setup.
pub const CLASSIC_EVENT: &str = "event_1_arm_1";

/// A project read from project XML: its parts (checked when built) and its
/// records.
#[derive(Debug, Clone)]
pub struct ProjectXml {
    /// The project's dictionary rows and structure.
    pub parts: Parts,
    /// ClinicalData as flat rows, in document order.
    pub records: Vec<FlatRecord>,
}

impl ProjectXml {
    /// Checks and builds the schema of the exported project: only problems that
    /// leave it without meaning fail (see [`Parts::read`]).
    pub fn schema(&self, source_name: &str) -> Result<ProjectSchema, Error> {
        self.schema_with_warnings(source_name)
            .map(|(schema, _)| schema)
    }

    /// [`ProjectXml::schema`], with the problems that did not stop reading.
    pub fn schema_with_warnings(
        &self,
        source_name: &str,
    ) -> Result<(ProjectSchema, crate::Problems), Error> {
        self.parts.clone().read(source_name)
    }
}

/// The unique name REDCap derives for a data access group: characters
/// outside letters, digits, `_` and space removed, spaces to `_`, the first
/// 18 characters, lower-cased, one trailing `_` removed; a clash gets `b`,
/// `c`, … appended. (REDCap names a group whose label leaves nothing from an
/// MD5 hash; such a group gets an empty name here.)
pub fn dag_unique_name<'a>(label: &str, taken: impl Iterator<Item = &'a str> + Clone) -> String {
    let cleaned: String = label
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ' ')
        .map(|c| {
            if c == ' ' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .take(18)
        .collect();
    let base = cleaned.strip_suffix('_').unwrap_or(&cleaned).to_owned();
    if !taken.clone().any(|t| t == base) {
        return base;
    }
    ('b'..='z')
        .map(|suffix| format!("{base}{suffix}"))
        .find(|candidate| !taken.clone().any(|t| t == candidate))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dag_names_like_redcap() {
        let none: [&str; 0] = [];
        assert_eq!(
            dag_unique_name("Test DAG", none.iter().copied()),
            "test_dag"
        );
        assert_eq!(dag_unique_name("dag-a", none.iter().copied()), "daga");
        assert_eq!(
            dag_unique_name("Test DAG", ["test_dag"].iter().copied()),
            "test_dagb"
        );
    }
}
