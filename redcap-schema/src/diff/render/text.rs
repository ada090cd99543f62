//! Text for a terminal, grouped by impact, coloured on request.

use std::fmt::Write;

use super::super::model::{Impact, SchemaDiff};
use super::{describe, heading, one_line, summary, target};

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";

fn colour(impact: Impact) -> &'static str {
    match impact {
        Impact::Breaking => "\x1b[1;31m",
        Impact::Compatible => "\x1b[1;32m",
        Impact::Cosmetic => "\x1b[1;34m",
    }
}

/// The diff as text: a summary line, then the changes grouped by impact
/// (breaking first), each with its reason. `colour` adds ANSI colours; the
/// caller decides (a terminal, and `NO_COLOR` unset).
pub fn to_text(diff: &SchemaDiff, colour_on: bool) -> String {
    let paint = |style: &str, text: &str| {
        if colour_on {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    };
    if diff.is_empty() {
        return "No changes.\n".to_owned();
    }
    let mut out = format!("Schema diff: {}\n", summary(diff));
    for impact in Impact::ALL {
        let changes: Vec<_> = diff.with_impact(impact).collect();
        if changes.is_empty() {
            continue;
        }
        let title = format!("{} ({})", heading(impact), changes.len());
        let _ = write!(out, "\n{}\n", paint(colour(impact), &title));
        for change in changes {
            let _ = writeln!(
                out,
                "  {}: {}",
                target(&change.target, quote),
                describe(change, quote)
            );
            let _ = writeln!(out, "    {}", paint(DIM, &one_line(&change.reason)));
        }
    }
    out
}

fn quote(text: &str) -> String {
    format!("`{text}`")
}
