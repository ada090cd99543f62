//! The import preflight against a small classic project: every problem listed
//! at once with its row, record, field and value; errors and warnings apart.

use redcap_client::Row;
use redcap_client::import::{Severity, preflight};
use redcap_client::params::DateFormat;
use redcap_schema::ProjectSchema;

const DICTIONARY: &str = "\
Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation
record_id,intake,,text,Record ID,,,,,,,,,,,,,
dob,intake,,text,Date of birth,,,date_ymd,,,,,,,,,,
weight,intake,,text,Weight,,,number,30,200,,,,,,,,
age,intake,,text,Age,,,integer,0,120,,,,,,,,@FORCE-MINMAX
color,intake,,radio,Colour,\"1, Red | 2, Green\",,,,,,,,,,,,
pets,intake,,checkbox,Pets,\"1, Cat | 2, Dog\",,,,,,,,,,,,
bmi,intake,,calc,BMI,[weight]/4,,,,,,,,,,,,
scan,intake,,file,Scan,,,,,,,,,,,,,
";

fn schema() -> ProjectSchema {
    redcap_schema::read(DICTIONARY.as_bytes(), "dictionary.csv").expect("dictionary reads")
}

fn row(cells: &[(&str, &str)]) -> Row {
    cells.iter().map(|(c, v)| (*c, *v)).collect()
}

#[test]
fn a_clean_import_passes() {
    let rows = [row(&[
        ("record_id", "1"),
        ("dob", "2001-02-03"),
        ("weight", "70"),
        ("age", "40"),
        ("color", "2"),
        ("pets___1", "1"),
        ("intake_complete", "2"),
        ("intake_timestamp", "2024-01-01 10:00:00"),
        ("redcap_survey_identifier", ""),
    ])];
    let checked = preflight(&schema(), &rows, DateFormat::Ymd);
    assert!(checked.passes(true), "{checked}");
}

#[test]
fn every_problem_is_listed_with_its_place() {
    let rows = [
        row(&[("record_id", "1"), ("color", "7"), ("dob", "2021-02-30")]),
        row(&[("record_id", "2"), ("weight", "heavy"), ("colour", "1")]),
        row(&[
            ("record_id", "3"),
            ("age", "130"),
            ("pets___2", "yes"),
            ("bmi", "22"),
            ("scan", "x.pdf"),
            ("intake_complete", "5"),
        ]),
    ];
    let checked = preflight(&schema(), &rows, DateFormat::Ymd);
    let found: Vec<(usize, &str, &str, &str)> = checked
        .errors
        .iter()
        .map(|p| (p.row, p.record.as_str(), p.field.as_str(), p.value.as_str()))
        .collect();
    for expected in [
        (1, "1", "color", "7"),
        (1, "1", "dob", "2021-02-30"),
        (2, "2", "weight", "heavy"),
        (2, "2", "colour", "1"),
        (3, "3", "age", "130"),
        (3, "3", "pets___2", "yes"),
        (3, "3", "intake_complete", "5"),
    ] {
        assert!(
            found.contains(&expected),
            "{expected:?} missing from {checked}"
        );
    }
    assert_eq!(found.len(), 7, "{checked}");
    // REDCap imports around a calculated or File Upload field's value and drops it:
    // a warning, so the loss is seen.
    let ignored: Vec<(&str, &str)> = checked
        .warnings
        .iter()
        .map(|p| (p.field.as_str(), p.value.as_str()))
        .collect();
    assert_eq!(ignored, [("bmi", "22"), ("scan", "x.pdf")], "{checked}");
    assert!(
        checked.warnings[0]
            .message
            .starts_with("(calc) Calculated fields cannot be imported")
    );
    let status = checked
        .errors
        .iter()
        .find(|p| p.field == "intake_complete")
        .unwrap();
    assert_eq!(
        status.message,
        "The value is not a valid category for intake_complete"
    );
    assert!(checked.errors.iter().all(|p| p.severity == Severity::Error));
    let colour = &checked.errors.iter().find(|p| p.field == "color").unwrap();
    assert_eq!(
        colour.message,
        "The value is not a valid category for color"
    );
}

#[test]
fn a_soft_range_is_a_warning_and_blocks_only_when_strict() {
    let rows = [row(&[("record_id", "1"), ("weight", "250")])];
    let checked = preflight(&schema(), &rows, DateFormat::Ymd);
    assert!(checked.errors.is_empty(), "{checked}");
    assert_eq!(checked.warnings.len(), 1);
    assert_eq!(checked.warnings[0].field, "weight");
    assert_eq!(
        checked.warnings[0].message,
        "weight is greater than the field maximum (200)"
    );
    assert_eq!(checked.warnings[0].severity, Severity::Warning);
    assert!(checked.passes(false));
    assert!(!checked.passes(true));
}

#[test]
fn dates_follow_the_chosen_date_format() {
    let rows = [row(&[("record_id", "1"), ("dob", "31/12/2000")])];
    assert!(preflight(&schema(), &rows, DateFormat::Dmy).passes(true));
    assert_eq!(preflight(&schema(), &rows, DateFormat::Mdy).errors.len(), 1);
}

#[test]
fn repeated_rows_and_missing_ids_are_errors() {
    let rows = [
        row(&[("record_id", "1"), ("weight", "70")]),
        row(&[("record_id", "1"), ("weight", "71")]),
        row(&[("record_id", ""), ("weight", "72")]),
    ];
    let checked = preflight(&schema(), &rows, DateFormat::Ymd);
    let rows_with_errors: Vec<usize> = checked.errors.iter().map(|p| p.row).collect();
    assert_eq!(rows_with_errors, [2, 3], "{checked}");
}

/// The intake form plus a repeating `visits` instrument (a classic project).
fn repeating_schema() -> ProjectSchema {
    let dictionary = format!("{DICTIONARY}pulse,visits,,text,Pulse,,,integer,,,,,,,,,,\n");
    let mut schema = redcap_schema::read(dictionary.as_bytes(), "dictionary.csv").unwrap();
    schema
        .repeating
        .instruments
        .push(redcap_schema::RepeatingInstrument {
            event: None,
            form: "visits".into(),
            label: None,
        });
    schema
}

#[test]
fn repeat_columns_are_checked_in_redcaps_words() {
    let rows = [
        // Fine: an instance of the repeating instrument.
        row(&[
            ("record_id", "1"),
            ("redcap_repeat_instrument", "visits"),
            ("redcap_repeat_instance", "2"),
            ("pulse", "60"),
        ]),
        // A repeating form's field on a non-repeating row.
        row(&[("record_id", "2"), ("pulse", "61")]),
        // A form that does not repeat, and an instance that is not a number.
        row(&[
            ("record_id", "3"),
            ("redcap_repeat_instrument", "intake"),
            ("redcap_repeat_instance", "x"),
        ]),
        // Another form's field on an instance of `visits`, and an instance too large.
        row(&[
            ("record_id", "4"),
            ("redcap_repeat_instrument", "visits"),
            ("redcap_repeat_instance", "40000"),
            ("weight", "70"),
        ]),
        // An instance without an instrument.
        row(&[("record_id", "5"), ("redcap_repeat_instance", "1")]),
    ];
    let checked = preflight(&repeating_schema(), &rows, DateFormat::Ymd);
    let found: Vec<(usize, &str, &str)> = checked
        .errors
        .iter()
        .map(|p| (p.row, p.field.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                2,
                "pulse",
                "This field ('pulse') exists on a Repeating Instrument named 'visits'. However, the fields 'redcap_repeat_instance' and/or 'redcap_repeat_instrument' for this row of data have no value, which are both required for importing data into a Repeating Instrument.  You are not allowed to import data for this field into a non-repeating instrument."
            ),
            (
                3,
                "redcap_repeat_instrument",
                "redcap_repeat_instrument must be the unique form name of a Repeating Instrument. It currently does not match the unique form name of any Repeating Instruments.  Please fix this in the data import file and try again."
            ),
            (
                3,
                "redcap_repeat_instance",
                "The record name (3) has an invalid value for 'redcap_repeat_instance'. The value must either be a positive integer or the value 'new'. Value provided: x"
            ),
            (
                4,
                "redcap_repeat_instance",
                "(redcap_repeat_instrument=\"visits\") redcap_repeat_instance must have a numeric value between '1' and '32767' for any Repeating Event or Repeating Instrument.  Please add a valid numeric value to redcap_repeat_instance in the data import file and try again."
            ),
            (
                4,
                "weight",
                "This field ('weight') does not exist on the Repeating Instrument named 'visits'. You are not allowed to import data for this field into this Repeating Instrument."
            ),
            (
                5,
                "redcap_repeat_instance",
                "The record name (5) with redcap_repeat_instance \"1\" cannot be imported. This is because the field 'redcap_repeat_instrument' could not be found in the data import fields or because it has a blank value.  In order to import data for a repeating instrument, the field 'redcap_repeat_instrument' is required in the imported data set."
            ),
        ],
        "{checked}"
    );
}
