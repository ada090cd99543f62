//! `cargo redcap export`: a live project's records through the client's bulk export —
//! checked batches, retries, a rate limit — to a file written atomically, or to stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use redcap_client::bulk::{ExportOptions, Progress, RawFormat};

use crate::Error;
use crate::live::LiveArgs;

/// Arguments of `cargo redcap export`.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The live project.
    #[command(flatten)]
    pub live: LiveArgs,
    /// The output format.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Write here (atomically: a failed export leaves no file) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only these records (comma-separated; `\,` for a comma inside a name).
    #[arg(long, value_name = "IDS")]
    pub records: Option<String>,
    /// Only these fields (comma-separated); the record-ID field is always included.
    #[arg(long, value_name = "FIELDS")]
    pub fields: Option<String>,
    /// Only the fields of these instruments (comma-separated).
    #[arg(long, value_name = "FORMS")]
    pub forms: Option<String>,
    /// Only these events (unique event names, comma-separated).
    #[arg(long, value_name = "EVENTS")]
    pub events: Option<String>,
    /// Only records matching this REDCap logic, e.g. `[age] > 30`.
    #[arg(long, value_name = "LOGIC")]
    pub filter: Option<String>,
    /// Add the `redcap_data_access_group` column.
    #[arg(long)]
    pub dags: bool,
    /// Records per batch (default: sized for about 400,000 cells a batch).
    #[arg(long, value_name = "RECORDS")]
    pub batch_size: Option<usize>,
    /// Batches in flight at once.
    #[arg(long, value_name = "N", default_value_t = redcap_client::bulk::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// At most this many requests a minute (REDCap bans an IP address at 600).
    #[arg(long, value_name = "PER_MINUTE", default_value_t = redcap_client::DEFAULT_REQUESTS_PER_MINUTE)]
    pub rate: u32,
    /// Write one typed table per instrument, and the dictionary, into this folder instead
    /// of one flat document (the project's schema is fetched first).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "format"])]
    pub tidy: Option<PathBuf>,
    /// The tables' format, with `--tidy`.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = crate::tidy::TableFormat::Parquet, requires = "tidy")]
    pub to: crate::tidy::TableFormat,
}

/// Output formats of `cargo redcap export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CSV with one header row, as REDCap writes it.
    Csv,
    /// One JSON array of row objects.
    Json,
    /// One JSON object a line.
    Ndjson,
}

impl Format {
    fn raw(self) -> RawFormat {
        match self {
            Format::Csv => RawFormat::Csv,
            Format::Json => RawFormat::Json,
            Format::Ndjson => RawFormat::Ndjson,
        }
    }
}

/// Splits a comma-separated list, `\,` standing for a comma inside an item.
pub fn split_list(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ (',' | '\\')) => current.push(next),
                Some(other) => {
                    current.push('\\');
                    current.push(other);
                }
                None => current.push('\\'),
            },
            ',' => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|item| item.trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
}

/// Runs the subcommand; the summary goes to `err`.
pub fn run(args: &ExportArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitCode, Error> {
    if args.rate == 0 {
        return Err(Error::Usage("--rate must be at least 1".into()));
    }
    let client = args
        .live
        .builder()?
        .requests_per_minute(args.rate)
        .build()?;
    let mut options = ExportOptions::new().concurrency(args.concurrency);
    let list = |text: &Option<String>| text.as_deref().map(split_list).unwrap_or_default();
    options = options
        .records(list(&args.records))
        .fields(list(&args.fields))
        .forms(list(&args.forms))
        .events(list(&args.events))
        .data_access_groups(args.dags);
    if let Some(logic) = &args.filter {
        options = options.filter_logic(logic.clone());
    }
    if let Some(size) = args.batch_size {
        options = options.batch_size(size);
    }
    let bar = std::io::stderr().is_terminal().then(progress_bar);
    if let Some(bar) = bar.clone() {
        options = options.on_progress(move |progress: &Progress| {
            bar.set_length(progress.records_total as u64);
            bar.set_position(progress.records_done as u64);
            bar.set_message(format!(
                "{} rows, {} batches, {} retries",
                progress.rows, progress.batches, progress.retries
            ));
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    if let Some(dir) = &args.tidy {
        // The schema types the tables; fetched before the export so that a wrong token
        // fails before anything is written.
        let schema = crate::live::fetch_schema(&client, err)?;
        let result = crate::tidy::export_to_tables(&schema, dir, args.to, |out| {
            runtime.block_on(client.export_all(&options, RawFormat::Csv, out))
        });
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let (progress, tables) = result?;
        writeln!(err, "{}", summary(&progress, None))?;
        writeln!(err, "{}", crate::tidy::summary_line(&tables, dir))?;
        return Ok(ExitCode::SUCCESS);
    }
    let format = args.format.raw();
    let result = match &args.out {
        None => {
            let mut buffered = std::io::BufWriter::with_capacity(1 << 20, out);
            runtime
                .block_on(client.export_all(&options, format, &mut buffered))
                .map_err(Error::Api)
        }
        Some(path) => write_atomically(path, |file| {
            runtime.block_on(client.export_all(&options, format, file))
        }),
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let progress = result?;
    if progress.hashed_record_ids {
        writeln!(
            err,
            "note: REDCap sent hashed record IDs (this token has de-identified export rights), so the records could not be fetched in batches: exported in one request"
        )?;
    }
    writeln!(err, "{}", summary(&progress, args.out.as_deref()))?;
    Ok(ExitCode::SUCCESS)
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

/// One line: rows, records, batches, retries, seconds.
pub fn summary(progress: &Progress, out: Option<&Path>) -> String {
    let target = out
        .map(|path| format!(" to {}", path.display()))
        .unwrap_or_default();
    format!(
        "exported {} rows of {} records in {} batches, {} retries, {:.1} s{target}",
        progress.rows,
        progress.records_done,
        progress.batches,
        progress.retries,
        progress.elapsed.as_secs_f64()
    )
}

/// Writes through a temporary file beside `path`, renamed over it only when `write`
/// succeeds: a failed export leaves no file, and never half of one.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> Result<T, redcap_client::Error>,
) -> Result<T, Error> {
    let file_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::File { path, source }
    };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{} is not a file name", path.display())))?;
    let temporary = directory.join(format!(
        ".{}.{}.partial",
        name.to_string_lossy(),
        std::process::id()
    ));
    let file = std::fs::File::create(&temporary).map_err(file_error(&temporary))?;
    let mut writer = std::io::BufWriter::with_capacity(1 << 20, file);
    let outcome = write(&mut writer).map_err(Error::Api).and_then(|value| {
        let file = writer
            .into_inner()
            .map_err(|error| file_error(&temporary)(error.into_error()))?;
        file.sync_all().map_err(file_error(&temporary))?;
        std::fs::rename(&temporary, path).map_err(file_error(path))?;
        Ok(value)
    });
    if outcome.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_unescaped_commas() {
        assert_eq!(split_list("1, 2,3"), ["1", "2", "3"]);
        assert_eq!(split_list(r"a\,b,c"), ["a,b", "c"]);
        assert_eq!(split_list(r"x\\,y"), [r"x\", "y"]);
        assert!(split_list("").is_empty());
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let dir = std::env::temp_dir().join(format!("redcap-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.csv");
        let failed = write_atomically(&path, |file| {
            file.write_all(b"half").unwrap();
            Err::<(), _>(redcap_client::Error::Config {
                message: "stop".into(),
            })
        });
        assert!(failed.is_err());
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "no temporary file left"
        );
        write_atomically(&path, |file| {
            file.write_all(b"whole").unwrap();
            Ok::<_, redcap_client::Error>(())
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "whole");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
