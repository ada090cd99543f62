//! The File Repository (`content=fileRepository`): folders, optionally
//! restricted to a data access group, and files in them, as REDCap
//! 15.7.6's `FileRepository` class keeps them. Deleted files go to the
//! recycle bin: they are marked deleted, not removed.

use serde_json::{Map, Value};

use crate::context::Ctx;
use crate::files::{download, mime_of, store as files, stored_name};
use crate::format::{Format, csv_line, php_json};
use crate::layout::natural_cmp;
use crate::reply::{ApiError, Reply};

const NO_REPOSITORY_RIGHT: &str = "The API request cannot complete because currently you do not have \"File Repository\" rights, which are required for this operation.";
const INVALID_DOC: &str = "Invalid doc_id or missing doc_id";

fn require_right(ctx: &Ctx<'_>) -> Result<(), ApiError> {
    if ctx.user.rights.file_repository {
        Ok(())
    } else {
        Err(ApiError::forbidden(NO_REPOSITORY_RIGHT))
    }
}

/// PHP's `isinteger`: optional minus sign and digits only.
fn integer(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

fn no_folder_access(shown: &str) -> ApiError {
    ApiError::bad(format!(
        "The File Repository folder folder_id={shown} does not exist or else you do not have permission to that folder because it is DAG-restricted or Role-restricted."
    ))
}

/// REDCap's `userHasFolderAccess`: the top level is open to everyone with
/// the right; a folder must exist and not be restricted to another group.
fn folder_access(ctx: &Ctx<'_>, folder: Option<i64>) -> Result<bool, ApiError> {
    let Some(id) = folder else {
        return Ok(true);
    };
    let Some(found) = files::folder(ctx.conn, ctx.project.id, id)? else {
        return Ok(false);
    };
    Ok(visible(ctx, &found))
}

fn visible(ctx: &Ctx<'_>, folder: &files::Folder) -> bool {
    match (&ctx.user.rights.group, &folder.dag) {
        (Some(mine), Some(dag)) => mine == dag,
        _ => true,
    }
}

/// `action=createFolder`: answers the new folder's id.
pub(crate) fn create_folder(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_right(ctx)?;
    let p = ctx.params;
    let parent_text = p.get("folder_id").unwrap_or_default();
    // `API/file_repository/createFolder.php` checks an integer `folder_id`
    // first; `FileRepository::createFolder` then checks the name and the
    // raw `folder_id`.
    let parent = integer(parent_text);
    if !folder_access(ctx, parent)? {
        return Err(no_folder_access(parent_text));
    }
    let name = p.get("name").unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::bad("new folder 'name' not provided"));
    }
    if !parent_text.is_empty() && parent.is_none() {
        return Err(ApiError::bad("folder_id is not valid"));
    }
    let name: String = sanitize(name).chars().take(150).collect();
    let taken = files::subfolders(ctx.conn, ctx.project.id, parent)?
        .iter()
        .any(|f| f.name == name);
    if taken {
        return Err(ApiError::bad(format!(
            "A folder named \"{name}\" already exists in this folder. Please choose a different name."
        )));
    }
    // `dag_id` is the group's id (its position, as `export_dags` gives
    // it); an unknown id means no restriction, as in REDCap. Roles are not
    // modelled, so `role_id` never restricts.
    let dag = p
        .get("dag_id")
        .and_then(integer)
        .and_then(|id| usize::try_from(id).ok()?.checked_sub(1))
        .and_then(|i| ctx.project.schema.dags.get(i))
        .map(|d| d.unique_name.clone());
    let id = files::insert_folder(ctx.conn, ctx.project.id, &name, parent, dag.as_deref())?;
    let rows = vec![vec![("folder_id", Value::from(id))]];
    Ok(Reply::new(ctx.format, items_body(ctx.format, &rows)))
}

/// One row of a File Repository answer: its keys in order.
type Item = Vec<(&'static str, Value)>;

/// REDCap's hand-written answers of the File Repository methods: a JSON
/// array of objects; CSV from the first row's keys (nothing for no rows),
/// with the CSV-injection guard (a tab before `=`, `-`, `+`, `@`); XML
/// `<items>` with bare ids and names in CDATA.
fn items_body(format: Format, rows: &[Item]) -> String {
    match format {
        Format::Json => {
            let items = rows
                .iter()
                .map(|row| {
                    let map: Map<String, Value> = row
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), v.clone()))
                        .collect();
                    Value::Object(map)
                })
                .collect();
            php_json(&Value::Array(items))
        }
        Format::Csv => {
            let mut out = String::new();
            if let Some(first) = rows.first() {
                csv_line(first.iter().map(|(k, _)| *k), ',', &mut out);
            }
            for row in rows {
                let cells: Vec<String> = row.iter().map(|(_, v)| guarded(&text(v))).collect();
                csv_line(cells.iter().map(String::as_str), ',', &mut out);
            }
            out
        }
        Format::Xml | Format::Odm => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<items>\n");
            for row in rows {
                out.push_str("<item>");
                for (key, value) in row {
                    let value = text(value);
                    if value.is_empty() {
                        out.push_str(&format!("<{key}></{key}>"));
                    } else if matches!(*key, "folder_id" | "doc_id") && integer(&value).is_some() {
                        out.push_str(&format!("<{key}>{value}</{key}>"));
                    } else {
                        out.push_str(&format!("<{key}><![CDATA[{value}]]></{key}>"));
                    }
                }
                out.push_str("</item>\n");
            }
            out.push_str("</items>\n");
            out
        }
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// REDCap's CSV-injection guard.
fn guarded(cell: &str) -> String {
    if cell.starts_with(['=', '-', '+', '@']) {
        format!("\t{cell}")
    } else {
        cell.to_owned()
    }
}

/// REDCap's `Files::sanitizeFileName` as far as folder names need it:
/// characters that are not allowed in file names are dropped.
fn sanitize(name: &str) -> String {
    name.chars()
        .filter(|c| {
            !matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') && !c.is_control()
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `action=list`: the sub-folders (natural order) then the files of one
/// folder. REDCap checks no API right here, only the File Repository one.
pub(crate) fn list(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_right(ctx)?;
    let folder_text = ctx.params.get("folder_id").unwrap_or_default();
    let folder = integer(folder_text);
    if !folder_access(ctx, folder)? {
        return Err(no_folder_access(folder_text));
    }
    let mut folders: Vec<files::Folder> = files::subfolders(ctx.conn, ctx.project.id, folder)?
        .into_iter()
        .filter(|f| visible(ctx, f))
        .collect();
    folders.sort_by(|a, b| natural_cmp(&a.name, &b.name));
    let mut docs = files::files_in(ctx.conn, ctx.project.id, folder)?;
    docs.sort_by(|a, b| natural_cmp(&a.1, &b.1));
    // CSV rows carry all three columns; JSON and XML rows only their own.
    let csv = ctx.format == Format::Csv;
    let mut rows: Vec<Item> = Vec::new();
    for f in folders {
        let mut row = vec![("folder_id", Value::from(f.folder_id))];
        if csv {
            row.push(("doc_id", Value::from("")));
        }
        row.push(("name", Value::from(f.name)));
        rows.push(row);
    }
    for (id, name) in docs {
        let mut row = Vec::new();
        if csv {
            row.push(("folder_id", Value::from("")));
        }
        row.push(("doc_id", Value::from(id)));
        row.push(("name", Value::from(name)));
        rows.push(row);
    }
    Ok(Reply::new(ctx.format, items_body(ctx.format, &rows)))
}

/// REDCap's `Files::validateDocId`: any stored file of this project. A
/// file in the recycle bin still counts (REDCap keeps it for 30 days), and
/// so does the file of a File Upload field.
fn project_doc(ctx: &Ctx<'_>) -> Result<files::Doc, ApiError> {
    let text = ctx.params.get("doc_id").unwrap_or_default();
    if integer(text).is_none() {
        return Err(ApiError::bad(INVALID_DOC));
    }
    files::doc(ctx.conn, ctx.project.id, text)?.ok_or_else(|| ApiError::bad(INVALID_DOC))
}

/// `action=export`: the file's bytes.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_right(ctx)?;
    Ok(download(project_doc(ctx)?))
}

/// `action=import` (multipart, part `file`): stores the file in a folder
/// or at the top; a name already used there gets ` (1)`, ` (2)`, … before
/// its extension. Answers an empty 200.
pub(crate) fn import(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_right(ctx)?;
    let upload = ctx
        .params
        .file("file")
        .ok_or_else(|| ApiError::bad("No valid file was uploaded"))?;
    let folder = ctx.params.get("folder_id").and_then(integer);
    if !folder_access(ctx, folder)? {
        return Err(no_folder_access(
            &folder.map(|f| f.to_string()).unwrap_or_default(),
        ));
    }
    let name = stored_name(&upload.name);
    let mime = mime_of(&name, upload.mime.as_deref());
    let taken: Vec<String> = files::files_in(ctx.conn, ctx.project.id, folder)?
        .into_iter()
        .map(|(_, n)| n)
        .collect();
    let doc_id = files::insert_doc(ctx.conn, ctx.project.id, &name, &mime, &upload.bytes)?;
    files::place_file(ctx.conn, ctx.project.id, doc_id, folder)?;
    let unique = unique_name(&name, &taken);
    if unique != name {
        files::rename_doc(ctx.conn, doc_id, &unique)?;
    }
    Ok(Reply::empty(ctx.return_format))
}

/// The first of `name`, `base (1).ext`, `base (2).ext`, … not in `taken`.
fn unique_name(name: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == name) {
        return name.to_owned();
    }
    let (base, ext) = match name.rsplit_once('.') {
        Some((base, ext)) if !ext.is_empty() => (base.trim(), format!(".{ext}")),
        _ => (name.trim(), String::new()),
    };
    (1..)
        .map(|n| format!("{base} ({n}){ext}"))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| name.to_owned())
}

/// `action=delete`: the file goes to the recycle bin (again, if it is
/// there already). Answers an empty 200.
pub(crate) fn delete(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    require_right(ctx)?;
    let doc = project_doc(ctx)?;
    files::mark_deleted(ctx.conn, ctx.project.id, doc.doc_id)?;
    Ok(Reply::empty(ctx.return_format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clashing_names_are_numbered() {
        let taken = vec!["a.txt".to_owned(), "a (1).txt".to_owned()];
        assert_eq!(unique_name("a.txt", &taken), "a (2).txt");
        assert_eq!(unique_name("b.txt", &taken), "b.txt");
        assert_eq!(unique_name("a", &["a".to_owned()]), "a (1)");
    }

    #[test]
    fn php_integers() {
        assert_eq!(integer("12"), Some(12));
        assert_eq!(integer("-3"), Some(-3));
        assert_eq!(integer("1.0"), None);
        assert_eq!(integer(""), None);
    }
}
