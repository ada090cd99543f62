//! The list form of a checkbox field: one column holding the codes of the boxes ticked on
//! a row, in the dictionary's order, beside the field's one boolean column per choice.
//!
//! The list is `List<Utf8>`, not a list of dictionary-encoded codes: pyarrow, DuckDB
//! (`VARCHAR[]`), Polars (`List(String)`) and pandas all read it as their own list of
//! strings, whereas a dictionary inside a list becomes Polars' `List(Categorical)`, whose
//! categories must agree before two tables can be combined; and it would save nothing
//! in Parquet, which dictionary-encodes the list's values itself.
//!
//! The column is named after the field itself: REDCap exports a checkbox only as
//! `field___code` columns, field names are unique and cannot contain `___`, so no export
//! column of the project has the field's plain name.

use std::sync::Arc;

use arrow_array::ArrayRef;
use arrow_array::builder::{ListBuilder, StringBuilder};
use arrow_schema::{DataType, Field};

use crate::convert::Cells;
use crate::parse;

/// The Arrow type of a checkbox list column: a list of codes, never a null code.
pub(crate) fn list_type() -> DataType {
    DataType::List(Arc::new(item_field()))
}

fn item_field() -> Field {
    Field::new("item", DataType::Utf8, false)
}

/// One checkbox field's list column being built.
pub(crate) struct CheckboxList {
    /// (order of the choice in the dictionary, export column, code) of each choice,
    /// in the dictionary's order once laid out.
    choices: Vec<(usize, usize, String)>,
    /// The export columns of the field's missing-data codes.
    missing: Vec<usize>,
    builder: ListBuilder<StringBuilder>,
}

impl CheckboxList {
    pub(crate) fn new() -> CheckboxList {
        CheckboxList {
            choices: Vec::new(),
            missing: Vec::new(),
            builder: ListBuilder::new(StringBuilder::new()).with_field(item_field()),
        }
    }

    /// Adds the export column of the field's choice number `order` (from 0, in the
    /// dictionary), whatever the header's order.
    pub(crate) fn choice(&mut self, order: usize, source: usize, code: &str) {
        let at = self.choices.partition_point(|(o, ..)| *o < order);
        self.choices.insert(at, (order, source, code.to_owned()));
    }

    /// Adds the export column of one of the field's missing-data codes.
    pub(crate) fn missing_code(&mut self, source: usize) {
        self.missing.push(source);
    }

    /// Appends a row whose checkbox cells have been checked (`1`, `0` or blank) by their
    /// boolean columns.
    ///
    /// The list is null when every cell of the field is blank, and when a missing-data
    /// code is ticked and no choice is: the value is then unknown, not an empty
    /// selection, and the code is in its own `field___code` column — as a missing-data
    /// code of any other field leaves its value null.
    pub(crate) fn push<C: Cells + ?Sized>(&mut self, cells: &C) {
        let ticked = |source: usize| parse::boolean(cells.cell(source)) == Some(true);
        let mut any = false;
        for (_, source, code) in &self.choices {
            if ticked(*source) {
                self.builder.values().append_value(code);
                any = true;
            }
        }
        let answered = self
            .choices
            .iter()
            .map(|(_, source, _)| *source)
            .chain(self.missing.iter().copied())
            .any(|source| !cells.cell(source).is_empty());
        let unknown = self.missing.iter().any(|source| ticked(*source));
        self.builder.append(any || (answered && !unknown));
    }

    /// The column built so far, the builder left empty.
    pub(crate) fn finish(&mut self) -> ArrayRef {
        Arc::new(self.builder.finish())
    }
}

#[cfg(test)]
mod tests {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;

    use super::*;

    /// `field___1`, `field___2`, `field___3`, then `field___unk`, in columns 1 to 4; the
    /// header has the choices out of order.
    fn list() -> CheckboxList {
        let mut list = CheckboxList::new();
        list.choice(1, 2, "2");
        list.choice(0, 1, "1");
        list.choice(2, 3, "3");
        list.missing_code(4);
        list
    }

    fn codes(array: &ArrayRef, row: usize) -> Option<Vec<String>> {
        let list = array.as_list::<i32>();
        (!list.is_null(row)).then(|| {
            list.value(row)
                .as_string::<i32>()
                .iter()
                .map(|code| code.unwrap().to_owned())
                .collect()
        })
    }

    #[test]
    fn ticked_codes_in_dictionary_order() {
        let mut list = list();
        list.push(&["7", "1", "0", "1", "0"][..]);
        list.push(&["7", "0", "1", "0", "0"][..]);
        let array = list.finish();
        assert_eq!(array.data_type(), &list_type());
        assert_eq!(codes(&array, 0), Some(vec!["1".into(), "3".into()]));
        assert_eq!(codes(&array, 1), Some(vec!["2".into()]));
    }

    #[test]
    fn nothing_ticked_is_an_empty_list_not_a_null() {
        let mut list = list();
        list.push(&["7", "0", "0", "0", "0"][..]);
        let array = list.finish();
        assert_eq!(codes(&array, 0), Some(Vec::new()));
    }

    #[test]
    fn a_missing_data_code_leaves_the_list_null() {
        let mut list = list();
        list.push(&["7", "0", "0", "0", "1"][..]);
        let array = list.finish();
        assert!(array.is_null(0));
    }

    #[test]
    fn ticked_choices_stay_listed_beside_a_missing_data_code() {
        let mut list = list();
        list.push(&["7", "0", "1", "0", "1"][..]);
        let array = list.finish();
        assert_eq!(codes(&array, 0), Some(vec!["2".into()]));
    }

    #[test]
    fn blank_cells_give_a_null_list() {
        let mut list = list();
        list.push(&["7", "", "", "", ""][..]);
        list.push(&["7", "1", "0", "0", "0"][..]);
        let array = list.finish();
        assert!(array.is_null(0));
        assert_eq!(codes(&array, 1), Some(vec!["1".into()]));
        // The builder starts again empty.
        list.push(&["7", "0", "0", "1", "0"][..]);
        assert_eq!(codes(&list.finish(), 0), Some(vec!["3".into()]));
    }
}
