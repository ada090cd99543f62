//! From a request to a method: REDCap's pipeline order (format, token,
//! content, action, privileges), then the handler. The API spec names the
//! methods: a request selects one by `content`, `action` and whether
//! `data` is present; `methods.rs` gives each its handler, rights and log.

use redcap_api_spec::{Auth, Method, Spec};
use rusqlite::Connection;

use crate::context::Ctx;
use crate::database::Database;
use crate::format::Format;
use crate::methods::{self, MethodRow, Rights};
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

/// Answers one POST: a method that only reads on a read connection, in a
/// read transaction (beside other reads, and beside the writer when the
/// database is a file), and the log row it writes, if any, afterwards in
/// a transaction of its own; every other method in one transaction of the
/// writer, committed when the method succeeds.
pub(crate) fn serve(database: &Database, spec: &Spec, params: &Params) -> Reply {
    let (_, return_format) = formats(params);
    let reads_only = method_name(spec, params)
        .and_then(|name| spec.method(name).zip(methods::row(name)))
        .is_some_and(|(method, row)| method.read_only && row.reads_only());
    let outcome = if reads_only {
        serve_read(database, spec, params)
    } else {
        serve_write(database, spec, params)
    };
    outcome.unwrap_or_else(|error| error.into_reply(return_format))
}

fn serve_write(database: &Database, spec: &Spec, params: &Params) -> Result<Reply, ApiError> {
    let mut conn = database.writer();
    let tx = conn.transaction()?;
    let reply = match route(&tx, spec, params)? {
        Routed::Answered(reply) => reply,
        Routed::Method(row, ctx) => row.run(&ctx)?,
    };
    tx.commit()?;
    Ok(reply)
}

fn serve_read(database: &Database, spec: &Spec, params: &Params) -> Result<Reply, ApiError> {
    let mut reader = database.reader();
    // One snapshot for the whole request, however many statements read it.
    let tx = reader.transaction()?;
    let (reply, logged) = match route(&tx, spec, params)? {
        Routed::Answered(reply) => (reply, None),
        Routed::Method(row, ctx) => {
            let reply = (row.handler)(&ctx)?;
            let Ctx { project, user, .. } = *ctx;
            (reply, Some((row, project, user)))
        }
    };
    drop(tx);
    // Back to the pool before waiting for the writer, which may be waiting
    // for the readers to finish.
    drop(reader);
    if let Some((row, project, user)) = logged
        && row.logs()
    {
        let mut conn = database.writer();
        let tx = conn.transaction()?;
        let (format, return_format) = formats(params);
        let ctx = Ctx {
            conn: &tx,
            params,
            project,
            user,
            format,
            return_format,
        };
        row.log_after(&ctx)?;
        tx.commit()?;
    }
    Ok(reply)
}

/// Where routing leaves a request.
enum Routed<'a> {
    /// Answered without a method of a project (the super token's calls).
    Answered(Reply),
    /// The method to run, and its context.
    Method(&'static MethodRow, Box<Ctx<'a>>),
}

fn route<'a>(
    conn: &'a Connection,
    spec: &Spec,
    params: &'a Params,
) -> Result<Routed<'a>, ApiError> {
    let (format, return_format) = formats(params);
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
            Ok(Routed::Answered(version_reply()))
        } else {
            project_admin::create_project(conn, params, format).map(Routed::Answered)
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
    Ok(Routed::Method(row, Box::new(ctx)))
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
