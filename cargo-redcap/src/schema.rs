//! `cargo redcap schema`: read a project from any REDCap export and print its
//! canonical schema, or check it with REDCap's dictionary checks.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use redcap_schema::{ProjectSchema, SchemaBuilder, Severity};

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
    /// A JSON Schema (draft 2020-12) of the project's records as REDCap's flat JSON
    /// export writes them.
    JsonSchema,
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

/// Reads the schema the inputs describe, as REDCap holds it, printing on `err`
/// every problem that did not stop reading (REDCap's upload checks, which
/// `--check` reports as errors).
pub(crate) fn read_inputs(inputs: &[PathBuf], err: &mut dyn Write) -> Result<ProjectSchema, Error> {
    let mut builder = SchemaBuilder::new();
    for input in inputs {
        builder.add_path(input)?;
    }
    let (schema, warnings) = builder.build_with_warnings()?;
    for warning in &warnings.0 {
        writeln!(err, "{warning}")?;
    }
    Ok(schema)
}

/// Runs the subcommand: the schema on `out` and the problems that did not stop
/// reading on `err`; with `--check`, REDCap's upload checks on `out`.
pub fn run(args: &SchemaArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitCode, Error> {
    if args.check {
        return check(&args.inputs, out);
    }
    let schema = read_inputs(&args.inputs, err)?;
    let text = match args.to {
        To::Json => redcap_schema::to_snapshot(&schema),
        To::Csv => redcap_schema::to_dictionary_csv(&schema),
        To::Xml => redcap_schema::to_project_xml(&schema, None, &args.timestamp),
        To::JsonSchema => {
            let mut text =
                serde_json::to_string_pretty(&redcap_schema::to_records_json_schema(&schema))
                    .map_err(|e| Error::Usage(format!("cannot write the JSON Schema: {e}")))?;
            text.push('\n');
            text
        }
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints every problem as REDCap grades it on upload; fails on any error.
fn check(inputs: &[PathBuf], out: &mut dyn Write) -> Result<ExitCode, Error> {
    let mut builder = SchemaBuilder::new();
    for input in inputs {
        builder.add_path(input)?;
    }
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
    Ok(if errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
