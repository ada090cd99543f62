//! REDCap's pseudo-columns on a project's `Row`: `redcap_data_access_group` (with
//! `exportDataAccessGroups=true`), and `redcap_survey_identifier` and `{form}_timestamp`
//! (with `exportSurveyFields=true`). They come after the type's own columns, so their ids
//! start at `FlatRow::COLUMNS.len()`: 0 is the DAG, 1 the survey identifier, then one
//! timestamp per form.

use std::borrow::Cow;

use super::machinery::non_blank;
use super::{RowKey, ValueError};

/// The survey columns of a flat export row: what REDCap records about survey responses,
/// which an import cannot set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurveyColumns {
    /// `redcap_survey_identifier`: the participant's identifier, if any.
    pub identifier: Option<String>,
    /// The non-blank `{form}_timestamp` columns, by form name: the completion time
    /// (`YYYY-MM-DD HH:MM:SS`) or `[not completed]`.
    pub timestamps: Vec<(&'static str, String)>,
}

impl SurveyColumns {
    /// The text of `form`'s survey timestamp column, if not blank.
    pub fn timestamp(&self, form: &str) -> Option<&str> {
        self.timestamps
            .iter()
            .find(|(name, _)| *name == form)
            .map(|(_, text)| text.as_str())
    }

    fn set_timestamp(&mut self, form: &'static str, raw: &str) {
        self.timestamps.retain(|(name, _)| *name != form);
        if !raw.is_empty() {
            self.timestamps.push((form, raw.to_string()));
        }
    }
}

const DAG: &str = "redcap_data_access_group";
const SURVEY_IDENTIFIER: &str = "redcap_survey_identifier";

/// The pseudo-column id of `column` on a row of a project with `forms`.
pub fn pseudo_column_index(forms: &[&'static str], column: &str) -> Option<usize> {
    match column {
        DAG => Some(0),
        SURVEY_IDENTIFIER => Some(1),
        _ => {
            let form = column.strip_suffix("_timestamp")?;
            forms.iter().position(|f| *f == form).map(|i| i + 2)
        }
    }
}

/// Sets a pseudo-column from its text.
pub fn set_pseudo_column(
    key: &mut RowKey,
    survey: &mut SurveyColumns,
    forms: &[&'static str],
    id: usize,
    raw: &str,
) -> Result<(), ValueError> {
    match id {
        0 => key.dag = non_blank(raw),
        1 => survey.identifier = non_blank(raw),
        _ => match forms.get(id - 2) {
            Some(form) => survey.set_timestamp(form, raw),
            None => return Err(ValueError::expected("a column of this row type")),
        },
    }
    Ok(())
}

/// The text of a pseudo-column.
pub fn pseudo_column_text<'r>(
    key: &'r RowKey,
    survey: &'r SurveyColumns,
    forms: &[&'static str],
    id: usize,
) -> Cow<'r, str> {
    let text = match id {
        0 => key.dag.as_deref(),
        1 => survey.identifier.as_deref(),
        _ => forms.get(id - 2).and_then(|form| survey.timestamp(form)),
    };
    Cow::Borrowed(text.unwrap_or(""))
}

/// Takes a row's DAG into its record's: every row of a record must name the same one.
pub fn merge_dag(record: &mut Option<String>, row: Option<String>) -> Result<(), String> {
    match (record.as_deref(), row) {
        (Some(known), Some(dag)) if known != dag => Err(format!(
            "the data access group `{dag}` differs from `{known}` on the record's earlier rows"
        )),
        (_, Some(dag)) => {
            *record = Some(dag);
            Ok(())
        }
        (_, None) => Ok(()),
    }
}

/// The keys of the rows grouped so far, so that a second row with the same record, event
/// and instance is refused rather than overwriting the first.
#[derive(Debug, Default)]
pub struct SeenRows(std::collections::HashSet<RowKey>);

impl SeenRows {
    /// Records `key`, or says that a row with the same key came before.
    pub fn check(&mut self, key: &RowKey) -> Result<(), String> {
        let mut key = key.clone();
        // The DAG is the record's, not part of where a row belongs.
        key.dag = None;
        if self.0.insert(key) {
            Ok(())
        } else {
            Err("a second row for the same record, event and repeat instance".to_string())
        }
    }
}
