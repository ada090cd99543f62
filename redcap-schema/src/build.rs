//! Turns dictionary rows plus whatever project parts a source carries into a
//! [`ProjectSchema`], after REDCap's checks.

use std::collections::HashSet;

use indexmap::IndexMap;

use crate::action_tags::parse_action_tags;
use crate::check::check_rows;
use crate::choices::{Choice, parse_choices, parse_slider_labels};
use crate::dictionary::{Column, DictionaryRow};
use crate::error::Error;
use crate::export_names::checkbox_column;
use crate::field_type::FieldType;
use crate::model::{Arm, Dag, Event, Field, Form, ProjectInfo, ProjectSchema, Repeating};
use crate::problem::{Location, Problem, Problems, Severity};
use crate::validation::Validation;

/// Everything a source says about a project, before checks.
#[derive(Debug, Clone, Default)]
pub struct Parts {
    /// Dictionary rows in order.
    pub rows: Vec<DictionaryRow>,
    /// Project attributes.
    pub project: ProjectInfo,
    /// Form labels in form order, when the source has them (project XML,
    /// the API's instrument list). Forms without fields appear only here.
    pub form_labels: IndexMap<String, String>,
    /// Forms enabled as surveys.
    pub survey_forms: HashSet<String>,
    /// Arms.
    pub arms: Vec<Arm>,
    /// Events with their forms.
    pub events: Vec<Event>,
    /// Repeating setup.
    pub repeating: Repeating,
    /// Data access groups.
    pub dags: Vec<Dag>,
    /// The record-ID field the source declares, checked against the first row.
    pub record_id_field: Option<String>,
}

impl Parts {
    /// Runs every check: REDCap's dictionary checks, then whether the
    /// project parts agree with the dictionary.
    pub fn check(&self) -> Problems {
        let mut problems = check_rows(&self.rows);
        self.check_structure(&mut problems.0);
        problems
    }

    fn check_structure(&self, problems: &mut Vec<Problem>) {
        let mut error = |code: &'static str, field: Option<&str>, message: String| {
            problems.push(Problem {
                severity: Severity::Error,
                code,
                location: Location {
                    field: field.map(str::to_owned),
                    ..Location::default()
                },
                message,
            });
        };
        if let (Some(declared), Some(first)) = (&self.record_id_field, self.rows.first())
            && declared != first.field_name()
        {
            error(
                "record-id-not-first",
                Some(declared),
                format!(
                    "The record ID field `{declared}` must be the first field, but the first field is `{}`.",
                    first.field_name()
                ),
            );
        }
        let forms: HashSet<&str> = self
            .rows
            .iter()
            .map(|r| r.get(Column::FormName))
            .chain(self.form_labels.keys().map(String::as_str))
            .collect();
        let arms: HashSet<u32> = self.arms.iter().map(|a| a.number).collect();
        let events: HashSet<&str> = self.events.iter().map(|e| e.unique_name.as_str()).collect();
        for event in &self.events {
            if !arms.is_empty() && !arms.contains(&event.arm) {
                error(
                    "unknown-arm",
                    None,
                    format!(
                        "Event `{}` belongs to arm {}, which does not exist.",
                        event.unique_name, event.arm
                    ),
                );
            }
            for form in &event.forms {
                if !forms.contains(form.as_str()) {
                    error(
                        "unknown-form",
                        None,
                        format!(
                            "Event `{}` is mapped to form `{form}`, which does not exist.",
                            event.unique_name
                        ),
                    );
                }
            }
        }
        for r in &self.repeating.instruments {
            if !forms.contains(r.form.as_str()) {
                error(
                    "unknown-form",
                    None,
                    format!("Repeating instrument `{}` does not exist.", r.form),
                );
            }
            if let Some(e) = &r.event
                && self.project.longitudinal
                && !events.contains(e.as_str())
            {
                error(
                    "unknown-event",
                    None,
                    format!(
                        "Repeating instrument `{}` names event `{e}`, which does not exist.",
                        r.form
                    ),
                );
            }
        }
        for r in &self.repeating.events {
            if !events.contains(r.event.as_str()) {
                error(
                    "unknown-event",
                    None,
                    format!("Repeating event `{}` does not exist.", r.event),
                );
            }
        }
    }

    /// Checks, then builds the schema of a project as REDCap holds it: fails
    /// only on problems that leave the schema without meaning
    /// ([`Problem::blocks_reading`]) and returns every other problem as a warning.
    pub fn read(self, source_name: &str) -> Result<(ProjectSchema, Problems), Error> {
        let problems = self.check();
        let blocking: Vec<Problem> = problems
            .0
            .iter()
            .filter(|p| p.blocks_reading())
            .map(Problem::as_read)
            .collect();
        if !blocking.is_empty() {
            return Err(Error::Invalid {
                source_name: source_name.to_owned(),
                problems: Problems(blocking),
            });
        }
        let warnings = Problems(problems.0.iter().map(Problem::as_read).collect());
        Ok((self.build_unchecked(), warnings))
    }

    /// Checks, then builds the schema; fails with every problem when REDCap
    /// would reject the dictionary on upload (as `import_metadata` does).
    pub fn build(self, source_name: &str) -> Result<ProjectSchema, Error> {
        let problems = self.check();
        if problems.has_errors() {
            return Err(Error::Invalid {
                source_name: source_name.to_owned(),
                problems,
            });
        }
        Ok(self.build_unchecked())
    }

    fn build_unchecked(self) -> ProjectSchema {
        let missing = &self.project.missing_data_codes;
        let mut forms: IndexMap<String, Form> = IndexMap::new();
        for (name, label) in &self.form_labels {
            forms.insert(name.clone(), new_form(name, Some(label)));
        }
        for row in &self.rows {
            let form_name = row.get(Column::FormName);
            let form = forms
                .entry(form_name.to_owned())
                .or_insert_with(|| new_form(form_name, None));
            form.fields.push(field_from_row(row, missing));
        }
        for form in forms.values_mut() {
            form.survey = self.survey_forms.contains(&form.name);
        }
        let record_id_field = self
            .rows
            .first()
            .map(|r| r.field_name().to_owned())
            .unwrap_or_default();
        ProjectSchema {
            project: self.project,
            record_id_field,
            forms: forms.into_values().collect(),
            arms: self.arms,
            events: self.events,
            repeating: self.repeating,
            dags: self.dags,
        }
    }
}

fn new_form(name: &str, label: Option<&String>) -> Form {
    Form {
        name: name.to_owned(),
        label: label.cloned().unwrap_or_else(|| label_from_name(name)),
        survey: false,
        fields: Vec::new(),
        complete_field: format!("{name}_complete"),
    }
}

/// The label REDCap gives a form created from a dictionary: underscores
/// become spaces and each word starts with a capital (`form_1` → `Form 1`).
pub fn label_from_name(name: &str) -> String {
    name.replace('_', " ")
        .split(' ')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

fn flag(s: &str) -> bool {
    s.trim().eq_ignore_ascii_case("y")
}

/// Builds one field from a row that passed the checks.
fn field_from_row(row: &DictionaryRow, missing: &[Choice]) -> Field {
    let name = row.field_name().to_owned();
    let field_type = FieldType::from_name(row.get(Column::FieldType)).unwrap_or(FieldType::Text);
    let f = row.get(Column::Choices);
    let validation = Validation::from_name(&row.get(Column::Validation).to_ascii_lowercase());
    let annotation = non_empty(row.get(Column::FieldAnnotation));
    let action_tags = annotation
        .as_deref()
        .map(parse_action_tags)
        .unwrap_or_default();
    let (choices, calculation, slider_labels, sql, ontology) = match field_type {
        FieldType::Dropdown | FieldType::Radio | FieldType::Checkbox => {
            (parse_choices(f), None, Vec::new(), None, None)
        }
        FieldType::Advcheckbox => (
            vec![Choice::new("0", "Unchecked"), Choice::new("1", "Checked")],
            None,
            Vec::new(),
            None,
            None,
        ),
        FieldType::Yesno => (
            vec![Choice::new("1", "Yes"), Choice::new("0", "No")],
            None,
            Vec::new(),
            None,
            None,
        ),
        FieldType::Truefalse => (
            vec![Choice::new("1", "True"), Choice::new("0", "False")],
            None,
            Vec::new(),
            None,
            None,
        ),
        FieldType::Calc => (Vec::new(), non_empty(f), Vec::new(), None, None),
        FieldType::Slider => (Vec::new(), None, parse_slider_labels(f), None, None),
        FieldType::Sql => (Vec::new(), None, Vec::new(), non_empty(f), None),
        FieldType::Text => (Vec::new(), None, Vec::new(), None, non_empty(f)),
        FieldType::Notes | FieldType::File | FieldType::Descriptive => {
            (Vec::new(), None, Vec::new(), None, None)
        }
    };
    let mut field = Field {
        export_names: Vec::new(),
        name,
        field_type,
        label: row.get(Column::FieldLabel).to_owned(),
        validation,
        choices,
        section_header: non_empty(row.get(Column::SectionHeader)),
        note: non_empty(row.get(Column::FieldNote)),
        min: non_empty(row.get(Column::ValidationMin)),
        max: non_empty(row.get(Column::ValidationMax)),
        calculation,
        slider_labels,
        sql,
        ontology,
        branching_logic: non_empty(row.get(Column::BranchingLogic)),
        identifier: flag(row.get(Column::Identifier)),
        required: flag(row.get(Column::RequiredField)),
        custom_alignment: non_empty(row.get(Column::CustomAlignment)),
        question_number: non_empty(row.get(Column::QuestionNumber)),
        matrix_group: non_empty(row.get(Column::MatrixGroupName).trim()),
        matrix_ranking: flag(row.get(Column::MatrixRanking)),
        annotation,
        action_tags,
    };
    field.export_names = export_names(&field, missing);
    field
}

/// A field's export columns: checkbox choices (and missing-data codes unless
/// `@NOMISSING`) as `field___code`; nothing for descriptive fields; else the
/// field's own name.
pub fn export_names(field: &Field, missing: &[Choice]) -> Vec<String> {
    match field.field_type {
        FieldType::Checkbox => checkbox_choices(field, missing)
            .iter()
            .map(|c| checkbox_column(&field.name, &c.code))
            .collect(),
        FieldType::Descriptive => Vec::new(),
        _ => vec![field.name.clone()],
    }
}

/// The choices of a checkbox field, one per export column in column order: its own,
/// then the missing-data codes (unless `@NOMISSING`) whose column it does not have yet.
pub(crate) fn checkbox_choices<'a>(field: &'a Field, missing: &'a [Choice]) -> Vec<&'a Choice> {
    let mut choices: Vec<&Choice> = field.choices.iter().collect();
    if !field.has_action_tag("@NOMISSING") {
        for code in missing {
            let column = checkbox_column(&field.name, &code.code);
            if !choices
                .iter()
                .any(|c| checkbox_column(&field.name, &c.code) == column)
            {
                choices.push(code);
            }
        }
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_labels_like_redcap() {
        assert_eq!(label_from_name("form_1"), "Form 1");
        assert_eq!(label_from_name("race_and_ethnicity"), "Race And Ethnicity");
    }
}
