//! Writers: a data dictionary REDCap accepts, and project XML.

pub mod dictionary_csv;
