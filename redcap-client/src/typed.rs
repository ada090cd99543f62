//! Typed record export and import on the client.

use crate::bulk::ExportOptions;
use crate::records::{DecodeMode, Decoded, FlatRow, encode_rows};
use crate::{Client, Error, ImportOutcome, Payload};

impl Client {
    /// Exports records as typed rows of `T`, asking REDCap only for the fields `T` has.
    ///
    /// `T` is a project's generated `Row`, an instrument struct, or any hand-written
    /// `#[derive(Record)]` struct. Strict: when values do not fit their fields, the error
    /// lists every such cell with its row, record, event, instance, column and value
    /// ([`Client::export_typed_with_report`] keeps the valid data). Goes through the bulk export
    /// engine with its defaults (checked batches, see [`crate::bulk`]); use
    /// [`Client::export_all_typed`] to stream rows instead of collecting them.
    pub async fn export_typed<T: FlatRow + Send + 'static>(&self) -> Result<Vec<T>, Error> {
        self.export_typed_with(DecodeMode::Strict).await
    }

    /// As [`Client::export_typed`], with the decode mode chosen.
    pub async fn export_typed_with<T: FlatRow + Send + 'static>(
        &self,
        mode: DecodeMode,
    ) -> Result<Vec<T>, Error> {
        let mut rows = Vec::new();
        self.export_all_typed_with(&ExportOptions::default(), mode, |row| rows.push(row))
            .await?;
        Ok(rows)
    }

    /// Exports records as typed rows of `T`, keeping the valid data: every cell that does
    /// not fit its field is left unset in its row and listed in [`Decoded::invalid`] (a
    /// row whose event or repeat instance does not fit is left out, its cells listed).
    pub async fn export_typed_with_report<T: FlatRow + Send + 'static>(
        &self,
        mode: DecodeMode,
    ) -> Result<Decoded<T>, Error> {
        let mut rows = Vec::new();
        let (_, invalid) = self
            .export_all_typed_with_report(&ExportOptions::default(), mode, |row| rows.push(row))
            .await?;
        Ok(Decoded { rows, invalid })
    }

    /// Imports typed rows, every column with its exact text. REDCap's default
    /// `overwriteBehavior=normal` applies: blank values never erase stored data.
    pub async fn import_typed<T: FlatRow>(&self, rows: &[T]) -> Result<ImportOutcome, Error> {
        let payload = Payload::json(&encode_rows(rows))?;
        self.import_records().data(payload).send().await
    }
}
