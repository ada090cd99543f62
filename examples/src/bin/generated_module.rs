//! Types from `cargo redcap gen`, committed as `src/sample_records.rs`: field names as an
//! enum, so a typo in an export's field list does not compile, and typed rows keyed by
//! record and event.
//!
//! `cargo run -p redcap-examples --bin generated_module`

use std::collections::BTreeMap;
use std::process::ExitCode;

use redcap_client::records::FormStatus;
use redcap_examples::sample_records::{EventName, Field, Row};

#[tokio::main]
async fn main() -> ExitCode {
    redcap_examples::exit_code(run().await)
}

async fn run() -> Result<(), String> {
    let (_emulator, client) = redcap_examples::local_redcap().await?;

    // Untyped rows, but the field list is checked by the compiler.
    let enrolled = client
        .export_records()
        .fields([Field::StudyId, Field::DateEnrolled])
        .events([EventName::EnrollmentArm1, EventName::EnrollmentArm2])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    println!("{} records enrolled", enrolled.len());

    // Typed rows: lab visits entered and marked complete, per event.
    let rows: Vec<Row> = client.export_typed().await.map_err(|e| e.to_string())?;
    let mut visits: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for row in &rows {
        let Some(status) = row.visit_lab_data.visit_lab_data_complete else {
            continue;
        };
        let event = row.key.event.clone().unwrap_or_default();
        let (entered, complete) = visits.entry(event).or_default();
        *entered += 1;
        *complete += usize::from(status == FormStatus::Complete);
    }
    for (event, (entered, complete)) in &visits {
        println!("{event}: {entered} lab visit(s) entered, {complete} complete");
    }
    Ok(())
}
