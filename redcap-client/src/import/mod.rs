//! Safe record imports: every row checked against the project's schema before
//! the first request, batches of whole records that resume after an
//! interruption, and a dry run that shows what an import would change.
//!
//! - [`preflight`] checks every row as REDCap's import would (fields, choice
//!   codes, validation types, dates in the import's `dateFormat`, ranges,
//!   events and their forms, repeating setup, Data Access Groups, form status,
//!   fields that cannot be imported) and reports every problem at once.
//! - [`Client::import_all`] refuses to send anything when the preflight finds
//!   an error (or a warning, with [`ImportOptions::strict`]), then sends batches
//!   of whole records through the client's rate limiter. Plain imports are
//!   retried on transient failures, since writing the same values twice leaves
//!   the same data; a `forceAutoNumber` batch is sent once, and a failure after
//!   it left is [`Error::OutcomeUnknown`]. With [`ImportOptions::journal`], every
//!   committed batch is written down, and a rerun with
//!   [`ImportOptions::resume`] skips it.
//! - [`Client::import_dry_run`] exports the records an import touches and
//!   lists, per record and field, the old and new value, the records that would
//!   be created and, with overwrite, every value that would be erased.
//! - Typed imports ([`Client::import_all_typed`], [`Client::import_all_edits`])
//!   never erase by accident: a blank field is left out of the request, so
//!   REDCap keeps its value, and only the fields an [`Edit`] names in
//!   [`Edit::clear`] are erased.

mod dry_run;
mod edit;
mod journal;
mod preflight;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::error::TimeoutKind;
use crate::params::{DateFormat, OverwriteBehavior, ReturnContent};
use crate::records::FlatRow;
use crate::{AutoId, Client, Error, ImportOutcome, Payload, Request, Row};

pub use dry_run::{Change, DryRun};
pub use edit::{Edit, FieldWrite};
pub use preflight::{Preflight, Problem, Severity, preflight};
/// The schema every import is checked against (from `redcap-schema`).
pub use redcap_schema::ProjectSchema;

/// Columns that place a row (its event, repeat instrument and instance) rather
/// than hold a value. Blank in them erases nothing: a blank repeat instrument is how
/// REDCap writes a non-repeating row.
const ROW_KEY_COLUMNS: &[&str] = &[
    "redcap_event_name",
    "redcap_repeat_instrument",
    "redcap_repeat_instance",
];

/// How far an import is, after each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportProgress {
    /// Batches committed (in this run or, resumed, in an earlier one).
    pub batches_done: usize,
    /// Batches in the plan.
    pub batches: usize,
    /// Records in the committed batches.
    pub records_done: usize,
    /// Records in the import.
    pub records: usize,
}

/// The progress callback, shared by clones of the options.
type ProgressCallback = std::sync::Arc<dyn Fn(&ImportProgress) + Send + Sync>;

/// How to import.
#[derive(Clone)]
pub struct ImportOptions {
    pub(crate) overwrite: bool,
    pub(crate) force_auto_number: bool,
    pub(crate) date_format: DateFormat,
    pub(crate) batch_size: Option<usize>,
    pub(crate) strict: bool,
    pub(crate) journal: Option<PathBuf>,
    pub(crate) resume: bool,
    pub(crate) progress: Option<ProgressCallback>,
}

impl std::fmt::Debug for ImportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions")
            .field("overwrite", &self.overwrite)
            .field("force_auto_number", &self.force_auto_number)
            .field("date_format", &self.date_format)
            .field("batch_size", &self.batch_size)
            .field("strict", &self.strict)
            .field("journal", &self.journal)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            overwrite: false,
            force_auto_number: false,
            date_format: DateFormat::Ymd,
            batch_size: None,
            strict: false,
            journal: None,
            resume: false,
            progress: None,
        }
    }
}

impl ImportOptions {
    /// REDCap's defaults: `overwriteBehavior=normal`, `dateFormat=YMD`, batches sized
    /// like exports, no journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// `overwriteBehavior=overwrite`: blank values erase stored ones.
    pub fn overwrite(mut self, yes: bool) -> Self {
        self.overwrite = yes;
        self
    }

    /// `forceAutoNumber`: REDCap names new records, the names given only group rows.
    /// Such batches are never sent twice.
    pub fn force_auto_number(mut self, yes: bool) -> Self {
        self.force_auto_number = yes;
        self
    }

    /// The `dateFormat` of the rows' dates.
    pub fn date_format(mut self, format: DateFormat) -> Self {
        self.date_format = format;
        self
    }

    /// Records per batch, instead of sizing batches by cells as exports do.
    pub fn batch_size(mut self, records: usize) -> Self {
        self.batch_size = Some(records.max(1));
        self
    }

    /// Refuse to send when the preflight finds warnings too.
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    /// Writes each committed batch to this file, so that the import can resume.
    pub fn journal(mut self, path: impl Into<PathBuf>) -> Self {
        self.journal = Some(path.into());
        self
    }

    /// Continues the import recorded in the journal, skipping committed batches. The
    /// rows and options must be those of the interrupted run.
    pub fn resume(mut self, yes: bool) -> Self {
        self.resume = yes;
        self
    }

    /// Called after each committed (or resumed) batch.
    pub fn on_progress(
        mut self,
        progress: impl Fn(&ImportProgress) + Send + Sync + 'static,
    ) -> Self {
        self.progress = Some(std::sync::Arc::new(progress));
        self
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Batches in the plan.
    pub batches: usize,
    /// Batches a journal showed committed by an earlier run, not sent again.
    pub resumed_batches: usize,
    /// Records in the import.
    pub records: usize,
    /// Rows in the import.
    pub rows: usize,
    /// REDCap's counts of imported records, summed over every batch (resumed ones
    /// included).
    pub count: u64,
    /// With `forceAutoNumber`: the names REDCap gave, with the names sent.
    pub auto_ids: Vec<AutoId>,
    /// The preflight's warnings (values REDCap imports and reports).
    pub warnings: Vec<Problem>,
}

/// One batch: whole records, rows in their input order.
pub(crate) struct Batch<'a> {
    pub(crate) records: Vec<&'a str>,
    pub(crate) rows: Vec<&'a Row>,
}

/// Groups rows by record (a record's rows are never split, wherever they stand
/// in the input) and cuts the records into batches.
pub(crate) fn plan<'a>(
    schema: &ProjectSchema,
    rows: &'a [Row],
    batch_size: Option<usize>,
) -> Vec<Batch<'a>> {
    let id = schema.record_id_field.as_str();
    let mut order: Vec<&str> = Vec::new();
    let mut grouped: HashMap<&str, Vec<&Row>> = HashMap::new();
    for row in rows {
        let record = row.get(id).unwrap_or("").trim();
        grouped
            .entry(record)
            .or_insert_with(|| {
                order.push(record);
                Vec::new()
            })
            .push(row);
    }
    let mut batches = Vec::new();
    let mut current = Batch {
        records: Vec::new(),
        rows: Vec::new(),
    };
    let mut cells = 0;
    for record in order {
        let record_rows = grouped.remove(record).unwrap_or_default();
        let record_cells: usize = record_rows.iter().map(|r| r.len()).sum();
        let full = match batch_size {
            Some(size) => current.records.len() >= size,
            None => cells + record_cells > crate::bulk::DEFAULT_TARGET_CELLS,
        };
        if full && !current.records.is_empty() {
            batches.push(std::mem::replace(
                &mut current,
                Batch {
                    records: Vec::new(),
                    rows: Vec::new(),
                },
            ));
            cells = 0;
        }
        cells += record_cells;
        current.records.push(record);
        current.rows.extend(record_rows);
    }
    if !current.records.is_empty() {
        batches.push(current);
    }
    batches
}

/// Whether a failed request may have reached REDCap and been carried out.
fn may_have_run(error: &Error) -> bool {
    match error {
        Error::Config { .. }
        | Error::Request { .. }
        | Error::Redirect { .. }
        | Error::Banned { .. }
        | Error::Preflight { .. }
        | Error::Journal { .. } => false,
        Error::Transport { source, .. } => !source.is_connect(),
        Error::Timeout { kind, .. } => !matches!(kind, TimeoutKind::Connect(_)),
        // REDCap refuses a whole import with 4xx and imports nothing; a 5xx may come
        // from a proxy after REDCap did its work.
        Error::Api { status, .. } => *status >= 500,
        _ => true,
    }
}

impl Client {
    /// Imports `rows` (flat, as `exportRecords` writes them) in checked batches of whole
    /// records. Nothing is sent when the preflight against `schema` finds an error (or
    /// a warning, with [`ImportOptions::strict`]): [`Error::Preflight`] lists them all.
    pub async fn import_all(
        &self,
        schema: &ProjectSchema,
        rows: &[Row],
        options: &ImportOptions,
    ) -> Result<ImportReport, Error> {
        let checked = preflight(schema, rows, options.date_format);
        if !checked.passes(options.strict) {
            return Err(Error::Preflight {
                problems: Box::new(checked),
            });
        }
        let batches = plan(schema, rows, options.batch_size);
        let mut report = ImportReport {
            batches: batches.len(),
            records: batches.iter().map(|b| b.records.len()).sum(),
            rows: rows.len(),
            warnings: checked.warnings,
            ..ImportReport::default()
        };
        let (mut journal, committed) = match &options.journal {
            Some(path) => {
                let print = fingerprint(rows, &batches, options);
                let (journal, committed) =
                    journal::Journal::open(path, &print, batches.len(), options.resume)?;
                (Some(journal), committed)
            }
            None => (None, journal::Committed::default()),
        };
        let mut progress = ImportProgress {
            batches_done: 0,
            batches: batches.len(),
            records_done: 0,
            records: report.records,
        };
        let mut advance = |batch: &Batch<'_>| {
            progress.batches_done += 1;
            progress.records_done += batch.records.len();
            if let Some(callback) = &options.progress {
                callback(&progress);
            }
        };
        for (index, batch) in batches.iter().enumerate() {
            let number = index + 1;
            if let Some((count, ids)) = committed.done.get(&number) {
                report.resumed_batches += 1;
                report.count += count;
                report.auto_ids.extend(ids.iter().cloned());
                advance(batch);
                continue;
            }
            let describe = |cause: Error| Error::OutcomeUnknown {
                batch: number,
                first: batch.records.first().map_or("", |r| r).to_owned(),
                last: batch.records.last().map_or("", |r| r).to_owned(),
                records: batch.records.len(),
                cause: Box::new(cause),
            };
            if options.force_auto_number {
                if committed.sending.contains(&number) {
                    return Err(describe(Error::Journal {
                        path: options.journal.clone().unwrap_or_default(),
                        message: "an earlier run sent this batch and stopped before its answer"
                            .into(),
                    }));
                }
                if let Some(journal) = &mut journal {
                    journal.sending(number)?;
                }
            }
            let request = batch_request(batch, options)?;
            let outcome = match self.send_import_outcome(request).await {
                Ok(outcome) => outcome,
                Err(error) if options.force_auto_number && may_have_run(&error) => {
                    return Err(describe(error));
                }
                Err(error) => return Err(error),
            };
            let (count, ids) = match outcome {
                ImportOutcome::Count(count) => (count, Vec::new()),
                ImportOutcome::AutoIds(ids) => (ids.len() as u64, ids),
                ImportOutcome::Ids(ids) => (ids.len() as u64, Vec::new()),
                ImportOutcome::Nothing | ImportOutcome::Queued => (0, Vec::new()),
            };
            if let Some(journal) = &mut journal {
                journal.done(number, count, &ids)?;
            }
            tracing::info!(
                batch = number,
                of = batches.len(),
                records = batch.records.len(),
                "import batch committed"
            );
            report.count += count;
            report.auto_ids.extend(ids);
            advance(batch);
        }
        Ok(report)
    }

    /// [`Client::import_all`] for typed rows: each non-blank field is set, with its
    /// exact text; a blank field is not sent, so REDCap keeps the stored value (even
    /// with [`ImportOptions::overwrite`]). To erase values, use
    /// [`Client::import_all_edits`].
    pub async fn import_all_typed<T: FlatRow>(
        &self,
        schema: &ProjectSchema,
        rows: &[T],
        options: &ImportOptions,
    ) -> Result<ImportReport, Error> {
        let (rows, _) = edit::edit_rows(schema, rows.iter().map(|row| (row, &[][..])))?;
        self.import_all(schema, &rows, options).await
    }

    /// [`Client::import_all`] for typed rows that say per field what to do: set
    /// (a value), keep (blank) or clear (named in [`Edit::clear`]). Only cleared
    /// fields are erased; when one needs it, the import is sent with
    /// `overwriteBehavior=overwrite`, which then erases nothing else because no
    /// other blank is sent.
    pub async fn import_all_edits<T: FlatRow>(
        &self,
        schema: &ProjectSchema,
        edits: &[Edit<T>],
        options: &ImportOptions,
    ) -> Result<ImportReport, Error> {
        let (rows, needs_overwrite) = edit::edit_rows(schema, edit::pairs(edits))?;
        let options = options
            .clone()
            .overwrite(options.overwrite || needs_overwrite);
        self.import_all(schema, &rows, &options).await
    }

    /// [`Client::import_dry_run`] for [`Client::import_all_edits`]: what those edits
    /// would set and erase, written nowhere.
    pub async fn import_dry_run_edits<T: FlatRow>(
        &self,
        schema: &ProjectSchema,
        edits: &[Edit<T>],
        options: &ImportOptions,
    ) -> Result<DryRun, Error> {
        let (rows, needs_overwrite) = edit::edit_rows(schema, edit::pairs(edits))?;
        let options = options
            .clone()
            .overwrite(options.overwrite || needs_overwrite);
        self.import_dry_run(schema, &rows, &options).await
    }
}

/// The request for one batch.
fn batch_request(batch: &Batch<'_>, options: &ImportOptions) -> Result<Request, Error> {
    let mut request = Request::new(&crate::methods::IMPORT_RECORDS);
    request.set_payload(Payload::json(&batch.rows)?);
    let overwrite = if options.overwrite {
        OverwriteBehavior::Overwrite
    } else {
        OverwriteBehavior::Normal
    };
    request.set_text("overwriteBehavior", overwrite.as_wire());
    request.set_text("dateFormat", options.date_format.as_wire());
    if options.force_auto_number {
        request.set_flag("forceAutoNumber", true);
        request.set_text("returnContent", ReturnContent::AutoIds.as_wire());
    } else {
        request.set_text("returnContent", ReturnContent::Count.as_wire());
        // The same values written twice to the same records leave the same data.
        request.repeatable = true;
    }
    Ok(request)
}

/// Names one import: its rows, the options that change what is written, and the
/// batch plan.
fn fingerprint(rows: &[Row], batches: &[Batch<'_>], options: &ImportOptions) -> String {
    let settings = format!(
        "overwrite={} auto={} date={} batches={}",
        options.overwrite,
        options.force_auto_number,
        options.date_format.as_wire(),
        batches
            .iter()
            .map(|b| b.records.len().to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let cells = rows
        .iter()
        .flat_map(|row| row.iter().flat_map(|(c, v)| [c, v]).chain(["\n"]));
    journal::fingerprint(std::iter::once(settings.as_str()).chain(cells))
}
