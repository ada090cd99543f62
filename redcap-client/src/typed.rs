//! Typed record export and import on the client.

use crate::records::{DecodeError, DecodeMode, FlatRow, decode_json, encode_rows};
use crate::{Client, Error, ImportOutcome, Payload};

impl Client {
    /// Exports records as typed rows of `T`, asking REDCap only for the fields `T` has.
    ///
    /// `T` is a project's generated `Row`, an instrument struct, or any hand-written
    /// `#[derive(Record)]` struct. Strict: a value that does not fit its field is an
    /// error naming the row, record, column and value.
    pub async fn export_typed<T: FlatRow>(&self) -> Result<Vec<T>, Error> {
        self.export_typed_with(DecodeMode::Strict).await
    }

    /// As [`Client::export_typed`], with the decode mode chosen.
    pub async fn export_typed_with<T: FlatRow>(&self, mode: DecodeMode) -> Result<Vec<T>, Error> {
        let raw = self
            .export_records()
            .fields(T::FIELDS.iter().copied())
            .send_raw(crate::params::DataFormat::Json)
            .await?;
        decode_json::<T>(raw.body(), mode).map_err(|error| match error {
            DecodeError::Value(error) => Error::Record {
                method: "export_records",
                source: Box::new(error),
            },
            DecodeError::Syntax(message) => Error::Decode {
                method: "export_records",
                message,
                snippet: crate::error::snippet(raw.body()),
            },
        })
    }

    /// Imports typed rows, every column with its exact text. REDCap's default
    /// `overwriteBehavior=normal` applies: blank values never erase stored data.
    pub async fn import_typed<T: FlatRow>(&self, rows: &[T]) -> Result<ImportOutcome, Error> {
        let payload = Payload::json(&encode_rows(rows))?;
        self.import_records().data(payload).send().await
    }
}
