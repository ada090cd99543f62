//! Renames, reported only on strong evidence: an instrument that lost its
//! name and one that gained a name hold the same fields; a field that lost
//! its name and one that gained a name have the same label, type and
//! choices in the same instrument. Each pairing must be the only one possible either way, so that a
//! rename is never guessed between look-alikes.

use crate::model::{Field, ProjectSchema};

/// Old name → new name of instruments and fields found renamed.
#[derive(Debug, Default)]
pub(crate) struct Renames {
    forms: Vec<(String, String)>,
    fields: Vec<(String, String)>,
}

impl Renames {
    pub(crate) fn detect(old: &ProjectSchema, new: &ProjectSchema) -> Renames {
        let field_names = |form: &crate::model::Form| -> Vec<String> {
            form.fields.iter().map(|f| f.name.clone()).collect()
        };
        let removed_forms: Vec<_> = old
            .forms
            .iter()
            .filter(|f| new.form(&f.name).is_none() && !f.fields.is_empty())
            .collect();
        let added_forms: Vec<_> = new
            .forms
            .iter()
            .filter(|f| old.form(&f.name).is_none())
            .collect();
        let forms = unique_pairs(&removed_forms, &added_forms, |a, b| {
            field_names(a) == field_names(b)
        })
        .into_iter()
        .map(|(a, b)| (a.name.clone(), b.name.clone()))
        .collect();

        let mut renames = Renames {
            forms,
            fields: Vec::new(),
        };
        let removed_fields: Vec<(&str, &Field)> = old
            .fields()
            .filter(|(_, f)| new.field(&f.name).is_none())
            .map(|(form, f)| (renames.form_to_new(&form.name), f))
            .collect();
        let added_fields: Vec<(&str, &Field)> = new
            .fields()
            .filter(|(_, f)| old.field(&f.name).is_none())
            .map(|(form, f)| (form.name.as_str(), f))
            .collect();
        let removed: Vec<&(&str, &Field)> = removed_fields.iter().collect();
        let added: Vec<&(&str, &Field)> = added_fields.iter().collect();
        // A field renamed and moved at once is too weak a match: labels such
        // as "Email" recur across instruments.
        let fields = unique_pairs(&removed, &added, |(form_a, a), (form_b, b)| {
            form_a == form_b
                && !a.label.trim().is_empty()
                && a.label == b.label
                && a.field_type == b.field_type
                && a.choices == b.choices
        })
        .into_iter()
        .map(|((_, a), (_, b))| (a.name.clone(), b.name.clone()))
        .collect();
        renames.fields = fields;
        renames
    }

    /// The new name of an old form (its own name if not renamed).
    pub(crate) fn form_to_new<'a>(&'a self, old: &'a str) -> &'a str {
        find(&self.forms, old, |(o, n)| (o, n))
    }

    /// The old name of a new form (its own name if not renamed).
    pub(crate) fn form_to_old<'a>(&'a self, new: &'a str) -> &'a str {
        find(&self.forms, new, |(o, n)| (n, o))
    }

    /// Whether this new form name is the result of a rename.
    pub(crate) fn form_renamed(&self, new: &str) -> bool {
        self.forms.iter().any(|(_, n)| n == new)
    }

    /// The new name of an old field (its own name if not renamed).
    pub(crate) fn field_to_new<'a>(&'a self, old: &'a str) -> &'a str {
        find(&self.fields, old, |(o, n)| (o, n))
    }

    /// The old name of a new field (its own name if not renamed).
    pub(crate) fn field_to_old<'a>(&'a self, new: &'a str) -> &'a str {
        find(&self.fields, new, |(o, n)| (n, o))
    }
}

fn find<'a>(
    pairs: &'a [(String, String)],
    name: &'a str,
    orient: impl Fn((&'a String, &'a String)) -> (&'a String, &'a String),
) -> &'a str {
    pairs
        .iter()
        .map(|(o, n)| orient((o, n)))
        .find(|(from, _)| *from == name)
        .map_or(name, |(_, to)| to.as_str())
}

/// Pairs `(a, b)` where `a` matches `b` and neither matches anything else.
fn unique_pairs<'a, T>(
    removed: &[&'a T],
    added: &[&'a T],
    matches: impl Fn(&T, &T) -> bool,
) -> Vec<(&'a T, &'a T)> {
    let mut pairs = Vec::new();
    for a in removed {
        let candidates: Vec<&&T> = added.iter().filter(|b| matches(a, b)).collect();
        let [b] = candidates.as_slice() else {
            continue;
        };
        if removed.iter().filter(|other| matches(other, b)).count() == 1 {
            pairs.push((*a, **b));
        }
    }
    pairs
}
