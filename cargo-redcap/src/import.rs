//! `cargo redcap import FILE`: records from a CSV or JSON file through the client's safe
//! import — every row checked against the project's schema first, batches of whole
//! records, a journal to resume from, and a dry run that lists what would change.
//!
//! Exit codes: 0 done (or dry run shown), 1 the preflight found problems (all listed,
//! nothing sent), 2 any other error.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use redcap_client::Row;
use redcap_client::import::{DryRun, ImportOptions, ImportProgress, ImportReport, Preflight};
use redcap_client::params::DateFormat;
use redcap_schema::ProjectSchema;

use crate::Error;
use crate::live::LiveArgs;

/// Arguments of `cargo redcap import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The records: REDCap's flat CSV (a header of field names) or a JSON array of row
    /// objects.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The live project.
    #[command(flatten)]
    pub live: LiveArgs,
    /// The file's format (default: detected from its first character).
    #[arg(long, value_enum)]
    pub format: Option<InputFormat>,
    /// `overwriteBehavior=overwrite`: blank cells erase stored values.
    #[arg(long)]
    pub overwrite: bool,
    /// Show what would change (old → new, records created, values erased); send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Continue an interrupted import from its journal, skipping committed batches.
    #[arg(long)]
    pub resume: bool,
    /// The journal of committed batches (default: FILE with `.journal` appended). Removed
    /// when the import completes.
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Records per batch (default: sized for about 400,000 cells a batch).
    #[arg(long, value_name = "RECORDS")]
    pub batch_size: Option<usize>,
    /// Let REDCap name new records (`forceAutoNumber`); such batches are never sent twice.
    #[arg(long)]
    pub force_auto_number: bool,
    /// The format of the file's dates.
    #[arg(long, value_enum, ignore_case = true, default_value_t = DateOrder::Ymd)]
    pub date_format: DateOrder,
    /// Refuse to import when the preflight finds warnings too.
    #[arg(long)]
    pub strict: bool,
    /// The project's schema from a file (any export `cargo redcap schema` reads) instead
    /// of the live project's.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// At most this many requests a minute (REDCap bans an IP address at 600).
    #[arg(long, value_name = "PER_MINUTE", default_value_t = redcap_client::DEFAULT_REQUESTS_PER_MINUTE)]
    pub rate: u32,
}

/// Input formats of `cargo redcap import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// Flat CSV with a header row.
    Csv,
    /// A JSON array of row objects.
    Json,
}

/// The `dateFormat` of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DateOrder {
    /// Year-month-day with dashes.
    #[value(name = "YMD")]
    Ymd,
    /// Month/day/year.
    #[value(name = "MDY")]
    Mdy,
    /// Day/month/year.
    #[value(name = "DMY")]
    Dmy,
}

impl DateOrder {
    fn wire(self) -> DateFormat {
        match self {
            DateOrder::Ymd => DateFormat::Ymd,
            DateOrder::Mdy => DateFormat::Mdy,
            DateOrder::Dmy => DateFormat::Dmy,
        }
    }
}

/// Runs `cargo redcap import`, with its own exit codes.
pub fn run(args: &ImportArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    match import(args, out, err) {
        Ok(code) => code,
        Err(Error::Api(redcap_client::Error::Preflight { problems })) => {
            let _ = report_preflight(&problems, err);
            ExitCode::from(1)
        }
        Err(error) => {
            let _ = writeln!(err, "error: {}", crate::chain(&error));
            ExitCode::from(2)
        }
    }
}

fn import(args: &ImportArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitCode, Error> {
    let rows = read_rows(&args.file, args.format)?;
    let client = args
        .live
        .builder()?
        .requests_per_minute(args.rate)
        .build()?;
    let schema = match &args.schema {
        Some(path) => redcap_schema::read_path(path)?,
        None => crate::live::fetch_schema(&client, err)?,
    };
    let journal = args.journal.clone().unwrap_or_else(|| {
        let mut name = args.file.clone().into_os_string();
        name.push(".journal");
        PathBuf::from(name)
    });
    let mut options = ImportOptions::new()
        .overwrite(args.overwrite)
        .force_auto_number(args.force_auto_number)
        .date_format(args.date_format.wire())
        .strict(args.strict)
        .resume(args.resume);
    if let Some(size) = args.batch_size {
        options = options.batch_size(size);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    if args.dry_run {
        let dry = runtime.block_on(client.import_dry_run(&schema, &rows, &options))?;
        if !dry.preflight.passes(args.strict) {
            return Err(Error::Api(redcap_client::Error::Preflight {
                problems: Box::new(dry.preflight),
            }));
        }
        write_dry_run(&dry, out)?;
        writeln!(
            err,
            "dry run: {} row(s); {} record(s) would be created, {} value(s) changed, {} erased; nothing was sent",
            rows.len(),
            dry.created.len(),
            dry.changes.len(),
            dry.erasures.len()
        )?;
        for warning in &dry.preflight.warnings {
            writeln!(err, "{warning}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut options = options.journal(&journal);
    let bar = std::io::stderr().is_terminal().then(progress_bar);
    if let Some(bar) = bar.clone() {
        options = options.on_progress(move |progress: &ImportProgress| {
            bar.set_length(progress.records as u64);
            bar.set_position(progress.records_done as u64);
            bar.set_message(format!(
                "{}/{} batches",
                progress.batches_done, progress.batches
            ));
        });
    }
    let result = runtime.block_on(client.import_all(&schema, &rows, &options));
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = result?;
    // The import is complete: a later run of the same file is a new import.
    std::fs::remove_file(&journal).map_err(|source| Error::File {
        path: journal.clone(),
        source,
    })?;
    write_summary(&report, &schema, out, err)?;
    Ok(ExitCode::SUCCESS)
}

/// The file's rows, in CSV or JSON (detected from the first non-blank character).
fn read_rows(path: &Path, format: Option<InputFormat>) -> Result<Vec<Row>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::File {
        path: path.to_owned(),
        source,
    })?;
    let format = format.unwrap_or_else(|| {
        match text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .chars()
            .next()
        {
            Some('[') => InputFormat::Json,
            _ => InputFormat::Csv,
        }
    });
    match format {
        InputFormat::Csv => redcap_client::rows_from_csv(&text).map_err(|error| {
            Error::Usage(format!(
                "{}: line {}: {}",
                path.display(),
                error.line,
                error.message
            ))
        }),
        InputFormat::Json => serde_json::from_str(&text).map_err(|error| {
            Error::Usage(format!(
                "{}: line {}: not a JSON array of row objects: {error}",
                path.display(),
                error.line()
            ))
        }),
    }
}

fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} records  {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn report_preflight(problems: &Preflight, err: &mut dyn Write) -> std::io::Result<()> {
    writeln!(err, "{problems}")?;
    writeln!(
        err,
        "nothing was imported: fix the rows above (rows are counted from 1, after the header)"
    )
}

fn write_dry_run(dry: &DryRun, out: &mut dyn Write) -> std::io::Result<()> {
    for record in &dry.created {
        writeln!(out, "create record {record:?}")?;
    }
    for change in &dry.changes {
        writeln!(out, "change {change}")?;
    }
    for erasure in &dry.erasures {
        writeln!(out, "erase {erasure}")?;
    }
    Ok(())
}

fn write_summary(
    report: &ImportReport,
    schema: &ProjectSchema,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    for warning in &report.warnings {
        writeln!(err, "{warning}")?;
    }
    for id in &report.auto_ids {
        writeln!(out, "{},{}", id.new, id.original)?;
    }
    writeln!(
        err,
        "imported {} row(s) of {} record(s) into {:?} in {} batch(es) ({} resumed from the journal); REDCap counted {} record(s)",
        report.rows,
        report.records,
        schema.project.title.as_deref().unwrap_or("the project"),
        report.batches,
        report.resumed_batches,
        report.count
    )
}
