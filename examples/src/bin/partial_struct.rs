//! `project!` for the whole project's types, and a hand-written struct with only the
//! fields a job needs. `#[derive(Record)]` checks it against the schema at compile time:
//! a misspelt field name or a type that cannot hold the field's values does not compile.
//!
//! `cargo run -p redcap-examples --bin partial_struct`

use std::process::ExitCode;

use redcap_client::Record;
use redcap_client::records::{Checkboxes, Choice};
use redcap_examples::records;

/// Part of the `demographics` instrument: what a gym-scheduling job reads.
#[derive(Default, Record)]
#[redcap(
    schema = "../redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects/longitudinal/project.xml",
    form = "demographics"
)]
struct GymPlan {
    /// The record ID field, under a name of our choosing.
    #[redcap(field = "study_id")]
    id: Option<String>,
    /// The generated choice enum, reused: codes and labels come from the schema.
    gym: Checkboxes<records::demographics::Gym>,
    /// A plain `chrono` date works where the schema says `date_ymd`.
    date_enrolled: Option<chrono::NaiveDate>,
}

#[tokio::main]
async fn main() -> ExitCode {
    redcap_examples::exit_code(run().await)
}

async fn run() -> Result<(), String> {
    let (_emulator, client) = redcap_examples::local_redcap().await?;
    // `export_typed` asks REDCap for this struct's fields only.
    let plans: Vec<GymPlan> = client.export_typed().await.map_err(|e| e.to_string())?;
    for plan in plans.iter().filter(|plan| plan.date_enrolled.is_some()) {
        let days: Vec<&str> = plan.gym.checked().map(|day| day.label()).collect();
        let id = plan.id.as_deref().unwrap_or("?");
        println!("record {id}: gym on {}", days.join(", "));
    }
    Ok(())
}
