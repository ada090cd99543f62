//! Cells whose text does not fit their field, collected across a whole export.
//!
//! REDCap checks a value against its field's validation only when the value is saved, so a
//! project whose validation changed after data entry holds values its fields no longer
//! accept. One such cell must not hide the others, nor turn the rest of the export into an
//! error: decoding reads every row, leaves each invalid cell unset and lists it here with
//! where it is.

use std::fmt;

/// The key columns of a row: a row whose key cannot be read is left out whole, since its
/// data would otherwise land on another row's key.
const KEY_COLUMNS: [&str; 3] = [
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
];

/// One cell whose text does not fit its field, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCell {
    /// 1-based row of the export (CSV: data row, not counting the header; a batched
    /// export counts across its batches, in record order).
    pub row: usize,
    /// The record, when the row has one.
    pub record: Option<String>,
    /// The row's `redcap_event_name`, when not blank.
    pub event: Option<String>,
    /// The row's `redcap_repeat_instrument`, when not blank.
    pub repeat_instrument: Option<String>,
    /// The row's `redcap_repeat_instance` text, when not blank.
    pub repeat_instance: Option<String>,
    /// The export column (`field`, or `field___code` for a checkbox).
    pub column: String,
    /// The text found.
    pub value: String,
    /// What the field accepts.
    pub expected: String,
    /// Whether the cell is part of the row's key (event, repeat instrument or instance), so
    /// that the whole row was left out of the decoded rows rather than given a wrong key.
    pub row_withheld: bool,
}

impl fmt::Display for InvalidCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(record) = &self.record {
            write!(f, ", record `{record}`")?;
        }
        if let Some(event) = &self.event {
            write!(f, ", event `{event}`")?;
        }
        if let Some(instrument) = &self.repeat_instrument {
            write!(f, ", instrument `{instrument}`")?;
        }
        if let Some(instance) = &self.repeat_instance {
            write!(f, ", instance {instance}")?;
        }
        write!(
            f,
            ": column `{}`: `{}` is not {}",
            self.column, self.value, self.expected
        )?;
        if self.row_withheld {
            f.write_str(" (the row was left out)")?;
        }
        Ok(())
    }
}

/// Every cell of an export whose text does not fit its field, in export order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvalidCells(Vec<InvalidCell>);

/// How many cells `Display` lists before summing up the rest.
const SHOWN: usize = 20;

impl InvalidCells {
    /// Whether every cell fit.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of invalid cells.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The cells, in export order.
    pub fn iter(&self) -> std::slice::Iter<'_, InvalidCell> {
        self.0.iter()
    }

    /// The cells as a list.
    pub fn into_vec(self) -> Vec<InvalidCell> {
        self.0
    }

    /// The cells as a slice.
    pub fn as_slice(&self) -> &[InvalidCell] {
        &self.0
    }

    /// Takes the cells of a later part of the same export, whose rows come after
    /// `rows_before` rows.
    pub(crate) fn append(&mut self, later: InvalidCells, rows_before: usize) {
        self.0.extend(later.0.into_iter().map(|mut cell| {
            cell.row += rows_before;
            cell
        }));
    }

    /// How many rows were left out whole.
    pub(crate) fn withheld_rows(&self) -> usize {
        let mut rows: Vec<usize> = self
            .0
            .iter()
            .filter(|cell| cell.row_withheld)
            .map(|cell| cell.row)
            .collect();
        rows.dedup();
        rows.len()
    }
}

impl fmt::Display for InvalidCells {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.len() {
            0 => return f.write_str("every value fits its field"),
            1 => write!(f, "1 value does not fit its field:")?,
            n => write!(f, "{n} values do not fit their fields:")?,
        }
        for cell in self.0.iter().take(SHOWN) {
            write!(f, "\n  {cell}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, "\n  … and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidCells {}

impl<'a> IntoIterator for &'a InvalidCells {
    type Item = &'a InvalidCell;
    type IntoIter = std::slice::Iter<'a, InvalidCell>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for InvalidCells {
    type Item = InvalidCell;
    type IntoIter = std::vec::IntoIter<InvalidCell>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// What became of a decoded row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RowOutcome {
    /// Every cell fit.
    Clean,
    /// Some cells did not fit and were left unset; they are listed.
    Invalid,
    /// A key cell did not fit: the row is left out, its cells listed.
    Withheld,
}

/// Collects the invalid cells of an export, row by row.
#[derive(Debug, Default)]
pub(super) struct Collector {
    cells: Vec<InvalidCell>,
    /// Cells of the current row: column, value, what was expected.
    pending: Vec<(String, String, String)>,
    record: Slot,
    event: Slot,
    repeat_instrument: Slot,
    repeat_instance: Slot,
    started: bool,
}

/// A key cell of the current row, its buffer reused from row to row so that a clean row
/// costs no allocation.
#[derive(Debug, Default)]
struct Slot {
    text: String,
    set: bool,
}

impl Slot {
    fn put(&mut self, raw: &str) {
        self.text.clear();
        self.text.push_str(raw);
        self.set = true;
    }

    fn get(&self) -> Option<String> {
        self.set.then(|| self.text.clone())
    }
}

impl Collector {
    /// Whether [`Collector::note`] keeps anything of this column after a row's first.
    pub(super) fn notes(column: &str) -> bool {
        KEY_COLUMNS.contains(&column)
    }

    /// Notes a cell of the current row, for the context of its invalid cells: the first
    /// cell is the record (REDCap puts the record id first), and the key columns.
    pub(super) fn note(&mut self, column: &str, raw: &str) {
        if !self.started {
            self.started = true;
            self.record.put(raw);
        } else if !raw.is_empty() {
            let slot = match column {
                "redcap_event_name" => &mut self.event,
                "redcap_repeat_instrument" => &mut self.repeat_instrument,
                "redcap_repeat_instance" => &mut self.repeat_instance,
                _ => return,
            };
            slot.put(raw);
        }
    }

    /// Lists a cell of the current row that does not fit.
    pub(super) fn fail(&mut self, column: &str, value: &str, expected: String) {
        self.pending
            .push((column.to_string(), value.to_string(), expected));
    }

    /// Ends row `number`: its invalid cells join the list with the row's context.
    pub(super) fn end_row(&mut self, number: usize) -> RowOutcome {
        let outcome = if self.pending.is_empty() {
            RowOutcome::Clean
        } else {
            let withheld = self
                .pending
                .iter()
                .any(|(column, ..)| KEY_COLUMNS.contains(&column.as_str()));
            for (column, value, expected) in self.pending.drain(..) {
                self.cells.push(InvalidCell {
                    row: number,
                    record: self.record.get(),
                    event: self.event.get(),
                    repeat_instrument: self.repeat_instrument.get(),
                    repeat_instance: self.repeat_instance.get(),
                    column,
                    value,
                    expected,
                    row_withheld: withheld,
                });
            }
            if withheld {
                RowOutcome::Withheld
            } else {
                RowOutcome::Invalid
            }
        };
        self.started = false;
        self.record.set = false;
        self.event.set = false;
        self.repeat_instrument.set = false;
        self.repeat_instance.set = false;
        outcome
    }

    /// The cells listed so far.
    pub(super) fn finish(self) -> InvalidCells {
        InvalidCells(self.cells)
    }
}

#[cfg(test)]
mod tests {
    use super::{Collector, RowOutcome};

    #[test]
    fn cells_carry_their_row_context_and_key_cells_withhold_the_row() {
        let mut collector = Collector::default();
        collector.note("record_id", "7");
        collector.note("redcap_event_name", "baseline_arm_1");
        collector.note("age", "abc");
        collector.fail("age", "abc", "an integer".into());
        assert_eq!(collector.end_row(1), RowOutcome::Invalid);
        collector.note("record_id", "8");
        assert_eq!(collector.end_row(2), RowOutcome::Clean);
        collector.note("record_id", "9");
        collector.note("redcap_repeat_instance", "x");
        collector.fail("redcap_repeat_instance", "x", "a repeat instance".into());
        assert_eq!(collector.end_row(3), RowOutcome::Withheld);
        let cells = collector.finish();
        assert_eq!(cells.len(), 2);
        let text = cells.to_string();
        assert!(
            text.starts_with("2 values do not fit their fields:"),
            "{text}"
        );
        assert!(
            text.contains(
                "row 1, record `7`, event `baseline_arm_1`: column `age`: `abc` is not an integer"
            ),
            "{text}"
        );
        assert!(text.contains("(the row was left out)"), "{text}");
        assert!(cells.as_slice()[0].event.is_some() && cells.as_slice()[1].event.is_none());
    }
}
