//! A misspelled field name is an error on that field, with the nearest name suggested.

#[derive(Default, redcap_client::Record)]
#[redcap(schema = "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml", form = "demographics")]
struct Enrolment {
    dobb: Option<chrono::NaiveDate>,
}

fn main() {}
