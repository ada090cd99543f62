//! `cargo redcap serve`: the REDCap emulator (`redcap-emulator`) with the
//! same options as its own binary, `--faults FILE` included (its format is
//! in the long help, `cargo redcap serve --help`).

use std::io::Write;
use std::process::ExitCode;

use crate::Error;

/// Options of `cargo redcap serve`.
pub type ServeArgs = redcap_emulator::cli::ServeArgs;

/// Serves until the process is stopped; prints one JSON line with the URL,
/// the super token and each project's token first.
pub fn run(args: &ServeArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(redcap_emulator::cli::serve(args, out))
        .map_err(|e| Error::Usage(e.to_string()))?;
    Ok(ExitCode::SUCCESS)
}
