//! From a request to a method: REDCap's pipeline order (format, token,
//! content, action, privileges), then the handler. The API spec names the
//! methods: a request selects one by `content`, `action` and whether
//! `data` is present; `methods.rs` gives each its handler, rights and log.

use redcap_api_spec::{Auth, Method, Spec};
use rusqlite::Connection;

use crate::context::Ctx;
use crate::format::Format;
use crate::methods::{self, Rights};
use crate::params::Params;
use crate::reply::{ApiError, Reply};
use crate::rights::{NO_DELETE, NO_EXPORT, NO_IMPORT, NO_RENAME};
use crate::{access, project_admin, store};

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
    let Some(row) = methods::row(&method.name) else {
        return Err(ApiError::internal(format!(
            "the API method `{}` has no row in the emulator's method table",
            method.name
        )));
    };
    gate(method, row.rights, &user)?;
    let project = store::project(conn, user.project_id)?;
    let ctx = Ctx {
        conn,
        params,
        project,
        user,
        format,
        return_format,
    };
    row.run(&ctx)
}

/// REDCap's privilege gate, before any method-level check: the rights
/// the method's row names.
fn gate(method: &Method, rights: Rights, user: &store::User) -> Result<(), ApiError> {
    let have = &user.rights;
    let api = || {
        if method.read_only && !have.api_export {
            Err(ApiError::forbidden(NO_EXPORT))
        } else if !method.read_only && !have.api_import {
            Err(ApiError::forbidden(NO_IMPORT))
        } else {
            Ok(())
        }
    };
    let require = |ok: bool, message: &str| {
        if ok {
            Ok(())
        } else {
            Err(ApiError::forbidden(message))
        }
    };
    match rights {
        Rights::Api => api(),
        Rights::Import => require(have.api_import, NO_IMPORT),
        Rights::Delete => require(have.record_delete, NO_DELETE),
        Rights::ImportAndDelete => {
            require(have.api_import, NO_IMPORT)?;
            require(have.record_delete, NO_DELETE)
        }
        Rights::Rename => require(have.record_rename, NO_RENAME),
        Rights::Randomize => require(
            have.random_perform,
            crate::activity::randomize::NO_RANDOMIZE,
        ),
        Rights::Open => Ok(()),
        Rights::GroupAdmin => {
            require(have.group.is_none(), access::IN_DAG)?;
            api()
        }
        Rights::GroupDelete => require(have.group.is_none(), access::IN_DAG),
    }
}

/// `content=version`'s answer.
pub(crate) fn version_reply() -> Reply {
    Reply {
        status: 200,
        content_type: "text/csv; charset=utf-8",
        body: REDCAP_VERSION.to_owned(),
        file: None,
    }
}
