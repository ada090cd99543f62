//! `project!` and schema-checked hand-written structs, compiled against corpus schemas
//! and used on corpus records.

use redcap_client::Record;
use redcap_client::records::{Checkboxes, DecodeMode, FlatRow, decode_csv, encode_rows_as};

mod longitudinal {
    redcap_client::project!(
        "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml"
    );
}

/// Part of the `demographics` instrument, checked field by field against the schema.
#[derive(Default, Record)]
#[redcap(
    schema = "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml",
    form = "demographics"
)]
struct Enrolment {
    #[redcap(field = "study_id")]
    id: Option<String>,
    dob: Option<chrono::NaiveDate>,
    num_children: Option<i64>,
    /// Columns filled in from the schema: `gym___0` … `gym___4`.
    gym: Checkboxes<longitudinal::demographics::Gym>,
}

const DATA: &str = include_str!(
    "../../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/data.csv"
);

#[test]
fn project_macro_expands_the_same_types_as_gen() {
    let rows: Vec<longitudinal::Row> = decode_csv(DATA.as_bytes(), DecodeMode::Strict).unwrap();
    let records = longitudinal::Record::from_rows(rows).unwrap();
    assert_eq!(records.len(), 3);
    assert_eq!(longitudinal::Field::Dob.as_str(), "dob");
}

#[test]
fn a_partial_struct_reads_only_its_columns() {
    assert_eq!(
        Enrolment::FIELDS,
        ["study_id", "dob", "num_children", "gym"]
    );
    assert_eq!(
        &Enrolment::COLUMNS[3..],
        ["gym___0", "gym___1", "gym___2", "gym___3", "gym___4"]
    );
    let rows: Vec<Enrolment> = decode_csv(DATA.as_bytes(), DecodeMode::Strict).unwrap();
    assert_eq!(rows[0].id.as_deref(), Some("100"));
    assert_eq!(rows[0].dob, chrono::NaiveDate::from_ymd_opt(1983, 9, 23));
    assert!(
        rows[0]
            .gym
            .is_checked(&longitudinal::demographics::Gym::Monday)
    );
    let columns = ["study_id", "gym___1"];
    assert_eq!(encode_rows_as(&rows, &columns)[0].get("gym___1"), Some("0"));
}

#[test]
fn name_enums_are_accepted_by_the_export_builder() {
    // Compiles only because `Field`, `Form` and `EventName` convert into the builder's strings.
    let client = redcap_client::Client::new(
        "https://redcap.example.edu/api/",
        "0123456789ABCDEF0123456789ABCDEF",
    )
    .unwrap();
    let _request = client
        .export_records()
        .fields([longitudinal::Field::Dob, longitudinal::Field::Sex])
        .forms([longitudinal::Form::Demographics])
        .events([longitudinal::EventName::EnrollmentArm1]);
}
