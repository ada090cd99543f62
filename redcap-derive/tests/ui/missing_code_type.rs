//! A typed scalar cannot hold the project's missing-data codes: the field needs
//! `MaybeMissing`.

#[derive(Default, redcap_client::Record)]
#[redcap(schema = "../tests/fixtures/missing-codes/schema.json", form = "visit")]
struct Visit {
    age: Option<i64>,
    site_code: Option<String>,
}

fn main() {}
