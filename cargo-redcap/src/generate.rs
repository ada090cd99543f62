//! `cargo redcap gen`: typed record code from a project's schema, as a module file or as a
//! whole project-specific crate; `--check` tells whether what is on disk is current.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use redcap_schema::ProjectSchema;

use crate::Error;
use crate::crate_manifest::ClientSource;

/// Arguments of `cargo redcap gen`.
#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Inputs, as for `cargo redcap schema`: a data dictionary, project XML, a
    /// schema.json snapshot, or a dictionary plus the API's JSON exports.
    #[arg(value_name = "INPUT", required_unless_present = "url")]
    pub inputs: Vec<PathBuf>,
    /// A live project instead of files.
    #[command(flatten)]
    pub live: crate::live::LiveArgs,
    /// Write the generated module to this file.
    #[arg(long, value_name = "FILE", conflicts_with = "crate_dir")]
    pub out: Option<PathBuf>,
    /// Write a whole crate (Cargo.toml, src/lib.rs, redcap/schema.json) into this folder.
    #[arg(long = "crate", value_name = "DIR", requires = "name")]
    pub crate_dir: Option<PathBuf>,
    /// The crate's package name (with `--crate`).
    #[arg(long)]
    pub name: Option<String>,
    /// Take redcap-client from this local folder (with `--crate`). Without any
    /// `--client-*` option: the checkout `cargo-redcap` was installed from, if it is
    /// still there, else the crates.io version matching `cargo-redcap`.
    #[arg(long, value_name = "DIR", requires = "crate_dir", group = "client")]
    pub client_path: Option<PathBuf>,
    /// Take redcap-client from this git repository of the redcap-rs workspace (with
    /// `--crate`).
    #[arg(long, value_name = "URL", requires = "crate_dir", group = "client")]
    pub client_git: Option<String>,
    /// The branch, tag or commit of `--client-git`.
    #[arg(long, value_name = "REV", requires = "client_git")]
    pub client_rev: Option<String>,
    /// Take this version of redcap-client from crates.io (with `--crate`).
    #[arg(long, value_name = "VERSION", requires = "crate_dir", group = "client")]
    pub client_version: Option<String>,
    /// Write nothing; exit 1 if the files on disk differ from what would be written.
    #[arg(long)]
    pub check: bool,
}

/// Runs the subcommand; warnings about the inputs go to `err`.
pub fn run(args: &GenArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<ExitCode, Error> {
    let schema = if args.inputs.is_empty() {
        crate::live::fetch_schema(&args.live.client()?, err)?
    } else {
        crate::schema::read_inputs(&args.inputs, err)?
    };
    let files = match (&args.out, &args.crate_dir) {
        (Some(path), None) => vec![(path.clone(), module(&schema))],
        (None, Some(dir)) => {
            let name = args
                .name
                .as_deref()
                .expect("clap requires --name with --crate");
            let client = client_source(args)?;
            writeln!(out, "redcap-client: {client}")?;
            crate_files(&schema, dir, name, &client)?
        }
        _ => {
            out.write_all(module(&schema).as_bytes())?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    if args.check {
        let stale: Vec<&PathBuf> = files
            .iter()
            .filter(|(path, text)| {
                std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str())
            })
            .map(|(path, _)| path)
            .collect();
        for path in &stale {
            writeln!(
                out,
                "out of date: {} (run `cargo redcap gen` without --check)",
                path.display()
            )?;
        }
        return Ok(if stale.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        });
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| Error::File {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(path, text).map_err(|source| Error::File {
            path: path.clone(),
            source,
        })?;
        writeln!(out, "wrote {}", path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The `redcap-client` a generated crate depends on, from the `--client-*` options.
fn client_source(args: &GenArgs) -> Result<ClientSource, Error> {
    Ok(
        match (&args.client_path, &args.client_git, &args.client_version) {
            (Some(path), _, _) => ClientSource::local(path)?,
            (_, Some(url), _) => ClientSource::Git {
                url: url.clone(),
                rev: args.client_rev.clone(),
            },
            (_, _, Some(version)) => ClientSource::Version(version.clone()),
            (None, None, None) => ClientSource::installed(),
        },
    )
}

/// The module file: the generator's formatting, then `rustfmt`'s where it is installed,
/// so that running `cargo fmt` on a committed module leaves it as `gen --check` expects.
pub(crate) fn module(schema: &ProjectSchema) -> String {
    let text = redcap_codegen::records::render(schema, &Default::default());
    rustfmt(&text).unwrap_or(text)
}

/// `text` formatted by `rustfmt` (`$RUSTFMT`, else the one on the path), or `None` when
/// it cannot run.
fn rustfmt(text: &str) -> Option<String> {
    use std::io::Write as _;
    use std::process::{Command, Stdio};
    let program = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(program)
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let input = text.to_owned();
    // Written from another thread: a large file would fill the pipe while rustfmt's
    // output waits to be read.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().ok()?;
    writer.join().ok()?.ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}

/// The files of a project-specific crate.
pub(crate) fn crate_files(
    schema: &ProjectSchema,
    dir: &Path,
    name: &str,
    client: &ClientSource,
) -> Result<Vec<(PathBuf, String)>, Error> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::Usage(format!("`{name}` is not a valid crate name")));
    }
    let title = schema.project.title.as_deref().unwrap_or(name);
    let manifest = crate::crate_manifest::manifest(name, title, client);
    let lib = format!(
        "//! Typed records of the REDCap project {title:?}.\n//!\n//! Generated by `cargo redcap gen` from `redcap/schema.json`; regenerate rather than edit.\n\n#![deny(warnings)]\n\n{}",
        module(schema)
    );
    Ok(vec![
        (dir.join("Cargo.toml"), manifest),
        (dir.join("src/lib.rs"), lib),
        (
            dir.join("redcap/schema.json"),
            redcap_schema::to_snapshot(schema),
        ),
    ])
}
