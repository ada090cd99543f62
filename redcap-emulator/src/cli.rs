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
