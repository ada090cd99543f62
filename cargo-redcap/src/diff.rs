//! `cargo redcap diff OLD NEW` (or `OLD --live`): what changed between two versions of a
//! project's schema, each change classified as breaking, compatible or
//! cosmetic with its reason. Exits 0 without breaking changes, 1 with some
//! (unless `--allow-breaking`), 2 when a side cannot be read.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use redcap_schema::diff::{Scope, render};
use redcap_schema::read::InputKind;

/// Output formats of `cargo redcap diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Grouped text for a terminal.
    Human,
    /// Markdown for a pull-request comment.
    Markdown,
    /// The stable JSON format documented in redcap-schema's DIFF.md.
    Json,
}

/// When to colour human output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Colour {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Arguments of `cargo redcap diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old schema: a data dictionary (CSV or metadata JSON), project XML
    /// or a schema.json snapshot.
    #[arg(value_name = "OLD")]
    pub old: PathBuf,
    /// The new schema, in any of the same forms.
    #[arg(value_name = "NEW", required_unless_present = "live")]
    pub new: Option<PathBuf>,
    /// Compare OLD with the live project instead of a NEW file (`--url`/`--token` or
    /// `REDCAP_API_URL`/`REDCAP_API_TOKEN`): e.g. the committed `redcap/schema.json`
    /// against the project's current design.
    #[arg(long, conflicts_with = "new")]
    pub live: bool,
    /// The live project, with `--live`.
    #[command(flatten)]
    pub remote: crate::live::LiveArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Report breaking changes without failing (exit 0).
    #[arg(long)]
    pub allow_breaking: bool,
    /// When to colour human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: Colour,
}

/// The exit code for errors, kept apart from 1 ("breaking changes") so that
/// CI can tell a broken input from a breaking change.
const ERROR: u8 = 2;

/// Runs the subcommand: the report goes to `out`, errors to `err`.
pub fn run(args: &DiffArgs, out: &mut dyn Write, err: &mut dyn Write) -> ExitCode {
    match report(args, out, err) {
        Ok(code) => code,
        Err(e) => {
            // A failing stderr leaves nothing better to do than the exit code.
            let _ = writeln!(err, "error: {e}");
            ExitCode::from(ERROR)
        }
    }
}

fn report(
    args: &DiffArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, crate::Error> {
    let old = redcap_schema::read_path(&args.old)?;
    let new = match &args.new {
        Some(path) => redcap_schema::read_path(path)?,
        // A diff reports changes, not REDCap's design advice: the files it reads
        // print none either.
        None => crate::live::fetch_schema(&args.remote.client()?, &mut std::io::sink())?,
    };
    let dictionary = [Some(&args.old), args.new.as_ref()]
        .into_iter()
        .flatten()
        .find(|path| is_dictionary(path));
    let scope = match dictionary {
        Some(path) => {
            writeln!(
                err,
                "note: {} is a data dictionary, which says nothing of project settings, arms, events or repeating setup: only the record-ID field, instruments and fields are compared",
                path.display()
            )?;
            Scope::Dictionary
        }
        None => Scope::Project,
    };
    let diff = redcap_schema::diff::diff_in(&old, &new, scope);
    let text = match args.format {
        Format::Human => {
            let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let colour = use_colour(args.color, std::io::stdout().is_terminal(), no_colour);
            render::to_text(&diff, colour)
        }
        Format::Markdown => render::to_markdown(&diff),
        Format::Json => render::to_json(&diff),
    };
    out.write_all(text.as_bytes())?;
    Ok(if diff.has_breaking() && !args.allow_breaking {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Whether the input at `path` is a data dictionary alone (CSV or metadata JSON).
fn is_dictionary(path: &std::path::Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| {
        matches!(
            redcap_schema::read::detect(&String::from_utf8_lossy(&bytes)),
            InputKind::DictionaryCsv | InputKind::MetadataJson
        )
    })
}

/// Whether to colour: `--color always|never` decide; `auto` colours a
/// terminal unless `NO_COLOR` is set to something (https://no-color.org).
pub fn use_colour(choice: Colour, terminal: bool, no_colour: bool) -> bool {
    match choice {
        Colour::Always => true,
        Colour::Never => false,
        Colour::Auto => terminal && !no_colour,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(use_colour(Colour::Auto, true, false));
        assert!(!use_colour(Colour::Auto, true, true));
        assert!(!use_colour(Colour::Auto, false, false));
        assert!(use_colour(Colour::Always, false, true));
        assert!(!use_colour(Colour::Never, true, false));
    }
}
