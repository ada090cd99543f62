//! Lookups over a project's schema that every record method needs: the
//! events (a classic project's implicit `event_1_arm_1` included), which
//! form a field belongs to, which forms repeat where, and what each export
//! column means.

use rustc_hash::FxHashMap as HashMap;
use std::cmp::Ordering;

use redcap_schema::{Choice, Field, FieldType, ProjectSchema};

/// The implicit event of a classic project; record data of classic
/// projects is stored under it.
pub(crate) const CLASSIC_EVENT: &str = redcap_schema::odm::CLASSIC_EVENT;

/// An event with everything the record methods ask of it.
#[derive(Debug, Clone)]
pub(crate) struct EventInfo {
    pub(crate) unique_name: String,
    pub(crate) name: String,
    pub(crate) arm: u32,
    pub(crate) forms: Vec<String>,
    pub(crate) repeats_whole: bool,
    pub(crate) repeating_forms: Vec<String>,
}

/// What an export column holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Column {
    /// A field's value (the `{form}_complete` status included).
    Field(String),
    /// One checkbox choice (or missing-data code) of a field.
    Checkbox(String, String),
}

/// Where a stored value sits in a flat export.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Slot {
    /// The record's non-repeating row of an event.
    Base,
    /// An instance of a repeating instrument (`form`) or of a whole
    /// repeating event (empty form).
    Repeat(String, i64),
}

/// A project's schema with its lookups.
#[derive(Debug)]
pub(crate) struct Layout<'a> {
    pub(crate) schema: &'a ProjectSchema,
    pub(crate) events: Vec<EventInfo>,
    field_form: HashMap<String, String>,
    /// Fields by name: a dictionary lookup per value keeps work on a
    /// record linear in its width.
    fields: HashMap<&'a str, &'a Field>,
    columns: HashMap<String, Column>,
    form_pos: HashMap<String, usize>,
    /// The `{form}_complete` status fields.
    statuses: HashMap<String, ()>,
    complete_choices: Vec<Choice>,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(schema: &'a ProjectSchema) -> Layout<'a> {
        // Looked up for every stored value and exported cell: a fast
        // hasher (names are the project's own, not an attacker's keys).
        let mut field_form = HashMap::default();
        let mut columns = HashMap::default();
        let mut form_pos = HashMap::default();
        let mut fields = HashMap::default();
        let mut statuses = HashMap::default();
        for (i, form) in schema.forms.iter().enumerate() {
            form_pos.insert(form.name.clone(), i);
            for field in &form.fields {
                fields.entry(field.name.as_str()).or_insert(field);
                field_form.insert(field.name.clone(), form.name.clone());
                if field.field_type == FieldType::Checkbox {
                    let codes = field
                        .choices
                        .iter()
                        .chain(schema.project.missing_data_codes.iter());
                    for (name, choice) in field.export_names.iter().zip(codes) {
                        columns.insert(
                            name.clone(),
                            Column::Checkbox(field.name.clone(), choice.code.clone()),
                        );
                    }
                } else if field.field_type.has_value() {
                    columns.insert(field.name.clone(), Column::Field(field.name.clone()));
                }
            }
            field_form.insert(form.complete_field.clone(), form.name.clone());
            statuses.insert(form.complete_field.clone(), ());
            columns.insert(
                form.complete_field.clone(),
                Column::Field(form.complete_field.clone()),
            );
        }
        let events = if schema.project.longitudinal && !schema.events.is_empty() {
            schema
                .events
                .iter()
                .map(|e| EventInfo {
                    unique_name: e.unique_name.clone(),
                    name: e.name.clone(),
                    arm: e.arm,
                    forms: e.forms.clone(),
                    repeats_whole: schema
                        .repeating
                        .events
                        .iter()
                        .any(|r| r.event == e.unique_name),
                    repeating_forms: schema
                        .repeating
                        .instruments
                        .iter()
                        .filter(|r| r.event.as_deref() == Some(e.unique_name.as_str()))
                        .map(|r| r.form.clone())
                        .collect(),
                })
                .collect()
        } else {
            // A classic project has one event, and REDCap files every
            // repeating instrument under it, whatever event name the
            // source gave (`ODM::addRepeatingInstrumentsAndEvents`).
            vec![EventInfo {
                unique_name: CLASSIC_EVENT.to_owned(),
                name: "Event 1".to_owned(),
                arm: 1,
                forms: schema.forms.iter().map(|f| f.name.clone()).collect(),
                repeats_whole: false,
                repeating_forms: schema
                    .repeating
                    .instruments
                    .iter()
                    .map(|r| r.form.clone())
                    .collect(),
            }]
        };
        Layout {
            schema,
            events,
            field_form,
            fields,
            columns,
            form_pos,
            statuses,
            complete_choices: vec![
                Choice::new("0", "Incomplete"),
                Choice::new("1", "Unverified"),
                Choice::new("2", "Complete"),
            ],
        }
    }

    /// The project's one event when it has one and nothing in it repeats:
    /// a record then has one row, and every value is in that event.
    pub(crate) fn flat_event(&self) -> Option<&EventInfo> {
        match self.events.as_slice() {
            [event] if !event.repeats_whole && event.repeating_forms.is_empty() => Some(event),
            _ => None,
        }
    }

    /// Whether the project is longitudinal.
    pub(crate) fn longitudinal(&self) -> bool {
        self.schema.project.longitudinal && !self.schema.events.is_empty()
    }

    /// The record-ID field's name.
    pub(crate) fn id_field(&self) -> &str {
        &self.schema.record_id_field
    }

    /// The event with this unique name.
    pub(crate) fn event(&self, unique_name: &str) -> Option<&EventInfo> {
        self.events.iter().find(|e| e.unique_name == unique_name)
    }

    /// A form's position in project order.
    pub(crate) fn form_pos(&self, form: &str) -> usize {
        self.form_pos.get(form).copied().unwrap_or(usize::MAX)
    }

    /// The form of a field or of a `{form}_complete` status field.
    pub(crate) fn form_of(&self, field: &str) -> Option<&str> {
        self.field_form.get(field).map(String::as_str)
    }

    /// A field of the dictionary (status fields are not among them).
    pub(crate) fn field(&self, name: &str) -> Option<&'a Field> {
        self.fields.get(name).copied()
    }

    /// Whether this is a `{form}_complete` status field.
    pub(crate) fn is_status(&self, name: &str) -> bool {
        self.statuses.contains_key(name)
    }

    /// What an export column name means, if it is one.
    pub(crate) fn column(&self, name: &str) -> Option<&Column> {
        self.columns.get(name)
    }

    /// The choices of a field, status fields and yes/no included.
    pub(crate) fn choices(&self, field: &str) -> &[Choice] {
        if self.is_status(field) {
            return &self.complete_choices;
        }
        self.field(field)
            .map(|f| f.choices.as_slice())
            .unwrap_or(&[])
    }

    /// The label of a form.
    pub(crate) fn form_label<'s>(&'s self, form: &'s str) -> &'s str {
        self.schema
            .form(form)
            .map(|f| f.label.as_str())
            .unwrap_or(form)
    }

    /// Where a value of `field` stored in `event` at `instance` belongs.
    pub(crate) fn slot(&self, event: &EventInfo, field: &str, instance: i64) -> Slot {
        if event.repeats_whole {
            return Slot::Repeat(String::new(), instance);
        }
        match self.form_of(field) {
            Some(form) if event.repeating_forms.iter().any(|f| f == form) => {
                Slot::Repeat(form.to_owned(), instance)
            }
            _ => Slot::Base,
        }
    }

    /// Whether a value of `field` in `event` belongs to an instance, as
    /// [`Layout::slot`] says, without building the slot.
    pub(crate) fn repeats_in(&self, event: &EventInfo, field: &str) -> bool {
        event.repeats_whole
            || (!event.repeating_forms.is_empty()
                && self
                    .form_of(field)
                    .is_some_and(|form| event.repeating_forms.iter().any(|f| f == form)))
    }

    /// Whether a form's columns apply to a row of `event` in `slot`: the
    /// form is designated to the event and repeats (or not) as the row does.
    pub(crate) fn form_applies(&self, event: &EventInfo, slot: &Slot, form: &str) -> bool {
        if !event.forms.iter().any(|f| f == form) {
            return false;
        }
        match slot {
            Slot::Base => event.repeats_whole || !event.repeating_forms.iter().any(|f| f == form),
            Slot::Repeat(instrument, _) => instrument.is_empty() || instrument == form,
        }
    }

    /// The display name of an event for `rawOrLabel=label`:
    /// `"{event} (Arm {n}: {arm name})"` when the project has several arms.
    pub(crate) fn event_label(&self, event: &EventInfo) -> String {
        if self.schema.arms.len() > 1 {
            let arm_name = self
                .schema
                .arms
                .iter()
                .find(|a| a.number == event.arm)
                .map(|a| a.name.as_str())
                .unwrap_or_default();
            format!("{} (Arm {}: {})", event.name, event.arm, arm_name)
        } else {
            event.name.clone()
        }
    }
}

/// PHP's `natcasesort` order for record names: digit runs compare as
/// numbers, everything else case-insensitively.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let xl = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let yl = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let xs = trim_zeros(&x[..xl]);
                let ys = trim_zeros(&y[..yl]);
                let ord = xs.len().cmp(&ys.len()).then_with(|| xs.cmp(ys));
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[xl..];
                y = &y[yl..];
            }
            (Some(c), Some(d)) => {
                let ord = c.to_ascii_lowercase().cmp(&d.to_ascii_lowercase());
                if ord != Ordering::Equal {
                    return ord;
                }
                x = &x[1..];
                y = &y[1..];
            }
        }
    }
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits.iter().take_while(|c| **c == b'0').count();
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut names = vec!["10", "2", "a10", "A2", "1", "b"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(names, ["1", "2", "10", "A2", "a10", "b"]);
    }
}
