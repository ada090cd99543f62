//! Instruments and fields of one side of a diff by name, so that pairing the two sides
//! costs one hash look-up per name instead of a scan of the whole schema.

use std::collections::HashMap;

use crate::model::{Field, Form, ProjectSchema};

/// A schema's instruments and fields by name; the first wins when a name repeats, as a
/// scan in schema order would find it.
pub(crate) struct Lookup<'s> {
    forms: HashMap<&'s str, &'s Form>,
    fields: HashMap<&'s str, (&'s Form, &'s Field)>,
}

impl<'s> Lookup<'s> {
    pub(crate) fn new(schema: &'s ProjectSchema) -> Self {
        let mut forms = HashMap::with_capacity(schema.forms.len());
        let mut fields = HashMap::new();
        for form in &schema.forms {
            forms.entry(form.name.as_str()).or_insert(form);
            for field in &form.fields {
                fields.entry(field.name.as_str()).or_insert((form, field));
            }
        }
        Self { forms, fields }
    }

    /// The instrument with this name.
    pub(crate) fn form(&self, name: &str) -> Option<&'s Form> {
        self.forms.get(name).copied()
    }

    /// The field with this name and its instrument.
    pub(crate) fn field(&self, name: &str) -> Option<(&'s Form, &'s Field)> {
        self.fields.get(name).copied()
    }
}
