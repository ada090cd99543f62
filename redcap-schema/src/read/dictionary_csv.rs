//! Data dictionary CSV, as the web UI downloads it (label headers) or the API
//! exports it (`field_name, …` headers). Columns are mapped by position, as
//! REDCap maps them; the header row is only checked: a cell that is not one of
//! REDCap's names for its column (a tool wrote an index name there) is a
//! warning, and only a first row that names no column at all is refused.

use crate::dictionary::{Column, DictionaryRow};
use crate::error::{Error, LineCounter, line_col};
use crate::problem::{Location, Problem, Severity};

/// The fewest columns a dictionary can have and still name, place and type
/// its fields (A to E); older exports lack the last columns.
const MIN_COLUMNS: usize = 5;

/// Reads the rows of a dictionary CSV. `text` has no BOM. Line ends may be
/// CRLF, LF or CR alone; quoted cells may span lines. Fully blank rows are
/// skipped; short rows are padded with empty cells.
pub fn read_dictionary_csv(text: &str, source_name: &str) -> Result<Vec<DictionaryRow>, Error> {
    read_dictionary_csv_with_notes(text, source_name).map(|(rows, _)| rows)
}

/// [`read_dictionary_csv`], with a warning naming the header cells that are
/// not REDCap's.
pub fn read_dictionary_csv_with_notes(
    text: &str,
    source_name: &str,
) -> Result<(Vec<DictionaryRow>, Vec<Problem>), Error> {
    let mut notes = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut index = 0usize;
    let mut lines = LineCounter::new(text);
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            let offset = e.position().map_or(text.len(), |p| p.byte() as usize);
            Error::Csv {
                source_name: source_name.to_owned(),
                line: line_col(text, offset).0,
                message: e.to_string(),
            }
        })?;
        if !more {
            break;
        }
        // The reader's position of a record can sit on blank lines it
        // skipped before it; the record starts after them.
        let mut offset = record.position().map_or(0, |p| p.byte() as usize);
        while matches!(text.as_bytes().get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        let line = lines.line_at(offset);
        index += 1;
        if index == 1 {
            notes = check_header(&record, source_name)?;
            continue;
        }
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        if let Some((position, cell)) = record
            .iter()
            .enumerate()
            .skip(Column::ALL.len())
            .find(|(_, cell)| !cell.is_empty())
        {
            return Err(Error::Csv {
                source_name: source_name.to_owned(),
                line,
                message: format!(
                    "cell {} ({cell:?}) is beyond the 18 columns of a data dictionary",
                    position + 1
                ),
            });
        }
        let mut row = DictionaryRow {
            row: index,
            line: Some(line),
            ..DictionaryRow::default()
        };
        for (cell, slot) in record.iter().zip(row.cells.iter_mut()) {
            cell.clone_into(slot);
        }
        rows.push(row);
    }
    if index == 0 {
        return Err(Error::UnknownFormat {
            source_name: source_name.to_owned(),
            reason: "empty input: no header row".to_owned(),
        });
    }
    Ok((rows, notes))
}

/// Lower-case letters and digits only, so that `Identifier?` matches
/// `identifier` and spacing or punctuation differences do not matter.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a header cell is one of REDCap's names for that position.
pub(crate) fn header_matches(cell: &str, column: Column) -> bool {
    let cell = normalise(cell);
    cell == normalise(column.api_name()) || cell == normalise(column.ui_label())
}

/// Checks the header row: an error when it is too short or names none of the
/// first columns (it is then no dictionary header, and REDCap would skip a row
/// of data), else a warning naming the cells that are not REDCap's.
fn check_header(record: &csv::StringRecord, source_name: &str) -> Result<Vec<Problem>, Error> {
    let broken = |column: usize, found: &str, expected: String| Error::Header {
        source_name: source_name.to_owned(),
        column,
        found: found.to_owned(),
        expected,
    };
    let expected = |column: Column| format!("{} or {}", column.api_name(), column.ui_label());
    let names_a_column = record
        .iter()
        .zip(Column::ALL)
        .take(MIN_COLUMNS)
        .any(|(cell, column)| header_matches(cell, column));
    if !names_a_column {
        let found = record.get(0).unwrap_or_default();
        return Err(broken(1, found, expected(Column::FieldName)));
    }
    let width = record.iter().take(Column::ALL.len()).count();
    if width < MIN_COLUMNS {
        let column = Column::ALL[width];
        return Err(broken(width + 1, "", expected(column)));
    }
    let mut differing = Vec::new();
    for (i, cell) in record.iter().enumerate() {
        let wanted = match Column::ALL.get(i) {
            Some(&column) if !header_matches(cell, column) => expected(column),
            None if !cell.trim().is_empty() => "nothing (a dictionary has 18 columns)".to_owned(),
            _ => continue,
        };
        differing.push((i, cell, wanted));
    }
    let by_position = "columns are read by position, as REDCap reads them.";
    // One cell gets its own warning; a header that differs in many (another
    // tool's names, say) gets one warning that lists them, not one per cell.
    let notes = match differing.as_slice() {
        [] => Vec::new(),
        [(i, cell, wanted)] => vec![header_note(
            Column::ALL.get(*i).copied(),
            format!(
                "header cell {} is {cell:?}, not {wanted}; {by_position}",
                i + 1
            ),
        )],
        many => {
            let cells: Vec<String> = many
                .iter()
                .map(|(i, cell, _)| format!("{} {cell:?}", i + 1))
                .collect();
            vec![header_note(
                None,
                format!(
                    "{} header cells are not REDCap's names for their columns (cell {}); {by_position}",
                    many.len(),
                    cells.join(", ")
                ),
            )]
        }
    };
    Ok(notes)
}

/// A warning about the header row.
fn header_note(column: Option<Column>, message: String) -> Problem {
    Problem {
        severity: Severity::Warning,
        code: "dictionary-header",
        location: Location {
            row: Some(1),
            column,
            ..Location::default()
        },
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "field_name,form_name,section_header,field_type,field_label,select_choices_or_calculations,field_note,text_validation_type_or_show_slider_number,text_validation_min,text_validation_max,identifier,branching_logic,required_field,custom_alignment,question_number,matrix_group_name,matrix_ranking,field_annotation";

    #[test]
    fn reads_every_line_ending_and_multiline_cells() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = format!(
                "{HEADER}{eol}record_id,f,,text,ID{eol}notes,f,,notes,\"two{eol}lines\"{eol}{eol}x,f,,text,X{eol}"
            );
            let rows = read_dictionary_csv(&text, "t.csv").unwrap();
            assert_eq!(rows.len(), 3, "{eol:?}");
            assert_eq!(rows[1].get(Column::FieldLabel), format!("two{eol}lines"));
            assert_eq!((rows[1].row, rows[1].line), (3, Some(3)));
            assert_eq!((rows[2].row, rows[2].line), (4, Some(6)));
        }
    }

    #[test]
    fn broken_header_is_located() {
        let err = read_dictionary_csv("record_id,f,,text,ID\n", "t.csv").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: line 1, column 1: broken header: found \"record_id\", expected \"field_name or Variable / Field Name\""
        );
        let (_, notes) =
            read_dictionary_csv_with_notes(&format!("{HEADER},extra\n"), "t.csv").unwrap();
        assert!(notes[0].message.starts_with("header cell 19"), "{notes:?}");
        let indexed = HEADER.replacen("field_name", "Unnamed: 0", 1);
        let text = format!("{indexed}\nrecord_id,f,,text,ID\n");
        let (rows, notes) = read_dictionary_csv_with_notes(&text, "t.csv").unwrap();
        assert_eq!(rows[0].field_name(), "record_id");
        assert_eq!(
            notes[0].to_string(),
            "warning[dictionary-header]: row 1, cell A1: header cell 1 is \"Unnamed: 0\", not field_name or Variable / Field Name; columns are read by position, as REDCap reads them."
        );
        let renamed = HEADER
            .replacen("field_name", "Variable", 1)
            .replacen("form_name", "Form", 1)
            .replacen("field_type", "Type", 1);
        let (_, notes) = read_dictionary_csv_with_notes(&format!("{renamed}\n"), "t.csv").unwrap();
        assert_eq!(
            notes.len(),
            1,
            "one warning for the whole header: {notes:?}"
        );
        assert_eq!(
            notes[0].message,
            "3 header cells are not REDCap's names for their columns (cell 1 \"Variable\", 2 \"Form\", 4 \"Type\"); columns are read by position, as REDCap reads them."
        );
    }

    #[test]
    fn cells_beyond_r_are_an_error() {
        let text = format!("{HEADER}\nrecord_id,f,,text,ID,,,,,,,,,,,,,,surplus\n");
        let err = read_dictionary_csv(&text, "t.csv").unwrap_err();
        assert!(
            err.to_string().starts_with("t.csv: line 2: cell 19"),
            "{err}"
        );
    }
}
