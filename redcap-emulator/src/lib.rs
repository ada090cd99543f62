//! A local REDCap-compatible API server that behaves as REDCap 15.7.6 does,
//! for development and CI: the same parameters, defaults, formats, status
//! codes and error bodies, quirks included.
//!
//! ```no_run
//! # async fn demo() -> Result<(), redcap_emulator::StartError> {
//! use redcap_emulator::{Config, Emulator};
//! let emulator = Emulator::start(
//!     Config::default().project("demo", "redcap-schema/tests/fixtures/PyCap/tests/data/test_simple_project.xml"),
//! )
//! .await?;
//! println!("{} {}", emulator.url(), emulator.projects()[0].token);
//! # Ok(()) }
//! ```
//!
//! Storage is SQLite (a file under a data directory, or a temporary one
//! removed when the emulator stops): record
//! data as EAV rows per project, event, record, field and instance, as
//! REDCap keeps it; each request is one transaction, so an import is
//! all-or-nothing. Record and report exports are served side by side on
//! read-only connections; every other request takes the one writer in turn.
//!
//! # Emulated methods
//!
//! Records: export (flat and eav; json, csv, xml; flat as CDISC ODM with
//! `format=odm`), import (flat and eav; json, csv, xml, odm), delete (whole
//! records or by arm, event, instrument, instance), rename, generate next
//! record name. Metadata export/import, field names, instruments, project
//! info export/import, arms, events, form–event mappings and repeating
//! setup (export, import, delete), project XML export (with uploaded files
//! under `exportFiles`), version, and `content=project` with the super
//! token. Each method is one row of the method table (`src/methods.rs`):
//! its handler, the rights REDCap's gate checks and the row it logs.
//!
//! HTTPS with [`Config::tls`] (`--tls`): a self-signed certificate made at
//! start, written as PEM for clients to trust
//! ([`Emulator::tls_certificate_pem`], [`Emulator::tls_certificate_path`]).
//!
//! Files of File Upload fields (export, import, delete, file info; bytes
//! kept in SQLite, files inside a loaded project XML included), the File
//! Repository (folders, list, export, import, delete to the recycle bin),
//! instrument PDFs (blank, one record, all records), field validation types
//! and descriptive-field attachments.
//!
//! Users (export, import, delete), user roles (export, import, delete),
//! user–role and user–DAG assignments (export, import), data access groups
//! (export, import, delete, switch), with REDCap's rights checks, messages
//! and quirks: unique group names derived from the labels on every change,
//! records and users of a deleted group left pointing at it, a user import
//! row without `data_access_group` taking the user out of their group.
//! The DAG Switcher, which has no API method, is set with
//! [`Emulator::allow_dag_switch`].
//!
//! Activity (`src/activity/`): the project log — record creates, updates,
//! deletes, renames and DAG assignments with REDCap's `field = 'value'`
//! details, design imports and the exports REDCap logs — and
//! `export_logging` with every filter; `export_report` (reports from the
//! project XML's `redcap:Reports`, [`Config::report`] or `--reports`);
//! survey link, access code, return code, queue link and participant list
//! (surveys, Save & Return and the queue from the project XML); and
//! `randomize_record` with an allocation table from
//! [`Config::randomization`] or `--randomization`.
//!
//! Survey responses (`src/records/responses.rs`), set with
//! [`Emulator::record_survey_response`] and
//! [`Emulator::set_participant_identifier`]: record and report exports
//! with `exportSurveyFields` add `redcap_survey_identifier` and each
//! survey's `{form}_timestamp` (completion time or `[not completed]`) in
//! flat and eav exports, and the participant list shows `response_status`
//! and `identifier`. Imports ignore both columns, as REDCap does.
//!
//! # Faults
//!
//! [`Config::faults`] (or `--faults FILE`) makes API requests fail the
//! ways a real REDCap, PHP and the network fail, so that a client's
//! timeouts, retries and completeness checks can be tested over real
//! HTTP. The file is `{"faults": [rule, …]}`; each rule has a `kind`, an
//! optional `method` (an API spec method name, e.g. `export_records`; all
//! methods when absent), either `every: N` (every N-th counted request)
//! or `times: N` (the first N), and an optional `after: N` (the first N
//! counted requests pass before `every`/`times` count; `times: 1, after: 1`
//! hits an export's first batch rather than its record-ID request). Rules
//! are checked in order: each counts the requests its method matches that
//! no earlier rule answered, and the first one due answers the request (a
//! request passed by `after` goes on to later rules). Counting is
//! deterministic and shared by all connections (one lock).
//!
//! In a test, the same rules start in-process:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use redcap_emulator::{Config, Emulator, FaultKind, FaultRule, Faults};
//! let faults = Faults::from_json(
//!     r#"{"faults": [{"kind": "retry_after", "status": 503, "seconds": 1, "every": 3}]}"#,
//! )?
//! .rule(FaultRule::new(FaultKind::DropRecords { count: 1 }).times(1));
//! let emulator = Emulator::start(
//!     Config::default()
//!         .project("demo", "redcap-schema/tests/fixtures/PyCap/tests/data/test_simple_project.xml")
//!         .faults(faults),
//! )
//! .await?;
//! # drop(emulator); Ok(()) }
//! ```
//!
//! | kind | fields | what the client sees |
//! |---|---|---|
//! | `status` | `status` (400–599), `message` | that status with REDCap's error body per `returnFormat` (default text: "An unknown error occurred. Please check your API parameters.", REDCap's answer to an unexpected PHP error) |
//! | `retry_after` | `status` (429, 503), `seconds` | that status, `Retry-After: seconds`, a short plain-text body |
//! | `hang` | `seconds` | nothing for `seconds`, then the connection closes |
//! | `stall` | `after_bytes`, `seconds` | status line, headers and the first `after_bytes` bytes of the real body, nothing for `seconds`, then the close |
//! | `truncate` | `after_bytes` (default half), `chunked` | a 200 promising the whole body (`Content-Length`, or with `chunked` one chunk and no last chunk) and ending after `after_bytes` body bytes |
//! | `html` | — | a 200 `text/html` login page |
//! | `drop_records` | `count` | the real export (json, csv, xml; flat or eav) without every row of its first `count` records; counts only `export_records` and `export_report` |
//! | `server_memory` | `display_errors` | 500 with "REDCap ran out of server memory. The request cannot be processed. Please try importing/exporting a smaller amount of data."; with `display_errors`, a 200 whose body is PHP's "Allowed memory size of … bytes exhausted" fatal error line followed by that error |
//! | `ban` | `per_minute` | once more than `per_minute` counted requests came within a minute, 429 "Your IP address (127.0.0.1) has been banned due to suspected abuse." to every later API request, for the emulator's lifetime |
//!
//! `seconds` may have fractions (except `retry_after`'s). A `stall` whose
//! body is not longer than `after_bytes` sends the whole answer; a
//! `truncate` always withholds at least the last byte (an empty body
//! cannot be cut without `chunked`). The request that passes a `ban` threshold is still answered
//! (REDCap records the ban while serving it); a `ban` takes no `every`,
//! `times` or `after`. A `drop_records` rule thins out the record-ID
//! request of a batched export as readily as a batch (use `after`).
//!
//! # Not yet emulated
//!
//! - Survey fields (`exportSurveyFields`, reports' `output_survey_fields`):
//!   responses exist only through [`Emulator::record_survey_response`]
//!   (there are no survey pages, and a project XML's timestamps are ignored
//!   as REDCap ignores them); where the identifier goes without the
//!   record-ID field (and so the `redcap_data_access_group` column, placed
//!   just before it by the same rule) is read from `Records::getData`, not
//!   observed; in
//!   `type=eav` CSV the survey rows are written with every column, while
//!   REDCap's rows lack the repeat keys (not verified how its CSV writer
//!   aligns them); project XML export writes no survey items; date
//!   shifting of timestamps; `survey_403` (a survey response's form status
//!   refused on import) ignores whether surveys are enabled in the project
//!   and the blank-status-becomes-`0` rule of `Records::saveData`.
//! - Users and roles: e-mail and names of imported users stay empty (REDCap
//!   keeps them with the account); MyCap, Data Resolution Workflow and
//!   double data entry rights; the mobile app rights are always exported (as
//!   when the mobile app is enabled system-wide); role rights are kept as
//!   0/1 (0/1/2) rather than any number imported; a new role imported with
//!   `forms` does not fail as it does in 15.7.6; admins (super users) are not
//!   modelled; the CSV-injection guard of REDCap's CSV writer.
//! - Logging: page views (`logtype=page_view` is always empty), locking,
//!   the project's creation and the "reason for change" column are not
//!   logged; user, role and DAG changes are logged as `UserRights`,
//!   `DataAccessGroups` and the API handlers log them, but a call that
//!   fails logs nothing (REDCap keeps the handler's row of a failed user,
//!   role or user-DAG import or delete, written before its transaction), a
//!   role import row given twice logs once, and `DAGSwitcher`'s own rows
//!   for a DAG switch are not written (only "Switch DAG (API)"); the
//!   logged exports of metadata, instruments, project info, DAGs and
//!   project XML are not logged;
//!   `delete_logging` has no effect (REDCap honours it only when an
//!   administrator allows it for the project).
//! - Reports: the per-report user access lists (all users may export every
//!   report, as `user_access="ALL"` in project XML), dynamic filters,
//!   `output_missing_data_codes`, `remove_line_breaks_in_values`.
//! - Surveys: links and codes are derived from the record, instrument,
//!   event and instance instead of stored random values; invitations do
//!   not exist (participant `invitation_sent_status` is always 0, e-mail
//!   blank); survey login, time-limited links and Twilio columns.
//! - Randomisation: only from the emulator configuration (a project XML's
//!   `redcap:Randomization` has no allocation table); no
//!   `redcap:RandomizationEnabled` check.
//! - Files: locking, project status (Analysis/Cleanup), upload size limits
//!   and file-type restrictions; `import_file_app`. A MIME type the client
//!   does not send is guessed from a short extension table. As in REDCap
//!   15.7.6's handlers, a user in a data access group can download and
//!   delete the files of other groups' records; an upload into such a
//!   record answers 200 and stores nothing (REDCap saves through
//!   `REDCap::getData`, assumed to see only the user's group).
//! - File Repository: roles (`role_id` never restricts), admin-only
//!   folders, storage limits, folder deletion and renaming (not in the
//!   API); the duplicate-folder message text and the folder-name
//!   sanitising are not verified against REDCap; its operations are not
//!   logged.
//! - PDFs: the layout is the emulator's own (title, instrument, labels,
//!   values, choices), not REDCap's; piping, branching logic, matrix
//!   layout, survey mode and e-Consent footers are not rendered; the file
//!   name pattern is not verified. A user in a data access group gets the
//!   "record does not exist" error for another group's record.
//! - Field validation types: the built-in types only (a server's custom
//!   types are not modelled); names, regexes and order are those of a
//!   REDCap 15.0 server, not checked against a 15.7.6 database.
//! - Descriptive-field attachments: the schema carries none, so every
//!   descriptive field answers "does not have an attachment".
//! - Record export: the record-name hash for de-identified export rights;
//!   in ODM (`format=odm`) record export, survey timestamps and
//!   `type=eav`; `rawOrLabelHeaders` only
//!   affects CSV headers as in REDCap, but the label text of a checkbox
//!   header does not strip every HTML entity; `records` matches exactly
//!   (REDCap's database collation matches case-insensitively); the "blank
//!   row" REDCap adds for events without data that pass a filter.
//! - filterLogic: smart variables (`[record-name]`, `[event-name]` alone,
//!   instance smart variables), `datediff` and the date, text and
//!   statistics functions beyond `if contains not_contain starts_with
//!   ends_with sum min max mean abs round length lower upper trim isnumber
//!   isinteger isblankormissingcode`; `(x)^(y)`.
//! - Record import: calculated fields are not recalculated; secondary
//!   unique field, locking, e-Consent and randomisation checks; the soft
//!   min/max warnings (never returned by REDCap anyway); `dateFormat` for
//!   datetime fields only normalises separators; the exact messages for a
//!   bad `redcap_repeat_instrument`/`redcap_repeat_instance` value;
//!   `backgroundProcess`.
//! - Metadata import: columns are read by position as REDCap does, but the
//!   auto-fixes REDCap applies silently (lower-casing names, …) are not made;
//!   `sql` fields are accepted from any user.
//! - Events: `day_offset`, `offset_min`, `offset_max` (scheduling module);
//!   event and DAG ids are positional, not database ids; DAG-prefixed
//!   auto-numbers use the group's unique name where REDCap uses its id.
//! - Project states: production, analysis/cleanup, offline; expired rights
//!   are enforced, suspended users are not modelled.

mod access;
mod activity;
mod context;
mod data_dir;
mod database;
mod design;
mod dispatch;
mod faults;
mod files;
mod format;
mod http;
mod layout;
mod logic;
mod methods;
mod params;
mod pdf;
mod project_admin;
mod records;
mod reply;
mod rights;
mod store;
mod timeouts;
mod tls;

pub mod cli;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use serde::Serialize;

pub use activity::randomize::{Allocation, Randomization, Stratum};
pub use activity::setup::ReportDefinition;
pub use faults::{FaultKind, FaultRule, Faults, When};
pub use rights::UserRights;

/// The REDCap version the emulator answers as.
pub const REDCAP_VERSION: &str = dispatch::REDCAP_VERSION;

/// How to start an emulator.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Config {
    /// TCP port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Projects to load: a name and an input (`cargo redcap schema` reads
    /// it; project XML brings records too).
    pub projects: Vec<(String, PathBuf)>,
    /// Keep the database in `DIR/redcap-emulator.sqlite3` instead of memory.
    pub data_dir: Option<PathBuf>,
    /// The 64-character super token; generated when absent.
    pub super_token: Option<String>,
    /// The user the super token belongs to, who owns the projects it
    /// creates and the projects loaded at start; [`DEFAULT_SUPER_USER`]
    /// (or the one a data directory remembers) when absent.
    pub super_user: Option<String>,
    /// Reports to add to loaded projects (by project name), besides those
    /// a project XML brings.
    pub reports: Vec<(String, ReportDefinition)>,
    /// Randomisations (with their allocation tables) of loaded projects,
    /// by project name.
    pub randomizations: Vec<(String, Randomization)>,
    /// Fault rules applied to API requests (none by default).
    pub faults: Faults,
    /// How long a connection may stay quiet between requests or while
    /// sending a request body before it is closed; 60 seconds when absent.
    pub idle_timeout: Option<Duration>,
    /// How long a request's head (request line and headers) may take to
    /// arrive from its first byte; 30 seconds when absent.
    pub header_timeout: Option<Duration>,
    /// Serve HTTPS with a self-signed certificate made at start.
    pub tls: bool,
    /// Where to write that certificate (PEM) for clients to trust; when
    /// absent, `tls-certificate.pem` in the data directory, or
    /// `redcap-emulator-{port}.pem` in the system's temporary directory.
    pub tls_certificate: Option<PathBuf>,
}

/// The super token's user when none is given, as a fresh REDCap
/// installation names its administrator.
pub const DEFAULT_SUPER_USER: &str = "site_admin";

/// The quiet time allowed between requests and within a request body.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// The time allowed for a request's head to arrive.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(30);

impl Config {
    /// Adds a project to load.
    pub fn project(mut self, name: impl Into<String>, input: impl Into<PathBuf>) -> Config {
        self.projects.push((name.into(), input.into()));
        self
    }

    /// Sets the port.
    pub fn port(mut self, port: u16) -> Config {
        self.port = port;
        self
    }

    /// Persists under a directory.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Config {
        self.data_dir = Some(dir.into());
        self
    }

    /// Uses this super token.
    pub fn super_token(mut self, token: impl Into<String>) -> Config {
        self.super_token = Some(token.into());
        self
    }

    /// Names the super token's user.
    pub fn super_user(mut self, username: impl Into<String>) -> Config {
        self.super_user = Some(username.into());
        self
    }

    /// Adds a randomisation to a loaded project (by its name).
    pub fn randomization(mut self, project: impl Into<String>, setup: Randomization) -> Config {
        self.randomizations.push((project.into(), setup));
        self
    }

    /// Applies these fault rules to API requests.
    pub fn faults(mut self, faults: Faults) -> Config {
        self.faults = faults;
        self
    }

    /// Closes connections quiet for this long (between requests, or
    /// within a request body).
    pub fn idle_timeout(mut self, limit: Duration) -> Config {
        self.idle_timeout = Some(limit);
        self
    }

    /// Closes connections whose request head takes longer than this.
    pub fn header_timeout(mut self, limit: Duration) -> Config {
        self.header_timeout = Some(limit);
        self
    }

    /// Serves HTTPS, with a self-signed certificate made at start (see
    /// [`Emulator::tls_certificate_pem`]).
    pub fn tls(mut self) -> Config {
        self.tls = true;
        self
    }

    /// Serves HTTPS and writes its certificate to `path`.
    pub fn tls_certificate(mut self, path: impl Into<PathBuf>) -> Config {
        self.tls = true;
        self.tls_certificate = Some(path.into());
        self
    }

    /// Adds a report to a loaded project (by its name).
    pub fn report(mut self, project: impl Into<String>, report: ReportDefinition) -> Config {
        self.reports.push((project.into(), report));
        self
    }
}

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A project input could not be read or is not a valid project.
    #[error("project `{name}`: {message}")]
    Project {
        /// The project's name.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// The super token's username is not in REDCap's username format.
    #[error("the super user `{0}` is not a valid username (letters, digits, _ - . ' @ and spaces)")]
    SuperUser(String),
    /// The super token is not 64 letters and digits.
    #[error("the super token must be 64 letters and digits, got {0} characters")]
    SuperToken(usize),
    /// `--project` is not `NAME=INPUT`.
    #[error("`{0}` is not NAME=INPUT")]
    ProjectArg(String),
    /// The database could not be opened.
    #[error("database {path}: {message}")]
    Storage {
        /// Where.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {error}")]
    Bind {
        /// The port.
        port: u16,
        /// The error.
        #[source]
        error: std::io::Error,
    },
    /// A configuration file (`--reports`, `--randomization`) cannot be
    /// read or is not valid.
    #[error("{path}: {message}")]
    ConfigFile {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A fault rule is not valid (counts of zero, a method the API spec
    /// does not have, …).
    #[error("faults: {0}")]
    Faults(String),
    /// The API spec embedded in `redcap-api-spec` does not load.
    #[error("the API spec does not load: {0}")]
    Spec(String),
    /// The TLS certificate could not be made or written.
    #[error("TLS certificate {path}: {message}")]
    Tls {
        /// Where it was to be written.
        path: String,
        /// What went wrong.
        message: String,
    },
}

/// A project being served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServedProject {
    /// Its name.
    pub name: String,
    /// Its id.
    pub project_id: i64,
    /// The API token of its creating user (full rights).
    pub token: String,
}

/// A running emulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    url: String,
    super_token: String,
    super_user: String,
    projects: Vec<ServedProject>,
    shared: Arc<http::Shared>,
    server: tokio::task::JoinHandle<()>,
    /// Under TLS: where the certificate was written, and the PEM.
    tls_certificate: Option<(PathBuf, String)>,
    /// Holds the data directory until the emulator is dropped.
    _data_dir_lock: Option<std::fs::File>,
}

/// Makes the TLS identity and writes its certificate where clients can
/// read it.
fn start_tls(config: &Config, port: u16) -> Result<(tls::Tls, PathBuf), StartError> {
    let path = match (&config.tls_certificate, &config.data_dir) {
        (Some(p), _) => p.clone(),
        (None, Some(dir)) => dir.join("tls-certificate.pem"),
        (None, None) => std::env::temp_dir().join(format!("redcap-emulator-{port}.pem")),
    };
    let error = |message: String| StartError::Tls {
        path: path.display().to_string(),
        message,
    };
    let tls = tls::Tls::generate().map_err(error)?;
    std::fs::write(&path, &tls.certificate_pem).map_err(|e| error(e.to_string()))?;
    Ok((tls, path))
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn storage_error(path: &str) -> impl Fn(rusqlite::Error) -> StartError + '_ {
    move |e| StartError::Storage {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

/// Checks a survey response's place against the project; its unique
/// event name.
fn survey_target(
    conn: &Connection,
    project_id: i64,
    event: &str,
    form: &str,
    instance: i64,
    completed_at: Option<&str>,
) -> Result<String, StartError> {
    let project = store::project(conn, project_id).map_err(|e| StartError::Project {
        name: project_id.to_string(),
        message: e.to_string(),
    })?;
    let layout = layout::Layout::new(&project.schema);
    records::responses::check(&layout, event, form, instance, completed_at).map_err(|message| {
        StartError::Project {
            name: project_id.to_string(),
            message,
        }
    })
}

fn load_project(
    conn: &Connection,
    name: &str,
    owner: &str,
    input: &Path,
) -> Result<ServedProject, StartError> {
    let err = |message: String| StartError::Project {
        name: name.to_owned(),
        message,
    };
    if let Some(existing) = store::project_by_name(conn, name).map_err(|e| err(e.to_string()))? {
        // Data directories written before owners were recorded named the
        // creator after the project.
        let owner = project_admin::owner(conn, existing.id)
            .map_err(|e| err(e.to_string()))?
            .unwrap_or_else(|| format!("{name}_admin"));
        let token = store::user_token(conn, existing.id, &owner)
            .map_err(|e| err(e.to_string()))?
            .ok_or_else(|| err("stored project has no creating user".into()))?;
        return Ok(ServedProject {
            name: name.to_owned(),
            project_id: existing.id,
            token,
        });
    }
    let bytes = std::fs::read(input).map_err(|e| err(format!("{}: {e}", input.display())))?;
    let (schema, records) = project_admin::read_input(&bytes, &input.display().to_string())
        .map_err(|e| err(e.to_string()))?;
    let info = indexmap::IndexMap::new();
    let tx = conn
        .unchecked_transaction()
        .map_err(|e| err(e.to_string()))?;
    let (project_id, token) = project_admin::create(&tx, name, owner, &schema, &info, &records)
        .map_err(|e| err(e.message))?;
    activity::setup::load_xml(&tx, project_id, &String::from_utf8_lossy(&bytes))
        .map_err(|e| err(e.to_string()))?;
    tx.commit().map_err(|e| err(e.to_string()))?;
    Ok(ServedProject {
        name: name.to_owned(),
        project_id,
        token,
    })
}

/// The id of the loaded project `name`, which `what` of the configuration names.
fn loaded(projects: &[ServedProject], name: &str, what: &str) -> Result<i64, StartError> {
    projects
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.project_id)
        .ok_or_else(|| StartError::Project {
            name: name.to_owned(),
            message: format!("{what} names a project that is not loaded"),
        })
}

impl Emulator {
    /// Opens storage, loads the projects and starts serving on
    /// `127.0.0.1:{port}`. Must run inside a Tokio runtime.
    pub async fn start(config: Config) -> Result<Emulator, StartError> {
        let spec = redcap_api_spec::load().map_err(|e| StartError::Spec(e.to_string()))?;
        config.faults.check().map_err(StartError::Faults)?;
        config
            .faults
            .check_methods(&spec)
            .map_err(StartError::Faults)?;
        let data_dir::Opened {
            conn,
            shown: path,
            lock,
            home,
        } = data_dir::open(config.data_dir.as_deref())?;
        store::init(&conn).map_err(storage_error(&path))?;
        let super_token = match &config.super_token {
            Some(t) if t.len() == 64 && t.chars().all(|c| c.is_ascii_alphanumeric()) => t.clone(),
            Some(t) => return Err(StartError::SuperToken(t.chars().count())),
            None => match store::setting(&conn, "super_token").map_err(storage_error(&path))? {
                Some(t) => t,
                None => project_admin::random_token(64).map_err(|e| StartError::Storage {
                    path: path.clone(),
                    message: e.message,
                })?,
            },
        };
        store::set_setting(&conn, "super_token", &super_token).map_err(storage_error(&path))?;
        let super_user = match &config.super_user {
            Some(u) if !u.trim().is_empty() && access::users::valid_username(u) => u.clone(),
            Some(u) => return Err(StartError::SuperUser(u.clone())),
            None => store::setting(&conn, project_admin::SUPER_USER)
                .map_err(storage_error(&path))?
                .unwrap_or_else(|| DEFAULT_SUPER_USER.to_owned()),
        };
        store::set_setting(&conn, project_admin::SUPER_USER, &super_user)
            .map_err(storage_error(&path))?;
        let mut projects = Vec::new();
        for (name, input) in &config.projects {
            projects.push(load_project(&conn, name, &super_user, input)?);
        }
        for (name, report) in &config.reports {
            let project_id = loaded(&projects, name, "a report")?;
            activity::setup::ensure_report(&conn, project_id, report)
                .map_err(storage_error(&path))?;
        }
        for (name, setup) in &config.randomizations {
            let project_id = loaded(&projects, name, "a randomization")?;
            activity::randomize::put(&conn, project_id, setup).map_err(storage_error(&path))?;
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .map_err(|error| StartError::Bind {
                port: config.port,
                error,
            })?;
        let port = listener
            .local_addr()
            .map_err(|error| StartError::Bind {
                port: config.port,
                error,
            })?
            .port();
        let tls = match config.tls {
            true => Some(start_tls(&config, port)?),
            false => None,
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        // Survey links are made under the emulator's own address.
        store::set_setting(&conn, "base_url", &format!("{scheme}://127.0.0.1:{port}/"))
            .map_err(storage_error(&path))?;
        let database = database::Database::open(conn, &home).map_err(storage_error(&path))?;
        let shared = Arc::new(http::Shared {
            database,
            spec,
            faults: faults::inject::Injector::new(&config.faults),
        });
        let app =
            http::router(shared.clone()).into_make_service_with_connect_info::<faults::cut::Peer>();
        let listener = faults::cut::CuttingListener {
            inner: listener,
            limits: timeouts::Limits {
                idle: config.idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT),
                header: config.header_timeout.unwrap_or(DEFAULT_HEADER_TIMEOUT),
            },
            tls: tls.as_ref().map(|(tls, _)| tls.clone()),
        };
        let server = tokio::spawn(async move {
            // The server only ends when the task is aborted.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Emulator {
            url: format!("{scheme}://127.0.0.1:{port}/api/"),
            tls_certificate: tls.map(|(tls, path)| (path, tls.certificate_pem)),
            super_token,
            super_user,
            projects,
            shared,
            server,
            _data_dir_lock: lock,
        })
    }

    /// The API endpoint, `http://127.0.0.1:{port}/api/` (`https://` under
    /// TLS).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Under TLS, the server's self-signed certificate (PEM): the root a
    /// client trusts to reach it.
    pub fn tls_certificate_pem(&self) -> Option<&str> {
        self.tls_certificate.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// Under TLS, the file the certificate was written to.
    pub fn tls_certificate_path(&self) -> Option<&std::path::Path> {
        self.tls_certificate
            .as_ref()
            .map(|(path, _)| path.as_path())
    }

    /// The 64-character super token.
    pub fn super_token(&self) -> &str {
        &self.super_token
    }

    /// The projects loaded at start, with their tokens.
    pub fn projects(&self) -> &[ServedProject] {
        &self.projects
    }

    /// The username the super token belongs to: the owner of the projects
    /// it creates and of the projects loaded at start.
    pub fn super_user(&self) -> &str {
        &self.super_user
    }

    /// The token of a loaded project's creating user.
    pub fn token(&self, project: &str) -> Option<&str> {
        self.projects
            .iter()
            .find(|p| p.name == project)
            .map(|p| p.token.as_str())
    }

    /// Adds (or replaces) a user of a project with the given rights and
    /// returns the user's new token.
    pub fn add_user(
        &self,
        project_id: i64,
        username: &str,
        rights: UserRights,
    ) -> Result<String, StartError> {
        let conn = self.shared.database.writer();
        let token = project_admin::random_token(32).map_err(|e| StartError::Storage {
            path: "token".into(),
            message: e.message,
        })?;
        store::put_user(&conn, project_id, username, &token, &rights)
            .map_err(storage_error("users"))?;
        Ok(token)
    }

    /// Lets a user switch to these data access groups with `switch_dag`
    /// (`""` = no group), as REDCap's DAG Switcher page does; the API has
    /// no method for it.
    pub fn allow_dag_switch(
        &self,
        project_id: i64,
        username: &str,
        dags: &[&str],
    ) -> Result<(), StartError> {
        let conn = self.shared.database.writer();
        access::dags::allow_switch(&conn, project_id, username, dags)
            .map_err(storage_error("dag_switcher"))
    }

    /// Records a survey response, the state REDCap keeps when a participant
    /// submits a survey page (the emulator has no survey pages): `event` is
    /// the unique event name (`""` in a classic project), `instance` 1
    /// unless the instrument or event repeats, `completed_at`
    /// `YYYY-MM-DD HH:MM:SS` for a completed response or `None` for a
    /// partial one. A response already recorded is updated. Record exports
    /// with `exportSurveyFields` show it as `{form}_timestamp` and the
    /// participant list as `response_status`.
    pub fn record_survey_response(
        &self,
        project_id: i64,
        record: &str,
        event: &str,
        form: &str,
        instance: i64,
        completed_at: Option<&str>,
    ) -> Result<(), StartError> {
        let conn = self.shared.database.writer();
        let event = survey_target(&conn, project_id, event, form, instance, completed_at)?;
        let response = records::responses::Response {
            record: record.to_owned(),
            event,
            form: form.to_owned(),
            instance,
            completed_at: completed_at.map(str::to_owned),
            identifier: String::new(),
        };
        records::responses::put(&conn, project_id, &response)
            .map_err(storage_error("survey_response"))
    }

    /// Sets the participant identifier of a response recorded with
    /// [`Emulator::record_survey_response`] (REDCap takes it from the
    /// participant list), shown as `redcap_survey_identifier` and in the
    /// participant list.
    pub fn set_participant_identifier(
        &self,
        project_id: i64,
        record: &str,
        event: &str,
        form: &str,
        instance: i64,
        identifier: &str,
    ) -> Result<(), StartError> {
        let conn = self.shared.database.writer();
        let event = survey_target(&conn, project_id, event, form, instance, None)?;
        let found = records::responses::set_identifier(
            &conn,
            project_id,
            (record, &event, form, instance),
            identifier,
        )
        .map_err(storage_error("survey_response"))?;
        if found {
            Ok(())
        } else {
            Err(StartError::Project {
                name: project_id.to_string(),
                message: format!("record `{record}` has no response to `{form}` there"),
            })
        }
    }

    /// The line printed on start: URL, super token, its user, projects and,
    /// under TLS, the certificate's file, as JSON.
    pub fn start_line(&self) -> String {
        let mut line = serde_json::json!({
            "url": self.url,
            "super_token": self.super_token,
            "super_user": self.super_user,
            "projects": self.projects,
        });
        if let Some(path) = self.tls_certificate_path() {
            line["tls_certificate"] = serde_json::json!(path);
        }
        line.to_string()
    }
}
