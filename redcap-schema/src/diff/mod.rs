//! The schema diff: every change between two [`ProjectSchema`]s, each
//! classified as breaking, compatible or cosmetic with the reason why.
//!
//! A change is *breaking* when existing data is lost, re-labelled or no
//! longer readable by the types generated from the old schema; *compatible*
//! when existing data keeps its meaning (additions, label and note text,
//! widened validation); *cosmetic* when only presentation changes.
//!
//! ```
//! let old = "field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations\n\
//!            record_id,intake,,text,ID,\n\
//!            sex,intake,,radio,Sex,\"1, Male | 2, Female\"\n";
//! let new = old.replace("1, Male", "0, Male");
//! let old = redcap_schema::read(old.as_bytes(), "old.csv")?;
//! let new = redcap_schema::read(new.as_bytes(), "new.csv")?;
//! let diff = redcap_schema::diff::diff(&old, &new);
//! assert!(diff.has_breaking());
//! assert_eq!(diff.changes[0].kind, redcap_schema::diff::Kind::ChoiceRecoded);
//! # Ok::<(), redcap_schema::Error>(())
//! ```
//!
//! Renderers turn a diff into text for a terminal, Markdown for a
//! pull-request comment, or the stable JSON format described in `DIFF.md`.

mod choices;
mod classify;
mod events;
mod field;
mod forms;
mod lookup;
mod model;
mod order;
mod project;
mod renames;
pub mod render;

pub use model::{Change, Impact, Kind, SchemaDiff, Target, Value};

use crate::model::ProjectSchema;

/// Every change from `old` to `new`, in schema order: the project, then each
/// instrument followed by its fields, then arms, events with their mappings,
/// and repeating setup.
pub fn diff(old: &ProjectSchema, new: &ProjectSchema) -> SchemaDiff {
    diff_in(old, new, Scope::Project)
}

/// What a diff compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Scope {
    /// Everything: project attributes, missing-data codes, instruments and
    /// fields, arms, events, mappings and repeating setup.
    #[default]
    Project,
    /// What a data dictionary describes: the record-ID field, instruments
    /// and fields (not form labels or survey settings). A dictionary says nothing of the rest, so a schema read
    /// from one cannot tell "classic project, no settings" from "unknown".
    Dictionary,
}

/// [`diff`], limited to `scope`.
pub fn diff_in(old: &ProjectSchema, new: &ProjectSchema, scope: Scope) -> SchemaDiff {
    let old_names = lookup::Lookup::new(old);
    let new_names = lookup::Lookup::new(new);
    let renames = renames::Renames::detect(old, new, &old_names, &new_names);
    let mut out = Out::default();
    project::compare(old, new, scope, &mut out);
    forms::compare(old, new, &old_names, &new_names, &renames, scope, &mut out);
    if scope == Scope::Project {
        events::compare(old, new, &renames, &mut out);
    }
    SchemaDiff {
        changes: out.changes,
    }
}

/// Collects changes as the comparisons find them.
#[derive(Debug, Default)]
struct Out {
    changes: Vec<Change>,
}

impl Out {
    fn push(
        &mut self,
        kind: Kind,
        impact: Impact,
        target: &Target,
        old: Option<Value>,
        new: Option<Value>,
        reason: impl Into<String>,
    ) {
        self.changes.push(Change {
            kind,
            impact,
            target: target.clone(),
            old,
            new,
            reason: reason.into(),
        });
    }
}

/// An optional text attribute whose change always has the same impact and
/// reason: kind, impact, old value, new value, reason.
type FixedText<'a> = (
    Kind,
    Impact,
    &'a Option<String>,
    &'a Option<String>,
    &'static str,
);

fn text(value: &str) -> Option<Value> {
    Some(Value::Text(value.to_owned()))
}
