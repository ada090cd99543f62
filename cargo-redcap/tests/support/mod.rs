//! Runs `cargo redcap` in-process, as the binary would, capturing its output.

use std::process::ExitCode;

use cargo_redcap::{Cli, run};
use clap::Parser;

/// `cargo redcap ARGS…`: the exit code, stdout and stderr.
pub(crate) fn cargo_redcap(args: &[&str]) -> (ExitCode, String, String) {
    let Cli::Redcap(parsed) = Cli::try_parse_from(["cargo", "redcap"].iter().chain(args)).unwrap();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run(parsed, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}
