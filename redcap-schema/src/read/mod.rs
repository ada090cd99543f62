//! Readers for every form in which REDCap hands out a project, told apart by
//! their content (never by file name).

pub mod api_json;
pub mod dictionary_csv;
pub(crate) mod json_util;
pub mod metadata_json;

use indexmap::IndexMap;
use serde_json::Value;

use crate::dictionary::DictionaryRow;
use crate::error::Error;
use crate::model::{Arm, Dag, Event, ProjectInfo, ProjectSchema, Repeating};
use crate::problem::Problem;
use crate::snapshot;
use api_json::{ApiArray, Mapping};

/// What one input holds.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Piece {
    /// A data dictionary (CSV or metadata JSON), as rows.
    Dictionary(Vec<DictionaryRow>),
    /// A canonical `schema.json` snapshot.
    Snapshot(Box<ProjectSchema>),
    /// The API's project info.
    ProjectInfo(ProjectInfo),
    /// The API's arms.
    Arms(Vec<Arm>),
    /// The API's events (without their forms).
    Events(Vec<Event>),
    /// The API's form–event mappings.
    Mappings(Vec<Mapping>),
    /// The API's repeating setup.
    Repeating(Repeating),
    /// The API's instrument list: form names and labels, in order.
    Instruments(IndexMap<String, String>),
    /// The API's data access groups.
    Dags(Vec<Dag>),
}

/// The kind of an input, as detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputKind {
    /// Data dictionary CSV.
    DictionaryCsv,
    /// Metadata JSON.
    MetadataJson,
    /// A `schema.json` snapshot.
    Snapshot,
    /// Project XML (CDISC ODM).
    ProjectXml,
    /// Another API JSON export (project info, arms, events, …).
    ApiJson,
}

/// Decodes input bytes: UTF-8, with a leading BOM removed.
pub fn decode<'a>(bytes: &'a [u8], source_name: &str) -> Result<&'a str, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| Error::Encoding {
        source_name: source_name.to_owned(),
        offset: e.valid_up_to(),
    })
}

/// Tells what an input is from its first non-blank character: `<` is XML,
/// `[` a JSON array, `{` a JSON object, anything else CSV.
pub fn detect(text: &str) -> InputKind {
    match text.trim_start().chars().next() {
        Some('<') => InputKind::ProjectXml,
        Some('[') => {
            if text.contains("\"field_name\"") && text.contains("\"field_type\"") {
                InputKind::MetadataJson
            } else {
                InputKind::ApiJson
            }
        }
        Some('{') => {
            if text.contains("\"format\"") && text.contains(snapshot::FORMAT) {
                InputKind::Snapshot
            } else {
                InputKind::ApiJson
            }
        }
        _ => InputKind::DictionaryCsv,
    }
}

/// Reads one JSON or CSV input into a [`Piece`]. Project XML is read by
/// [`crate::odm::read_project_xml`], since it carries a whole project.
pub fn read_piece(text: &str, source_name: &str) -> Result<Piece, Error> {
    read_piece_with_notes(text, source_name).map(|(piece, _)| piece)
}

/// [`read_piece`], with the warnings the reader noticed (a dictionary CSV
/// header REDCap does not write).
pub fn read_piece_with_notes(
    text: &str,
    source_name: &str,
) -> Result<(Piece, Vec<Problem>), Error> {
    if detect(text) == InputKind::DictionaryCsv {
        let (rows, notes) = dictionary_csv::read_dictionary_csv_with_notes(text, source_name)?;
        return Ok((Piece::Dictionary(rows), notes));
    }
    read_other_piece(text, source_name).map(|piece| (piece, Vec::new()))
}

fn read_other_piece(text: &str, source_name: &str) -> Result<Piece, Error> {
    match detect(text) {
        InputKind::DictionaryCsv => {
            dictionary_csv::read_dictionary_csv(text, source_name).map(Piece::Dictionary)
        }
        InputKind::MetadataJson => {
            metadata_json::read_metadata_json(text, source_name).map(Piece::Dictionary)
        }
        InputKind::Snapshot => {
            snapshot::from_snapshot(text, source_name).map(|s| Piece::Snapshot(Box::new(s)))
        }
        InputKind::ApiJson => read_api_json(text, source_name),
        InputKind::ProjectXml => Err(Error::UnknownFormat {
            source_name: source_name.to_owned(),
            reason: "project XML holds a whole project; read it with read_project_xml".into(),
        }),
    }
}

fn read_api_json(text: &str, source_name: &str) -> Result<Piece, Error> {
    let unknown = |reason: &str| Error::UnknownFormat {
        source_name: source_name.to_owned(),
        reason: reason.to_owned(),
    };
    if text.trim_start().starts_with('{') {
        let value: Value = json_util::parse(text, source_name)?;
        return match &value {
            Value::Object(map) if api_json::is_project_info(map) => {
                api_json::project_info(map, source_name).map(Piece::ProjectInfo)
            }
            _ => Err(unknown(
                "a JSON object that is neither project info nor a schema.json snapshot",
            )),
        };
    }
    let items = json_util::array_items(text, source_name)?;
    let Some((_, Value::Object(first))) = items.first() else {
        return Err(unknown(
            "an empty JSON array, or one without objects: cannot tell what it holds",
        ));
    };
    if metadata_json::is_metadata_item(&Value::Object(first.clone())) {
        return metadata_json::read_metadata_json(text, source_name).map(Piece::Dictionary);
    }
    match ApiArray::detect(first) {
        Some(ApiArray::Arms) => api_json::arms(&items, source_name).map(Piece::Arms),
        Some(ApiArray::Events) => api_json::events(&items, source_name).map(Piece::Events),
        Some(ApiArray::Mappings) => api_json::mappings(&items, source_name).map(Piece::Mappings),
        Some(ApiArray::Repeating) => api_json::repeating(&items, source_name).map(Piece::Repeating),
        Some(ApiArray::Instruments) => {
            api_json::instruments(&items, source_name).map(Piece::Instruments)
        }
        Some(ApiArray::Dags) => api_json::dags(&items, source_name).map(Piece::Dags),
        None => Err(unknown(
            "a JSON array that is none of metadata, arms, events, form-event mappings, repeating forms, instruments or DAGs",
        )),
    }
}
