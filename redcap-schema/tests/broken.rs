//! Awkward and broken inputs: each gives a schema or an error that names
//! its place, never a panic.

use redcap_schema::{Error, SchemaBuilder, Severity};

const HEADER: &str = "Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation";

fn dictionary(rows: &[&str], eol: &str) -> String {
    let mut text = String::from(HEADER);
    for row in rows {
        text.push_str(eol);
        text.push_str(row);
    }
    text.push_str(eol);
    text
}

/// Every problem as REDCap's upload checks grade it (what `schema --check` prints).
fn problems(text: &str) -> Vec<String> {
    let mut builder = SchemaBuilder::new();
    builder.add_input(text.as_bytes(), "dd.csv").unwrap();
    let problems = builder.check().unwrap();
    assert!(problems.has_errors(), "expected dictionary errors");
    problems.0.iter().map(ToString::to_string).collect()
}

#[test]
fn bom_and_cr_only_lines_read_like_any_other_dictionary() {
    let rows = [
        "record_id,f,,text,ID",
        "notes,f,,notes,\"a\rb\"",
        "sex,f,,radio,Sex,\"0, F | 1, M\"",
    ];
    let plain = redcap_schema::read(dictionary(&rows, "\n").as_bytes(), "dd.csv").unwrap();
    let cr = format!("\u{feff}{}", dictionary(&rows, "\r"));
    let from_cr = redcap_schema::read(cr.as_bytes(), "dd.csv").unwrap();
    assert_eq!(from_cr, plain);
    assert_eq!(from_cr.field("notes").unwrap().label, "a\rb");
    let crlf = format!("\u{feff}{}", dictionary(&rows, "\r\n"));
    assert_eq!(
        redcap_schema::read(crlf.as_bytes(), "dd.csv").unwrap(),
        plain
    );
}

#[test]
fn broken_header_names_line_and_column() {
    let text = "Variable / Field Name,Form,Section Header\nrecord_id,f,\n";
    let err = redcap_schema::read(text.as_bytes(), "dd.csv").unwrap_err();
    assert_eq!(
        err.to_string(),
        "dd.csv: line 1, column 4: broken header: found \"\", expected \"field_type or Field Type\""
    );
    let headerless = "record_id,f,,text,ID\n";
    let err = redcap_schema::read(headerless.as_bytes(), "dd.csv").unwrap_err();
    assert!(matches!(err, Error::Header { column: 1, .. }), "{err}");
}

#[test]
fn unknown_type_duplicates_and_malformed_choices_are_all_reported_at_once() {
    let text = dictionary(
        &[
            "record_id,f,,text,ID",
            "age,f,,number,Age",
            "sex,f,,radio,Sex,\"0, F | 1, M\"",
            "sex,f,,radio,Sex again,\"0, F | 1, M\"",
            "color,f,,dropdown,Color,\"r, Red | r, Rouge | light blue, Light blue\"",
            "bmi,f,,calc,BMI,\"round([weight]/[height]\"",
            "pick,f,,checkbox,Pick,",
        ],
        "\r\n",
    );
    let got = problems(&text);
    let expected = [
        "error[duplicate-field-name]: row 5, field `sex`, cell A5: The following variable/field names were duplicated: `sex` is already defined in row 4.",
        "error[unknown-field-type]: row 3, field `age`, cell D3: The only valid field types are text, notes, radio, dropdown, calc, file, checkbox, yesno, truefalse, descriptive, slider and must all be lower-case: `number` is not one.",
        "error[duplicate-choice-code]: row 6, field `color`, cell F6: Multiple choice fields have been found where a coded value is duplicated: \"r\".",
        "error[invalid-choice-code]: row 6, field `color`, cell F6: Multiple choice fields can only have coded values that are numbers or letters, numbers, '.', '_' and '-': \"light blue\" - Suggestion: replace with \"light_blue\"",
        "error[calculation-syntax]: row 7, field `bmi`, cell F7: There is a syntactical error in the 'calc' field equation: parentheses or square brackets are not balanced.",
        "error[calculation-unknown-field]: row 7, field `bmi`, cell F7: There are variables used in calculated field equation(s) that are not listed as real variables in column A: `weight`.",
        "error[calculation-unknown-field]: row 7, field `bmi`, cell F7: There are variables used in calculated field equation(s) that are not listed as real variables in column A: `height`.",
        "error[missing-choices]: row 8, field `pick`, cell F8: Each multiple choice field (radio, drop-down, checkbox, etc.) must have choices listed in column F.",
    ];
    assert_eq!(got, expected);
}

#[test]
fn check_reports_warnings_without_failing() {
    let text = dictionary(
        &["record_id,f,,text,ID", "Big Name,f,,yesno,,,,,,,Y,,yes"],
        "\n",
    );
    let mut builder = SchemaBuilder::new();
    builder.add_input(text.as_bytes(), "dd.csv").unwrap();
    let problems = builder.check().unwrap();
    assert!(!problems.has_errors());
    let codes: Vec<_> = problems.0.iter().map(|p| (p.severity, p.code)).collect();
    assert_eq!(
        codes,
        [
            (Severity::Warning, "field-name-characters"),
            (Severity::Warning, "missing-field-label"),
            (Severity::Warning, "invalid-flag"),
        ]
    );
    assert!(builder.build().is_ok());
}

/// A tool that wrote an index name into the first header cell leaves a dictionary
/// REDCap still reads by position: a warning, not a refusal.
#[test]
fn a_foreign_header_cell_is_a_warning() {
    let text = dictionary(&["record_id,f,,text,ID"], "\n").replacen("Variable / Field Name", "", 1);
    let mut builder = SchemaBuilder::new();
    builder.add_input(text.as_bytes(), "dd.csv").unwrap();
    let (schema, warnings) = builder.build_with_warnings().unwrap();
    assert_eq!(schema.record_id_field, "record_id");
    assert_eq!(
        warnings.to_string(),
        "warning[dictionary-header]: row 1, cell A1: header cell 1 is \"\", not field_name or Variable / Field Name; columns are read by position, as REDCap reads them."
    );
}

/// What a live project holds reads, whatever REDCap's upload checks say: a field
/// named with `___`, a dropdown an external module fills at run time, a name REDCap
/// reserves today. Those checks stay errors for `check`.
#[test]
fn a_live_project_reads_past_upload_checks() {
    let text = dictionary(
        &[
            "record_id,f,,text,ID",
            "visit___date,f,,text,Date,,,date_ymd",
            "site,f,,dropdown,Site,",
            "class,f,,text,Class",
            "Mixed_Case,f,,text,Mixed",
        ],
        "\n",
    );
    let mut builder = SchemaBuilder::new();
    builder.add_input(text.as_bytes(), "dd.csv").unwrap();
    let upload = builder.check().unwrap();
    let errors: Vec<&str> = upload.errors().map(|p| p.code).collect();
    assert_eq!(
        errors,
        [
            "field-name-triple-underscore",
            "reserved-field-name",
            "missing-choices"
        ]
    );
    let (schema, warnings) = builder.build_with_warnings().unwrap();
    assert!(!warnings.has_errors());
    assert_eq!(warnings.0.len(), upload.0.len());
    assert_eq!(
        schema.field("visit___date").unwrap().export_names,
        ["visit___date"]
    );
    assert!(schema.field("site").unwrap().choices.is_empty());
}

/// What leaves columns ambiguous stops reading: a field named like another field's
/// checkbox column, or like a column REDCap adds to exports.
#[test]
fn ambiguous_columns_stop_reading() {
    let text = dictionary(
        &[
            "record_id,f,,text,ID",
            "pick,f,,checkbox,Pick,\"1, A | 2, B\"",
            "pick___2,f,,text,Shadow",
            "redcap_event_name,f,,text,Event",
            "f_timestamp,f,,text,When",
        ],
        "\n",
    );
    let err = redcap_schema::read(text.as_bytes(), "dd.csv").unwrap_err();
    let codes: Vec<&str> = err.problems().unwrap().0.iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        [
            "export-column-name",
            "export-column-name",
            "duplicate-export-column"
        ]
    );
    assert!(
        err.to_string()
            .contains("The export column `pick___2` of `pick___2` is also a column of `pick`."),
        "{err}"
    );
}

#[test]
fn multiline_cells_locate_rows_by_line() {
    let text = dictionary(
        &[
            "record_id,f,,text,\"ID\nspanning\nlines\"",
            "x,f,,radio,X,\"a b, A | b, B\"",
        ],
        "\n",
    );
    let got = problems(&text);
    assert_eq!(
        got,
        [
            "error[invalid-choice-code]: row 3 (line 5), field `x`, cell F3: Multiple choice fields can only have coded values that are numbers or letters, numbers, '.', '_' and '-': \"a b\" - Suggestion: replace with \"a_b\""
        ]
    );
}

#[test]
fn truncated_and_foreign_xml_are_located_errors() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/PyCap/tests/data/test_simple_project.xml");
    let full = std::fs::read_to_string(path).unwrap();
    for cut in [full.len() / 3, full.len() / 2, full.len() - 10] {
        let cut = (0..=cut).rev().find(|i| full.is_char_boundary(*i)).unwrap();
        let err = redcap_schema::read(&full.as_bytes()[..cut], "p.xml").unwrap_err();
        let Error::Xml { line, message, .. } = &err else {
            panic!("{err:?}")
        };
        assert!(*line > 1, "{err}");
        assert!(
            message.contains("truncated") || message.contains("end"),
            "{err}"
        );
    }
    let err = redcap_schema::read(b"<records><item/></records>", "r.xml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "r.xml: line 1: the root element is <records>, not <ODM>: not project XML"
    );
    let err =
        redcap_schema::read(b"<ODM>\n<ClinicalData></ClinicalData>\n</ODM>", "c.xml").unwrap_err();
    assert!(
        err.to_string().contains("a record export, not project XML"),
        "{err}"
    );
    let err = redcap_schema::read(b"<ODM>\n<Study>\n</ODM>", "m.xml").unwrap_err();
    assert!(matches!(err, Error::Xml { line: 3, .. }), "{err}");
}

#[test]
fn bad_bytes_and_bad_json_are_located() {
    let err =
        redcap_schema::read(b"field_name,form_name\nr\xe9cord,f\n", "latin1.csv").unwrap_err();
    assert_eq!(err.to_string(), "latin1.csv: byte 22: not valid UTF-8");
    let err =
        redcap_schema::read(b"[{\"field_name\": \"a\",\n \"field_type\": ]", "m.json").unwrap_err();
    assert!(
        err.to_string().starts_with("m.json: line 2, column"),
        "{err}"
    );
    let err =
        redcap_schema::read(b"[{\"arm_num\": \"one\", \"name\": \"A\"}]", "arms.json").unwrap_err();
    assert_eq!(
        err.to_string(),
        "arms.json: line 1, column 1: item 1: \"arm_num\" is \"one\", not an arm number"
    );
    let err = redcap_schema::read(b"", "empty.csv").unwrap_err();
    assert_eq!(err.to_string(), "empty.csv: empty input: no header row");
}
