//! Every records file of the corpus decodes into its project's generated types and
//! encodes back to the identical rows: values, columns, event and repeat keys.

use redcap_client::records::{
    DecodeError, DecodeMode, FlatRow, decode_csv, decode_csv_with_report, decode_json, encode_rows,
    encode_rows_as,
};
use redcap_client::{Row, rows_from_csv};
use redcap_tests::{
    checkboxes, external_module, longitudinal, missing, obstacle, repeating, simple,
};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects"
);

fn read(project: &str) -> String {
    let path = format!("{FIXTURES}/{project}/data.csv");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// The rows as REDCap sent them, as column → text maps.
fn source_rows(text: &str) -> Vec<Row> {
    rows_from_csv(text).unwrap()
}

fn assert_same_rows(source: &[Row], encoded: &[Row], project: &str) {
    assert_eq!(source.len(), encoded.len(), "{project}: row count");
    for (index, (expected, actual)) in source.iter().zip(encoded).enumerate() {
        let expected: Vec<(&str, &str)> = expected.iter().collect();
        let actual: Vec<(&str, &str)> = actual.iter().collect();
        assert_eq!(expected, actual, "{project}: row {}", index + 1);
    }
}

/// CSV → typed rows → import rows, compared cell by cell with the file.
fn row_round_trip<R: FlatRow>(project: &str) -> Vec<R> {
    let text = read(project);
    let rows: Vec<R> = decode_csv(text.as_bytes(), DecodeMode::Strict)
        .unwrap_or_else(|error| panic!("{project}: {error}"));
    assert_same_rows(&source_rows(&text), &encode_rows(&rows), project);
    rows
}

/// REDCapR's `simple` data was rewritten by R, which turned the radio field `sex`
/// (codes 0 and 1) into `FALSE`/`TRUE`: strict decoding refuses it, naming the place;
/// lenient decoding keeps the text and gives it back unchanged.
#[test]
fn simple_rows_with_foreign_codes_fail_strictly_and_round_trip_leniently() {
    let text = read("simple");
    let error = decode_csv::<simple::Row>(text.as_bytes(), DecodeMode::Strict).unwrap_err();
    // Every such cell is listed, not only the first.
    assert_eq!(
        error.to_string(),
        "5 values do not fit their fields:\n  \
         row 1, record `1`: column `sex`: `FALSE` is not one of the codes 0, 1\n  \
         row 2, record `2`: column `sex`: `TRUE` is not one of the codes 0, 1\n  \
         row 3, record `3`: column `sex`: `TRUE` is not one of the codes 0, 1\n  \
         row 4, record `4`: column `sex`: `FALSE` is not one of the codes 0, 1\n  \
         row 5, record `5`: column `sex`: `TRUE` is not one of the codes 0, 1"
    );
    let rows: Vec<simple::Row> = decode_csv(text.as_bytes(), DecodeMode::Lenient).unwrap();
    // The file predates the field `interpreter_needed`: re-encode the columns it has.
    let source = source_rows(&text);
    let columns: Vec<&str> = source[0].columns().collect();
    assert_same_rows(&source, &encode_rows_as(&rows, &columns), "simple");
    let records = simple::Record::from_rows(rows.clone()).unwrap();
    assert_eq!(records.len(), 5);
    let again: Vec<simple::Row> = records.iter().flat_map(simple::Record::to_rows).collect();
    assert_eq!(again, rows);
}

#[test]
fn longitudinal_rows_and_records_round_trip() {
    let rows = row_round_trip::<longitudinal::Row>("longitudinal");
    let records = longitudinal::Record::from_rows(rows.clone()).unwrap();
    assert_eq!(records.len(), 3);
    let again: Vec<longitudinal::Row> = records
        .iter()
        .flat_map(longitudinal::Record::to_rows)
        .collect();
    assert_same_rows(
        &encode_rows(&rows),
        &encode_rows(&again),
        "longitudinal records",
    );
}

#[test]
fn repeating_rows_and_records_round_trip() {
    let rows = row_round_trip::<repeating::Row>("vignette-repeating");
    let records = repeating::Record::from_rows(rows.clone()).unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].blood_pressure.len(), 3);
    assert_eq!(records[1].image.len(), 3);
    let again: Vec<repeating::Row> = records
        .iter()
        .flat_map(repeating::Record::to_rows)
        .collect();
    assert_same_rows(
        &encode_rows(&rows),
        &encode_rows(&again),
        "repeating records",
    );
}

#[test]
fn checkbox_rows_round_trip_with_letter_codes() {
    let rows = row_round_trip::<checkboxes::Row>("checkboxes-1");
    let records = checkboxes::Record::from_rows(rows).unwrap();
    use checkboxes::form_2::CheckTwo;
    assert!(records[0].form_2.check_two.is_checked(&CheckTwo::A));
    assert!(!records[0].form_2.check_two.is_checked(&CheckTwo::B));
}

#[test]
fn typed_values_are_what_the_dictionary_says() {
    let rows = decode_csv::<simple::Row>(read("simple").as_bytes(), DecodeMode::Lenient).unwrap();
    let first = &rows[0].demographics;
    assert_eq!(rows[0].key.record.as_str(), "1");
    assert_eq!(
        first.dob.as_ref().map(redcap_client::records::Date::value),
        chrono::NaiveDate::from_ymd_opt(2003, 8, 30)
    );
    assert_eq!(
        first.sex,
        Some(simple::demographics::Sex::Unknown("FALSE".into()))
    );
    let health = &rows[0].health;
    assert!(health.height.is_some(), "height is a Decimal");
    assert!(
        health.weight.as_ref().and_then(|w| w.value()).is_some(),
        "weight is an Integer"
    );
    assert!(health.bmi.as_ref().is_some_and(|bmi| bmi.to_f64() > 0.0));
}

#[test]
fn json_decodes_like_csv() {
    let text = read("vignette-repeating");
    let source = source_rows(&text);
    // REDCap's JSON sends redcap_repeat_instance as a number; blank ones as "".
    let json: Vec<serde_json_like::Object> = source.iter().map(serde_json_like::object).collect();
    let body = serde_json_like::array(&json);
    let rows: Vec<repeating::Row> = decode_json(body.as_bytes(), DecodeMode::Strict).unwrap();
    assert_same_rows(&source, &encode_rows(&rows), "json");
}

#[test]
fn a_bad_value_is_named_with_row_record_and_column() {
    let text = read("simple").replacen("2003-08-30", "2003-13-30", 1);
    let error = decode_csv::<simple::Row>(text.as_bytes(), DecodeMode::Lenient).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("row 1"), "{message}");
    assert!(message.contains("record `1`"), "{message}");
    assert!(message.contains("`dob`"), "{message}");
    assert!(message.contains("2003-13-30"), "{message}");
}

#[test]
fn unknown_codes_fail_strictly_and_are_kept_leniently() {
    let body = br#"[{"record_id":"1","sex":"7","race___1":"1"}]"#;
    let strict = decode_json::<simple::Row>(body, DecodeMode::Strict).unwrap_err();
    assert!(strict.to_string().contains("`sex`: `7`"), "{strict}");
    let lenient = decode_json::<simple::Row>(body, DecodeMode::Lenient).unwrap();
    assert_eq!(
        lenient[0].demographics.sex,
        Some(simple::demographics::Sex::Unknown("7".into()))
    );
    let encoded = encode_rows(&lenient);
    assert_eq!(encoded[0].get("sex"), Some("7"));
    assert_eq!(encoded[0].get("race___1"), Some("1"));
    assert_eq!(encoded[0].get("race___2"), Some(""));
}

#[test]
fn an_unknown_column_is_an_error_unless_lenient() {
    let body = br#"[{"record_id":"1","not_a_field":"x"}]"#;
    let error = decode_json::<simple::Row>(body, DecodeMode::Strict).unwrap_err();
    assert!(error.to_string().contains("`not_a_field`"), "{error}");
    assert!(decode_json::<simple::Row>(body, DecodeMode::Lenient).is_ok());
}

/// Minimal JSON writing for the test, so that REDCap's number-typed instance is reproduced.
mod serde_json_like {
    use redcap_client::Row;

    pub(crate) type Object = String;

    fn quote(text: &str) -> String {
        let mut out = String::from('"');
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    pub(crate) fn object(row: &Row) -> Object {
        let members: Vec<String> = row
            .iter()
            .map(|(column, value)| {
                let value = if column == "redcap_repeat_instance" && !value.is_empty() {
                    value.to_string()
                } else {
                    quote(value)
                };
                format!("{}:{value}", quote(column))
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }

    pub(crate) fn array(objects: &[Object]) -> String {
        format!("[{}]", objects.join(","))
    }
}

/// Missing-data codes stand in place of values in every kind of field that takes them:
/// they decode to `MissingCode`, checkbox code columns included, and encode back to the
/// same text; a field tagged `@NOMISSING` keeps its plain type.
#[test]
fn missing_data_codes_decode_as_codes_and_round_trip() {
    use missing::MissingCode;
    use missing::visit::{Smoker, Symptoms};
    use redcap_client::records::MaybeMissing;

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/missing-codes/data.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<missing::Row> = decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap();
    assert_same_rows(&source_rows(&text), &encode_rows(&rows), "missing-codes");

    let known = &rows[0].visit;
    assert_eq!(known.age, Some(MaybeMissing::Value(54.into())));
    assert_eq!(known.smoker, Some(MaybeMissing::Value(Smoker::Former)));
    assert!(known.symptoms.is_checked(&Symptoms::Cough));
    let missing = &rows[1].visit;
    assert_eq!(
        missing.visit_date,
        Some(MaybeMissing::Missing(MissingCode::UnknownUNK))
    );
    assert_eq!(
        missing.age,
        Some(MaybeMissing::Missing(MissingCode::NotApplicable))
    );
    assert_eq!(
        missing.weight.as_ref().and_then(MaybeMissing::missing),
        Some(&MissingCode::AskedButUnknown)
    );
    assert_eq!(
        missing.consent,
        Some(MaybeMissing::Missing(MissingCode::NotApplicable))
    );
    assert!(missing.symptoms.is_checked(&Symptoms::UnknownUNK));
    assert_eq!(missing.site_code.as_deref(), Some("B02"));

    // A code that is neither a value nor a missing-data code names both.
    let bad = text.replace("2,UNK,NA,", "2,UNK,NOPE,");
    let error = decode_csv::<missing::Row>(bad.as_bytes(), DecodeMode::Strict).unwrap_err();
    assert_eq!(
        error.to_string(),
        "1 value does not fit its field:\n  \
         row 2, record `2`: column `age`: `NOPE` is not an integer or a missing data code (UNK, NA, ASKU)"
    );
}

/// The pseudo-columns an export adds on request (`redcap_data_access_group`,
/// `redcap_survey_identifier`, `{form}_timestamp`) decode onto the row and encode back;
/// a record keeps its DAG on every row it gives back.
#[test]
fn dag_and_survey_columns_round_trip() {
    let text = "record_id,redcap_repeat_instrument,redcap_repeat_instance,redcap_data_access_group,redcap_survey_identifier,intake_timestamp,height,weight,bmi,intake_complete\n\
                1,,,site_a,p-001,2026-03-01 10:04:55,1.0,11.0,111.0,2\n\
                2,,,site_b,,[not completed],2.0,22.0,222.0,0\n";
    let rows: Vec<repeating::Row> = decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap();
    assert_eq!(rows[0].key.dag.as_deref(), Some("site_a"));
    assert_eq!(rows[0].survey.identifier.as_deref(), Some("p-001"));
    assert_eq!(rows[1].survey.timestamp("intake"), Some("[not completed]"));
    let source = source_rows(text);
    let columns: Vec<&str> = source[0].columns().collect();
    assert_same_rows(&source, &encode_rows_as(&rows, &columns), "pseudo-columns");

    let records = repeating::Record::from_rows(rows).unwrap();
    assert_eq!(records[1].dag.as_deref(), Some("site_b"));
    let again: Vec<repeating::Row> = records
        .iter()
        .flat_map(repeating::Record::to_rows)
        .collect();
    assert_eq!(again[0].key.dag.as_deref(), Some("site_a"));
    assert_eq!(again[1].key.dag.as_deref(), Some("site_b"));
}

/// Rows of one record that disagree on its DAG cannot become one record.
#[test]
fn a_record_with_two_dags_is_refused() {
    let text = "record_id,redcap_repeat_instrument,redcap_repeat_instance,redcap_data_access_group,height,intake_complete,sbp,blood_pressure_complete\n\
                1,,,site_a,1.0,2,,\n\
                1,blood_pressure,1,site_b,,,120,2\n";
    let rows: Vec<repeating::Row> = decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap();
    let error = repeating::Record::from_rows(rows).unwrap_err();
    assert_eq!(
        error.to_string(),
        "row 2, record `1`: the data access group `site_b` differs from `site_a` on the record's earlier rows"
    );
}

/// A record whose rows are all repeat instances gives back just those rows: no blank
/// base row appears.
#[test]
fn a_record_with_repeat_rows_only_gains_no_base_row() {
    let text = "record_id,redcap_repeat_instrument,redcap_repeat_instance,sbp,dbp,blood_pressure_complete\n\
                7,blood_pressure,1,120,80,2\n\
                7,blood_pressure,2,118,79,1\n";
    let rows: Vec<repeating::Row> = decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap();
    let records = repeating::Record::from_rows(rows.clone()).unwrap();
    let again = records[0].to_rows();
    assert_eq!(again.len(), 2);
    assert_same_rows(
        &encode_rows(&rows),
        &encode_rows(&again),
        "repeat rows only",
    );
}

/// Columns a complete `Row` does not know are refused strictly, REDCap's own
/// `redcap_*` columns included: a schema without repeating setup cannot read repeat
/// rows as base rows. Two rows with the same key cannot become one record.
#[test]
fn out_of_date_schemas_and_duplicate_rows_are_refused() {
    let text = "record_id,redcap_repeat_instrument,redcap_repeat_instance,name_first\n1,,,Ann\n1,visits,1,\n";
    let Err(DecodeError::Value(cells)) =
        decode_csv::<simple::Row>(text.as_bytes(), DecodeMode::Strict)
    else {
        panic!("the repeat columns are not the schema's");
    };
    // Both rows' keys are unreadable: listed, and left out of a report's rows.
    assert_eq!(cells.len(), 4);
    assert!(cells.iter().all(|cell| cell.row_withheld));
    assert_eq!(
        cells.as_slice()[2].to_string(),
        "row 2, record `1`, instrument `visits`, instance 1: column `redcap_repeat_instrument`: `visits` is not a column of this type (the schema may be out of date: run `cargo redcap pull`) (the row was left out)"
    );
    let decoded =
        decode_csv_with_report::<simple::Row>(text.as_bytes(), DecodeMode::Strict).unwrap();
    assert!(decoded.rows.is_empty());
    let text = "record_id,name_first\n1,Ann\n1,\n";
    let rows: Vec<simple::Row> = decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap();
    let error = simple::Record::from_rows(rows).unwrap_err();
    assert_eq!(
        error.to_string(),
        "row 2, record `1`: a second row for the same record, event and repeat instance"
    );
}

/// The obstacle course: every hostile name compiles (the module is built under
/// `#![deny(warnings)]`), and its records decode, group and encode back cell for
/// cell, the instrument named `dag` beside the row's data access group.
#[test]
fn obstacle_course_rows_and_records_round_trip() {
    use obstacle::dag::{Answer, Dose, LongChoice, Symptoms};
    use obstacle::survey::{SurveyMood, SurveyQ1};

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/obstacle-course/data.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<obstacle::Row> =
        decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap_or_else(|error| panic!("{error}"));
    let source = source_rows(&text);
    let columns: Vec<&str> = source[0].columns().collect();
    assert_same_rows(&source, &encode_rows_as(&rows, &columns), "obstacle course");

    let first = &rows[0];
    assert_eq!(first.key.dag.as_deref(), Some("site_a"));
    assert_eq!(first.survey.identifier.as_deref(), Some("p-001"));
    assert_eq!(first.record.r#type.as_deref(), Some("类型"));
    assert_eq!(first.record.field_self.as_deref(), Some("😀 self"));
    assert_eq!(first.record.reshist_addr1_d1a.as_deref(), Some("lower"));
    assert_eq!(first.record.reshist_addr1_d1a_2.as_deref(), Some("Mixed"));
    assert_eq!(first.record.old_value.as_deref(), Some("single"));
    assert_eq!(first.record.old_value_2.as_deref(), Some("double"));
    assert_eq!(first.record.trail, Some((-42).into()));
    assert_eq!(first.record.ext_module_list.as_deref(), Some("site_77"));
    assert_eq!(first.survey_form.survey_q1, Some(SurveyQ1::Code1));
    assert_eq!(first.survey_form.survey_mood, Some(SurveyMood::Code3));
    assert_eq!(first.dag_form.dose, Some(Dose::NinetyNine));
    assert_eq!(first.dag_form.answer, Some(Answer::BoldX));
    assert_eq!(
        first.dag_form.long_choice,
        Some(LongChoice::TheParticipantReportedSymptomsConsistentWithA2)
    );
    assert!(first.dag_form.symptoms.is_checked(&Symptoms::Worse));
    assert!(first.dag_form.symptoms.is_checked(&Symptoms::CodeX));
    assert_eq!(rows[1].key.record.as_str(), "二");
    assert_eq!(rows[1].dag_form.dose, Some(Dose::UnknownMinus1));
    assert_eq!(rows[1].dag_form.answer, Some(Answer::Code4));
    assert_eq!(rows[2].dag_form.answer, Some(Answer::Code3));
    assert_eq!(rows[2].dag_form.dose, Some(Dose::Code20));

    let records = obstacle::Record::from_rows(rows.clone()).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].dag.as_deref(), Some("site_a"));
    assert_eq!(records[0].dag_form.consent, Some(true));
    let again: Vec<obstacle::Row> = records.iter().flat_map(obstacle::Record::to_rows).collect();
    // Survey columns are read-only in REDCap and stay on the rows.
    let importable: Vec<&str> = columns
        .iter()
        .copied()
        .filter(|c| !["redcap_survey_identifier", "survey_timestamp"].contains(c))
        .collect();
    assert_same_rows(
        &encode_rows_as(&rows, &importable),
        &encode_rows_as(&again, &importable),
        "obstacle course records",
    );
}

/// A production external module's metadata: `___delete` fields keep their wire
/// names, dropdowns the module fills at run time hold their codes as text.
#[test]
fn external_module_metadata_rows_and_records_round_trip() {
    use external_module::summary::{SummaryAwardType1, SummaryResources};

    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/external-module-metadata/data.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let rows: Vec<external_module::Row> =
        decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap_or_else(|error| panic!("{error}"));
    assert_same_rows(&source_rows(&text), &encode_rows(&rows), "external module");
    let first = &rows[0];
    assert_eq!(
        first.identifiers.identifier_coeus_delete.as_deref(),
        Some("Lovelace, A")
    );
    assert_eq!(
        first.identifiers.identifier_institution.as_deref(),
        Some("inst_12")
    );
    assert_eq!(
        first.summary.summary_award_type_1,
        Some(SummaryAwardType1::NA)
    );
    assert!(
        first
            .summary
            .summary_resources
            .is_checked(&SummaryResources::Other)
    );
    let records = external_module::Record::from_rows(rows.clone()).unwrap();
    let again: Vec<external_module::Row> = records
        .iter()
        .flat_map(external_module::Record::to_rows)
        .collect();
    assert_same_rows(
        &encode_rows(&rows),
        &encode_rows(&again),
        "external module records",
    );
}

/// Events named like the generator's own members (`dag`, `id`) or Rust's (`type`,
/// `self`) group rows into records and give them back in the same order.
#[test]
fn obstacle_course_events_group_and_round_trip() {
    use redcap_tests::obstacle_longitudinal as project;

    let text = "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,redcap_data_access_group,type,dose,survey_q1,type_value,form_1_value,first_value\n\
                1,dag,,,site_a,类型,20,,,,\n\
                1,key,survey,1,site_a,,,2,,,\n\
                1,type,,1,site_a,,,,t1,,\n\
                1,type,,2,site_a,,,,t2,,\n\
                1,Visit__A_arm_2,,,site_a,rec,,,,,first\n\
                1,Visit__A_arm_2,form_1,3,site_a,,,,,a,\n";
    let rows: Vec<project::Row> =
        decode_csv(text.as_bytes(), DecodeMode::Strict).unwrap_or_else(|error| panic!("{error}"));
    let records = project::Record::from_rows(rows.clone()).unwrap();
    let record = &records[0];
    assert_eq!(record.dag.as_deref(), Some("site_a"));
    let dag = record.dag_event.as_ref().unwrap();
    assert_eq!(dag.record.r#type.as_deref(), Some("类型"));
    assert_eq!(record.key_event.as_ref().unwrap().survey_form.len(), 1);
    assert_eq!(record.r#type.len(), 2);
    assert_eq!(record.visit_a_arm_2.as_ref().unwrap().form_1[0].instance, 3);
    let again: Vec<project::Row> = records.iter().flat_map(project::Record::to_rows).collect();
    let source = source_rows(text);
    let columns: Vec<&str> = source[0].columns().collect();
    assert_same_rows(
        &source,
        &encode_rows_as(&again, &columns),
        "obstacle events",
    );
}
