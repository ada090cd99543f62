//! A nightly export: every record through the typed client, summarised into a CSV with
//! values computed from typed fields (age at enrolment from two dates, BMI as a number).
//!
//! `cargo run -p redcap-examples --bin nightly_export [OUT.csv]`

use std::path::PathBuf;
use std::process::ExitCode;

use redcap_client::records::{Choice, Date, DecodeMode};
use redcap_examples::records;

#[tokio::main]
async fn main() -> ExitCode {
    redcap_examples::exit_code(run().await)
}

async fn run() -> Result<(), String> {
    let out = std::env::args_os().nth(1).map_or_else(
        || {
            let today = chrono::Local::now().date_naive();
            std::env::temp_dir().join(format!("nightly-{today}.csv"))
        },
        PathBuf::from,
    );
    let (_emulator, client) = redcap_examples::local_redcap().await?;
    // Strict: a value that no longer fits the schema stops the export instead of being
    // written out wrong; `cargo redcap diff` in CI catches such design changes earlier.
    let rows: Vec<records::Row> = client
        .export_typed_with(DecodeMode::Strict)
        .await
        .map_err(|e| e.to_string())?;
    let people = records::Record::from_rows(rows).map_err(|e| e.to_string())?;

    let mut writer = csv::Writer::from_path(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let header = [
        "study_id",
        "arm",
        "enrolled",
        "age_at_enrolment",
        "sex",
        "bmi",
    ];
    writer.write_record(header).map_err(|e| e.to_string())?;
    for person in &people {
        // Each arm has its own enrolment event; a record is in one of them.
        let (arm, demographics) = match (&person.enrollment_arm_1, &person.enrollment_arm_2) {
            (Some(event), _) => ("1", &event.demographics),
            (None, Some(event)) => ("2", &event.demographics),
            (None, None) => continue,
        };
        let enrolled = demographics.date_enrolled.as_ref().map(Date::value);
        let age = enrolled
            .zip(demographics.dob.as_ref().map(Date::value))
            .and_then(|(enrolled, dob)| enrolled.years_since(dob));
        let bmi = demographics
            .bmi
            .as_ref()
            .map(|bmi| format!("{:.1}", bmi.to_f64()));
        writer
            .write_record([
                person.id.as_str(),
                arm,
                &demographics
                    .date_enrolled
                    .as_ref()
                    .map(Date::to_string)
                    .unwrap_or_default(),
                &age.map(|a| a.to_string()).unwrap_or_default(),
                demographics.sex.as_ref().map_or("", |sex| sex.label()),
                &bmi.unwrap_or_default(),
            ])
            .map_err(|e| e.to_string())?;
    }
    writer.flush().map_err(|e| e.to_string())?;
    println!("wrote {} records to {}", people.len(), out.display());
    Ok(())
}
