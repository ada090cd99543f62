//! Project-level changes: the record-ID field, project attributes and
//! missing-data codes (the last two only in [`Scope::Project`]).

use crate::model::ProjectSchema;

use super::choices::{self, ChoiceChange};
use super::model::{Impact, Kind, Target, Value};
use super::{FixedText, Out, Scope, text};

fn record_id(old: &ProjectSchema, new: &ProjectSchema, out: &mut Out) {
    if old.record_id_field != new.record_id_field {
        out.push(
            Kind::RecordIdChanged,
            Impact::Breaking,
            &Target::Project,
            text(&old.record_id_field),
            text(&new.record_id_field),
            "records are identified by the record-ID field: exports, imports and every generated record type key on it",
        );
    }
}

pub(crate) fn compare(old: &ProjectSchema, new: &ProjectSchema, scope: Scope, out: &mut Out) {
    let project = Target::Project;
    record_id(old, new, out);
    if scope == Scope::Dictionary {
        return;
    }
    let (o, n) = (&old.project, &new.project);
    let optional: [FixedText; 4] = [
        (
            Kind::TitleChanged,
            Impact::Cosmetic,
            &o.title,
            &n.title,
            "display text only",
        ),
        (
            Kind::RedcapVersionChanged,
            Impact::Cosmetic,
            &o.redcap_version,
            &n.redcap_version,
            "the version of REDCap that wrote the export; the project's data is unaffected",
        ),
        (
            Kind::RecordLabelChanged,
            Impact::Cosmetic,
            &o.custom_record_label,
            &n.custom_record_label,
            "display text only: the label shown beside record IDs",
        ),
        (
            Kind::SecondaryUniqueFieldChanged,
            Impact::Compatible,
            &o.secondary_unique_field,
            &n.secondary_unique_field,
            "the field's values must be unique from now on; REDCap does not re-check stored values",
        ),
    ];
    for (kind, impact, a, b, reason) in optional {
        if a != b {
            let value = |v: &Option<String>| v.as_ref().map(|v| Value::Text(v.clone()));
            out.push(kind, impact, &project, value(a), value(b), reason);
        }
    }
    if o.longitudinal != n.longitudinal {
        let reason = if n.longitudinal {
            "the project becomes longitudinal: every record's data now belongs to an event, and exports gain `redcap_event_name`"
        } else {
            "the project becomes classic: events go, with the data of every event but the first, and exports lose `redcap_event_name`"
        };
        out.push(
            Kind::LongitudinalChanged,
            Impact::Breaking,
            &project,
            Some(Value::Flag(o.longitudinal)),
            Some(Value::Flag(n.longitudinal)),
            reason,
        );
    }
    if o.surveys_enabled != n.surveys_enabled {
        out.push(
            Kind::SurveysEnabledChanged,
            Impact::Compatible,
            &project,
            Some(Value::Flag(o.surveys_enabled)),
            Some(Value::Flag(n.surveys_enabled)),
            "decides whether instruments can be surveys; stored values are unchanged",
        );
    }
    if o.record_autonumbering != n.record_autonumbering {
        out.push(
            Kind::AutonumberingChanged,
            Impact::Compatible,
            &project,
            o.record_autonumbering.map(Value::Flag),
            n.record_autonumbering.map(Value::Flag),
            "decides how new records get their IDs; existing record IDs are unchanged",
        );
    }
    missing_codes(old, new, out);
}

fn missing_codes(old: &ProjectSchema, new: &ProjectSchema, out: &mut Out) {
    let project = Target::Project;
    let changes = choices::compare(
        &old.project.missing_data_codes,
        &new.project.missing_data_codes,
    );
    for change in changes {
        let (kind, impact, o, n, reason) = match change {
            ChoiceChange::Added(c) => (
                Kind::MissingCodeAdded,
                Impact::Compatible,
                None,
                Some(c),
                "a new code every field accepts (except with `@NOMISSING`); checkbox fields gain a column for it".to_owned(),
            ),
            ChoiceChange::Removed(c) => (
                Kind::MissingCodeRemoved,
                Impact::Breaking,
                Some(c.clone()),
                None,
                format!(
                    "values stored as `{}` (`{}`) are no longer a missing-data code: they fail validation, and checkbox fields lose that column",
                    c.code, c.label
                ),
            ),
            ChoiceChange::LabelChanged { old, new, taken: false } => (
                Kind::MissingCodeLabelChanged,
                Impact::Compatible,
                Some(old),
                Some(new),
                "the code is kept: label text only".to_owned(),
            ),
            ChoiceChange::LabelChanged { old, new, taken: true } => {
                let reason = format!(
                    "values stored as `{}` meant `{}`; `{}` was another code's label, so they are re-labelled",
                    old.code, old.label, new.label
                );
                (Kind::MissingCodeLabelChanged, Impact::Breaking, Some(old), Some(new), reason)
            }
            ChoiceChange::Recoded { old, new } => {
                let reason = format!(
                    "values stored as `{}` meant `{}`, which is now coded `{}`: they are re-labelled or invalid unless re-coded",
                    old.code, old.label, new.code
                );
                (Kind::MissingCodeRecoded, Impact::Breaking, Some(old), Some(new), reason)
            }
            // The order of missing-data codes is only the order of a menu.
            ChoiceChange::Reordered { .. } => continue,
        };
        out.push(
            kind,
            impact,
            &project,
            o.map(Value::Choice),
            n.map(Value::Choice),
            reason,
        );
    }
}
