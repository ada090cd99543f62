//! Storage of uploaded files (REDCap's `redcap_edocs_metadata`) and of the
//! File Repository's folders and file placement (`redcap_docs_folders`,
//! `redcap_docs_folders_files`).

use rusqlite::{Connection, OptionalExtension, params};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS edocs (
    doc_id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    bytes BLOB NOT NULL,
    stored_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE TABLE IF NOT EXISTS repository_folders (
    folder_id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    parent_id INTEGER,
    dag TEXT,
    deleted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS repository_files (
    doc_id INTEGER PRIMARY KEY,
    project_id INTEGER NOT NULL,
    folder_id INTEGER
);
";

/// Creates the tables when they do not exist yet.
pub(crate) fn init(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Doc {
    pub(crate) doc_id: i64,
    pub(crate) name: String,
    pub(crate) mime: String,
    pub(crate) bytes: Vec<u8>,
}

/// Stores a file and returns its doc id.
pub(crate) fn insert_doc(
    conn: &Connection,
    project_id: i64,
    name: &str,
    mime: &str,
    bytes: &[u8],
) -> rusqlite::Result<i64> {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    conn.execute(
        "INSERT INTO edocs (project_id, name, mime, bytes, stored_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![project_id, name, mime, bytes, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A file of a project by doc id, deleted or not (REDCap keeps a deleted
/// file, with its delete date, for its recycle bin). A value that is not a
/// number finds nothing.
pub(crate) fn doc(
    conn: &Connection,
    project_id: i64,
    doc_id: &str,
) -> rusqlite::Result<Option<Doc>> {
    let Ok(id) = doc_id.trim().parse::<i64>() else {
        return Ok(None);
    };
    conn.query_row(
        "SELECT doc_id, name, mime, bytes FROM edocs WHERE project_id = ?1 AND doc_id = ?2",
        params![project_id, id],
        |r| {
            Ok(Doc {
                doc_id: r.get(0)?,
                name: r.get(1)?,
                mime: r.get(2)?,
                bytes: r.get(3)?,
            })
        },
    )
    .optional()
}

/// Marks a file deleted (REDCap sets `delete_date` and keeps the file for
/// its recycle bin).
pub(crate) fn mark_deleted(
    conn: &Connection,
    project_id: i64,
    doc_id: i64,
) -> rusqlite::Result<()> {
    let now = chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string();
    conn.execute(
        "UPDATE edocs SET deleted_at = ?3 WHERE project_id = ?1 AND doc_id = ?2",
        params![project_id, doc_id, now],
    )?;
    Ok(())
}

/// Renames a stored file.
pub(crate) fn rename_doc(conn: &Connection, doc_id: i64, name: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE edocs SET name = ?2 WHERE doc_id = ?1",
        params![doc_id, name],
    )?;
    Ok(())
}

/// A File Repository folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Folder {
    pub(crate) folder_id: i64,
    pub(crate) name: String,
    /// The unique name of the data access group it is restricted to.
    pub(crate) dag: Option<String>,
}

/// A folder of a project that is not deleted.
pub(crate) fn folder(
    conn: &Connection,
    project_id: i64,
    folder_id: i64,
) -> rusqlite::Result<Option<Folder>> {
    conn.query_row(
        "SELECT folder_id, name, dag FROM repository_folders WHERE project_id = ?1 AND folder_id = ?2 AND deleted = 0",
        params![project_id, folder_id],
        |r| Ok(Folder { folder_id: r.get(0)?, name: r.get(1)?, dag: r.get(2)? }),
    )
    .optional()
}

/// The folders directly under a folder (`None`: the top level).
pub(crate) fn subfolders(
    conn: &Connection,
    project_id: i64,
    parent: Option<i64>,
) -> rusqlite::Result<Vec<Folder>> {
    let mut stmt = conn.prepare(
        "SELECT folder_id, name, dag FROM repository_folders
         WHERE project_id = ?1 AND parent_id IS ?2 AND deleted = 0 ORDER BY folder_id",
    )?;
    let rows = stmt.query_map(params![project_id, parent], |r| {
        Ok(Folder {
            folder_id: r.get(0)?,
            name: r.get(1)?,
            dag: r.get(2)?,
        })
    })?;
    rows.collect()
}

/// Creates a folder and returns its id.
pub(crate) fn insert_folder(
    conn: &Connection,
    project_id: i64,
    name: &str,
    parent: Option<i64>,
    dag: Option<&str>,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO repository_folders (project_id, name, parent_id, dag) VALUES (?1, ?2, ?3, ?4)",
        params![project_id, name, parent, dag],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Places a stored file in the repository, in a folder or at the top.
pub(crate) fn place_file(
    conn: &Connection,
    project_id: i64,
    doc_id: i64,
    folder: Option<i64>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO repository_files (doc_id, project_id, folder_id) VALUES (?1, ?2, ?3)",
        params![doc_id, project_id, folder],
    )?;
    Ok(())
}

/// The live (not deleted) files of one repository folder: doc id and
/// name, in upload order.
pub(crate) fn files_in(
    conn: &Connection,
    project_id: i64,
    folder: Option<i64>,
) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut stmt = conn.prepare(
        "SELECT e.doc_id, e.name FROM repository_files f JOIN edocs e ON e.doc_id = f.doc_id
         WHERE f.project_id = ?1 AND f.folder_id IS ?2 AND e.deleted_at IS NULL ORDER BY e.doc_id",
    )?;
    let rows = stmt.query_map(params![project_id, folder], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}
