//! The project model: [`ProjectSchema`] and its parts.

use serde::{Deserialize, Serialize};

use crate::action_tags::ActionTag;
use crate::choices::Choice;
use crate::field_type::FieldType;
use crate::validation::Validation;

/// Everything about a REDCap project that shapes its data: project
/// attributes, instruments and fields in order, arms, events and their forms,
/// repeating setup and data access groups.
///
/// A classic (non-longitudinal) project has no arms and no events; REDCap's
/// implicit `event_1_arm_1` is not listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectSchema {
    /// Project-level attributes.
    pub project: ProjectInfo,
    /// The record-ID field: the first field of the first form.
    pub record_id_field: String,
    /// Instruments in order, each with its fields in order.
    pub forms: Vec<Form>,
    /// Arms, by number.
    pub arms: Vec<Arm>,
    /// Events in arm, then event order, each with the forms designated to it.
    pub events: Vec<Event>,
    /// Repeating instruments and events.
    pub repeating: Repeating,
    /// Data access groups, where the source lists them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dags: Vec<Dag>,
}

/// Project-level attributes. A data dictionary alone carries none of them,
/// so most are optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectInfo {
    /// The project title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The REDCap version that wrote the source, when it says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redcap_version: Option<String>,
    /// Whether the project has events (longitudinal) or is classic.
    pub longitudinal: bool,
    /// Whether surveys are enabled.
    #[serde(default)]
    pub surveys_enabled: bool,
    /// Whether new records are numbered automatically, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_autonumbering: Option<bool>,
    /// Custom record label (may pipe field values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_record_label: Option<String>,
    /// Secondary unique field, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secondary_unique_field: Option<String>,
    /// Missing-data codes (`code, label`), valid in every field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_data_codes: Vec<Choice>,
}

/// An instrument (form) and its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Form {
    /// Unique form name (`demographics`).
    pub name: String,
    /// Display label. Dictionaries carry none; REDCap then derives it from
    /// the name (`form_1` → `Form 1`), and so do we.
    pub label: String,
    /// Whether the form is enabled as a survey, when the source says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub survey: bool,
    /// Fields in dictionary order (the status field is not among them).
    pub fields: Vec<Field>,
    /// The form-status field REDCap adds after the last field
    /// (`{form}_complete`: 0 Incomplete, 1 Unverified, 2 Complete).
    pub complete_field: String,
}

/// A field, with every data-dictionary attribute.
///
/// Empty dictionary cells are `None`, `false` or empty lists; all values are
/// kept as the exact text of the source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Variable name.
    pub name: String,
    /// Field type.
    pub field_type: FieldType,
    /// Field label (may hold HTML).
    pub label: String,
    /// Validation type (text fields; `autocomplete` on drop-downs,
    /// `signature` on files, `number` on sliders to show the value).
    pub validation: Option<Validation>,
    /// Choices in order: parsed for drop-down, radio and checkbox fields,
    /// REDCap's implicit `1`/`0` for yes/no and true/false.
    pub choices: Vec<Choice>,
    /// The columns of this field in a flat record export, exactly as REDCap
    /// names them: one per checkbox choice (plus one per missing-data code
    /// unless `@NOMISSING`), none for descriptive fields, else the name.
    pub export_names: Vec<String>,
    /// Section header shown above the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section_header: Option<String>,
    /// Field note shown under the input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Validation minimum, as written (`0`, `2020-01-01`, `today`, `[other]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Validation maximum, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// The equation of a calc field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<String>,
    /// Slider labels (left, middle, right), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slider_labels: Vec<String>,
    /// The query of an `sql` field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sql: Option<String>,
    /// The ontology service of an auto-complete text field
    /// (`BIOPORTAL:ICD10`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ontology: Option<String>,
    /// Branching logic (show the field only if…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branching_logic: Option<String>,
    /// Flagged as an identifier (PHI).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identifier: bool,
    /// Required field.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Custom alignment (`LV`, `LH`, `RV`, `RH`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_alignment: Option<String>,
    /// Survey question number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_number: Option<String>,
    /// Matrix group name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matrix_group: Option<String>,
    /// Matrix ranking.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub matrix_ranking: bool,
    /// The field annotation, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotation: Option<String>,
    /// The action tags found in the annotation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub action_tags: Vec<ActionTag>,
}

impl Field {
    /// Whether the annotation carries the given action tag (`"@HIDDEN"`).
    pub fn has_action_tag(&self, name: &str) -> bool {
        self.action_tags.iter().any(|t| t.name == name)
    }

    /// Whether REDCap computes the value (calc fields, `@CALCTEXT`,
    /// `@CALCDATE`), so that it cannot be imported.
    pub fn is_computed(&self) -> bool {
        self.field_type == FieldType::Calc
            || self.has_action_tag("@CALCTEXT")
            || self.has_action_tag("@CALCDATE")
    }
}

/// An arm of a longitudinal project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arm {
    /// Arm number (1, 2, …).
    pub number: u32,
    /// Arm name.
    pub name: String,
}

/// An event of a longitudinal project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Unique event name (`baseline_arm_1`), the value of `redcap_event_name`.
    pub unique_name: String,
    /// Event name as shown.
    pub name: String,
    /// The arm's number.
    pub arm: u32,
    /// Day offset, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day_offset: Option<String>,
    /// Offset window minimum, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_min: Option<String>,
    /// Offset window maximum, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_max: Option<String>,
    /// Custom event label (may pipe field values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_label: Option<String>,
    /// The forms designated to this event, in form order.
    pub forms: Vec<String>,
}

/// Repeating instruments and events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repeating {
    /// Events that repeat as a whole (longitudinal projects).
    pub events: Vec<RepeatingEvent>,
    /// Instruments that repeat, per event in longitudinal projects.
    pub instruments: Vec<RepeatingInstrument>,
}

impl Repeating {
    /// Whether nothing repeats.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.instruments.is_empty()
    }
}

/// A whole event that repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatingEvent {
    /// Unique event name.
    pub event: String,
    /// Custom repeat-instance label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// An instrument that repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatingInstrument {
    /// Unique event name; `None` in classic projects.
    pub event: Option<String>,
    /// Form name.
    pub form: String,
    /// Custom repeat-instance label (may pipe field values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// A data access group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dag {
    /// Display name.
    pub name: String,
    /// Unique group name, the value of `redcap_data_access_group`.
    pub unique_name: String,
}

impl ProjectSchema {
    /// The choices behind a checkbox field's export columns, in their order: the
    /// field's own, then the project's missing-data codes unless `@NOMISSING`.
    pub fn checkbox_choices<'a>(&'a self, field: &'a Field) -> Vec<&'a Choice> {
        crate::build::checkbox_choices(field, &self.project.missing_data_codes)
    }

    /// Whether a one-column field may hold one of the project's missing-data codes in
    /// place of a value: the project defines codes and the field is not the record id,
    /// computed by REDCap, or tagged `@NOMISSING`.
    pub fn takes_missing_codes(&self, field: &Field) -> bool {
        !self.project.missing_data_codes.is_empty()
            && field.name != self.record_id_field
            && !field.is_computed()
            && !field.has_action_tag("@NOMISSING")
            && !matches!(
                field.field_type,
                FieldType::Checkbox | FieldType::Descriptive
            )
    }

    /// An event as REDCap names it in messages: its name, and with more than one
    /// arm also `(Arm N: arm name)`.
    pub fn event_label(&self, event: &Event) -> String {
        if self.arms.len() > 1 {
            let arm = self
                .arms
                .iter()
                .find(|a| a.number == event.arm)
                .map_or("", |a| a.name.as_str());
            format!("{} (Arm {}: {arm})", event.name, event.arm)
        } else {
            event.name.clone()
        }
    }

    /// The form with this name.
    pub fn form(&self, name: &str) -> Option<&Form> {
        self.forms.iter().find(|f| f.name == name)
    }

    /// Every field in dictionary order with its form.
    pub fn fields(&self) -> impl Iterator<Item = (&Form, &Field)> {
        self.forms
            .iter()
            .flat_map(|form| form.fields.iter().map(move |field| (form, field)))
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().map(|(_, f)| f).find(|f| f.name == name)
    }

    /// The field columns of a full flat record export, in REDCap's order:
    /// each form's fields' export names, then its `{form}_complete`.
    /// Pseudo-columns (`redcap_event_name`, `redcap_repeat_*`, DAG, survey)
    /// are not included.
    pub fn export_columns(&self) -> Vec<&str> {
        let mut columns = Vec::new();
        for form in &self.forms {
            for field in &form.fields {
                columns.extend(field.export_names.iter().map(String::as_str));
            }
            columns.push(form.complete_field.as_str());
        }
        columns
    }

    /// Whether any instrument or event repeats.
    pub fn has_repeating(&self) -> bool {
        !self.repeating.is_empty()
    }
}
