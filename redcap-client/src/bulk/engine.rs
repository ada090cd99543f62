//! The batch scheduler: the record list, batch sizes, bounded concurrency, halving and
//! regrowth, the completeness check, and delivery in record order.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use tokio::task::JoinSet;

use super::body::{BodyReader, ReadBody, contiguous, reject_failure};
use super::keys::{Tally, merge, scan};
use super::sink::{BatchKind, Wire};
use super::{ExportOptions, Progress};
use crate::error::{Error, Incompleteness};
use crate::request::Request;
use crate::{Client, method_info};

/// Batches never hold more records than this, however narrow the rows.
const MAX_BATCH_RECORDS: usize = 10_000;

/// Batches per concurrency slot that a default-sized export aims at (see
/// `estimate_batch`).
const BATCHES_PER_SLOT: usize = 4;

/// Failed batches in a row, per concurrency slot, after which an export gives up: four
/// halvings (a sixteenth of the size that failed first) are enough for a server that
/// fails under a batch's size. Without a bound, a server that stops answering would be
/// sent every record on its own, one timeout each.
const FAILURES_IN_A_ROW_PER_SLOT: usize = 4;

/// What every batch request shares.
struct Plan {
    options: ExportOptions,
    record_field: Arc<str>,
    /// The fields to ask for: the caller's, plus the record-ID field.
    fields: Vec<String>,
    wire: Wire,
    records: Vec<String>,
    /// Record IDs are hashed (de-identified rights): batches cannot name records.
    hashed: bool,
}

/// A batch that came back complete.
struct Done<O> {
    range: Range<usize>,
    output: O,
    rows: usize,
    bytes: u64,
}

/// A batch that failed, with the records it covered.
struct Failed {
    range: Range<usize>,
    error: Error,
}

/// A record list and how many rows listed it.
type Listed = (Vec<String>, usize);

/// The second answer for the record list, asked for beside the first; stopped when an
/// export ends without it.
struct Confirmation(tokio::task::JoinHandle<Result<Listed, Error>>);

impl Drop for Confirmation {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How a run over one record list ended.
enum Outcome {
    Done(Progress),
    /// The confirming record list differs: nothing was emitted yet.
    Disagree(Listed, Listed),
}

/// Runs an export: `emit` gets each batch's output in record order.
pub(crate) async fn run<K: BatchKind>(
    client: &Client,
    options: &ExportOptions,
    kind: Arc<K>,
    mut emit: impl FnMut(K::Output) -> Result<(), Error>,
) -> Result<Progress, Error> {
    let started = Instant::now();
    let retries = Arc::new(AtomicU64::new(0));
    let record_field = patiently(client, &retries, || record_id_field(client, &retries)).await?;
    let mut fields = options.fields.clone();
    if (!fields.is_empty() || !options.forms.is_empty()) && !fields.contains(&record_field) {
        fields.insert(0, record_field.clone());
    }
    let list = || {
        patiently(client, &retries, || {
            record_list(client, options, &record_field, &retries)
        })
    };
    // The record list is asked for before the batches. A list missing records would make
    // every later check pass on a partial export, so a second answer confirms it, and
    // nothing is emitted before it agrees. Both are asked for at once: the server then
    // answers them side by side, before the batches keep it busy.
    let mut confirmation = Some(confirm(client, options, &record_field, &retries));
    let mut listed = list().await?;
    let batches = Batches {
        client,
        options,
        kind: &kind,
        record_field: &record_field,
        fields: &fields,
        retries: &retries,
        started,
    };
    loop {
        match batches.run(listed, confirmation.take(), &mut emit).await? {
            Outcome::Done(progress) => return Ok(progress),
            Outcome::Disagree(first, second) => {
                tracing::warn!("two record-ID requests disagree; asking a third time");
                retries.fetch_add(1, Ordering::Relaxed);
                let third = list().await?;
                listed = union(vec![first, second, third]);
            }
        }
    }
}

/// The second record-list request, started on its own task.
fn confirm(
    client: &Client,
    options: &ExportOptions,
    record_field: &str,
    retries: &Arc<AtomicU64>,
) -> Confirmation {
    let (client, options) = (client.clone(), options.clone());
    let (record_field, retries) = (record_field.to_string(), retries.clone());
    Confirmation(tokio::spawn(async move {
        patiently(&client, &retries, || {
            record_list(&client, &options, &record_field, &retries)
        })
        .await
    }))
}

/// The second answer when it differs from `records` (`None` when it agrees, or was
/// already checked).
async fn disagreement(
    confirmation: &mut Option<Confirmation>,
    records: &[String],
) -> Result<Option<Listed>, Error> {
    let Some(mut handle) = confirmation.take() else {
        return Ok(None);
    };
    let second = (&mut handle.0).await.map_err(|error| Error::Request {
        method: "export_records",
        message: format!("the record-list task failed: {error}"),
    })??;
    Ok((second.0 != records).then_some(second))
}

/// The union of several record lists, REDCap's order kept from the longest.
fn union(mut answers: Vec<Listed>) -> Listed {
    answers.sort_by_key(|(records, _)| std::cmp::Reverse(records.len()));
    let (mut union, rows) = answers.swap_remove(0);
    let mut seen: std::collections::HashSet<String> = union.iter().cloned().collect();
    for (records, _) in answers {
        for record in records {
            if seen.insert(record.clone()) {
                union.push(record);
            }
        }
    }
    (union, rows)
}

/// What the batches of every record list share.
struct Batches<'a, K> {
    client: &'a Client,
    options: &'a ExportOptions,
    kind: &'a Arc<K>,
    record_field: &'a str,
    fields: &'a [String],
    retries: &'a Arc<AtomicU64>,
    started: Instant,
}

impl<K: BatchKind> Batches<'_, K> {
    /// Exports the records of one list in batches.
    async fn run(
        &self,
        (records, listed_rows): Listed,
        mut confirmation: Option<Confirmation>,
        emit: &mut impl FnMut(K::Output) -> Result<(), Error>,
    ) -> Result<Outcome, Error> {
        let (client, options, kind, retries, started) = (
            self.client,
            self.options,
            self.kind,
            self.retries,
            self.started,
        );
        let record_field = self.record_field.to_string();
        let fields = self.fields.to_vec();
        let hashed = !records.is_empty() && records.iter().all(|record| looks_hashed(record));
        if hashed {
            tracing::warn!(
                records = records.len(),
                "record IDs are hashed: this token has de-identified export rights, so records cannot be asked for by name; exporting in one request"
            );
        }
        let plan = Arc::new(Plan {
            options: options.clone(),
            record_field: record_field.into(),
            fields,
            wire: kind.wire(),
            records,
            hashed,
        });
        let total = plan.records.len();
        let mut progress = Progress {
            records_total: total,
            hashed_record_ids: plan.hashed,
            ..Progress::default()
        };
        let report = |progress: &mut Progress| {
            progress.retries = retries.load(Ordering::Relaxed);
            progress.elapsed = started.elapsed();
            if let Some(callback) = &options.progress {
                callback(progress);
            }
        };
        report(&mut progress);
        if total == 0 {
            if let Some(second) = disagreement(&mut confirmation, &plan.records).await? {
                return Ok(Outcome::Disagree(
                    (plan.records.clone(), listed_rows),
                    second,
                ));
            }
            return Ok(Outcome::Done(progress));
        }

        let full_size = if plan.hashed {
            total
        } else {
            options.batch_size.unwrap_or_else(|| {
                estimate_batch(
                    &plan,
                    listed_rows,
                    options.target_cells,
                    options.concurrency,
                )
            })
        };
        let mut size = full_size;
        tracing::info!(records = total, batch = size, "export planned");

        let mut next = 0;
        let mut requeued: VecDeque<Range<usize>> = VecDeque::new();
        let mut running: JoinSet<Result<Done<K::Output>, Failed>> = JoinSet::new();
        let mut finished: BTreeMap<usize, Done<K::Output>> = BTreeMap::new();
        let mut delivered = 0;
        let concurrency = options.concurrency.max(1);
        // Attempts of one-record batches, by position.
        let mut lone_attempts: std::collections::HashMap<usize, u32> = Default::default();
        // Batches failed for the server's load since the last that came back.
        let mut failed_in_a_row = 0;
        loop {
            while running.len() < concurrency {
                let range = if let Some(range) = requeued.pop_front() {
                    range
                } else if next < total && finished.len() < 2 * concurrency {
                    let range = next..(next + size).min(total);
                    next = range.end;
                    range
                } else {
                    break;
                };
                running.spawn(fetch_batch(
                    client.clone(),
                    plan.clone(),
                    kind.clone(),
                    range,
                    retries.clone(),
                ));
            }
            let Some(joined) = running.join_next().await else {
                break;
            };
            let outcome = joined.map_err(|error| Error::Request {
                method: "export_records",
                message: format!("a batch task failed: {error}"),
            })?;
            match &outcome {
                Ok(_) => failed_in_a_row = 0,
                Err(failed) if failed.error.is_overload() => failed_in_a_row += 1,
                Err(_) => {}
            }
            match outcome {
                Err(Failed { error, .. })
                    if failed_in_a_row > FAILURES_IN_A_ROW_PER_SLOT * concurrency =>
                {
                    tracing::warn!(
                        failed = failed_in_a_row,
                        error = %error,
                        "batches keep failing; giving up"
                    );
                    running.abort_all();
                    return Err(error);
                }
                Ok(done) => {
                    tracing::debug!(
                        first = done.range.start,
                        records = done.range.len(),
                        rows = done.rows,
                        bytes = done.bytes,
                        "batch complete"
                    );
                    // Success: grow back towards the planned size.
                    size = (size * 2).min(full_size);
                    finished.insert(done.range.start, done);
                    if finished.contains_key(&delivered)
                        && let Some(second) = disagreement(&mut confirmation, &plan.records).await?
                    {
                        running.abort_all();
                        return Ok(Outcome::Disagree(
                            (plan.records.clone(), listed_rows),
                            second,
                        ));
                    }
                    while let Some(done) = finished.remove(&delivered) {
                        delivered = done.range.end;
                        progress.batches += 1;
                        progress.records_done += done.range.len();
                        progress.rows += done.rows;
                        progress.bytes += done.bytes;
                        emit(done.output)?;
                        report(&mut progress);
                    }
                }
                Err(Failed { range, error })
                    if error.is_overload() && range.len() > 1 && !plan.hashed =>
                {
                    let half = range.len() / 2;
                    size = size.min(half).max(1);
                    tracing::warn!(
                        first = range.start,
                        records = range.len(),
                        error = %error,
                        "batch failed; splitting it in two"
                    );
                    requeued.push_front(range.start + half..range.end);
                    requeued.push_front(range.start..range.start + half);
                    progress.splits += 1;
                    // The batch's records are asked for again, in halves.
                    retries.fetch_add(1, Ordering::Relaxed);
                    report(&mut progress);
                }
                // A single record that fails for the server's load: sent again a few times,
                // since it cannot be split further.
                Err(Failed { range, error })
                    if error.is_overload()
                        && range.len() == 1
                        && *lone_attempts.entry(range.start).or_insert(1)
                            < client.retry_policy().attempts =>
                {
                    *lone_attempts.entry(range.start).or_insert(1) += 1;
                    tracing::warn!(first = range.start, error = %error, "one-record batch failed; sending it again");
                    retries.fetch_add(1, Ordering::Relaxed);
                    requeued.push_front(range);
                    report(&mut progress);
                }
                Err(Failed { error, .. }) => {
                    running.abort_all();
                    return Err(error);
                }
            }
        }
        progress.retries = retries.load(Ordering::Relaxed);
        progress.elapsed = started.elapsed();
        tracing::info!(
            records = progress.records_done,
            rows = progress.rows,
            batches = progress.batches,
            retries = progress.retries,
            bytes = progress.bytes,
            seconds = progress.elapsed.as_secs_f64(),
            "export complete"
        );
        Ok(Outcome::Done(progress))
    }
}

/// Fetches and checks one batch, asking once more for records that did not come back.
async fn fetch_batch<K: BatchKind>(
    client: Client,
    plan: Arc<Plan>,
    kind: Arc<K>,
    range: Range<usize>,
    retries: Arc<AtomicU64>,
) -> Result<Done<K::Output>, Failed> {
    let fail = |range: &Range<usize>| {
        let range = range.clone();
        move |error| Failed { range, error }
    };
    let asked = &plan.records[range.clone()];
    let first = fetch(
        &client,
        &plan,
        &kind,
        (!plan.hashed).then_some(asked),
        &retries,
    )
    .await
    .map_err(fail(&range))?;
    let mut tally = Tally::new(asked);
    let mut bytes = first.body.len() as u64;
    tally.add(&first.scanned.keys).map_err(fail(&range))?;
    let missing = tally.missing(asked);
    let read = if missing.is_empty() {
        first
    } else {
        tracing::warn!(
            missing = missing.len(),
            "records missing from a batch; asking for them again"
        );
        retries.fetch_add(1, Ordering::Relaxed);
        let again = fetch(&client, &plan, &kind, Some(&missing), &retries)
            .await
            .map_err(fail(&range))?;
        bytes += again.body.len() as u64;
        tally.add(&again.scanned.keys).map_err(fail(&range))?;
        let still = tally.missing(asked);
        if !still.is_empty() {
            return Err(Failed {
                range,
                error: Error::Incomplete {
                    problem: Incompleteness::MissingRecords(still),
                },
            });
        }
        let (first_body, again_body) = (
            contiguous(&first.body.chunks),
            contiguous(&again.body.chunks),
        );
        let merged = merge(
            plan.wire,
            [(&first_body, &first.scanned), (&again_body, &again.scanned)],
            asked,
        )
        .map_err(fail(&range))?;
        BodyReader::read_whole(kind, plan.record_field.clone(), Bytes::from(merged))
            .map_err(fail(&range))?
    };
    let rows = tally.rows;
    let output = read.output().map_err(fail(&range))?;
    Ok(Done {
        range,
        output,
        rows,
        bytes,
    })
}

/// One `export_records` request of the plan, for `records` (all, when `None`), read as
/// its body arrives.
async fn fetch<K: BatchKind>(
    client: &Client,
    plan: &Plan,
    kind: &Arc<K>,
    records: Option<&[String]>,
    retries: &AtomicU64,
) -> Result<ReadBody<K::Rows>, Error> {
    let mut request = export_request(&plan.options, plan.wire);
    if let Some(records) = records {
        request.set_list("records", records.to_vec());
    }
    if !plan.fields.is_empty() {
        request.set_list("fields", plan.fields.clone());
    }
    if !plan.options.forms.is_empty() {
        request.set_list("forms", plan.options.forms.clone());
    }
    if plan.options.data_access_groups {
        request.set_flag("exportDataAccessGroups", true);
    }
    let mut reader = BodyReader::new(kind.clone(), plan.record_field.clone());
    client
        .execute_streamed(
            request,
            &mut |_| {
                retries.fetch_add(1, Ordering::Relaxed);
            },
            Some(&mut reader),
        )
        .await?;
    reader.finish()
}

/// An `export_records` request with the caller's filters that apply to every request.
fn export_request(options: &ExportOptions, wire: Wire) -> Request {
    let method = method_info("export_records").expect("the spec has export_records");
    let mut request = Request::new(method);
    request.set_text("format", wire.as_param());
    request.set_text("type", "flat");
    request.set_text("returnFormat", "json");
    if !options.events.is_empty() {
        request.set_list("events", options.events.clone());
    }
    if let Some(logic) = &options.filter_logic {
        request.set_text("filterLogic", logic.clone());
    }
    request
}

/// Runs a planning request again when it fails for the server's load (a 500 from PHP,
/// REDCap out of memory): unlike a batch, it cannot be split.
async fn patiently<T, F, Fut>(
    client: &Client,
    retries: &AtomicU64,
    mut request: F,
) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let policy = client.retry_policy();
    let mut attempt = 1;
    loop {
        match request().await {
            // The client has already retried what it retries (timeouts, 502–504, …).
            Err(error)
                if error.is_overload() && !error.is_retryable() && attempt < policy.attempts =>
            {
                tracing::warn!(error = %error, "planning request failed; trying again");
                retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(policy.delay(attempt, None)).await;
                attempt += 1;
            }
            outcome => return outcome,
        }
    }
}

/// The record-ID field: the first field REDCap lists.
async fn record_id_field(client: &Client, retries: &AtomicU64) -> Result<String, Error> {
    let method = method_info("export_field_names").expect("the spec has export_field_names");
    let mut request = Request::new(method);
    request.set_text("format", "json");
    request.set_text("returnFormat", "json");
    let response = client
        .execute_observed(request, &mut |_| {
            retries.fetch_add(1, Ordering::Relaxed);
        })
        .await?;
    let rows: Vec<crate::Row> = response.into_json()?;
    rows.first()
        .and_then(|row| row.get("original_field_name"))
        .map(str::to_string)
        .ok_or_else(|| Error::Failure {
            method: "export_field_names",
            message: "REDCap listed no fields, so the record-ID field is unknown".into(),
        })
}

/// The records to export, in REDCap's order, and how many rows listed them.
async fn record_list(
    client: &Client,
    options: &ExportOptions,
    record_field: &str,
    retries: &AtomicU64,
) -> Result<(Vec<String>, usize), Error> {
    let mut request = export_request(options, Wire::Csv);
    request.set_list("fields", vec![record_field.to_string()]);
    if !options.records.is_empty() {
        request.set_list("records", options.records.clone());
    }
    let response = client
        .execute_observed(request, &mut |_| {
            retries.fetch_add(1, Ordering::Relaxed);
        })
        .await?;
    let body = response.into_body();
    reject_failure(&body)?;
    let keys = scan(Wire::Csv, &body, record_field)?.keys;
    let rows = keys.len();
    let mut seen = std::collections::HashSet::new();
    let records = keys
        .into_iter()
        .filter_map(|key| seen.insert(key.record.clone()).then_some(key.record))
        .collect();
    Ok((records, rows))
}

/// Records per batch: about `target_cells` cells (the columns are the fields asked for, or
/// all the project's export columns; the rows per record as the record list showed), and
/// small enough that the export has [`BATCHES_PER_SLOT`] batches for each of the
/// `concurrency` slots: with fewer, the last batches run alone while the other slots
/// idle, and the first rows come later. Never below an eighth of the target, so a small
/// project is not cut into many tiny requests.
fn estimate_batch(
    plan: &Plan,
    listed_rows: usize,
    target_cells: usize,
    concurrency: usize,
) -> usize {
    let columns = if plan.fields.is_empty() && plan.options.forms.is_empty() {
        // Unknown until the first batch: assume a wide project.
        200
    } else {
        plan.fields.len().max(1) + 20 * plan.options.forms.len()
    };
    let records = plan.records.len().max(1);
    let rows_per_record = listed_rows.div_ceil(records).max(1);
    let by_cells = (target_cells / (columns * rows_per_record)).clamp(1, MAX_BATCH_RECORDS);
    let spread = records.div_ceil(BATCHES_PER_SLOT * concurrency.max(1));
    by_cells.min(spread.max(by_cells / 8)).min(records)
}

/// Whether a record ID is one of REDCap's hashes for de-identified exports (32 lowercase
/// hex digits, an MD5).
fn looks_hashed(record: &str) -> bool {
    record.len() == 32
        && record
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_batches_keep_every_slot_busy_without_tiny_requests() {
        let plan = |records: usize| Plan {
            options: ExportOptions::new(),
            record_field: "id".into(),
            fields: Vec::new(),
            wire: Wire::Csv,
            records: (0..records).map(|n| n.to_string()).collect(),
            hashed: false,
        };
        let target = crate::bulk::DEFAULT_TARGET_CELLS;
        // 400,000 cells of 200 columns: 2,000 records at most.
        assert_eq!(estimate_batch(&plan(50_000), 50_000, target, 2), 2_000);
        // 5,000 records: 8 batches for 2 slots.
        assert_eq!(estimate_batch(&plan(5_000), 5_000, target, 2), 625);
        // Two rows a record: half the records.
        assert_eq!(estimate_batch(&plan(50_000), 100_000, target, 2), 1_000);
        // A small project: no batch under an eighth of the target.
        assert_eq!(estimate_batch(&plan(600), 600, target, 2), 250);
        assert_eq!(estimate_batch(&plan(1), 1, target, 2), 1);
    }

    #[test]
    fn hashed_ids_are_recognised() {
        assert!(looks_hashed("0cc175b9c0f1b6a831c399e269772661"));
        assert!(!looks_hashed("1001"));
        assert!(!looks_hashed("0CC175B9C0F1B6A831C399E269772661"));
    }
}
