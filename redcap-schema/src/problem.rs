//! Problems found by REDCap's dictionary checks, each with its place.

use std::fmt;

use serde::Serialize;

use crate::dictionary::Column;

/// How serious a problem is, as REDCap grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// REDCap would fix it silently or accept it with a notice.
    Warning,
    /// REDCap would reject the dictionary.
    Error,
}

/// Where a problem is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Location {
    /// The dictionary row as REDCap counts it (header = 1), if the problem
    /// belongs to a row.
    pub row: Option<usize>,
    /// The source line where that row starts, when it differs from the row.
    pub line: Option<usize>,
    /// The field concerned.
    pub field: Option<String>,
    /// The column concerned.
    #[serde(serialize_with = "column_letter")]
    pub column: Option<Column>,
}

fn column_letter<S: serde::Serializer>(c: &Option<Column>, s: S) -> Result<S::Ok, S::Error> {
    match c {
        Some(c) => s.serialize_some(&c.letter().to_string()),
        None => s.serialize_none(),
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(row) = self.row {
            match self.line {
                Some(line) => parts.push(format!("row {row} (line {line})")),
                None => parts.push(format!("row {row}")),
            }
        }
        if let Some(field) = &self.field {
            parts.push(format!("field `{field}`"));
        }
        if let Some(column) = self.column {
            match self.row {
                Some(row) => parts.push(format!("cell {}{row}", column.letter())),
                None => parts.push(format!("column {column}")),
            }
        }
        f.write_str(&parts.join(", "))
    }
}

/// One problem found in a dictionary or project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// A stable name for the kind of problem (`duplicate-field-name`).
    pub code: &'static str,
    /// Where it is.
    pub location: Location,
    /// What is wrong, in REDCap's words where REDCap has them.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let location = self.location.to_string();
        if location.is_empty() {
            write!(f, "{severity}[{}]: {}", self.code, self.message)
        } else {
            write!(f, "{severity}[{}]: {location}: {}", self.code, self.message)
        }
    }
}

/// Problems that leave a schema without meaning, so that even a project REDCap
/// already holds cannot be read past them: no fields; a field without a name,
/// an instrument or a known type; two fields (or choices) that claim the same
/// export column or code; a field named like a column REDCap adds to exports; a
/// project structure that names instruments, events or arms that do not exist.
///
/// Every other problem is one of REDCap's *upload* checks: a live project can
/// hold what they refuse (names made before a rule existed, dropdowns an
/// external module fills at run time), so readers report them as warnings and
/// `cargo redcap schema --check` keeps them as errors.
pub const BLOCKING: &[&str] = &[
    "empty-dictionary",
    "missing-field-name",
    "duplicate-field-name",
    "missing-form-name",
    "missing-field-type",
    "unknown-field-type",
    "duplicate-choice-code",
    "checkbox-export-name-collision",
    "duplicate-export-column",
    "export-column-name",
    "form-status-field-name",
    "record-id-not-first",
    "unknown-arm",
    "unknown-form",
    "unknown-event",
];

impl Problem {
    /// Whether the problem leaves the schema without meaning ([`BLOCKING`]):
    /// reading stops at it, while every other problem is a warning.
    pub fn blocks_reading(&self) -> bool {
        BLOCKING.contains(&self.code)
    }

    /// The problem as a reader reports it: a warning unless it blocks reading.
    pub fn as_read(&self) -> Problem {
        let severity = if self.blocks_reading() {
            Severity::Error
        } else {
            Severity::Warning
        };
        Problem {
            severity,
            ..self.clone()
        }
    }
}

/// A list of problems, shown one per line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Whether any problem is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|p| p.severity == Severity::Error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter().filter(|p| p.severity == Severity::Error)
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
