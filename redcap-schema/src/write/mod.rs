//! Writers: a data dictionary REDCap accepts, project XML, and the JSON Schema of a
//! project's records.

pub mod dictionary_csv;
pub mod json_schema;
