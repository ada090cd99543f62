//! `redcap-api-spec`: prints the REDCap API spec.
//!
//! `--json` prints every method as a JSON array; without flags, one line per method.

use std::process::ExitCode;

fn main() -> ExitCode {
    let spec = match redcap_api_spec::load() {
        Ok(spec) => spec,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["--json"] => {
            let methods: Vec<serde_json::Value> = spec.methods().map(method_json).collect();
            match serde_json::to_string_pretty(&methods) {
                Ok(json) => println!("{json}"),
                Err(error) => {
                    eprintln!("error: {error}");
                    return ExitCode::FAILURE;
                }
            }
        }
        ["--schema"] => print!("{}", redcap_api_spec::json_schema()),
        [] => {
            for method in spec.methods() {
                let action = method.action.as_deref().unwrap_or("-");
                println!(
                    "{:<40} content={:<22} action={action}",
                    method.name, method.content
                );
            }
        }
        _ => {
            eprintln!("usage: redcap-api-spec [--json | --schema]");
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// A method as JSON, with its parameters under `params` (the TOML files call each one
/// `param`, which reads well there as `[[method.param]]`).
fn method_json(method: &redcap_api_spec::Method) -> serde_json::Value {
    let mut value = serde_json::to_value(method).expect("a method always serialises");
    if let Some(object) = value.as_object_mut()
        && let Some(params) = object.remove("param")
    {
        object.insert("params".to_string(), params);
    }
    value
}
