//! The `cargo redcap` subcommand. Each subcommand lives in its own module;
//! `run` dispatches and turns errors into a message and an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod call;
mod call_code;
mod crate_manifest;
pub mod demo;
pub mod diff;
pub mod export;
pub mod generate;
pub mod import;
pub mod live;
pub mod pull;
pub mod schema;
pub mod serve;
mod suggest;
pub mod tidy;

/// How cargo calls us: `cargo redcap …` runs `cargo-redcap redcap …`.
#[derive(Debug, Parser)]
#[command(name = "cargo", bin_name = "cargo")]
pub enum Cli {
    /// Work with REDCap projects: schemas, and more to come.
    Redcap(Args),
}

/// Arguments of `cargo redcap`.
#[derive(Debug, clap::Args)]
#[command(version, about)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// See the whole toolkit work on a bundled sample project, no REDCap server needed:
    /// a local REDCap, the schema pulled, typed code generated, typed records exported.
    Demo(demo::DemoArgs),
    /// Call any API method by name, parameters checked against the spec first; prints
    /// the response (`--list` lists the methods, `--show-code` prints Rust and curl).
    Call(call::CallArgs),
    /// Print the canonical schema of a project read from any REDCap export.
    Schema(schema::SchemaArgs),
    /// Compare two versions of a project's schema and classify every change
    /// as breaking, compatible or cosmetic; exit 1 on breaking changes.
    Diff(diff::DiffArgs),
    /// Generate typed record code (a module or a crate) from a project's schema.
    Gen(generate::GenArgs),
    /// Serve a local REDCap-compatible API (REDCap 15.7.6 behaviour) for
    /// the given projects; prints one JSON line with the URL and tokens.
    Serve(serve::ServeArgs),
    /// Write a live project's canonical schema to `redcap/schema.json`.
    Pull(pull::PullArgs),
    /// Export a live project's records in checked batches (retried, rate-limited,
    /// complete or failed, never partial) as CSV, JSON or NDJSON.
    Export(export::ExportArgs),
    /// Import records from a CSV or JSON file: every row checked against the project's
    /// schema first (exit 1 listing every problem, nothing sent), then batches of whole
    /// records with a journal to `--resume` from; `--dry-run` lists what would change.
    Import(import::ImportArgs),
    /// Turn a flat CSV export into one typed table per instrument (Parquet, Arrow IPC or
    /// CSV) and a dictionary table, typed from the project's schema.
    Tidy(tidy::TidyArgs),
}

/// Why a subcommand failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or checking the project failed.
    #[error(transparent)]
    Schema(#[from] redcap_schema::Error),
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A call to REDCap failed.
    #[error(transparent)]
    Api(#[from] redcap_client::Error),
    /// The arguments do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// Writing the output failed.
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    /// Turning an export into tables failed.
    #[error("{input}: {error}")]
    Tidy {
        /// What was converted (a file, or the live export).
        input: String,
        /// What went wrong.
        #[source]
        error: redcap_tidy::Error,
    },
}

/// Runs a subcommand, writing its output to `out` and errors to `err`.
pub fn run(args: Args, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    let result = match args.command {
        Command::Demo(a) => demo::run(&a, out),
        Command::Call(a) => call::run(&a, out),
        Command::Schema(a) => schema::run(&a, out, err),
        // The diff has its own exit codes (1 breaking, 2 error).
        Command::Diff(a) => return diff::run(&a, out, err),
        Command::Gen(a) => generate::run(&a, out, err),
        Command::Serve(a) => serve::run(&a, out),
        Command::Pull(a) => pull::run(&a, out, err),
        Command::Export(a) => export::run(&a, out, err),
        // The import has its own exit codes (1 preflight problems, 2 error).
        Command::Import(a) => return import::run(&a, out, err),
        Command::Tidy(a) => tidy::run(&a, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A failing stderr leaves nothing better to do than the exit code.
            let _ = writeln!(err, "error: {}", chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error and every cause under it, each once: `error: outer: cause: root cause`.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Transparent wrappers repeat their cause's text.
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
