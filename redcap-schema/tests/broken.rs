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

fn problems(text: &str) -> Vec<String> {
    match redcap_schema::read(text.as_bytes(), "dd.csv") {
        Err(Error::Invalid { problems, .. }) => {
            problems.0.iter().map(ToString::to_string).collect()
        }
        other => panic!("expected dictionary errors, got {other:?}"),
    }
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
        "dd.csv: line 1, column 2: broken header: found \"Form\", expected \"form_name or Form Name\""
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
