//! A misspelled instrument is an error naming the nearest one.

#[derive(Default, redcap_client::Record)]
#[redcap(schema = "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml", form = "demografics")]
struct Enrolment {
    dob: Option<chrono::NaiveDate>,
}

fn main() {}
