//! What a method handler gets: the request's transaction, its parameters,
//! the caller's project and rights, and the requested format.

use rusqlite::Connection;

use crate::format::Format;
use crate::params::Params;
use crate::store::{Project, User};

/// One authenticated request.
pub(crate) struct Ctx<'a> {
    pub(crate) conn: &'a Connection,
    pub(crate) params: &'a Params,
    pub(crate) project: Project,
    pub(crate) user: User,
    /// The success format (`format`).
    pub(crate) format: Format,
    /// `returnFormat` (falling back to `format`): errors, and the counts and ids an import answers with.
    pub(crate) return_format: Format,
}
