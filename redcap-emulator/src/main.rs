//! `redcap-emulator`: a local REDCap-compatible API server.

use clap::Parser;

/// A local REDCap-compatible API server (REDCap 15.7.6 behaviour).
#[derive(Debug, Parser)]
#[command(name = "redcap-emulator", version, about)]
struct Cli {
    #[command(flatten)]
    serve: redcap_emulator::cli::ServeArgs,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(redcap_emulator::cli::serve(
        &cli.serve,
        &mut std::io::stdout(),
    )) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
