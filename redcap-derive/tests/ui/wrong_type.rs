//! A Rust type that cannot hold the field's values is an error.

#[derive(Default, redcap_client::Record)]
#[redcap(schema = "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml", form = "demographics")]
struct Enrolment {
    dob: Option<i64>,
    weight: Option<f64>,
}

fn main() {}
