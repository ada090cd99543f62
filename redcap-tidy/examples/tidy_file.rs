//! Converts a flat CSV export on disk into tables, as `cargo redcap tidy` does, without
//! the rest of the command line: `scripts/bench-tidy.sh` times it.
//!
//! `cargo run --release -p redcap-tidy --example tidy_file -- EXPORT SCHEMA OUT parquet|arrow|csv`

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [export, schema, out, format] = args.as_slice() else {
        eprintln!("usage: tidy_file EXPORT SCHEMA OUT parquet|arrow|csv");
        return ExitCode::FAILURE;
    };
    let format = match format.as_str() {
        "parquet" => redcap_tidy::Format::Parquet,
        "arrow" => redcap_tidy::Format::Arrow,
        "csv" => redcap_tidy::Format::Csv,
        other => {
            eprintln!("unknown format `{other}`");
            return ExitCode::FAILURE;
        }
    };
    let result = redcap_schema::read_path(std::path::Path::new(schema))
        .map_err(|e| e.to_string())
        .and_then(|schema| {
            let file = std::fs::File::open(export).map_err(|e| format!("{export}: {e}"))?;
            let reader = std::io::BufReader::with_capacity(1 << 20, file);
            redcap_tidy::write_tables(&schema, reader, std::path::Path::new(out), format)
                .map_err(|e| format!("{export}: {e}"))
        });
    match result {
        Ok((summary, _)) => {
            eprintln!(
                "{} export rows, {} tables",
                summary.export_rows,
                summary.table_rows.len()
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
