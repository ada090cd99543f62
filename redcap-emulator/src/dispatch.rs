//! From a request to a method: REDCap's pipeline order (format, token,
//! content, action, privileges), then the handler. The method table is the
//! API spec; a request selects a method by `content`, `action` and whether
//! `data` is present.

use redcap_api_spec::{Auth, Method, Spec};
use rusqlite::Connection;

use crate::context::Ctx;
use crate::format::Format;
use crate::params::Params;
use crate::reply::{ApiError, Reply};
use crate::rights::{NO_DELETE, NO_EXPORT, NO_IMPORT, NO_RENAME};
use crate::{access, design, files, pdf, project_admin, records, store};

/// The REDCap version the emulator answers as.
pub(crate) const REDCAP_VERSION: &str = "15.7.6";

const NO_PERMISSION: &str = "You do not have permissions to use the API";
const SUPER_TOKEN_NEEDED: &str = "You do not have permissions to use the API 'Create Project' method. You must have been granted a 64-character Super API Token from a REDCap administrator in order to utilize this method.";

/// The contents REDCap 15.7.6 accepts (`API/index.php`).
const CONTENTS: &[&str] = &[
    "record",
    "metadata",
    "file",
    "fileRepository",
    "filesize",
    "fileinfo",
    "repeatingFormsEvents",
    "instrument",
    "event",
    "arm",
    "user",
    "project_settings",
    "report",
    "authkey",
    "version",
    "pdf",
    "surveyLink",
    "surveyAccessCode",
    "surveyQueueLink",
    "surveyReturnCode",
    "participantList",
    "exportFieldNames",
    "appRightsCheck",
    "formEventMapping",
    "fieldValidation",
    "attachment",
    "project",
    "generateNextRecordName",
    "project_xml",
    "dag",
    "userDagMapping",
    "log",
    "tableau",
    "mycap",
    "userRole",
    "userRoleMapping",
    "externalModule",
];

/// Contents REDCap serves to its own components (Tableau connector, MyCap, external
/// modules, the mobile app's rights check, survey authentication keys): the API spec
/// leaves them out, and the emulator answers 501.
const INTERNAL_CONTENTS: &[&str] = &[
    "tableau",
    "mycap",
    "externalModule",
    "appRightsCheck",
    "authkey",
];

/// The formats of a request: the success format and the error format.
pub(crate) fn formats(params: &Params) -> (Format, Format) {
    let format = Format::parse(params.get("format"));
    let return_format = match params
        .get("returnFormat")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some("xml") => Format::Xml,
        _ => match format {
            Format::Odm => Format::Xml,
            other => other,
        },
    };
    (format, return_format)
}

/// The method a request selects.
fn select_method<'s>(spec: &'s Spec, content: &str, params: &Params) -> Option<&'s Method> {
    let has_data = params.has("data");
    let action = params.non_empty("action");
    // REDCap takes no default action for files and the File Repository.
    if matches!(content, "file" | "fileinfo" | "fileRepository") && action.is_none() {
        return None;
    }
    let candidates: Vec<&Method> = spec.methods().filter(|m| m.content == content).collect();
    if content == "record"
        && let Some(a) = action.filter(|a| matches!(*a, "delete" | "rename" | "randomize"))
    {
        return candidates
            .into_iter()
            .find(|m| m.action.as_deref() == Some(a));
    }
    let wanted = action.unwrap_or(if has_data { "import" } else { "export" });
    candidates
        .iter()
        .copied()
        .find(|m| m.action.as_deref() == Some(wanted) && content != "record")
        .or_else(|| {
            candidates.iter().copied().find(|m| {
                matches!(m.action.as_deref(), None | Some("export") | Some("import"))
                    && m.sends_data == has_data
            })
        })
}

/// The API spec method a request selects, if its `content` and `action`
/// name one (what fault rules are matched against).
pub(crate) fn method_name<'s>(spec: &'s Spec, params: &Params) -> Option<&'s str> {
    let content = match params.get("content").unwrap_or_default() {
        "filesize" => "fileinfo",
        other => other,
    };
    select_method(spec, content, params).map(|m| m.name.as_str())
}

/// Handles one POST. Returns the reply and whether to commit.
pub(crate) fn handle(conn: &Connection, spec: &Spec, params: &Params) -> (Reply, bool) {
    let (format, return_format) = formats(params);
    match route(conn, spec, params, format, return_format) {
        Ok(reply) => (reply, true),
        Err(error) => (error.into_reply(return_format), false),
    }
}

fn route(
    conn: &Connection,
    spec: &Spec,
    params: &Params,
    format: Format,
    return_format: Format,
) -> Result<Reply, ApiError> {
    let token = params.get("token").unwrap_or_default().trim();
    let content = params.get("content").unwrap_or_default();
    let super_path = (content == "version" && token.len() == 64)
        || (content == "project" && params.non_empty("data").is_some());
    if super_path {
        let stored = store::setting(conn, "super_token")?;
        let valid = token.len() == 64 && stored.is_some_and(|s| s.eq_ignore_ascii_case(token));
        if !valid {
            return Err(ApiError::forbidden(SUPER_TOKEN_NEEDED));
        }
        return if content == "version" {
            Ok(version_reply())
        } else {
            project_admin::create_project(conn, params, format)
        };
    }
    if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::forbidden(NO_PERMISSION));
    }
    let Some(user) = store::user_by_token(conn, token)? else {
        return Err(ApiError::forbidden(NO_PERMISSION));
    };
    if let Some(expiration) = &user.rights.expiration {
        let today = chrono::Local::now().format("%Y-%m-%d").to_string();
        if *expiration <= today {
            return Err(ApiError::forbidden(format!(
                "You do not have API rights because your privileges have expired for this project as of {expiration}."
            )));
        }
    }
    if !CONTENTS.contains(&content) {
        return Err(ApiError::bad(
            "The value of the parameter \"content\" is not valid",
        ));
    }
    // `filesize` is the Mobile App's old name for `fileinfo`.
    let content = if content == "filesize" {
        "fileinfo"
    } else {
        content
    };
    if INTERNAL_CONTENTS.contains(&content) {
        return Err(ApiError {
            status: 501,
            message: format!(
                "The REDCap emulator does not emulate content={content}, which REDCap serves to its own components."
            ),
        });
    }
    let method = select_method(spec, content, params)
        .ok_or_else(|| ApiError::bad("The value of the parameter \"action\" is not valid"))?;
    if method.auth == Auth::Super {
        return Err(ApiError::forbidden(SUPER_TOKEN_NEEDED));
    }
    gate(method, &user)?;
    let project = store::project(conn, user.project_id)?;
    let ctx = Ctx {
        conn,
        params,
        project,
        user,
        format,
        return_format,
    };
    let reply = call(&ctx, method)?;
    crate::activity::journal::after_call(&ctx, &method.name)?;
    Ok(reply)
}

/// REDCap's privilege gate, before any method-level check: a DAG member
/// may not use `content=dag` (but switch, which no right guards); a user
/// delete also needs API Import; every delete but a DAG delete needs
/// Delete Records.
fn gate(method: &Method, user: &store::User) -> Result<(), ApiError> {
    let rights = &user.rights;
    let repository = method.content == "fileRepository";
    let action = method.action.as_deref();
    if method.content == "dag" {
        if action == Some("switch") {
            return Ok(());
        }
        if rights.group.is_some() {
            return Err(ApiError::forbidden(access::IN_DAG));
        }
    }
    match action {
        // Randomize needs only its own right, not API import or export.
        Some("randomize") if !rights.random_perform => Err(ApiError::forbidden(
            crate::activity::randomize::NO_RANDOMIZE,
        )),
        Some("randomize") => Ok(()),
        // REDCap checks no API right for listing the File Repository, and
        // API Import (not Delete Records) for deleting from it.
        Some("list") if repository => Ok(()),
        Some("delete") if repository && !rights.api_import => Err(ApiError::forbidden(NO_IMPORT)),
        Some("delete") if repository => Ok(()),
        Some("delete") if method.content == "user" && !rights.api_import => {
            Err(ApiError::forbidden(NO_IMPORT))
        }
        Some("delete") if method.content != "dag" && !rights.record_delete => {
            Err(ApiError::forbidden(NO_DELETE))
        }
        Some("rename") if !rights.record_rename => Err(ApiError::forbidden(NO_RENAME)),
        _ if method.read_only && !rights.api_export => Err(ApiError::forbidden(NO_EXPORT)),
        _ if !method.read_only
            && action != Some("delete")
            && action != Some("rename")
            && !rights.api_import =>
        {
            Err(ApiError::forbidden(NO_IMPORT))
        }
        _ => Ok(()),
    }
}

fn version_reply() -> Reply {
    Reply {
        status: 200,
        content_type: "text/csv; charset=utf-8",
        body: REDCAP_VERSION.to_owned(),
        file: None,
    }
}

fn call(ctx: &Ctx<'_>, method: &Method) -> Result<Reply, ApiError> {
    match method.name.as_str() {
        "export_version" => Ok(version_reply()),
        "export_records" => records::export::export(ctx),
        "import_records" => records::import::import(ctx),
        "delete_records" => records::delete::delete(ctx),
        "rename_record" => records::delete::rename(ctx),
        "generate_next_record_name" => records::delete::next_record_name(ctx),
        "export_metadata" => design::export_metadata(ctx),
        "import_metadata" => design::import_metadata(ctx),
        "export_field_names" => design::export_field_names(ctx),
        "export_instruments" => design::export_instruments(ctx),
        "export_project_info" => design::export_project_info(ctx),
        "import_project_info" => design::import_project_info(ctx),
        "export_arms" => design::export_arms(ctx),
        "import_arms" => design::import_arms(ctx),
        "delete_arms" => design::delete_arms(ctx),
        "export_events" => design::export_events(ctx),
        "import_events" => design::import_events(ctx),
        "delete_events" => design::delete_events(ctx),
        "export_instrument_event_mappings" => design::export_mappings(ctx),
        "import_instrument_event_mappings" => design::import_mappings(ctx),
        "export_repeating_instruments_events" => design::export_repeating(ctx),
        "import_repeating_instruments_events" => design::import_repeating(ctx),
        "export_dags" => access::dags::export(ctx),
        "import_dags" => access::dags::import(ctx),
        "delete_dags" => access::dags::delete(ctx),
        "switch_dag" => access::dags::switch(ctx),
        "export_user_dag_assignments" => access::dags::export_mappings(ctx),
        "import_user_dag_assignments" => access::dags::import_mappings(ctx),
        "export_users" => access::users::export(ctx),
        "import_users" => access::users::import(ctx),
        "delete_users" => access::users::delete(ctx),
        "export_user_roles" => access::roles::export(ctx),
        "import_user_roles" => access::roles::import(ctx),
        "delete_user_roles" => access::roles::delete(ctx),
        "export_user_role_assignments" => access::roles::export_mappings(ctx),
        "import_user_role_assignments" => access::roles::import_mappings(ctx),
        "export_project_xml" => project_admin::export_project_xml(ctx),
        "export_logging" => crate::activity::logging::export(ctx),
        "export_report" => crate::activity::reports::export(ctx),
        "randomize_record" => crate::activity::randomize::randomize(ctx),
        "export_survey_link" => crate::activity::surveys::export_link(ctx),
        "export_survey_access_code" => crate::activity::surveys::export_access_code(ctx),
        "export_survey_return_code" => crate::activity::surveys::export_return_code(ctx),
        "export_survey_queue_link" => crate::activity::surveys::export_queue_link(ctx),
        "export_survey_participant_list" => crate::activity::surveys::export_participant_list(ctx),
        "export_file" => files::field::export(ctx),
        "export_file_info" => files::field::info(ctx),
        "import_file" => files::field::import(ctx),
        "delete_file" => files::field::delete(ctx),
        "create_file_repository_folder" => files::repository::create_folder(ctx),
        "list_file_repository" => files::repository::list(ctx),
        "export_file_repository_file" => files::repository::export(ctx),
        "import_file_repository_file" => files::repository::import(ctx),
        "delete_file_repository_file" => files::repository::delete(ctx),
        "export_field_validation_types" => files::validation_types::export(ctx),
        "export_field_attachment" => files::attachment::export(ctx),
        "export_pdf" => pdf::export::export(ctx),
        other => Err(ApiError {
            status: 501,
            message: format!(
                "The REDCap emulator does not emulate the API method `{other}` (content={}) yet.",
                method.content
            ),
        }),
    }
}
