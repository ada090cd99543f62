//! A REDCap project's schema, from any export REDCap hands out.
//!
//! [`ProjectSchema`] holds project attributes, instruments and fields in
//! order (every data-dictionary attribute, parsed choices, action tags and
//! REDCap's export column names), arms, events with their forms, repeating
//! setup and data access groups.
//!
//! Inputs are told apart by content: a data dictionary CSV (either header
//! style, BOM, any line ending), the API's metadata JSON, project XML (CDISC
//! ODM with REDCap's extensions, records included), the API's JSON for
//! project info, arms, events, mappings, repeating setup, instruments and
//! DAGs, and this crate's own `schema.json` snapshot. REDCap's dictionary
//! checks run before a schema is built, and report every problem at once,
//! each with its row, field and column.
//!
//! ```
//! let csv = "\u{feff}Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\"\r\n\
//!            record_id,intake,,text,Record ID,\r\n\
//!            rate,intake,,checkbox,Rate,\"-1, Worse | 0, Same | 1, Better\"\r\n";
//! let schema = redcap_schema::read(csv.as_bytes(), "dictionary.csv")?;
//! let rate = schema.field("rate").unwrap();
//! assert_eq!(rate.export_names, ["rate____1", "rate___0", "rate___1"]);
//! let json = redcap_schema::to_snapshot(&schema);
//! assert_eq!(redcap_schema::from_snapshot(&json, "schema.json")?, schema);
//! # Ok::<(), redcap_schema::Error>(())
//! ```
//!
//! The snapshot format is described in `SCHEMA.md` beside this crate.

pub mod action_tags;
mod assemble;
pub mod build;
pub mod check;
pub mod choices;
pub mod dictionary;
pub mod diff;
mod error;
pub mod export_names;
pub mod field_type;
pub mod html;
pub mod import_rules;
pub mod logic;
pub mod model;
pub mod odm;
pub mod problem;
pub mod read;
mod snapshot;
pub mod validation;
pub mod values;
pub mod write;

pub use action_tags::ActionTag;
pub use assemble::{SchemaBuilder, read, read_path};
pub use choices::Choice;
pub use diff::{SchemaDiff, diff};
pub use error::Error;
pub use field_type::FieldType;
pub use model::{
    Arm, Dag, Event, Field, Form, ProjectInfo, ProjectSchema, Repeating, RepeatingEvent,
    RepeatingInstrument,
};
pub use odm::records::FlatRecord;
pub use odm::{ProjectXml, read_clinical_data, read_project_xml, to_project_xml, to_records_odm};
pub use problem::{Location, Problem, Problems, Severity};
pub use snapshot::{FORMAT, from_snapshot, to_snapshot};
pub use validation::Validation;
pub use write::dictionary_csv::to_dictionary_csv;
pub use write::json_schema::to_records_json_schema;
