//! User rights that matter to the API, and REDCap's privilege gate.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The rights of one project user, as far as the API enforces them, and
/// every other right REDCap's user export reports.
///
/// A project's creating user has every right ([`UserRights::full`]).
/// Rights added after the first stored version default when missing, so
/// stored rights still load.
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
    /// User Rights: `0` No Access, `1` Full Access, `2` Read Only (stored
    /// as `true`/`false` before read-only existed).
    #[serde(deserialize_with = "level")]
    pub user_rights: u8,
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
    /// E-mail address (REDCap keeps it with the account; the export shows
    /// it with the rights).
    #[serde(default)]
    pub email: String,
    /// First name.
    #[serde(default)]
    pub firstname: String,
    /// Last name.
    #[serde(default)]
    pub lastname: String,
    /// Alerts & Notifications.
    #[serde(default = "yes")]
    pub alerts: bool,
    /// Stats & Charts.
    #[serde(default = "yes")]
    pub stats_and_charts: bool,
    /// Calendar.
    #[serde(default = "yes")]
    pub calendar: bool,
    /// Data Import Tool.
    #[serde(default = "yes")]
    pub data_import_tool: bool,
    /// Data Comparison Tool.
    #[serde(default = "yes")]
    pub data_comparison_tool: bool,
    /// E-mail Logging.
    #[serde(default = "yes")]
    pub email_logging: bool,
    /// Data Quality: create and edit rules.
    #[serde(default = "yes")]
    pub data_quality_create: bool,
    /// Data Quality: execute rules.
    #[serde(default = "yes")]
    pub data_quality_execute: bool,
    /// External module configuration through the API.
    #[serde(default)]
    pub api_modules: bool,
    /// REDCap Mobile App.
    #[serde(default)]
    pub mobile_app: bool,
    /// Mobile App: download all records to the device.
    #[serde(default)]
    pub mobile_app_download_data: bool,
    /// Record Locking Customization.
    #[serde(default)]
    pub lock_records_customization: bool,
    /// Lock/Unlock Records: `0` none, `1` lock, `2` lock with e-signature.
    #[serde(default)]
    pub lock_records: u8,
    /// Lock/Unlock *Entire* Records.
    #[serde(default)]
    pub lock_records_all_forms: bool,
    /// Randomization: setup.
    #[serde(default)]
    pub random_setup: bool,
    /// Randomization: dashboard.
    #[serde(default)]
    pub random_dashboard: bool,
    /// The data entry code of each form as imported (REDCap exports the
    /// code it stored: legacy `0`–`3` or the 15.6 codes `128`–`154`);
    /// used when it still agrees with [`UserRights::forms`].
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub(crate) forms_codes: IndexMap<String, u16>,
    /// The unique name of the user's role, if the user is in one; a role
    /// member's rights are the role's.
    #[serde(default)]
    pub role: Option<String>,
    /// A role member's own rights, which apply again when the user leaves
    /// the role or the role is deleted (REDCap keeps them underneath).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) own: Option<Box<UserRights>>,
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
            user_rights: 1,
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
            email: String::new(),
            firstname: String::new(),
            lastname: String::new(),
            alerts: true,
            stats_and_charts: true,
            calendar: true,
            data_import_tool: true,
            data_comparison_tool: true,
            email_logging: true,
            data_quality_create: true,
            data_quality_execute: true,
            api_modules: false,
            mobile_app: false,
            mobile_app_download_data: false,
            lock_records_customization: true,
            lock_records: 1,
            lock_records_all_forms: true,
            random_setup: true,
            random_dashboard: true,
            forms_codes: IndexMap::new(),
            role: None,
            own: None,
        }
    }

    /// Only API export (every form readable): a typical read-only pipeline
    /// user.
    pub fn export_only() -> UserRights {
        let mut rights = UserRights::nothing();
        rights.api_export = true;
        rights
    }

    /// No right at all (forms not listed keep their defaults, so an
    /// importer lists every form to give no access): the base REDCap starts
    /// a user or role from when nothing is specified.
    pub fn nothing() -> UserRights {
        UserRights {
            api_export: false,
            api_import: false,
            record_delete: false,
            record_rename: false,
            design: false,
            user_rights: 0,
            data_access_groups: false,
            record_create: false,
            logging: false,
            file_repository: false,
            reports: false,
            manage_survey_participants: false,
            random_perform: false,
            alerts: false,
            stats_and_charts: false,
            calendar: false,
            data_import_tool: false,
            data_comparison_tool: false,
            email_logging: false,
            data_quality_create: false,
            data_quality_execute: false,
            lock_records_customization: false,
            lock_records: 0,
            lock_records_all_forms: false,
            random_setup: false,
            random_dashboard: false,
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

    /// A right by its key in REDCap's user export, as the number exported.
    pub(crate) fn right(&self, key: &str) -> Option<u8> {
        let flag = |b: bool| Some(u8::from(b));
        match key {
            "design" => flag(self.design),
            "alerts" => flag(self.alerts),
            "user_rights" => Some(self.user_rights),
            "data_access_groups" => flag(self.data_access_groups),
            "reports" => flag(self.reports),
            "stats_and_charts" => flag(self.stats_and_charts),
            "manage_survey_participants" => flag(self.manage_survey_participants),
            "calendar" => flag(self.calendar),
            "data_import_tool" => flag(self.data_import_tool),
            "data_comparison_tool" => flag(self.data_comparison_tool),
            "logging" => flag(self.logging),
            "email_logging" => flag(self.email_logging),
            "file_repository" => flag(self.file_repository),
            "data_quality_create" => flag(self.data_quality_create),
            "data_quality_execute" => flag(self.data_quality_execute),
            "api_export" => flag(self.api_export),
            "api_import" => flag(self.api_import),
            "api_modules" => flag(self.api_modules),
            "mobile_app" => flag(self.mobile_app),
            "mobile_app_download_data" => flag(self.mobile_app_download_data),
            "record_create" => flag(self.record_create),
            "record_rename" => flag(self.record_rename),
            "record_delete" => flag(self.record_delete),
            "lock_records_customization" => flag(self.lock_records_customization),
            "lock_records" => Some(self.lock_records),
            "lock_records_all_forms" => flag(self.lock_records_all_forms),
            "random_setup" => flag(self.random_setup),
            "random_dashboard" => flag(self.random_dashboard),
            "random_perform" => flag(self.random_perform),
            _ => None,
        }
    }

    /// The highest value a right takes (`user_rights` and `lock_records`
    /// have three levels, the others two); `None` for a key that is not a
    /// right.
    pub(crate) fn right_max(key: &str) -> Option<u8> {
        match key {
            "user_rights" | "lock_records" => Some(2),
            k if UserRights::full().right(k).is_some() => Some(1),
            _ => None,
        }
    }

    /// Sets a right by its export key; the value must be within
    /// [`UserRights::right_max`].
    pub(crate) fn set_right(&mut self, key: &str, value: u8) {
        let on = value > 0;
        match key {
            "design" => self.design = on,
            "alerts" => self.alerts = on,
            "user_rights" => self.user_rights = value,
            "data_access_groups" => self.data_access_groups = on,
            "reports" => self.reports = on,
            "stats_and_charts" => self.stats_and_charts = on,
            "manage_survey_participants" => self.manage_survey_participants = on,
            "calendar" => self.calendar = on,
            "data_import_tool" => self.data_import_tool = on,
            "data_comparison_tool" => self.data_comparison_tool = on,
            "logging" => self.logging = on,
            "email_logging" => self.email_logging = on,
            "file_repository" => self.file_repository = on,
            "data_quality_create" => self.data_quality_create = on,
            "data_quality_execute" => self.data_quality_execute = on,
            "api_export" => self.api_export = on,
            "api_import" => self.api_import = on,
            "api_modules" => self.api_modules = on,
            "mobile_app" => self.mobile_app = on,
            "mobile_app_download_data" => self.mobile_app_download_data = on,
            "record_create" => self.record_create = on,
            "record_rename" => self.record_rename = on,
            "record_delete" => self.record_delete = on,
            "lock_records_customization" => self.lock_records_customization = on,
            "lock_records" => self.lock_records = value,
            "lock_records_all_forms" => self.lock_records_all_forms = on,
            "random_setup" => self.random_setup = on,
            "random_dashboard" => self.random_dashboard = on,
            "random_perform" => self.random_perform = on,
            _ => {}
        }
    }

    /// The data entry right on a form as REDCap 15.7.6 exports it: the code
    /// stored by an import when it still means the current right, else the
    /// 15.6 code (`128` No Access, `129` Read Only, `130` View & Edit, `138`
    /// with editing survey responses).
    pub(crate) fn form_entry_code(&self, form: &str) -> u16 {
        let level = self.form_entry(form);
        match self.forms_codes.get(form) {
            Some(code) if entry_level(*code) == Some(level) => *code,
            _ => match level {
                0 => 128,
                1 => 129,
                2 => 130,
                _ => 138,
            },
        }
    }

    /// Sets a form's data entry right from an import code (see
    /// [`entry_level`]); false for a code REDCap refuses.
    pub(crate) fn set_form_entry_code(&mut self, form: &str, code: u16) -> bool {
        let Some(level) = entry_level(code) else {
            return false;
        };
        self.forms.insert(form.to_owned(), level);
        self.forms_codes.insert(form.to_owned(), code);
        true
    }

    /// The rights a role gives a member: the role's rights with the
    /// member's identity, group and expiration, and the member's own
    /// rights kept for when the role no longer applies.
    pub(crate) fn in_role(&self, role: &UserRights, role_name: &str) -> UserRights {
        let own = self.own.clone().unwrap_or_else(|| Box::new(self.clone()));
        UserRights {
            email: self.email.clone(),
            firstname: self.firstname.clone(),
            lastname: self.lastname.clone(),
            group: self.group.clone(),
            expiration: self.expiration.clone(),
            role: Some(role_name.to_owned()),
            own: Some(own),
            ..role.clone()
        }
    }

    /// The member's own rights again (with their current identity, group
    /// and expiration); `role` is left as it is for the caller to set.
    pub(crate) fn own_rights(&self) -> UserRights {
        match &self.own {
            Some(own) => UserRights {
                email: self.email.clone(),
                firstname: self.firstname.clone(),
                lastname: self.lastname.clone(),
                group: self.group.clone(),
                expiration: self.expiration.clone(),
                role: self.role.clone(),
                own: None,
                ..(**own).clone()
            },
            None => self.clone(),
        }
    }
}

/// The level a data entry code means: legacy `0` No Access, `2` Read Only,
/// `1` View & Edit, `3` Edit survey responses, or the 15.6 bit codes
/// (`128` marker, `+1` read only, `+2` view & edit, `+8` edit survey
/// responses, `+16` delete) limited to REDCap's accepted `128 129 130 138
/// 146 154`.
pub(crate) fn entry_level(code: u16) -> Option<u8> {
    match code {
        0 | 128 => Some(0),
        2 | 129 => Some(1),
        1 | 130 | 146 => Some(2),
        3 | 138 | 154 => Some(3),
        _ => None,
    }
}

/// The user-export keys of the rights, in REDCap 15.7.6's order (before
/// `forms` and `forms_export`); the randomization rights only appear when
/// randomization is enabled.
pub(crate) const USER_RIGHT_KEYS: &[&str] = &[
    "design",
    "alerts",
    "user_rights",
    "data_access_groups",
    "reports",
    "stats_and_charts",
    "manage_survey_participants",
    "calendar",
    "data_import_tool",
    "data_comparison_tool",
    "logging",
    "email_logging",
    "file_repository",
    "data_quality_create",
    "data_quality_execute",
    "api_export",
    "api_import",
    "api_modules",
    "mobile_app",
    "mobile_app_download_data",
    "record_create",
    "record_rename",
    "record_delete",
    "lock_records_all_forms",
    "lock_records",
    "lock_records_customization",
];

/// The three locking rights, last in both exports but in opposite orders.
const LOCKING: [&str; 3] = [
    "lock_records_all_forms",
    "lock_records",
    "lock_records_customization",
];

/// The role-export keys of the rights, in REDCap 15.7.6's order: as for
/// users, but the three locking rights come the other way round.
pub(crate) fn role_right_keys() -> impl Iterator<Item = &'static str> {
    USER_RIGHT_KEYS
        .iter()
        .copied()
        .filter(|key| !LOCKING.contains(key))
        .chain(LOCKING.iter().rev().copied())
}

/// The randomization rights, exported only when randomization is enabled.
pub(crate) const RANDOM_RIGHT_KEYS: &[&str] =
    &["random_setup", "random_dashboard", "random_perform"];

/// Reads a three-level right stored either as a number or, before it had
/// three levels, as a boolean.
fn level<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u8, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Level {
        Flag(bool),
        Number(u8),
    }
    Ok(match Level::deserialize(deserializer)? {
        Level::Flag(b) => u8::from(b),
        Level::Number(n) => n,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_stored_before_new_rights_still_load() {
        let old = r#"{"api_export":true,"api_import":false,"record_delete":false,"record_rename":false,"design":false,"user_rights":true,"data_access_groups":false,"group":"dag_1","forms_export":{"demographics":2},"expiration":null}"#;
        let rights: UserRights = serde_json::from_str(old).unwrap();
        assert_eq!(rights.user_rights, 1);
        assert_eq!(rights.group.as_deref(), Some("dag_1"));
        assert!(rights.alerts && rights.logging && rights.record_create);
        assert_eq!(rights.lock_records, 0);
        assert_eq!(rights.role, None);
        assert_eq!(rights.form_export("demographics"), 2);
    }

    #[test]
    fn form_codes_follow_the_right() {
        let mut rights = UserRights::full();
        assert_eq!(rights.form_entry_code("a"), 138);
        assert!(rights.set_form_entry_code("a", 2));
        assert_eq!(
            (rights.form_entry("a"), rights.form_entry_code("a")),
            (1, 2)
        );
        assert!(rights.set_form_entry_code("a", 146));
        assert_eq!(
            (rights.form_entry("a"), rights.form_entry_code("a")),
            (2, 146)
        );
        // Changed behind the stored code's back: the code follows the right.
        rights.forms.insert("a".into(), 0);
        assert_eq!(rights.form_entry_code("a"), 128);
        assert!(!rights.set_form_entry_code("a", 131));
    }
}
