//! An import from a CSV, checked against the project's schema before anything is sent:
//! every column must be a field of the project, every value must fit its field (choice
//! codes, dates, numbers), and every row's data must belong to its event's instruments.
//! Only the CSV's own columns are sent, so the import never blanks other fields.
//!
//! `cargo run -p redcap-examples --bin import_csv [FILE.csv]` (default:
//! `examples/data/new-enrolments.csv`; `examples/data/bad-enrolments.csv` shows a refusal)

use std::path::PathBuf;
use std::process::ExitCode;

use redcap_client::Payload;
use redcap_client::records::{DecodeMode, decode_csv, encode_rows_as};
use redcap_examples::records;

#[tokio::main]
async fn main() -> ExitCode {
    redcap_examples::exit_code(run().await)
}

async fn run() -> Result<(), String> {
    let path = std::env::args_os().nth(1).map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/data/new-enrolments.csv"
            ))
        },
        PathBuf::from,
    );
    let text = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rows = check(&text).map_err(|e| format!("{}: {e}; nothing was sent", path.display()))?;

    let (_emulator, client) = redcap_examples::local_redcap().await?;
    let columns = header(&text)?;
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    let payload = Payload::json(&encode_rows_as(&rows, &columns)).map_err(|e| e.to_string())?;
    let outcome = client
        .import_records()
        .data(payload)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "imported {} rows from {}: {outcome:?}",
        rows.len(),
        path.display()
    );
    Ok(())
}

/// The rows, if the whole file fits the schema.
fn check(csv: &[u8]) -> Result<Vec<records::Row>, String> {
    let rows: Vec<records::Row> = decode_csv(csv, DecodeMode::Strict).map_err(|e| e.to_string())?;
    // Grouping into records refuses data in an instrument its event does not have.
    records::Record::from_rows(rows.clone()).map_err(|e| e.to_string())?;
    Ok(rows)
}

fn header(csv: &[u8]) -> Result<Vec<String>, String> {
    let mut reader = csv::Reader::from_reader(csv);
    let header = reader.headers().map_err(|e| e.to_string())?;
    Ok(header.iter().map(str::to_string).collect())
}
