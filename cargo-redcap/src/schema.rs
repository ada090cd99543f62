//! `cargo redcap schema`: read a project from any REDCap export and print its
//! canonical schema, or check it with REDCap's dictionary checks.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use redcap_schema::{SchemaBuilder, Severity};

use crate::Error;

/// Output formats of `cargo redcap schema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum To {
    /// The canonical `schema.json` snapshot.
    Json,
    /// A data dictionary CSV REDCap accepts.
    Csv,
    /// Project XML (metadata only).
    Xml,
}

/// Arguments of `cargo redcap schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Inputs: a data dictionary (CSV or metadata JSON), project XML, a
    /// schema.json snapshot, or a dictionary plus the API's JSON exports of
    /// project info, arms, events, form-event mappings, repeating forms,
    /// instruments and DAGs. The kind of each is told from its content.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Print REDCap's dictionary checks (errors and warnings) instead of the
    /// schema; exit non-zero if there is an error.
    #[arg(long)]
    pub check: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "json")]
    pub to: To,
    /// ODM creation time written into project XML (`--to xml`).
    #[arg(long, default_value = "1970-01-01T00:00:00")]
    pub timestamp: String,
}

/// Runs the subcommand.
pub fn run(args: &SchemaArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let mut builder = SchemaBuilder::new();
    for input in &args.inputs {
        builder.add_path(input)?;
    }
    if args.check {
        let problems = builder.check()?;
        for problem in &problems.0 {
            writeln!(out, "{problem}")?;
        }
        let errors = problems
            .0
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count();
        let warnings = problems.0.len() - errors;
        writeln!(out, "{errors} errors, {warnings} warnings")?;
        return Ok(if errors > 0 {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        });
    }
    let schema = builder.build()?;
    let text = match args.to {
        To::Json => redcap_schema::to_snapshot(&schema),
        To::Csv => redcap_schema::to_dictionary_csv(&schema),
        To::Xml => redcap_schema::to_project_xml(&schema, None, &args.timestamp),
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
