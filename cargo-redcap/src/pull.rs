//! `cargo redcap pull`: writes a live project's canonical `redcap/schema.json`, the file
//! `project!` and `cargo redcap gen` read offline; `--check` fails when it is stale.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::Error;
use crate::live::{LiveArgs, fetch_schema};

/// Arguments of `cargo redcap pull`.
#[derive(Debug, clap::Args)]
pub struct PullArgs {
    /// The live project.
    #[command(flatten)]
    pub live: LiveArgs,
    /// Where the schema goes.
    #[arg(long, default_value = "redcap/schema.json", value_name = "FILE")]
    pub out: PathBuf,
    /// Write nothing; exit 1 if the file differs from the live project's schema.
    #[arg(long)]
    pub check: bool,
}

/// Runs the subcommand.
pub fn run(args: &PullArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitCode, Error> {
    let client = args.live.client()?;
    let snapshot = redcap_schema::to_snapshot(&fetch_schema(&client, err)?);
    if args.check {
        let current = std::fs::read_to_string(&args.out).ok();
        if current.as_deref() == Some(snapshot.as_str()) {
            writeln!(out, "{} is current", args.out.display())?;
            return Ok(ExitCode::SUCCESS);
        }
        writeln!(
            out,
            "out of date: {} (run `cargo redcap pull`)",
            args.out.display()
        )?;
        return Ok(ExitCode::FAILURE);
    }
    if let Some(parent) = args.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| Error::File {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(&args.out, &snapshot).map_err(|source| Error::File {
        path: args.out.clone(),
        source,
    })?;
    writeln!(out, "wrote {}", args.out.display())?;
    Ok(ExitCode::SUCCESS)
}
