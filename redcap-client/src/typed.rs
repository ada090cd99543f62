//! Typed record export and import on the client.

use crate::records::{
    DecodeError, DecodeMode, Decoded, FlatRow, decode_json_with_report, encode_rows,
};
use crate::{Client, Error, ImportOutcome, Payload};

impl Client {
    /// Exports records as typed rows of `T`, asking REDCap only for the fields `T` has.
    ///
    /// `T` is a project's generated `Row`, an instrument struct, or any hand-written
    /// `#[derive(Record)]` struct. Strict: when values do not fit their fields, the error
    /// lists every such cell with its row, record, event, instance, column and value.
    pub async fn export_typed<T: FlatRow>(&self) -> Result<Vec<T>, Error> {
        self.export_typed_with(DecodeMode::Strict).await
    }

    /// As [`Client::export_typed`], with the decode mode chosen.
    pub async fn export_typed_with<T: FlatRow>(&self, mode: DecodeMode) -> Result<Vec<T>, Error> {
        self.export_typed_with_report(mode)
            .await?
            .strict()
            .map_err(|error| decode_error(error, b""))
    }

    /// Exports records as typed rows of `T`, keeping the valid data: every cell that does
    /// not fit its field is left unset in its row and listed in [`Decoded::invalid`] (a
    /// row whose event or repeat instance does not fit is left out, its cells listed).
    /// Only a malformed body is an error.
    pub async fn export_typed_with_report<T: FlatRow>(
        &self,
        mode: DecodeMode,
    ) -> Result<Decoded<T>, Error> {
        let raw = self
            .export_records()
            .fields(T::FIELDS.iter().copied())
            .send_raw(crate::params::DataFormat::Json)
            .await?;
        decode_json_with_report::<T>(raw.body(), mode)
            .map_err(|error| decode_error(error, raw.body()))
    }

    /// Imports typed rows, every column with its exact text. REDCap's default
    /// `overwriteBehavior=normal` applies: blank values never erase stored data.
    pub async fn import_typed<T: FlatRow>(&self, rows: &[T]) -> Result<ImportOutcome, Error> {
        let payload = Payload::json(&encode_rows(rows))?;
        self.import_records().data(payload).send().await
    }
}

/// The client's error for a typed decode of an export body.
fn decode_error(error: DecodeError, body: &[u8]) -> Error {
    match error {
        DecodeError::Value(cells) => Error::Record {
            method: "export_records",
            source: Box::new(cells),
        },
        DecodeError::Syntax(message) => Error::Decode {
            method: "export_records",
            message,
            snippet: crate::error::snippet(body),
        },
    }
}
