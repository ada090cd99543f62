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
    /// Keep data in this directory instead of memory.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The 64-character super token (generated when absent).
    #[arg(long, value_name = "TOKEN")]
    pub super_token: Option<String>,
    /// Reports to add, as JSON: `{"PROJECT": [{"title": …, "fields": […],
    /// "filter_logic": …, "order_by": [["field", "DESC"]], …}]}`.
    #[arg(long, value_name = "FILE")]
    pub reports: Option<PathBuf>,
    /// Randomisations to add, as JSON: `{"PROJECT": [{"randomization_id":
    /// 1, "target_field": …, "strata": [{"field": …}], "allocations":
    /// [{"target": "1", "alt": "R-001", "strata": {…}}]}]}`.
    #[arg(long, value_name = "FILE")]
    pub randomization: Option<PathBuf>,
}

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
        Ok(config)
    }
}

/// Starts the emulator, prints its start line to `out` and serves until
/// the process is stopped.
pub async fn serve(args: &ServeArgs, out: &mut dyn Write) -> Result<(), StartError> {
    let emulator = Emulator::start(args.config()?).await?;
    // If stdout is closed there is nobody to tell; keep serving.
    let _ = writeln!(out, "{}", emulator.start_line());
    let _ = out.flush();
    std::future::pending::<()>().await;
    drop(emulator);
    Ok(())
}
