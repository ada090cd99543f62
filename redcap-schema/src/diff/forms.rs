//! Instruments and the fields in them: added, removed, renamed, moved and
//! reordered, each instrument followed by its fields' changes.

use crate::field_type::FieldType;
use std::collections::HashMap;

use crate::model::{Field, Form, ProjectSchema};

use super::lookup::Lookup;
use super::model::{Impact, Kind, Target, Value};
use super::renames::Renames;
use super::{Out, Scope, field, order, text};

pub(crate) fn compare(
    old: &ProjectSchema,
    new: &ProjectSchema,
    old_names: &Lookup<'_>,
    new_names: &Lookup<'_>,
    renames: &Renames,
    scope: Scope,
    out: &mut Out,
) {
    let old_forms: Vec<&str> = old
        .forms
        .iter()
        .map(|f| renames.form_to_new(&f.name))
        .collect();
    let new_forms: Vec<&str> = new.forms.iter().map(|f| f.name.as_str()).collect();
    let (kept_old, kept_new) = order::common(&old_forms, &new_forms);
    if kept_old != kept_new {
        out.push(
            Kind::FormsReordered,
            Impact::Cosmetic,
            &Target::Project,
            Some(list(&kept_old)),
            Some(list(&kept_new)),
            "the instruments kept are in another order: flat exports order their columns differently, but values are read by name",
        );
    }
    for name in order::merge(&old_forms, &new_forms) {
        let old_form = old_names.form(renames.form_to_old(name));
        match (old_form, new_names.form(name)) {
            (Some(o), None) => removed(o, new_names, renames, out),
            (None, Some(n)) => added(n, old_names, renames, out),
            (Some(o), Some(n)) => {
                kept(o, n, renames, scope, out);
                fields(old_names, new_names, o, n, renames, out);
            }
            (None, None) => {}
        }
    }
}

/// A removed instrument. Its fields that now live in another instrument are
/// reported there, as moves; the rest went with it.
fn removed(form: &Form, new: &Lookup<'_>, renames: &Renames, out: &mut Out) {
    let target = Target::Form {
        form: form.name.clone(),
    };
    let fields: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    let moved = form
        .fields
        .iter()
        .filter(|f| new.field(renames.field_to_new(&f.name)).is_some())
        .count();
    let reason = if moved == form.fields.len() {
        "its form status and its generated type go; its fields now belong to other instruments (see their moves)"
    } else if moved > 0 {
        "its form status and the values of its fields not moved elsewhere are lost, and so is its generated type"
    } else {
        "the values of its fields and its form status are lost, and so is its generated type"
    };
    out.push(
        Kind::FormRemoved,
        Impact::Breaking,
        &target,
        Some(list(&fields)),
        None,
        reason,
    );
}

fn added(form: &Form, old: &Lookup<'_>, renames: &Renames, out: &mut Out) {
    let target = Target::Form {
        form: form.name.clone(),
    };
    let fields: Vec<&str> = form.fields.iter().map(|f| f.name.as_str()).collect();
    out.push(
        Kind::FormAdded,
        Impact::Compatible,
        &target,
        None,
        Some(list(&fields)),
        "a new instrument: existing records have no data in it",
    );
    // Fields that came from another instrument are moves, and are reported
    // with what else changed about them.
    for f in &form.fields {
        if let Some((old_form, old_field)) = old_field(old, renames, &f.name) {
            let target = Target::Field {
                form: form.name.clone(),
                field: f.name.clone(),
            };
            renamed_or_moved(&old_form.name, old_field, form, f, renames, out, &target);
            field::compare(old_field, f, &target, out);
        }
    }
}

fn kept(old: &Form, new: &Form, renames: &Renames, scope: Scope, out: &mut Out) {
    let target = Target::Form {
        form: new.name.clone(),
    };
    if renames.form_renamed(&new.name) {
        out.push(
            Kind::FormRenamed,
            Impact::Breaking,
            &target,
            text(&old.name),
            text(&new.name),
            format!(
                "REDCap keys form-event mappings, repeating setup, `redcap_repeat_instrument` and the form status `{}` by the form name; the generated form type is renamed",
                old.complete_field
            ),
        );
    }
    // A dictionary carries neither the form label (REDCap derives one from the name)
    // nor whether the form is a survey.
    if scope == Scope::Dictionary {
        return;
    }
    if old.label != new.label {
        out.push(
            Kind::FormLabelChanged,
            Impact::Compatible,
            &target,
            text(&old.label),
            text(&new.label),
            "label text only: stored values are unchanged",
        );
    }
    if old.survey != new.survey {
        out.push(
            Kind::FormSurveyChanged,
            Impact::Compatible,
            &target,
            Some(Value::Flag(old.survey)),
            Some(Value::Flag(new.survey)),
            "stored values are unchanged; exports that include survey fields gain or lose the instrument's survey timestamp",
        );
    }
}

/// The fields of an instrument kept: those removed where they were, those
/// kept or arrived in their new order.
fn fields(
    old: &Lookup<'_>,
    new: &Lookup<'_>,
    old_form: &Form,
    new_form: &Form,
    renames: &Renames,
    out: &mut Out,
) {
    // Old fields under their new names; those that moved to another
    // instrument are reported there.
    let mut new_here: HashMap<&str, &Field> = HashMap::with_capacity(new_form.fields.len());
    for f in &new_form.fields {
        new_here.entry(f.name.as_str()).or_insert(f);
    }
    let mut old_here: HashMap<&str, &Field> = HashMap::with_capacity(old_form.fields.len());
    for f in &old_form.fields {
        old_here.entry(renames.field_to_new(&f.name)).or_insert(f);
    }
    let old_names: Vec<&str> = old_form
        .fields
        .iter()
        .map(|f| renames.field_to_new(&f.name))
        .filter(|n| new.field(n).is_none() || new_here.contains_key(n))
        .collect();
    let new_names: Vec<&str> = new_form.fields.iter().map(|f| f.name.as_str()).collect();
    let (kept_old, kept_new) = order::common(&old_names, &new_names);
    if kept_old != kept_new {
        out.push(
            Kind::FieldsReordered,
            Impact::Cosmetic,
            &Target::Form {
                form: new_form.name.clone(),
            },
            Some(list(&kept_old)),
            Some(list(&kept_new)),
            "the fields kept are in another order: flat exports order their columns differently, but values are read by name",
        );
    }
    for name in order::merge(&old_names, &new_names) {
        match new_here.get(name).copied() {
            None => {
                let Some(gone) = old_here.get(name).copied() else {
                    continue;
                };
                let target = Target::Field {
                    form: old_form.name.clone(),
                    field: gone.name.clone(),
                };
                let (impact, reason) = if gone.field_type == FieldType::Descriptive {
                    (Impact::Cosmetic, "a descriptive field holds no data")
                } else {
                    (
                        Impact::Breaking,
                        "its stored values are lost, its export columns go, and so does its member of the generated type",
                    )
                };
                out.push(
                    Kind::FieldRemoved,
                    impact,
                    &target,
                    text(gone.field_type.as_str()),
                    None,
                    reason,
                );
            }
            Some(f) => {
                let target = Target::Field {
                    form: new_form.name.clone(),
                    field: f.name.clone(),
                };
                match old_field(old, renames, &f.name) {
                    None => {
                        let (impact, reason) = if f.field_type == FieldType::Descriptive {
                            (Impact::Cosmetic, "a descriptive field holds no data")
                        } else {
                            (
                                Impact::Compatible,
                                "a new field: existing records have no value for it",
                            )
                        };
                        out.push(
                            Kind::FieldAdded,
                            impact,
                            &target,
                            None,
                            text(f.field_type.as_str()),
                            reason,
                        );
                    }
                    Some((from, o)) => {
                        renamed_or_moved(&from.name, o, new_form, f, renames, out, &target);
                        field::compare(o, f, &target, out);
                    }
                }
            }
        }
    }
}

/// The old form and field of a new field, by its old name.
fn old_field<'a>(
    old: &Lookup<'a>,
    renames: &Renames,
    new_name: &str,
) -> Option<(&'a Form, &'a Field)> {
    old.field(renames.field_to_old(new_name))
}

fn renamed_or_moved(
    old_form: &str,
    old: &Field,
    new_form: &Form,
    new: &Field,
    renames: &Renames,
    out: &mut Out,
    target: &Target,
) {
    if old.name != new.name {
        let (impact, reason) = if new.field_type == FieldType::Descriptive {
            (
                Impact::Cosmetic,
                "a descriptive field holds no data".to_owned(),
            )
        } else {
            (
                Impact::Breaking,
                format!(
                    "same label, type and choices under a new name; REDCap stores values by field name, so values saved as `{}` are not carried over to `{}`, and the generated member is renamed",
                    old.name, new.name
                ),
            )
        };
        out.push(
            Kind::FieldRenamed,
            impact,
            target,
            text(&old.name),
            text(&new.name),
            reason,
        );
    }
    if renames.form_to_new(old_form) != new_form.name {
        let (impact, reason) = if new.field_type == FieldType::Descriptive {
            (
                Impact::Cosmetic,
                "a descriptive field holds no data".to_owned(),
            )
        } else {
            (
                Impact::Breaking,
                format!(
                    "values belong to an instrument: the field now follows `{}`'s events, repeating setup and form status, and moves to another generated type",
                    new_form.name
                ),
            )
        };
        out.push(
            Kind::FieldMoved,
            impact,
            target,
            text(old_form),
            text(&new_form.name),
            reason,
        );
    }
}

fn list(names: &[&str]) -> Value {
    Value::List(names.iter().map(|n| (*n).to_owned()).collect())
}
