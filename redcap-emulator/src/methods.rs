//! One row per API method: its handler, the rights REDCap's privilege gate
//! asks for, and the `MANAGE` or data-export row a successful call logs.
//! Dispatch, the gate and the log all read this table, and a test checks it
//! against the API spec, so a method cannot be wired in one place and
//! forgotten in another.

use crate::activity::{journal, logging, randomize, reports, surveys};
use crate::context::Ctx;
use crate::reply::{ApiError, Reply};
use crate::{access, design, files, pdf, project_admin, records};

/// A method's handler.
pub(crate) type Handler = fn(&Ctx<'_>) -> Result<Reply, ApiError>;

/// One API method.
pub(crate) struct MethodRow {
    /// The API spec's method name.
    pub(crate) name: &'static str,
    pub(crate) handler: Handler,
    pub(crate) rights: Rights,
    pub(crate) log: Log,
}

/// The rights REDCap's gate (`API/index.php`) checks before the handler
/// runs; handlers check finer rights themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rights {
    /// API Export for a read-only method, API Import otherwise.
    Api,
    /// API Import alone (deleting from the File Repository).
    Import,
    /// Delete Records.
    Delete,
    /// API Import, then Delete Records (deleting users).
    ImportAndDelete,
    /// Rename Records.
    Rename,
    /// Randomize, and no API right.
    Randomize,
    /// None (listing the File Repository, switching one's own group).
    Open,
    /// Not being in a data access group, then [`Rights::Api`].
    GroupAdmin,
    /// Not being in a data access group alone (deleting groups).
    GroupDelete,
}

/// What a successful call logs besides its record changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Log {
    Nothing,
    /// The data export row of a record export.
    RecordExport,
    /// The data export row of a report export.
    ReportExport,
    /// The handler's `MANAGE` row, written before its work (as the user,
    /// role and user-DAG handlers do, ahead of their per-item rows).
    Before(Manage),
    /// The handler's `MANAGE` row, written after its work.
    After(Manage),
}

/// A handler's `MANAGE` row: keyed by the project id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Manage {
    pub(crate) object: &'static str,
    pub(crate) description: &'static str,
    pub(crate) values: Values,
}

/// The data values of a `MANAGE` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Values {
    /// `project_id = N`.
    Project,
    /// `{column} in (a, b)`: the list parameter's values as sent.
    Listed {
        column: &'static str,
        param: &'static str,
    },
}

impl Manage {
    fn write(&self, ctx: &Ctx<'_>) -> Result<(), ApiError> {
        let values = match self.values {
            Values::Project => format!("project_id = {}", ctx.project.id),
            Values::Listed { column, param } => {
                format!("{column} in ({})", ctx.params.list(param).join(", "))
            }
        };
        access::log::handler(ctx, self.object, values, self.description)
    }
}

impl MethodRow {
    /// Runs the method: its `MANAGE` row first when the handler logs
    /// first, the handler, then the row it logs after its work.
    pub(crate) fn run(&self, ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
        if let Log::Before(row) = &self.log {
            row.write(ctx)?;
        }
        let reply = (self.handler)(ctx)?;
        self.log_after(ctx)?;
        Ok(reply)
    }

    /// Writes the row a successful call logs after its work, if any.
    pub(crate) fn log_after(&self, ctx: &Ctx<'_>) -> Result<(), ApiError> {
        match &self.log {
            Log::After(row) => row.write(ctx),
            Log::RecordExport => journal::records_exported(ctx),
            Log::ReportExport => journal::report_exported(ctx),
            Log::Before(_) | Log::Nothing => Ok(()),
        }
    }

    /// Whether a successful call logs a row after its work.
    pub(crate) fn logs(&self) -> bool {
        !matches!(self.log, Log::Nothing | Log::Before(_))
    }

    /// Whether the method runs on a read connection: the record and
    /// report exports, which a bulk export sends side by side and which
    /// write nothing but the log row written after them, apart. The other
    /// methods are quick, and some that only read in REDCap's terms write
    /// here (survey links log inside their handler; listing data access
    /// groups gives new groups their ids), so they take the writer.
    pub(crate) fn reads_only(&self) -> bool {
        matches!(self.log, Log::RecordExport | Log::ReportExport)
    }
}

/// The row of a method, by its spec name.
pub(crate) fn row(name: &str) -> Option<&'static MethodRow> {
    METHODS.iter().find(|m| m.name == name)
}

const fn plain(name: &'static str, handler: Handler) -> MethodRow {
    MethodRow {
        name,
        handler,
        rights: Rights::Api,
        log: Log::Nothing,
    }
}

const fn manage_after(
    name: &'static str,
    handler: Handler,
    object: &'static str,
    description: &'static str,
) -> MethodRow {
    MethodRow {
        name,
        handler,
        rights: Rights::Api,
        log: Log::After(Manage {
            object,
            description,
            values: Values::Project,
        }),
    }
}

const fn with_rights(mut row: MethodRow, rights: Rights) -> MethodRow {
    row.rights = rights;
    row
}

const fn with_log(mut row: MethodRow, log: Log) -> MethodRow {
    row.log = log;
    row
}

const USER_RIGHTS: &str = "redcap_user_rights";
const GROUPS: &str = "redcap_data_access_groups";
const GROUP_USERS: &str = "redcap_data_access_groups_users";
const ROLES: &str = "redcap_user_roles";

fn version(_: &Ctx<'_>) -> Result<Reply, ApiError> {
    Ok(crate::dispatch::version_reply())
}

/// Every method the emulator serves with a project token.
pub(crate) const METHODS: &[MethodRow] = &[
    plain("export_version", version),
    with_log(
        plain("export_records", records::export::export),
        Log::RecordExport,
    ),
    plain("import_records", records::import::import),
    with_rights(
        plain("delete_records", records::delete::delete),
        Rights::Delete,
    ),
    with_rights(
        plain("rename_record", records::delete::rename),
        Rights::Rename,
    ),
    plain(
        "generate_next_record_name",
        records::delete::next_record_name,
    ),
    plain("export_metadata", design::export_metadata),
    manage_after(
        "import_metadata",
        design::import_metadata,
        "redcap_metadata",
        "Upload data dictionary (API)",
    ),
    manage_after(
        "export_field_names",
        design::export_field_names,
        "redcap_metadata",
        "Download export field names (API)",
    ),
    // `API/instrument/export.php` logs its export.
    manage_after(
        "export_instruments",
        design::export_instruments,
        "redcap_metadata",
        "Export instruments (API)",
    ),
    plain("export_project_info", design::export_project_info),
    manage_after(
        "import_project_info",
        design::import_project_info,
        "redcap_projects",
        "Import project information (API)",
    ),
    manage_after(
        "export_arms",
        design::export_arms,
        "redcap_events_arms",
        "Export arms (API)",
    ),
    manage_after(
        "import_arms",
        design::import_arms,
        "redcap_events_arms",
        "Import arms (API)",
    ),
    with_rights(
        manage_after(
            "delete_arms",
            design::delete_arms,
            "redcap_events_arms",
            "Delete arms (API)",
        ),
        Rights::Delete,
    ),
    manage_after(
        "export_events",
        design::export_events,
        "redcap_events_metadata",
        "Export events (API)",
    ),
    manage_after(
        "import_events",
        design::import_events,
        "redcap_events",
        "Import events (API)",
    ),
    with_rights(
        manage_after(
            "delete_events",
            design::delete_events,
            "redcap_events",
            "Delete events (API)",
        ),
        Rights::Delete,
    ),
    manage_after(
        "export_instrument_event_mappings",
        design::export_mappings,
        "redcap_events_forms",
        "Export instrument-event mappings (API)",
    ),
    manage_after(
        "import_instrument_event_mappings",
        design::import_mappings,
        "redcap_event_forms",
        "Import instrument-event mappings (API)",
    ),
    manage_after(
        "export_repeating_instruments_events",
        design::export_repeating,
        "redcap_events_repeat",
        "Export repeating instruments and events (API)",
    ),
    manage_after(
        "import_repeating_instruments_events",
        design::import_repeating,
        "redcap_events_repeat",
        "Import repeating instruments and events (API)",
    ),
    with_rights(
        plain("export_dags", access::dags::export),
        Rights::GroupAdmin,
    ),
    with_rights(
        manage_after(
            "import_dags",
            access::dags::import,
            GROUPS,
            "Import DAGs (API)",
        ),
        Rights::GroupAdmin,
    ),
    // The names as sent, not group ids, despite the column name.
    MethodRow {
        name: "delete_dags",
        handler: access::dags::delete,
        rights: Rights::GroupDelete,
        log: Log::After(Manage {
            object: GROUPS,
            description: "Delete DAGs (API)",
            values: Values::Listed {
                column: "group_id",
                param: "dags",
            },
        }),
    },
    with_rights(
        manage_after(
            "switch_dag",
            access::dags::switch,
            GROUP_USERS,
            "Switch DAG (API)",
        ),
        Rights::Open,
    ),
    plain("export_user_dag_assignments", access::dags::export_mappings),
    with_log(
        plain("import_user_dag_assignments", access::dags::import_mappings),
        Log::Before(Manage {
            object: GROUP_USERS,
            description: "Import User-DAG assignments (API)",
            values: Values::Project,
        }),
    ),
    plain("export_users", access::users::export),
    with_log(
        plain("import_users", access::users::import),
        Log::Before(Manage {
            object: USER_RIGHTS,
            description: "Import users (API)",
            values: Values::Project,
        }),
    ),
    MethodRow {
        name: "delete_users",
        handler: access::users::delete,
        rights: Rights::ImportAndDelete,
        log: Log::Before(Manage {
            object: "redcap_users",
            description: "Delete users (API)",
            values: Values::Listed {
                column: "user_id",
                param: "users",
            },
        }),
    },
    plain("export_user_roles", access::roles::export),
    with_log(
        plain("import_user_roles", access::roles::import),
        Log::Before(Manage {
            object: ROLES,
            description: "Import user roles (API)",
            values: Values::Project,
        }),
    ),
    MethodRow {
        name: "delete_user_roles",
        handler: access::roles::delete,
        rights: Rights::Delete,
        log: Log::Before(Manage {
            object: ROLES,
            description: "Delete user roles (API)",
            values: Values::Listed {
                column: "unique_role_name",
                param: "roles",
            },
        }),
    },
    plain(
        "export_user_role_assignments",
        access::roles::export_mappings,
    ),
    manage_after(
        "import_user_role_assignments",
        access::roles::import_mappings,
        USER_RIGHTS,
        "Import user role assignments (API)",
    ),
    plain("export_project_xml", project_admin::export_project_xml),
    manage_after(
        "export_logging",
        logging::export,
        "redcap_log_event",
        "Export Logging (API)",
    ),
    with_log(plain("export_report", reports::export), Log::ReportExport),
    with_rights(
        plain("randomize_record", randomize::randomize),
        Rights::Randomize,
    ),
    plain("export_survey_link", surveys::export_link),
    plain("export_survey_access_code", surveys::export_access_code),
    plain("export_survey_return_code", surveys::export_return_code),
    plain("export_survey_queue_link", surveys::export_queue_link),
    plain(
        "export_survey_participant_list",
        surveys::export_participant_list,
    ),
    plain("export_file", files::field::export),
    plain("export_file_info", files::field::info),
    plain("import_file", files::field::import),
    with_rights(plain("delete_file", files::field::delete), Rights::Delete),
    plain(
        "create_file_repository_folder",
        files::repository::create_folder,
    ),
    with_rights(
        plain("list_file_repository", files::repository::list),
        Rights::Open,
    ),
    plain("export_file_repository_file", files::repository::export),
    plain("import_file_repository_file", files::repository::import),
    with_rights(
        plain("delete_file_repository_file", files::repository::delete),
        Rights::Import,
    ),
    plain(
        "export_field_validation_types",
        files::validation_types::export,
    ),
    plain("export_field_attachment", files::attachment::export),
    plain("export_pdf", pdf::export::export),
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use redcap_api_spec::Auth;

    use super::*;

    /// Every spec method is served by exactly one row, or (super token
    /// methods) routed before any project token; every row is a spec
    /// method.
    #[test]
    fn the_table_covers_the_spec_exactly() {
        let spec = redcap_api_spec::load().unwrap();
        let mut seen = HashSet::new();
        for row in METHODS {
            assert!(seen.insert(row.name), "`{}` has two rows", row.name);
            let method = spec.methods().find(|m| m.name == row.name);
            assert!(method.is_some(), "`{}` is not an API spec method", row.name);
        }
        for method in spec.methods() {
            let served = seen.contains(method.name.as_str());
            let routed = method.auth == Auth::Super;
            assert_ne!(
                served, routed,
                "`{}`: served {served}, super token {routed}",
                method.name
            );
        }
    }

    /// The rights of a row fit its request shape: deletes ask for a delete
    /// or import right, group administration keeps group members out, and
    /// only reading and switching methods need no API right.
    #[test]
    fn rights_fit_the_method() {
        let spec = redcap_api_spec::load().unwrap();
        for row in METHODS {
            let method = spec.methods().find(|m| m.name == row.name).unwrap();
            let action = method.action.as_deref();
            let delete = matches!(
                row.rights,
                Rights::Delete | Rights::ImportAndDelete | Rights::Import | Rights::GroupDelete
            );
            assert_eq!(delete, action == Some("delete"), "`{}`", row.name);
            let group = matches!(row.rights, Rights::GroupAdmin | Rights::GroupDelete);
            assert_eq!(
                group,
                method.content == "dag" && action != Some("switch"),
                "`{}`",
                row.name
            );
            if row.rights == Rights::Open {
                assert!(
                    matches!(action, Some("list") | Some("switch")),
                    "`{}` needs no right",
                    row.name
                );
            }
            if let Log::Before(m) | Log::After(m) = row.log {
                assert!(m.description.ends_with("(API)"), "`{}`", row.name);
            }
        }
    }
}
