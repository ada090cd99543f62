//! Record methods: export, import, delete, rename, next record name.

pub(crate) mod data;
pub(crate) mod delete;
mod entities;
pub(crate) mod export;
pub(crate) mod import;
pub(crate) mod odm;
pub(crate) mod payload;
pub(crate) mod responses;
pub(crate) mod survey_fields;
pub(crate) mod survey_status;
