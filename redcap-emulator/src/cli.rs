//! The command line shared by the `redcap-emulator` binary and
//! `cargo redcap serve`.

use std::io::Write;
use std::path::PathBuf;

use crate::{Config, Emulator, StartError};

/// Options of the emulator's command line.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// TCP port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// A project to serve, `NAME=INPUT` (any export `cargo redcap schema`
    /// reads; project XML brings its records). Repeatable.
    #[arg(long = "project", value_name = "NAME=INPUT")]
    pub projects: Vec<String>,
    /// Keep data in this directory (without it, data live in a private
    /// temporary directory, removed when the emulator stops).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The 64-character super token (generated when absent).
    #[arg(long, value_name = "TOKEN")]
    pub super_token: Option<String>,
    /// The user the super token belongs to: it owns (with every right) the
    /// projects the super token creates and those given with --project
    /// [default: site_admin].
    #[arg(long, value_name = "NAME")]
    pub super_user: Option<String>,
    /// Reports to add, as JSON: `{"PROJECT": [{"title": …, "fields": […],
    /// "filter_logic": …, "order_by": [["field", "DESC"]], …}]}`.
    #[arg(long, value_name = "FILE")]
    pub reports: Option<PathBuf>,
    /// Randomisations to add, as JSON: `{"PROJECT": [{"randomization_id":
    /// 1, "target_field": …, "strata": [{"field": …}], "allocations":
    /// [{"target": "1", "alt": "R-001", "strata": {…}}]}]}`.
    #[arg(long, value_name = "FILE")]
    pub randomization: Option<PathBuf>,
    /// Fault rules for API requests, as JSON: `{"faults": [{"kind": …,
    /// "method": …, "every": N | "times": N, …}]}`.
    #[arg(long, value_name = "FILE", long_help = FAULTS_HELP)]
    pub faults: Option<PathBuf>,
    /// Close connections quiet for this many seconds, between requests or
    /// within a request body [default: 60].
    #[arg(long, value_name = "SECONDS")]
    pub idle_timeout: Option<u64>,
    /// Close connections whose request head takes longer than this many
    /// seconds [default: 30].
    #[arg(long, value_name = "SECONDS")]
    pub header_timeout: Option<u64>,
    /// Serve HTTPS with a self-signed certificate made at start (for
    /// 127.0.0.1 and localhost), written as PEM for clients to trust
    #[arg(long)]
    pub tls: bool,
    /// Where to write the certificate [default: DIR/tls-certificate.pem
    /// with --data-dir, else redcap-emulator-PORT.pem in the temporary
    /// directory]; implies --tls
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
}

/// The long help of `--faults`: the file format.
const FAULTS_HELP: &str = r#"Fault rules for API requests, as JSON: {"faults": [RULE, ...]}.

Each RULE has a "kind", an optional "method" (an API spec method name such
as "export_records"; every method when absent) and "every": N (every N-th
counted request) or "times": N (the first N counted requests), and an
optional "after": N (let the first N counted requests through before
counting for every/times; e.g. "times": 1, "after": 1 hits the first batch
of an export, not its record-ID request). Rules are checked in order: each
counts the requests its method matches that no earlier rule answered, and
the first rule that is due answers the request; a request let through by
"after" goes on to later rules. Counting is deterministic and shared by all
connections.

Kinds and their fields:
  status        "status": 400-599, "message": optional text. REDCap's error
                body (in the request's returnFormat) with that status.
  retry_after   "status": 429 or 503, "seconds": N. Sends Retry-After: N.
  hang          "seconds": S (fractions allowed). Sends nothing for S
                seconds, then closes the connection.
  stall         "after_bytes": N, "seconds": S. Sends the status line, the
                headers and N bytes of the real body, then nothing for S
                seconds, then closes the connection.
  truncate      "after_bytes": N (half the body when absent), "chunked":
                true|false. A 200 whose Content-Length promises the whole
                body but only N bytes come before the connection closes;
                with "chunked", a first chunk of N bytes and no last chunk.
  html          A 200 text/html login page instead of the answer.
  drop_records  "count": N. The real export (json, csv or xml; flat or eav)
                without every row of its first N records. Counts only
                export_records and export_report requests.
  server_memory "display_errors": true|false. REDCap's answer to an API
                request that ran out of memory: 500 {"error":"REDCap ran out
                of server memory. ..."}; with display_errors, a 200 whose
                body is PHP's "Allowed memory size of ... bytes exhausted"
                fatal error line followed by that message.
  ban           "per_minute": N (no "every"/"times"/"after"). Once more than N
                counted requests arrived within a minute, every later API
                request gets REDCap's 429 "Your IP address (...) has been
                banned due to suspected abuse." for the rest of the
                emulator's life.

Example:
  {"faults": [
    {"kind": "retry_after", "status": 503, "seconds": 1, "every": 5},
    {"kind": "drop_records", "count": 1, "times": 1, "after": 1},
    {"kind": "hang", "seconds": 30, "method": "export_version", "times": 1}
  ]}"#;

/// Reads a `{"PROJECT": [item, …]}` JSON file.
fn per_project<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
) -> Result<Vec<(String, T)>, StartError> {
    let err = |message: String| StartError::ConfigFile {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let map: indexmap::IndexMap<String, Vec<T>> =
        serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    Ok(map
        .into_iter()
        .flat_map(|(project, items)| items.into_iter().map(move |i| (project.clone(), i)))
        .collect())
}

impl ServeArgs {
    /// The configuration these options describe.
    pub fn config(&self) -> Result<Config, StartError> {
        let mut config = Config {
            port: self.port,
            data_dir: self.data_dir.clone(),
            super_token: self.super_token.clone(),
            super_user: self.super_user.clone(),
            idle_timeout: self.idle_timeout.map(std::time::Duration::from_secs),
            header_timeout: self.header_timeout.map(std::time::Duration::from_secs),
            tls: self.tls || self.tls_cert.is_some(),
            tls_certificate: self.tls_cert.clone(),
            ..Config::default()
        };
        for spec in &self.projects {
            let (name, input) = spec
                .split_once('=')
                .filter(|(n, i)| !n.is_empty() && !i.is_empty())
                .ok_or_else(|| StartError::ProjectArg(spec.clone()))?;
            config
                .projects
                .push((name.to_owned(), PathBuf::from(input)));
        }
        if let Some(path) = &self.reports {
            config.reports = per_project(path)?;
        }
        if let Some(path) = &self.randomization {
            config.randomizations = per_project(path)?;
        }
        if let Some(path) = &self.faults {
            config.faults = crate::Faults::load(path)?;
        }
        Ok(config)
    }
}

/// Starts the emulator, prints its start line to `out` and serves until
/// the process is interrupted (Ctrl-C) or, on Unix, terminated.
pub async fn serve(args: &ServeArgs, out: &mut dyn Write) -> Result<(), StartError> {
    let emulator = Emulator::start(args.config()?).await?;
    // If stdout is closed there is nobody to tell; keep serving.
    let _ = writeln!(out, "{}", emulator.start_line());
    let _ = out.flush();
    stopped().await;
    // Stopping this way, rather than being killed by the signal, lets the
    // emulator close its database and remove a temporary one.
    drop(emulator);
    Ok(())
}

/// Waits for Ctrl-C or, on Unix, SIGTERM (what `kill` and service managers
/// send). If a signal cannot be listened for, serves until killed.
async fn stopped() {
    let interrupted = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminated = async {
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = interrupted => {}
            () = terminated => {}
        }
    }
    #[cfg(not(unix))]
    interrupted.await;
}
