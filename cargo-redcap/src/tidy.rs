//! `cargo redcap tidy` and `cargo redcap export --tidy`: a flat export turned into one
//! typed table per instrument (`redcap-tidy`), in Parquet, Arrow IPC or CSV.
//!
//! The live export streams: the bulk export writes CSV into a bounded channel, and a
//! second thread reads it as it arrives and writes each instrument's batches, so memory
//! stays bounded by a few batches whatever the project's size.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::mpsc::{Receiver, SyncSender};

use redcap_schema::ProjectSchema;
use redcap_tidy::Summary;

use crate::Error;

/// Table file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// Apache Parquet (Snappy), the Arrow schema and column metadata embedded.
    Parquet,
    /// Arrow IPC files (Feather v2).
    Arrow,
    /// CSV, one file per instrument.
    Csv,
}

impl TableFormat {
    fn tidy(self) -> redcap_tidy::Format {
        match self {
            TableFormat::Parquet => redcap_tidy::Format::Parquet,
            TableFormat::Arrow => redcap_tidy::Format::Arrow,
            TableFormat::Csv => redcap_tidy::Format::Csv,
        }
    }
}

/// Formats of a flat record export on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFileFormat {
    /// CSV with a header row.
    Csv,
    /// A JSON array of row objects.
    Json,
}

/// Arguments of `cargo redcap tidy`.
#[derive(Debug, clap::Args)]
pub struct TidyArgs {
    /// A flat record export, CSV or JSON (raw codes, as `cargo redcap export` or
    /// REDCap's API writes it).
    #[arg(value_name = "EXPORT_FILE")]
    pub export: PathBuf,
    /// The export's format; by default from its extension (`.csv`, `.json`), else from
    /// its first bytes (JSON starts with `[`).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<ExportFileFormat>,
    /// The project's schema: `redcap/schema.json`, project XML, or a data dictionary
    /// (repeat the flag to add the API's JSON exports, e.g. project info for
    /// missing-data codes).
    #[arg(long, required = true, value_name = "FILE")]
    pub schema: Vec<PathBuf>,
    /// The folder to write the tables into (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The table format.
    #[arg(long, value_enum, default_value_t = TableFormat::Parquet)]
    pub to: TableFormat,
}

/// Runs `cargo redcap tidy`; the summary goes to `err`.
pub fn run(args: &TidyArgs, err: &mut dyn Write) -> Result<ExitCode, Error> {
    let schema = crate::schema::read_inputs(&args.schema, err)?;
    let file = std::fs::File::open(&args.export).map_err(|source| Error::File {
        path: args.export.clone(),
        source,
    })?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let format = export_format(args.format, &args.export, &mut reader)?;
    let (summary, _) =
        redcap_tidy::write_tables_from(&schema, reader, format, &args.out, args.to.tidy())
            .map_err(|error| Error::Tidy {
                input: args.export.display().to_string(),
                error,
            })?;
    writeln!(err, "{}", summary_line(&summary, &args.out))?;
    Ok(ExitCode::SUCCESS)
}

/// The export file's format: as given, else from the file's extension, else from its
/// first bytes.
fn export_format(
    given: Option<ExportFileFormat>,
    path: &Path,
    reader: &mut impl BufRead,
) -> Result<redcap_tidy::ExportFormat, Error> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    Ok(match (given, extension.as_deref()) {
        (Some(ExportFileFormat::Csv), _) | (None, Some("csv")) => redcap_tidy::ExportFormat::Csv,
        (Some(ExportFileFormat::Json), _) | (None, Some("json")) => redcap_tidy::ExportFormat::Json,
        (None, _) => {
            redcap_tidy::ExportFormat::sniff(reader.fill_buf().map_err(|source| Error::File {
                path: path.to_owned(),
                source,
            })?)
        }
    })
}

/// One line: export rows in, rows per table out.
pub fn summary_line(summary: &Summary, dir: &Path) -> String {
    let tables = summary
        .table_rows
        .iter()
        .map(|(name, rows)| format!("{name} {rows}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} export rows → {} tables in {} ({tables})",
        summary.export_rows,
        summary.table_rows.len(),
        dir.display()
    )
}

/// A chunk of the export, or word that the export failed and what came so far must not
/// become tables.
enum Chunk {
    Data(Vec<u8>),
    Failed,
}

/// The export side of the channel: whole writes become chunks.
pub(crate) struct ChunkWriter {
    sender: SyncSender<Chunk>,
}

impl Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.sender.send(Chunk::Data(bytes.to_vec())).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the table writer stopped")
        })?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl ChunkWriter {
    /// Tells the reading side that the export failed.
    fn fail(self) {
        let _ = self.sender.send(Chunk::Failed);
    }
}

/// The conversion side of the channel.
struct ChunkReader {
    receiver: Receiver<Chunk>,
    current: Vec<u8>,
    at: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.receiver.recv() {
                Ok(Chunk::Data(bytes)) => {
                    self.current = bytes;
                    self.at = 0;
                }
                Ok(Chunk::Failed) => {
                    return Err(std::io::Error::other("the export failed"));
                }
                // The export side finished and closed the channel.
                Err(_) => return Ok(0),
            }
        }
        let n = buffer.len().min(self.current.len() - self.at);
        buffer[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Chunks in flight between the export and the conversion: with 1 MiB writes, a few
/// megabytes at most.
const CHANNEL_CHUNKS: usize = 4;

/// Runs `export` (which writes a flat CSV export) while converting what it writes into
/// tables in `dir`. The tables are renamed into place only if both succeed.
pub(crate) fn export_to_tables<T>(
    schema: &ProjectSchema,
    dir: &Path,
    format: TableFormat,
    export: impl FnOnce(&mut std::io::BufWriter<ChunkWriter>) -> Result<T, redcap_client::Error>,
) -> Result<(T, Summary), Error> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(CHANNEL_CHUNKS);
    std::thread::scope(|scope| {
        let converter = scope.spawn(move || {
            let reader = ChunkReader {
                receiver,
                current: Vec::new(),
                at: 0,
            };
            redcap_tidy::write_tables(schema, reader, dir, format.tidy())
        });
        let mut writer = std::io::BufWriter::with_capacity(1 << 20, ChunkWriter { sender });
        let exported = export(&mut writer);
        let exported = match exported {
            Ok(value) => match writer.into_inner() {
                // Dropping the writer closes the channel: the conversion sees the end.
                Ok(_) => Ok(value),
                Err(error) => Err(Error::Output(error.into_error())),
            },
            Err(error) => {
                // Without the flush: nothing more of a failed export reaches the tables.
                writer.into_parts().0.fail();
                Err(Error::Api(error))
            }
        };
        let converted = converter
            .join()
            .map_err(|_| Error::Usage("the table writer panicked".into()))?;
        // A conversion error explains a broken channel on the export side: report it
        // first.
        match (exported, converted) {
            (_, Err(error)) if !is_export_failure(&error) => Err(Error::Tidy {
                input: "the export".into(),
                error,
            }),
            (Err(error), _) => Err(error),
            (Ok(_), Err(error)) => Err(Error::Tidy {
                input: "the export".into(),
                error,
            }),
            (Ok(value), Ok((summary, _))) => Ok((value, summary)),
        }
    })
}

/// Whether the conversion stopped only because the export side said it failed.
fn is_export_failure(error: &redcap_tidy::Error) -> bool {
    match error {
        redcap_tidy::Error::Csv(error) => error.is_io_error(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing_codes_schema() -> ProjectSchema {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/missing-codes/schema.json");
        redcap_schema::read_path(&path).unwrap()
    }

    #[test]
    fn a_streamed_export_becomes_tables() {
        let schema = missing_codes_schema();
        let dir = std::env::temp_dir().join(format!("redcap-tidy-stream-{}", std::process::id()));
        let export = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/missing-codes/data.csv"),
        )
        .unwrap();
        let (_, summary) = export_to_tables(&schema, &dir, TableFormat::Csv, |out| {
            // Small writes, as batches arrive.
            for piece in export.chunks(7) {
                out.write_all(piece).unwrap();
            }
            Ok::<_, redcap_client::Error>(())
        })
        .unwrap();
        assert_eq!(summary.export_rows, 3);
        let visit = std::fs::read_to_string(dir.join("visit.csv")).unwrap();
        assert!(visit.contains("UNK"), "{visit}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_export_leaves_no_tables() {
        let schema = missing_codes_schema();
        let dir = std::env::temp_dir().join(format!("redcap-tidy-fail-{}", std::process::id()));
        let result = export_to_tables(&schema, &dir, TableFormat::Parquet, |out| {
            out.write_all(b"record_id,visit_date\n1,2026-01-05\n")
                .unwrap();
            // Past the buffer: the conversion has started on what came.
            out.flush().unwrap();
            Err::<(), _>(redcap_client::Error::Config {
                message: "cut off".into(),
            })
        });
        let error = result.unwrap_err();
        assert!(crate::chain(&error).contains("cut off"), "{error}");
        let left = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(left, 0, "no table left");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_value_error_names_the_cell() {
        let schema = missing_codes_schema();
        let dir = std::env::temp_dir().join(format!("redcap-tidy-bad-{}", std::process::id()));
        let result = export_to_tables(&schema, &dir, TableFormat::Arrow, |out| {
            out.write_all(b"record_id,age\n7,old\n").unwrap();
            Ok::<_, redcap_client::Error>(())
        });
        let message = crate::chain(&result.unwrap_err());
        assert!(
            message.contains("record `7`") && message.contains("`old`"),
            "{message}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
