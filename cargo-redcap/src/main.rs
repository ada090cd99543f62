//! `cargo redcap`: see the library for the subcommands.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cargo_redcap::Cli::Redcap(args) = cargo_redcap::Cli::parse();
    cargo_redcap::run(
        args,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    )
}
