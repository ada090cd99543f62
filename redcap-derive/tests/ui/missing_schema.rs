//! A schema file that does not exist is an error on the path.

mod records {
    redcap_client::project!("redcap/no-such-schema.json");
}

fn main() {}
