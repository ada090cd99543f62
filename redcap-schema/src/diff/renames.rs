//! Renames, reported only on strong evidence: an instrument that lost its
//! name and one that gained a name hold the same fields; a field that lost
//! its name and one that gained a name have the same label, type and
//! choices in the same instrument. Each pairing must be the only one possible either way, so that a
//! rename is never guessed between look-alikes.

use std::collections::HashMap;
use std::hash::Hash;

use super::lookup::Lookup;
use crate::model::{Field, Form, ProjectSchema};

/// Old name → new name of instruments and fields found renamed, looked up either way.
#[derive(Debug, Default)]
pub(crate) struct Renames {
    forms: Pairs,
    fields: Pairs,
}

/// Renames of one kind, by old and by new name.
#[derive(Debug, Default)]
struct Pairs {
    to_new: HashMap<String, String>,
    to_old: HashMap<String, String>,
}

impl Pairs {
    fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut this = Pairs::default();
        for (old, new) in pairs {
            this.to_new.insert(old.to_owned(), new.to_owned());
            this.to_old.insert(new.to_owned(), old.to_owned());
        }
        this
    }
}

impl Renames {
    pub(crate) fn detect(
        old: &ProjectSchema,
        new: &ProjectSchema,
        old_names: &Lookup<'_>,
        new_names: &Lookup<'_>,
    ) -> Renames {
        let removed_forms: Vec<&Form> = old
            .forms
            .iter()
            .filter(|f| new_names.form(&f.name).is_none() && !f.fields.is_empty())
            .collect();
        let added_forms: Vec<&Form> = new
            .forms
            .iter()
            .filter(|f| old_names.form(&f.name).is_none())
            .collect();
        let forms = unique_pairs(
            &removed_forms,
            &added_forms,
            |f| field_names(f),
            |a, b| field_names(a) == field_names(b),
        );
        let mut renames = Renames {
            forms: Pairs::new(
                forms
                    .into_iter()
                    .map(|(a, b)| (a.name.as_str(), b.name.as_str())),
            ),
            fields: Pairs::default(),
        };
        let removed: Vec<(&str, &Field)> = old
            .fields()
            .filter(|(_, f)| new_names.field(&f.name).is_none())
            .map(|(form, f)| (renames.form_to_new(&form.name), f))
            .collect();
        let added: Vec<(&str, &Field)> = new
            .fields()
            .filter(|(_, f)| old_names.field(&f.name).is_none())
            .map(|(form, f)| (form.name.as_str(), f))
            .collect();
        // A field renamed and moved at once is too weak a match: labels such
        // as "Email" recur across instruments.
        let fields = unique_pairs(
            &removed,
            &added,
            |(form, f)| (*form, f.label.as_str()),
            |(form_a, a), (form_b, b)| {
                form_a == form_b
                    && !a.label.trim().is_empty()
                    && a.label == b.label
                    && a.field_type == b.field_type
                    && a.choices == b.choices
            },
        );
        let fields = Pairs::new(
            fields
                .into_iter()
                .map(|((_, a), (_, b))| (a.name.as_str(), b.name.as_str())),
        );
        renames.fields = fields;
        renames
    }

    /// The new name of an old form (its own name if not renamed).
    pub(crate) fn form_to_new<'a>(&'a self, old: &'a str) -> &'a str {
        self.forms.to_new.get(old).map_or(old, String::as_str)
    }

    /// The old name of a new form (its own name if not renamed).
    pub(crate) fn form_to_old<'a>(&'a self, new: &'a str) -> &'a str {
        self.forms.to_old.get(new).map_or(new, String::as_str)
    }

    /// Whether this new form name is the result of a rename.
    pub(crate) fn form_renamed(&self, new: &str) -> bool {
        self.forms.to_old.contains_key(new)
    }

    /// The new name of an old field (its own name if not renamed).
    pub(crate) fn field_to_new<'a>(&'a self, old: &'a str) -> &'a str {
        self.fields.to_new.get(old).map_or(old, String::as_str)
    }

    /// The old name of a new field (its own name if not renamed).
    pub(crate) fn field_to_old<'a>(&'a self, new: &'a str) -> &'a str {
        self.fields.to_old.get(new).map_or(new, String::as_str)
    }
}

fn field_names(form: &Form) -> Vec<&str> {
    form.fields.iter().map(|f| f.name.as_str()).collect()
}

/// Pairs `(a, b)` where `a` matches `b` and neither matches anything else. Only items
/// in the same `bucket` can match, which keeps the comparisons to look-alikes.
fn unique_pairs<'a, T, K: Hash + Eq>(
    removed: &'a [T],
    added: &'a [T],
    bucket: impl Fn(&'a T) -> K,
    matches: impl Fn(&T, &T) -> bool,
) -> Vec<(&'a T, &'a T)> {
    let mut buckets: HashMap<K, (Vec<&'a T>, Vec<&'a T>)> = HashMap::new();
    for a in removed {
        buckets.entry(bucket(a)).or_default().0.push(a);
    }
    for b in added {
        if let Some((_, candidates)) = buckets.get_mut(&bucket(b)) {
            candidates.push(b);
        }
    }
    let mut pairs = Vec::new();
    for a in removed {
        let (others, candidates) = &buckets[&bucket(a)];
        let matched: Vec<&&T> = candidates.iter().filter(|b| matches(a, b)).collect();
        let [b] = matched.as_slice() else {
            continue;
        };
        if others.iter().filter(|other| matches(other, b)).count() == 1 {
            pairs.push((a, **b));
        }
    }
    pairs
}
