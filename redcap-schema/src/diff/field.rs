//! Everything that can change about one field kept (under the same name or
//! renamed): type, validation and range, choices and their export columns,
//! texts, logic, action tags and flags.

use crate::action_tags::ActionTag;
use crate::field_type::FieldType;
use crate::model::Field;

use super::choices::{self, ChoiceChange};
use super::classify::{self, Bound};
use super::model::{Impact, Kind, Target, Value};
use super::{FixedText, Out, text};

/// Compares an old field with its new self; `target` names the new field.
pub(crate) fn compare(old: &Field, new: &Field, target: &Target, out: &mut Out) {
    if old.field_type != new.field_type {
        let (impact, reason) = classify::field_type(old, new);
        out.push(
            Kind::FieldTypeChanged,
            impact,
            target,
            text(old.field_type.as_str()),
            text(new.field_type.as_str()),
            reason,
        );
    }
    if old.validation != new.validation {
        let (impact, reason) = classify::validation(old.validation, new.validation, new.field_type);
        out.push(
            Kind::ValidationChanged,
            impact,
            target,
            old.validation.map(|v| Value::Text(v.as_str().into())),
            new.validation.map(|v| Value::Text(v.as_str().into())),
            reason,
        );
    }
    for (which, kind, o, n) in [
        (Bound::Min, Kind::MinChanged, &old.min, &new.min),
        (Bound::Max, Kind::MaxChanged, &old.max, &new.max),
    ] {
        if o != n {
            let (impact, reason) = classify::bound(which, o.as_deref(), n.as_deref(), new);
            out.push(kind, impact, target, opt(o), opt(n), reason);
        }
    }
    compare_choices(old, new, target, out);
    if old.export_names != new.export_names && old.name == new.name {
        let gone: Vec<&str> = old
            .export_names
            .iter()
            .filter(|c| !new.export_names.contains(c))
            .map(String::as_str)
            .collect();
        let (impact, reason) = if gone.is_empty() {
            (
                Impact::Compatible,
                "flat exports gain columns; every column exported before is still there".to_owned(),
            )
        } else {
            (
                Impact::Breaking,
                format!(
                    "flat exports no longer have the column{} {}, and code reading {} by name breaks",
                    if gone.len() == 1 { "" } else { "s" },
                    names(&gone),
                    if gone.len() == 1 { "it" } else { "them" },
                ),
            )
        };
        out.push(
            Kind::ExportNamesChanged,
            impact,
            target,
            Some(Value::List(old.export_names.clone())),
            Some(Value::List(new.export_names.clone())),
            reason,
        );
    }
    texts(old, new, target, out);
    compare_tags(old, new, target, out);
    flags(old, new, target, out);
}

fn compare_choices(old: &Field, new: &Field, target: &Target, out: &mut Out) {
    let checkbox = new.field_type == FieldType::Checkbox;
    for change in choices::compare(&old.choices, &new.choices) {
        let (kind, impact, o, n, reason) = match change {
            ChoiceChange::Added(c) => {
                let reason = format!(
                    "a new choice: answers stored before keep their codes{}",
                    if checkbox {
                        " and flat exports gain a column"
                    } else {
                        ""
                    }
                );
                (Kind::ChoiceAdded, Impact::Compatible, None, Some(c), reason)
            }
            ChoiceChange::Removed(c) => {
                let reason = if checkbox {
                    format!(
                        "answers ticking `{}` (`{}`) are lost with their export column",
                        c.code, c.label
                    )
                } else {
                    format!(
                        "answers stored as `{}` (`{}`) no longer match any choice: they lose their label, fail import and cannot be read by the generated types",
                        c.code, c.label
                    )
                };
                (Kind::ChoiceRemoved, Impact::Breaking, Some(c), None, reason)
            }
            ChoiceChange::LabelChanged { old, new, taken } => {
                let (impact, reason) = if taken {
                    (
                        Impact::Breaking,
                        format!(
                            "answers stored as `{}` meant `{}`; `{}` is now the label of `{}`, which was another code's, so existing answers are re-labelled",
                            old.code, old.label, new.label, new.code
                        ),
                    )
                } else {
                    (
                        Impact::Compatible,
                        format!(
                            "the code `{}` is kept, so stored answers now read `{}` instead of `{}`: label text only, if the meaning is the same",
                            old.code, new.label, old.label
                        ),
                    )
                };
                (
                    Kind::ChoiceLabelChanged,
                    impact,
                    Some(old),
                    Some(new),
                    reason,
                )
            }
            ChoiceChange::Recoded { old: o, new: n } => {
                let now = match new.choices.iter().find(|c| c.code == o.code) {
                    Some(c) => format!("`{}` now means `{}`", o.code, c.label),
                    None => format!("`{}` is no longer a choice", o.code),
                };
                let reason = format!(
                    "answers stored as `{}` meant `{}`, which is now coded `{}`, and {now}: existing answers are re-labelled or orphaned unless the data is re-coded",
                    o.code, o.label, n.code
                );
                (
                    Kind::ChoiceRecoded,
                    Impact::Breaking,
                    Some(o),
                    Some(n),
                    reason,
                )
            }
            ChoiceChange::Reordered { old, new } => {
                out.push(
                    Kind::ChoicesReordered,
                    Impact::Cosmetic,
                    target,
                    Some(Value::List(old)),
                    Some(Value::List(new)),
                    "the same codes in another order: only the display order changes",
                );
                continue;
            }
        };
        out.push(
            kind,
            impact,
            target,
            o.map(Value::Choice),
            n.map(Value::Choice),
            reason,
        );
    }
}

/// Texts and logic whose change has one fixed impact.
fn texts(old: &Field, new: &Field, target: &Target, out: &mut Out) {
    if old.label != new.label {
        out.push(
            Kind::LabelChanged,
            Impact::Compatible,
            target,
            text(&old.label),
            text(&new.label),
            "label text only: stored values are unchanged",
        );
    }
    let fixed: [FixedText; 8] = [
        (
            Kind::NoteChanged,
            Impact::Compatible,
            &old.note,
            &new.note,
            "note text only: stored values are unchanged",
        ),
        (
            Kind::SectionHeaderChanged,
            Impact::Cosmetic,
            &old.section_header,
            &new.section_header,
            "layout only: a section header holds no data",
        ),
        (
            Kind::CalculationChanged,
            Impact::Compatible,
            &old.calculation,
            &new.calculation,
            "REDCap keeps stored results until each record is recalculated, so values computed before and after the change may differ",
        ),
        (
            Kind::SqlChanged,
            Impact::Compatible,
            &old.sql,
            &new.sql,
            "the choices now come from another query; stored codes are kept, so check that the query still returns them",
        ),
        (
            Kind::BranchingLogicChanged,
            Impact::Compatible,
            &old.branching_logic,
            &new.branching_logic,
            "branching decides when the field is shown; values already entered are kept even where it is now hidden",
        ),
        (
            Kind::AlignmentChanged,
            Impact::Cosmetic,
            &old.custom_alignment,
            &new.custom_alignment,
            "layout only",
        ),
        (
            Kind::QuestionNumberChanged,
            Impact::Cosmetic,
            &old.question_number,
            &new.question_number,
            "survey layout only",
        ),
        (
            Kind::MatrixGroupChanged,
            Impact::Cosmetic,
            &old.matrix_group,
            &new.matrix_group,
            "layout only: a matrix group arranges fields on the page; each keeps its own values",
        ),
    ];
    for (kind, impact, o, n, reason) in fixed {
        if o != n {
            out.push(kind, impact, target, opt(o), opt(n), reason);
        }
    }
    if old.ontology != new.ontology {
        let (impact, reason) = match (&old.ontology, &new.ontology) {
            (Some(_), None) => (
                Impact::Compatible,
                "the field becomes free text: stored ontology codes stay valid text",
            ),
            _ => (
                Impact::Breaking,
                "stored values are codes of the old ontology service (or free text); they do not mean the same under the new one",
            ),
        };
        out.push(
            Kind::OntologyChanged,
            impact,
            target,
            opt(&old.ontology),
            opt(&new.ontology),
            reason,
        );
    }
    if old.slider_labels != new.slider_labels {
        out.push(
            Kind::SliderLabelsChanged,
            Impact::Compatible,
            target,
            Some(Value::List(old.slider_labels.clone())),
            Some(Value::List(new.slider_labels.clone())),
            "label text only: a slider stores its number",
        );
    }
}

/// Action tags are compared by name (the n-th occurrence of a tag with the
/// n-th); the annotation's other text only when the tags are the same.
fn compare_tags(old: &Field, new: &Field, target: &Target, out: &mut Out) {
    let nth = |tags: &[ActionTag], i: usize| {
        let name = &tags[i].name;
        tags[..i].iter().filter(|t| &t.name == name).count()
    };
    let find = |tags: &[ActionTag], name: &str, n: usize| {
        tags.iter().filter(|t| t.name == name).nth(n).cloned()
    };
    for (i, o) in old.action_tags.iter().enumerate() {
        match find(&new.action_tags, &o.name, nth(&old.action_tags, i)) {
            None => {
                let (impact, reason) = tag_removed(&o.name);
                out.push(
                    Kind::ActionTagRemoved,
                    impact,
                    target,
                    Some(Value::Tag(o.clone())),
                    None,
                    reason,
                );
            }
            Some(n) if n.argument != o.argument => {
                let (impact, reason) = tag_changed(&o.name);
                out.push(
                    Kind::ActionTagChanged,
                    impact,
                    target,
                    Some(Value::Tag(o.clone())),
                    Some(Value::Tag(n)),
                    reason,
                );
            }
            Some(_) => {}
        }
    }
    for (i, n) in new.action_tags.iter().enumerate() {
        if find(&old.action_tags, &n.name, nth(&new.action_tags, i)).is_none() {
            let (impact, reason) = tag_added(&n.name);
            out.push(
                Kind::ActionTagAdded,
                impact,
                target,
                None,
                Some(Value::Tag(n.clone())),
                reason,
            );
        }
    }
    if old.action_tags == new.action_tags && old.annotation != new.annotation {
        out.push(
            Kind::AnnotationChanged,
            Impact::Cosmetic,
            target,
            opt(&old.annotation),
            opt(&new.annotation),
            "the annotation's text changed but its action tags did not",
        );
    }
}

const COMPUTED: [&str; 2] = ["@CALCTEXT", "@CALCDATE"];

fn tag_added(name: &str) -> (Impact, &'static str) {
    if COMPUTED.contains(&name) {
        (
            Impact::Breaking,
            "REDCap now computes the value: entered values are replaced when records are recalculated, and the field can no longer be imported",
        )
    } else if name == "@NOMISSING" {
        (
            Impact::Breaking,
            "missing-data codes are no longer accepted in this field: values stored as one become invalid, and checkbox fields lose their missing-code columns",
        )
    } else if name == "@FORCE-MINMAX" {
        (
            Impact::Compatible,
            "the range is now enforced on entry and import; stored values are unchanged",
        )
    } else {
        (
            Impact::Compatible,
            "action tags shape data entry; stored values are unchanged",
        )
    }
}

fn tag_removed(name: &str) -> (Impact, &'static str) {
    if COMPUTED.contains(&name) {
        (
            Impact::Compatible,
            "REDCap no longer computes the value: stored results stay and become editable",
        )
    } else if name == "@NOMISSING" {
        (
            Impact::Compatible,
            "missing-data codes are now accepted in this field; stored values are unchanged",
        )
    } else {
        (
            Impact::Compatible,
            "action tags shape data entry; stored values are unchanged",
        )
    }
}

fn tag_changed(name: &str) -> (Impact, &'static str) {
    if COMPUTED.contains(&name) {
        (
            Impact::Compatible,
            "REDCap keeps stored results until each record is recalculated, so values computed before and after the change may differ",
        )
    } else {
        (
            Impact::Compatible,
            "action tags shape data entry; stored values are unchanged",
        )
    }
}

fn flags(old: &Field, new: &Field, target: &Target, out: &mut Out) {
    if old.required != new.required {
        out.push(
            Kind::RequiredChanged,
            Impact::Compatible,
            target,
            Some(Value::Flag(old.required)),
            Some(Value::Flag(new.required)),
            "REDCap checks required fields on data entry only; stored records are not re-checked",
        );
    }
    if old.identifier != new.identifier {
        let reason = if new.identifier {
            "stored values are unchanged, but exports that remove identifiers leave this field out from now on"
        } else {
            "stored values are unchanged, but exports that remove identifiers now include this field"
        };
        out.push(
            Kind::IdentifierChanged,
            Impact::Compatible,
            target,
            Some(Value::Flag(old.identifier)),
            Some(Value::Flag(new.identifier)),
            reason,
        );
    }
    if old.matrix_ranking != new.matrix_ranking {
        out.push(
            Kind::MatrixRankingChanged,
            Impact::Cosmetic,
            target,
            Some(Value::Flag(old.matrix_ranking)),
            Some(Value::Flag(new.matrix_ranking)),
            "matrix ranking only stops two fields of the matrix from taking the same choice on entry",
        );
    }
}

fn opt(value: &Option<String>) -> Option<Value> {
    value.as_ref().map(|v| Value::Text(v.clone()))
}

fn names(list: &[&str]) -> String {
    list.iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
