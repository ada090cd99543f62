//! Whole-project exports that survive a real REDCap: in checked batches of whole records,
//! streamed to a sink.
//!
//! A single `export_records` call over a large project may time out, run REDCap out of
//! memory, or come back as a 200 with records missing. [`Client::export_all`] and
//! [`Client::export_all_typed`] instead:
//!
//! 1. ask for the record-ID column alone (with the caller's `records`, `events` and
//!    `filterLogic`), which gives the list of records to fetch;
//! 2. fetch the records in batches of whole records (never split by row, so a record's
//!    events and instances arrive together), sized from an estimate of cells, at most
//!    [`ExportOptions::concurrency`] at a time, through the client's rate limiter and
//!    retries;
//! 3. halve a batch that fails because of its size (a timeout, a 5xx, REDCap's
//!    out-of-memory answer, a body cut short) and grow back after successes;
//! 4. check every batch: every record asked for came back, no row key (record, event,
//!    repeat instrument, repeat instance) twice, no record that was not asked for.
//!    Missing records are asked for once more; if still missing, the export fails naming
//!    them. A partial result is never reported as success;
//! 5. hand the rows to the sink in record order as batches complete, so memory stays
//!    proportional to a batch, and report progress through a callback and `tracing`.
//!
//! A token with de-identified export rights gets hashed record IDs, which cannot be asked
//! for by name: the export then falls back to one request, still checked against the
//! hashed list, and says so.

mod body;
mod csv_stream;
mod engine;
mod keys;
mod sink;

use std::sync::Arc;
use std::time::Duration;

use crate::records::{DecodeMode, Decoded, FlatRow, InvalidCells};
use crate::{Client, Error};

pub use sink::RawFormat;

/// What to export, and how to batch it.
#[derive(Clone)]
pub struct ExportOptions {
    pub(crate) records: Vec<String>,
    pub(crate) fields: Vec<String>,
    pub(crate) forms: Vec<String>,
    pub(crate) events: Vec<String>,
    pub(crate) filter_logic: Option<String>,
    pub(crate) data_access_groups: bool,
    pub(crate) batch_size: Option<usize>,
    pub(crate) target_cells: usize,
    pub(crate) concurrency: usize,
    pub(crate) progress: Option<ProgressCallback>,
}

/// The progress callback, shared by clones of the options.
type ProgressCallback = Arc<dyn Fn(&Progress) + Send + Sync>;

impl std::fmt::Debug for ExportOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Record names and filter logic may be patient data: sizes only.
        f.debug_struct("ExportOptions")
            .field("records", &self.records.len())
            .field("fields", &self.fields)
            .field("forms", &self.forms)
            .field("events", &self.events)
            .field("filter_logic", &self.filter_logic.is_some())
            .field("batch_size", &self.batch_size)
            .field("target_cells", &self.target_cells)
            .field("concurrency", &self.concurrency)
            .finish()
    }
}

/// Cells (rows × columns) a batch aims at by default: a few megabytes of body, small
/// enough for REDCap's memory and quick to retry, large enough to keep requests few.
pub const DEFAULT_TARGET_CELLS: usize = 400_000;

/// Batches in flight at once by default: one decoding while the next transfers, without
/// loading REDCap with more than two exports from one user.
pub const DEFAULT_CONCURRENCY: usize = 2;

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            records: Vec::new(),
            fields: Vec::new(),
            forms: Vec::new(),
            events: Vec::new(),
            filter_logic: None,
            data_access_groups: false,
            batch_size: None,
            target_cells: DEFAULT_TARGET_CELLS,
            concurrency: DEFAULT_CONCURRENCY,
            progress: None,
        }
    }
}

impl ExportOptions {
    /// Everything: every record, field and event.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only these records.
    pub fn records<I: IntoIterator<Item = S>, S: Into<String>>(mut self, records: I) -> Self {
        self.records = records.into_iter().map(Into::into).collect();
        self
    }

    /// Only these fields (the record-ID field is always added: batches are checked by it).
    pub fn fields<I: IntoIterator<Item = S>, S: Into<String>>(mut self, fields: I) -> Self {
        self.fields = fields.into_iter().map(Into::into).collect();
        self
    }

    /// Only the fields of these instruments (plus the record-ID field).
    pub fn forms<I: IntoIterator<Item = S>, S: Into<String>>(mut self, forms: I) -> Self {
        self.forms = forms.into_iter().map(Into::into).collect();
        self
    }

    /// Only these events (unique event names).
    pub fn events<I: IntoIterator<Item = S>, S: Into<String>>(mut self, events: I) -> Self {
        self.events = events.into_iter().map(Into::into).collect();
        self
    }

    /// Only records (and rows) matching REDCap logic, e.g. `[age] > 30`.
    pub fn filter_logic(mut self, logic: impl Into<String>) -> Self {
        self.filter_logic = Some(logic.into());
        self
    }

    /// Adds the `redcap_data_access_group` column.
    pub fn data_access_groups(mut self, yes: bool) -> Self {
        self.data_access_groups = yes;
        self
    }

    /// Records per batch, instead of sizing batches from [`ExportOptions::target_cells`].
    /// Failing batches are still halved.
    pub fn batch_size(mut self, records: usize) -> Self {
        self.batch_size = Some(records.max(1));
        self
    }

    /// Cells (rows × columns) a batch aims at.
    pub fn target_cells(mut self, cells: usize) -> Self {
        self.target_cells = cells.max(1);
        self
    }

    /// Batches in flight at once (at least 1).
    pub fn concurrency(mut self, batches: usize) -> Self {
        self.concurrency = batches.max(1);
        self
    }

    /// Called after every batch, and when a batch is retried or split.
    pub fn on_progress(mut self, progress: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }
}

/// How far an export has come. Also its final summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Progress {
    /// Records to export (from the record-ID request).
    pub records_total: usize,
    /// Records delivered to the sink.
    pub records_done: usize,
    /// Rows delivered to the sink.
    pub rows: usize,
    /// Batches delivered.
    pub batches: usize,
    /// Batches split in two after failing because of their size.
    pub splits: usize,
    /// Requests sent again: the client's retries, missing records asked for again, and
    /// batches sent again in halves after failing for their size.
    pub retries: u64,
    /// Body bytes received for the batches delivered.
    pub bytes: u64,
    /// Time since the export started.
    pub elapsed: Duration,
    /// The record IDs came back hashed: the token has de-identified export rights, so
    /// records could not be asked for by name and the export was one request.
    pub hashed_record_ids: bool,
}

impl Client {
    /// Exports records in checked batches and writes them to `out` as one document in
    /// `format`: CSV with one header, a JSON array, or one JSON object a line.
    ///
    /// Nothing is written for a batch until it is complete and checked, but earlier
    /// batches are already written when a later one fails: write to a temporary file and
    /// rename it on success to never keep a partial document (`cargo redcap export` does).
    pub async fn export_all<W: std::io::Write + ?Sized>(
        &self,
        options: &ExportOptions,
        format: RawFormat,
        out: &mut W,
    ) -> Result<Progress, Error> {
        let mut writer = sink::RawWriter::new(format, out);
        let progress = engine::run(self, options, Arc::new(sink::RawBatches(format)), |batch| {
            writer.write_batch(batch)
        })
        .await?;
        writer.finish()?;
        Ok(progress)
    }

    /// Exports records in checked batches as typed rows of `T`, handing each row to
    /// `sink` in record order as its batch completes (strict decoding). REDCap is asked for
    /// `T`'s fields, besides the options' own filters.
    pub async fn export_all_typed<T>(
        &self,
        options: &ExportOptions,
        sink: impl FnMut(T),
    ) -> Result<Progress, Error>
    where
        T: FlatRow + Send + 'static,
    {
        self.export_all_typed_with(options, DecodeMode::Strict, sink)
            .await
    }

    /// As [`Client::export_all_typed`], with the decode mode chosen.
    ///
    /// When values do not fit their fields, the export is still read to the end and the
    /// error ([`Error::Record`]) lists every such cell; the sink has then received only
    /// the rows of the batches before the first one holding such a cell, all valid.
    pub async fn export_all_typed_with<T>(
        &self,
        options: &ExportOptions,
        mode: DecodeMode,
        sink: impl FnMut(T),
    ) -> Result<Progress, Error>
    where
        T: FlatRow + Send + 'static,
    {
        let (progress, invalid) = self.typed_export(options, mode, false, sink).await?;
        if invalid.is_empty() {
            Ok(progress)
        } else {
            Err(Error::Record {
                method: "export_records",
                source: Box::new(invalid),
            })
        }
    }

    /// As [`Client::export_all_typed_with`], keeping the valid data: every row whose key
    /// fits reaches `sink`, with the cells that do not fit their fields left unset, and
    /// those cells come back listed beside the progress.
    pub async fn export_all_typed_with_report<T>(
        &self,
        options: &ExportOptions,
        mode: DecodeMode,
        sink: impl FnMut(T),
    ) -> Result<(Progress, InvalidCells), Error>
    where
        T: FlatRow + Send + 'static,
    {
        self.typed_export(options, mode, true, sink).await
    }

    /// A typed export; without `keep_invalid`, rows stop reaching `sink` at the first
    /// batch that holds an invalid cell.
    async fn typed_export<T>(
        &self,
        options: &ExportOptions,
        mode: DecodeMode,
        keep_invalid: bool,
        mut sink: impl FnMut(T),
    ) -> Result<(Progress, InvalidCells), Error>
    where
        T: FlatRow + Send + 'static,
    {
        let mut options = options.clone();
        if options.fields.is_empty() && options.forms.is_empty() {
            options.fields = T::FIELDS.iter().map(|field| field.to_string()).collect();
        }
        let kind = Arc::new(sink::TypedBatches::<T>::new(mode));
        let mut invalid = InvalidCells::default();
        let mut rows_before = 0;
        let progress = engine::run(self, &options, kind, |batch: Decoded<T>| {
            let read = batch.rows_read();
            invalid.append(batch.invalid, rows_before);
            rows_before += read;
            if keep_invalid || invalid.is_empty() {
                batch.rows.into_iter().for_each(&mut sink);
            }
            Ok(())
        })
        .await?;
        Ok((progress, invalid))
    }
}
