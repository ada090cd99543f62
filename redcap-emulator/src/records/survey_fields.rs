//! The `exportSurveyFields` pseudo-columns of a record export:
//! `redcap_survey_identifier` and a `{form}_timestamp` per survey
//! instrument, filled from the survey responses as REDCap 15.7.6 fills
//! them (`Records::getData` for flat exports, the API's own EAV writer for
//! `type=eav`).

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use rusqlite::Connection;

use crate::layout::{Layout, Slot};
use crate::records::data::Row;
use crate::records::responses::{self, Response};

/// The CSV label header of `redcap_survey_identifier`.
pub(crate) const IDENTIFIER_LABEL: &str = "Survey Identifier";
/// The CSV label header of every `{form}_timestamp`.
pub(crate) const TIMESTAMP_LABEL: &str = "Survey Timestamp";
/// The identifier column's name.
pub(crate) const IDENTIFIER: &str = "redcap_survey_identifier";

/// The survey responses of a project, keyed for an export.
#[derive(Debug, Default)]
pub(crate) struct SurveyFields {
    /// Survey-enabled forms.
    surveys: HashSet<String>,
    /// Flat: a record's identifier, shown on every non-repeating row of
    /// the record (only non-blank identifiers count).
    record_identifiers: HashMap<String, String>,
    /// Flat: the identifier of a repeating response's own instance row.
    identifiers: HashMap<(String, usize, Slot), String>,
    /// Flat: a form's timestamp in a row.
    timestamps: HashMap<(String, usize, Slot, String), String>,
    /// EAV: per record and event, each form's response (the latest
    /// completed instance wins, as REDCap's query order makes it).
    by_event: HashMap<(String, usize), IndexMap<String, Response>>,
}

impl SurveyFields {
    /// The survey columns of an export when `exportSurveyFields` is set
    /// and the project has at least one survey; a flat export also needs
    /// surveys enabled in the project (`Records::getData` checks both, the
    /// API's EAV writer only the surveys). REDCap ignores the flag
    /// otherwise.
    pub(crate) fn load(
        conn: &Connection,
        project_id: i64,
        layout: &Layout<'_>,
        asked: bool,
        eav: bool,
        rows: &[&Row],
    ) -> rusqlite::Result<Option<SurveyFields>> {
        let surveys: HashSet<String> = layout
            .schema
            .forms
            .iter()
            .filter(|f| f.survey)
            .map(|f| f.name.clone())
            .collect();
        if !asked || surveys.is_empty() || !(eav || layout.schema.project.surveys_enabled) {
            return Ok(None);
        }
        let mut out = SurveyFields {
            surveys,
            ..SurveyFields::default()
        };
        // Record-events with exported data: a response elsewhere shows no
        // identifier.
        let present: HashSet<(&str, usize)> =
            rows.iter().map(|r| (r.record.as_str(), r.event)).collect();
        let mut all = responses::all(conn, project_id)?;
        // REDCap orders by completion time, partial responses (NULL) first.
        all.sort_by(|a, b| a.completed_at.cmp(&b.completed_at));
        for r in all {
            if !out.surveys.contains(&r.form) {
                continue;
            }
            let Some((event, slot)) = r.row_key(layout) else {
                continue;
            };
            if !r.identifier.is_empty() && present.contains(&(r.record.as_str(), event)) {
                // REDCap 15.7.6 writes a response's identifier into every
                // non-repeating row of the record, and into the response's
                // own row when it is a repeating instance.
                out.record_identifiers
                    .insert(r.record.clone(), r.identifier.clone());
                if slot != Slot::Base {
                    out.identifiers.insert(
                        (r.record.clone(), event, slot.clone()),
                        r.identifier.clone(),
                    );
                }
            }
            out.timestamps.insert(
                (r.record.clone(), event, slot, r.form.clone()),
                r.timestamp(),
            );
            out.by_event
                .entry((r.record.clone(), event))
                .or_default()
                .insert(r.form.clone(), r);
        }
        Ok(Some(out))
    }

    /// Whether a form is a survey (so gets a timestamp column).
    pub(crate) fn is_survey(&self, form: &str) -> bool {
        self.surveys.contains(form)
    }

    /// The value of a survey column (`redcap_survey_identifier` or
    /// `{form}_timestamp`) in a flat row; `None` for any other column.
    pub(crate) fn flat_value(
        &self,
        column: &str,
        record: &str,
        event: usize,
        slot: &Slot,
    ) -> Option<String> {
        let key = (record.to_owned(), event, slot.clone());
        if column == IDENTIFIER {
            let found = if *slot == Slot::Base {
                self.record_identifiers.get(record)
            } else {
                self.identifiers.get(&key)
            };
            return Some(found.cloned().unwrap_or_default());
        }
        let form = column.strip_suffix("_timestamp")?;
        if !self.is_survey(form) {
            return None;
        }
        let (record, event, slot) = key;
        Some(
            self.timestamps
                .get(&(record, event, slot, form.to_owned()))
                .cloned()
                .unwrap_or_default(),
        )
    }

    /// The rows REDCap's EAV export adds after the first data point of a
    /// record-event: `redcap_survey_identifier` when the record answered
    /// the first instrument (as a survey) in the first event of this
    /// event's arm — even with a blank identifier — then the timestamp of
    /// each exported survey answered in this event.
    pub(crate) fn eav_rows(
        &self,
        layout: &Layout<'_>,
        record: &str,
        event: usize,
        exported_forms: &HashSet<&str>,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let arm = layout.events[event].arm;
        let first_event = layout.events.iter().position(|e| e.arm == arm);
        let first_form = layout.schema.forms.first().map(|f| f.name.as_str());
        if let (Some(first_event), Some(first_form)) = (first_event, first_form)
            && let Some(r) = self
                .by_event
                .get(&(record.to_owned(), first_event))
                .and_then(|forms| forms.get(first_form))
        {
            out.push((IDENTIFIER.to_owned(), r.identifier.clone()));
        }
        if let Some(forms) = self.by_event.get(&(record.to_owned(), event)) {
            for (form, r) in forms {
                if exported_forms.contains(form.as_str()) {
                    out.push((format!("{form}_timestamp"), r.timestamp()));
                }
            }
        }
        out
    }
}
