//! A misspelled field in `.fields(...)` does not compile.

mod records {
    redcap_client::project!("../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml");
}

fn main() {
    let client = redcap_client::Client::new("https://redcap.example.edu/api/", "0123456789ABCDEF0123456789ABCDEF").unwrap();
    let _request = client.export_records().fields([records::Field::Dobb]);
}
