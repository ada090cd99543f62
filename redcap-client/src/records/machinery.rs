//! What the record derives expand to call: column-list assembly, the pieces of a
//! project's `Row`, and grouping rows into records. Reached through
//! [`crate::__private`]; nothing here is meant to be called by hand.

use super::{FlatRow, GroupError, Instance, RecordId, RowKey, ValueError};

/// The number of entries of `parts` put end to end.
pub const fn total_len(parts: &[&[&'static str]]) -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < parts.len() {
        total += parts[i].len();
        i += 1;
    }
    total
}

/// `parts` put end to end, as an array of `N` (= [`total_len`]) names: how a derive
/// builds a type's `COLUMNS` from the columns of its parts at compile time.
pub const fn concat<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut k = 0;
    let mut i = 0;
    while i < parts.len() {
        let mut j = 0;
        while j < parts[i].len() {
            out[k] = parts[i][j];
            k += 1;
            j += 1;
        }
        i += 1;
    }
    assert!(k == N, "the parts hold another number of names");
    out
}

/// Whether two names are equal, at compile time.
pub const fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// An instrument struct: the form whose columns it holds.
pub trait Instrument: FlatRow {
    /// The instrument's unique name.
    const FORM: &'static str;
}

/// The export columns of a checkbox field, written by `#[derive(Choice)]` on the field's
/// choice enum: one column per choice of `Choice::ALL`, in its order.
pub trait CheckboxColumns: super::Choice {
    /// The field.
    const FIELD: &'static str;
    /// Its columns (`field___code`).
    const COLUMNS: &'static [&'static str];
    /// The position of `column` in [`CheckboxColumns::COLUMNS`].
    fn column_position(column: &str) -> Option<usize>;
}

/// A project's generated `Row`: its key and its instruments by form name.
pub trait ProjectRow: FlatRow + Clone {
    /// Where the row belongs.
    fn key(&self) -> &RowKey;
    /// Where the row belongs.
    fn key_mut(&mut self) -> &mut RowKey;
    /// The first instrument, other than the forms in `keep`, that holds data.
    fn data_outside(&self, keep: &[&str]) -> Option<&'static str>;
}

/// A row type holding the instrument `T`.
pub trait Holds<T> {
    /// The instrument's data on this row.
    fn part_mut(&mut self) -> &mut T;
}

/// Instruments held together: a classic project's record, or one event of a
/// longitudinal record. `R` is the project's `Row`.
pub trait Container<R: ProjectRow>: Default {
    /// Takes a base row's data (no repeat instance).
    fn absorb_base(&mut self, row: &mut R) -> Result<(), String>;
    /// Takes the data of a row that is an instance of one of its repeating instruments.
    fn absorb_instance(&mut self, form: &str, instance: u32, row: &mut R) -> Result<(), String>;
    /// Copies its non-repeating instruments into `row`; whether any holds data.
    fn fill(&self, row: &mut R) -> bool;
    /// Appends the rows of its repeating instruments, with `key`'s record and event.
    fn emit_instances(&self, key: &RowKey, rows: &mut Vec<R>);

    /// Takes one row: a base row, or an instance of a repeating instrument.
    fn absorb(&mut self, row: &mut R) -> Result<(), String> {
        let key = row.key();
        match (key.repeat_instrument.clone(), key.repeat_instance) {
            (None, None) => self.absorb_base(row),
            (Some(form), Some(instance)) => self.absorb_instance(&form, instance, row),
            (instrument, instance) => Err(no_fit(instrument.as_deref(), instance)),
        }
    }

    /// Its rows as REDCap exports them: the base row, when it holds data or there is no
    /// other row, then the repeat instances.
    fn emit(&self, key: &RowKey, rows: &mut Vec<R>) {
        let first = rows.len();
        self.emit_instances(key, rows);
        let mut row = R::default();
        if self.fill(&mut row) || rows.len() == first {
            *row.key_mut() = key.clone();
            rows.insert(first, row);
        }
    }
}

/// A project's generated `Record`: rows grouped by record, event and instance.
pub trait Grouped<R: ProjectRow>: Default {
    /// A record without data.
    fn new(id: RecordId) -> Self;
    /// The record name.
    fn id(&self) -> &RecordId;
    /// The record's data access group.
    fn dag(&self) -> &Option<String>;
    /// The record's data access group.
    fn dag_mut(&mut self) -> &mut Option<String>;
    /// Takes one row of this record.
    fn absorb(&mut self, row: &mut R) -> Result<(), String>;
    /// Appends the record's rows, in REDCap's export order.
    fn emit(&self, rows: &mut Vec<R>);
}

/// Groups flat rows (as exported, ordered by record) into records.
pub fn from_rows<G: Grouped<R>, R: ProjectRow>(rows: Vec<R>) -> Result<Vec<G>, GroupError> {
    let mut records: Vec<G> = Vec::new();
    let mut seen = super::pseudo::SeenRows::default();
    for (index, mut row) in rows.into_iter().enumerate() {
        if records
            .last()
            .is_none_or(|record| *record.id() != row.key().record)
        {
            records.push(G::new(row.key().record.clone()));
        }
        let Some(record) = records.last_mut() else {
            unreachable!("a record was just pushed");
        };
        let dag = row.key_mut().dag.take();
        seen.check(row.key())
            .and_then(|()| super::pseudo::merge_dag(record.dag_mut(), dag))
            .and_then(|()| record.absorb(&mut row))
            .map_err(|message| GroupError {
                row: index + 1,
                record: record.id().clone(),
                message,
            })?;
    }
    Ok(records)
}

/// A record as flat rows, in REDCap's export order, each carrying the record's DAG.
pub fn to_rows<G: Grouped<R>, R: ProjectRow>(record: &G) -> Vec<R> {
    let mut rows = Vec::new();
    record.emit(&mut rows);
    for row in &mut rows {
        row.key_mut().dag.clone_from(record.dag());
    }
    rows
}

/// Refuses data on a base row for an instrument outside `forms`.
pub fn only_data_in<R: ProjectRow>(row: &R, forms: &[&str]) -> Result<(), String> {
    match row.data_outside(forms) {
        Some(form) => Err(format!(
            "data for `{form}`, which this row's event does not hold or which repeats there"
        )),
        None => Ok(()),
    }
}

/// Takes a repeat instance of the instrument `T` from `row`.
pub fn absorb_instance<T: Instrument, R: ProjectRow + Holds<T>>(
    instances: &mut Vec<Instance<T>>,
    instance: u32,
    row: &mut R,
) -> Result<(), String> {
    if let Some(form) = row.data_outside(&[T::FORM]) {
        return Err(format!(
            "data for `{form}` on a row of the repeating instrument `{}`",
            T::FORM
        ));
    }
    let data = std::mem::take(row.part_mut());
    instances.push(Instance { instance, data });
    Ok(())
}

/// Appends one row per repeat instance of the instrument `T`.
pub fn emit_instances<T: Instrument + Clone, R: ProjectRow + Holds<T>>(
    instances: &[Instance<T>],
    key: &RowKey,
    rows: &mut Vec<R>,
) {
    for instance in instances {
        let mut row = R::default();
        *row.key_mut() = RowKey {
            repeat_instrument: Some(T::FORM.to_string()),
            repeat_instance: Some(instance.instance),
            ..key.clone()
        };
        row.part_mut().clone_from(&instance.data);
        rows.push(row);
    }
}

/// Moves an instrument's data off a base row.
pub fn take<T: Default, R: Holds<T>>(row: &mut R) -> T {
    std::mem::take(row.part_mut())
}

/// Copies an instrument's data onto a row; whether it holds any.
pub fn fill<T: Default + Clone + PartialEq, R: Holds<T>>(data: &T, row: &mut R) -> bool {
    row.part_mut().clone_from(data);
    *data != T::default()
}

/// Why a row's repeat columns do not fit the place it names.
pub fn no_fit(instrument: Option<&str>, instance: Option<u32>) -> String {
    format!("repeat instrument {instrument:?} with instance {instance:?} does not fit the project")
}

/// The event of a row of a longitudinal project.
pub fn event_of(key: &RowKey) -> Result<String, String> {
    key.event
        .clone()
        .ok_or_else(|| "a row without `redcap_event_name`".to_string())
}

/// Why a row names an event the project does not have.
pub fn unknown_event(event: &str) -> String {
    format!("unknown event `{event}`")
}

/// Takes a row of a non-repeating event.
pub fn absorb_event<E: Container<R>, R: ProjectRow>(
    slot: &mut Option<E>,
    row: &mut R,
) -> Result<(), String> {
    slot.get_or_insert_with(E::default).absorb(row)
}

/// Takes a row of a repeating event: an instance, with no repeat instrument.
pub fn absorb_event_instance<E: Container<R>, R: ProjectRow>(
    instances: &mut Vec<Instance<E>>,
    event: &str,
    row: &mut R,
) -> Result<(), String> {
    let key = row.key();
    let (None, Some(instance)) = (key.repeat_instrument.as_deref(), key.repeat_instance) else {
        return Err(format!(
            "a row of the repeating event `{event}` needs an instance and no repeat instrument"
        ));
    };
    let mut data = E::default();
    data.absorb_base(row)?;
    instances.push(Instance { instance, data });
    Ok(())
}

/// Appends the rows of a non-repeating event the record has.
pub fn emit_event<E: Container<R>, R: ProjectRow>(
    slot: &Option<E>,
    record: &RecordId,
    event: &str,
    rows: &mut Vec<R>,
) {
    if let Some(data) = slot {
        data.emit(&event_key(record, event), rows);
    }
}

/// Appends one row per instance of a repeating event.
pub fn emit_event_instances<E: Container<R>, R: ProjectRow>(
    instances: &[Instance<E>],
    record: &RecordId,
    event: &str,
    rows: &mut Vec<R>,
) {
    for instance in instances {
        let mut row = R::default();
        instance.data.fill(&mut row);
        *row.key_mut() = RowKey {
            repeat_instance: Some(instance.instance),
            ..event_key(record, event)
        };
        rows.push(row);
    }
}

fn event_key(record: &RecordId, event: &str) -> RowKey {
    RowKey {
        record: record.clone(),
        event: Some(event.to_string()),
        ..RowKey::default()
    }
}

/// Sets the checkbox column of the choice at `position` in `C::ALL`.
pub fn set_checkbox<C: super::Choice>(
    field: &mut super::Checkboxes<C>,
    position: usize,
    raw: &str,
) -> Result<(), ValueError> {
    field.set_column_at(position, raw)
}

/// The text of the checkbox column of the choice at `position` in `C::ALL`.
pub fn checkbox_text<C: super::Choice>(
    field: &super::Checkboxes<C>,
    position: usize,
) -> std::borrow::Cow<'static, str> {
    std::borrow::Cow::Borrowed(field.column_text_at(position))
}

/// Reads `redcap_repeat_instance` text: blank, or a positive integer as REDCap writes it.
pub fn parse_instance(raw: &str) -> Result<Option<u32>, ValueError> {
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u32>() {
        Ok(n) if n > 0 && n.to_string() == raw => Ok(Some(n)),
        _ => Err(ValueError::expected("a repeat instance (1, 2, …)")),
    }
}

/// Text of a key column: blank is `None`.
pub fn non_blank(raw: &str) -> Option<String> {
    (!raw.is_empty()).then(|| raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTS: &[&[&str]] = &[&["a", "b"], &[], &["c"]];

    #[test]
    fn parts_are_joined_at_compile_time() {
        const JOINED: &[&str] = &concat::<{ total_len(PARTS) }>(PARTS);
        assert_eq!(JOINED, ["a", "b", "c"]);
        assert!(same_name("gym", "gym"));
        assert!(!same_name("gym", "gyms"));
    }

    #[test]
    fn repeat_instances_are_positive_integers_as_written() {
        assert_eq!(parse_instance(""), Ok(None));
        assert_eq!(parse_instance("3"), Ok(Some(3)));
        for bad in ["0", "03", "+3", "-1", "x"] {
            assert!(parse_instance(bad).is_err(), "{bad}");
        }
    }
}
