//! User rights that matter to the API, and REDCap's privilege gate.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The rights of one project user, as far as the API enforces them.
///
/// A project's creating user has every right ([`UserRights::full`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UserRights {
    /// API Export.
    pub api_export: bool,
    /// API Import/Update.
    pub api_import: bool,
    /// Delete Records.
    pub record_delete: bool,
    /// Rename Records.
    pub record_rename: bool,
    /// Project Design and Setup.
    pub design: bool,
    /// User Rights.
    pub user_rights: bool,
    /// Data Access Groups.
    pub data_access_groups: bool,
    /// Create Records.
    #[serde(default = "yes")]
    pub record_create: bool,
    /// Logging.
    #[serde(default = "yes")]
    pub logging: bool,
    /// File Repository.
    #[serde(default = "yes")]
    pub file_repository: bool,
    /// Add/Edit/Organize Reports.
    #[serde(default = "yes")]
    pub reports: bool,
    /// Survey Distribution Tools (manage survey participants).
    #[serde(default = "yes")]
    pub manage_survey_participants: bool,
    /// Randomization: perform (randomize records).
    #[serde(default = "yes")]
    pub random_perform: bool,
    /// Data entry right per form: `0` No Access, `1` Read Only, `2` View &
    /// Edit, `3` View & Edit plus editing survey responses. Forms not listed
    /// have `3`.
    #[serde(default)]
    pub forms: IndexMap<String, u8>,
    /// The unique name of the user's data access group, if the user is in
    /// one.
    pub group: Option<String>,
    /// Data export right per form: `0` No Access, `1` Full Data Set, `2`
    /// De-Identified, `3` Remove Identifier Fields. Forms not listed have
    /// full rights.
    pub forms_export: IndexMap<String, u8>,
    /// Expiration date (`YYYY-MM-DD`); on or after it the token is refused.
    pub expiration: Option<String>,
}

impl UserRights {
    /// Every right, no group: REDCap's creating user.
    pub fn full() -> UserRights {
        UserRights {
            api_export: true,
            api_import: true,
            record_delete: true,
            record_rename: true,
            design: true,
            user_rights: true,
            data_access_groups: true,
            record_create: true,
            logging: true,
            file_repository: true,
            reports: true,
            manage_survey_participants: true,
            random_perform: true,
            forms: IndexMap::new(),
            group: None,
            forms_export: IndexMap::new(),
            expiration: None,
        }
    }

    /// Only API export (every form readable): a typical read-only pipeline
    /// user.
    pub fn export_only() -> UserRights {
        UserRights {
            api_import: false,
            record_delete: false,
            record_rename: false,
            design: false,
            user_rights: false,
            data_access_groups: false,
            record_create: false,
            logging: false,
            file_repository: false,
            reports: false,
            manage_survey_participants: false,
            random_perform: false,
            ..UserRights::full()
        }
    }

    /// The data entry right on a form (3 when not listed).
    pub fn form_entry(&self, form: &str) -> u8 {
        self.forms.get(form).copied().unwrap_or(3)
    }

    /// The export right on a form (1 = full when not listed).
    pub fn form_export(&self, form: &str) -> u8 {
        self.forms_export.get(form).copied().unwrap_or(1)
    }

    /// Whether every form is "No Access" for export (REDCap's global
    /// "No Access" data export right).
    pub(crate) fn no_export_access(&self) -> bool {
        !self.forms_export.is_empty() && self.forms_export.values().all(|r| *r == 0)
    }
}

/// Serde's default for rights stored before the right existed.
fn yes() -> bool {
    true
}

/// REDCap's messages for a missing right.
pub(crate) const NO_EXPORT: &str = "You do not have API Export privileges";
pub(crate) const NO_IMPORT: &str = "You do not have API Import/Update privileges";
pub(crate) const NO_DELETE: &str = "You do not have Delete Record privileges";
pub(crate) const NO_RENAME: &str = "You do not have Rename Record privileges";
pub(crate) const NO_ACCESS_EXPORT: &str = "The API request cannot complete because currently you have \"No Access\" data export rights. Higher level data export rights are required for this operation.";
pub(crate) const DESIGN_IMPORT: &str = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'Project Design and Setup' privileges in the project in order to utilize this API method.";
pub(crate) const DESIGN_EXPORT: &str = "Insufficient user privileges: You must have 'API Export' privileges and 'Project Design and Setup' privileges in the project in order to utilize this API method.";
