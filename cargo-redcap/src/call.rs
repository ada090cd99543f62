//! `cargo redcap call`: any method of the API spec by name, like REDCap's API Playground.
//! Parameters are checked against the spec before anything is sent, and `--show-code`
//! turns the same call into typed-client Rust and curl.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use redcap_api_spec::{BoolEncoding, ListItem, Method, Param, ParamRole, ParamType, Spec};

use crate::Error;
use crate::suggest::nearest;

/// Arguments of `cargo redcap call`.
#[derive(Debug, clap::Args)]
pub struct CallArgs {
    /// The method, e.g. `export_records` (`--list` shows them all).
    #[arg(value_name = "METHOD", required_unless_present = "list")]
    pub method: Option<String>,
    /// Parameters by wire name: `format=csv`, lists comma-separated (`records=1,2`, sent
    /// as `records[0]=1&records[1]=2`; a list may also be given again, `records=1
    /// records=2`, and `\,` is a comma inside an item), `data=@file.csv` to read a
    /// payload from a file, `file=@scan.pdf` to upload a file.
    /// `format` and `returnFormat` default to `json`.
    #[arg(value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// List the methods, one line each.
    #[arg(long, conflicts_with_all = ["method", "show_code"])]
    pub list: bool,
    /// Print the equivalent typed-client Rust and curl command instead of sending.
    #[arg(long)]
    pub show_code: bool,
    /// Where to send the call.
    #[command(flatten)]
    pub live: crate::live::LiveArgs,
}

/// One checked parameter, ready to send.
struct Checked<'s> {
    param: &'s Param,
    /// The value as given (lists split).
    values: Vec<String>,
    /// `data=@file` or `file=@file`: the file the value came from.
    file: Option<PathBuf>,
}

impl Checked<'_> {
    /// The file to upload, for a `file=@path` parameter.
    fn upload(&self) -> Result<Option<redcap_client::FileUpload>, Error> {
        let (ParamType::File, Some(path)) = (self.param.ty, &self.file) else {
            return Ok(None);
        };
        let bytes = std::fs::read(path).map_err(|source| Error::File {
            path: path.clone(),
            source,
        })?;
        let name = path
            .file_name()
            .map_or_else(|| "upload".into(), |n| n.to_string_lossy().into_owned());
        Ok(Some(redcap_client::FileUpload::new(name, bytes)))
    }
}

/// Runs the subcommand.
pub fn run(args: &CallArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let spec = redcap_api_spec::load()
        .map_err(|e| Error::Usage(format!("the bundled API spec is invalid: {e}")))?;
    if args.list {
        list(&spec, out)?;
        return Ok(ExitCode::SUCCESS);
    }
    let name = args
        .method
        .as_deref()
        .ok_or_else(|| Error::Usage("name a method (or use --list)".into()))?;
    let method = find_method(&spec, name)?;
    let checked = check(&spec, method, &args.params)?;
    if args.show_code {
        crate::call_code::write_rust(out, &spec, method, &checked_view(&checked))?;
        writeln!(out)?;
        let files: Vec<(&str, &std::path::Path)> = checked
            .iter()
            .filter_map(|c| Some((c.param.name.as_str(), c.file.as_deref()?)))
            .collect();
        crate::call_code::write_curl(out, method, &wire_fields(method, &checked), &files)?;
        return Ok(ExitCode::SUCCESS);
    }
    let client = args.live.client()?;
    let fields = wire_fields(method, &checked);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let upload = checked
        .iter()
        .map(Checked::upload)
        .find_map(Result::transpose);
    let response = match upload.transpose()? {
        Some(file) => runtime.block_on(client.call_raw_with_file(&method.name, &fields, file))?,
        None => runtime.block_on(client.call_raw(&method.name, &fields))?,
    };
    let body = response.body();
    if let Some(message) = failure_text(body) {
        return Err(Error::Api(redcap_client::Error::Failure {
            method: redcap_client::method_info(&method.name).map_or("call", |m| m.name),
            message,
        }));
    }
    out.write_all(body)?;
    if !body.ends_with(b"\n") {
        writeln!(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// REDCap's failure answers sent with status 200: an `ERROR:` line or an HTML page (a
/// login or error page). Their text, shortened, or `None` for a real answer.
fn failure_text(body: &[u8]) -> Option<String> {
    let start = body.trim_ascii_start();
    let head = String::from_utf8_lossy(&start[..start.len().min(64)]).to_ascii_lowercase();
    if !(head.starts_with("error:")
        || head.starts_with("<!doctype html")
        || head.starts_with("<html"))
    {
        return None;
    }
    let text = String::from_utf8_lossy(start);
    let text = text.trim();
    Some(match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    })
}

fn list(spec: &Spec, out: &mut dyn Write) -> std::io::Result<()> {
    let width = spec.methods().map(|m| m.name.len()).max().unwrap_or(0);
    for method in spec.methods() {
        let note = if method.documented {
            ""
        } else {
            " (undocumented)"
        };
        writeln!(out, "{:width$}  {}{note}", method.name, method.title)?;
    }
    Ok(())
}

fn find_method<'s>(spec: &'s Spec, name: &str) -> Result<&'s Method, Error> {
    spec.method(name).ok_or_else(|| {
        let hint = nearest(name, spec.methods().map(|m| m.name.as_str()))
            .map(|best| format!("; did you mean `{best}`?"))
            .unwrap_or_default();
        Error::Usage(format!(
            "unknown method `{name}`{hint} (`cargo redcap call --list` shows them all)"
        ))
    })
}

/// Parses `name=value` arguments and checks each against the method's parameters.
fn check<'s>(
    spec: &'s Spec,
    method: &'s Method,
    args: &[String],
) -> Result<Vec<Checked<'s>>, Error> {
    let mut checked: Vec<Checked<'s>> = Vec::new();
    for arg in args {
        let Some((name, value)) = arg.split_once('=') else {
            return Err(Error::Usage(format!(
                "`{arg}` is not NAME=VALUE (e.g. `format=csv`)"
            )));
        };
        if matches!(name, "token" | "content" | "action") {
            return Err(Error::Usage(format!(
                "`{name}` is set by `cargo redcap call` itself{}",
                if name == "token" {
                    " (from --token or REDCAP_API_TOKEN)"
                } else {
                    ""
                }
            )));
        }
        let param = method.param(name).ok_or_else(|| {
            let hint = nearest(name, method.params.iter().map(|p| p.name.as_str()))
                .map(|best| format!("; did you mean `{best}`?"))
                .unwrap_or_default();
            let all: Vec<&str> = method.params.iter().map(|p| p.name.as_str()).collect();
            Error::Usage(format!(
                "`{}` has no parameter `{name}`{hint} (its parameters: {})",
                method.name,
                if all.is_empty() {
                    "none".to_string()
                } else {
                    all.join(", ")
                }
            ))
        })?;
        let value = check_value(spec, method, param, value)?;
        match checked.iter_mut().find(|c| c.param.name == param.name) {
            // A list may be given in several parts: `records=a,b records=c`.
            Some(earlier) if param.ty == ParamType::List => earlier.values.extend(value.values),
            Some(_) => return Err(Error::Usage(format!("`{name}` is given twice"))),
            None => checked.push(value),
        }
    }
    let missing: Vec<&str> = method
        .params
        .iter()
        .filter(|p| p.required && p.role.is_none())
        .filter(|p| !checked.iter().any(|c| c.param.name == p.name))
        .map(|p| p.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "`{}` needs {}",
            method.name,
            missing
                .iter()
                .map(|name| format!("{name}=…"))
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    Ok(checked)
}

fn check_value<'s>(
    spec: &'s Spec,
    method: &Method,
    param: &'s Param,
    value: &str,
) -> Result<Checked<'s>, Error> {
    let bad = |expected: &str| {
        Error::Usage(format!(
            "`{}` of `{}` must be {expected}, not `{value}`",
            param.name, method.name
        ))
    };
    let mut file = None;
    let values = match param.ty {
        ParamType::List => {
            let items = crate::export::split_list(value);
            if param.item == Some(ListItem::Int) && items.iter().any(|i| i.parse::<u64>().is_err())
            {
                return Err(bad("comma-separated whole numbers"));
            }
            items
        }
        ParamType::Int if value.parse::<u64>().is_err() => return Err(bad("a whole number")),
        ParamType::Bool if !matches!(value, "true" | "false" | "1" | "0") => {
            return Err(bad("true or false"));
        }
        ParamType::Enum => {
            let wires = enum_wires(spec, param);
            if !wires.contains(&value) {
                return Err(bad(&format!("one of {}", wires.join(", "))));
            }
            vec![value.to_string()]
        }
        ParamType::File => match value.strip_prefix('@') {
            Some(path) => {
                file = Some(PathBuf::from(path));
                vec![path.to_string()]
            }
            None => return Err(bad("`@` and the path of the file to upload")),
        },
        ParamType::Data => match value.strip_prefix('@') {
            Some(path) => {
                let path = PathBuf::from(path);
                let text = std::fs::read_to_string(&path).map_err(|source| Error::File {
                    path: path.clone(),
                    source,
                })?;
                file = Some(path);
                vec![text]
            }
            None => vec![value.to_string()],
        },
        _ => vec![value.to_string()],
    };
    Ok(Checked {
        param,
        values,
        file,
    })
}

/// The wire values of an enum parameter, from the spec's enum definitions.
fn enum_wires<'s>(spec: &'s Spec, param: &Param) -> Vec<&'s str> {
    param
        .enum_name
        .as_deref()
        .and_then(|name| spec.enum_def(name))
        .map(|def| def.values.iter().map(|v| v.wire.as_str()).collect())
        .unwrap_or_default()
}

/// The form fields to send, without the token, `content` and `action` (the client adds
/// them): lists as PHP arrays, flags in the method's encoding, and `json` for the
/// response and error formats unless given.
fn wire_fields(method: &Method, checked: &[Checked<'_>]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for c in checked {
        match c.param.ty {
            // Sent as a multipart part, not a form field.
            ParamType::File => {}
            ParamType::List => {
                for (i, item) in c.values.iter().enumerate() {
                    fields.push((format!("{}[{i}]", c.param.name), item.clone()));
                }
            }
            ParamType::Bool => {
                let on = matches!(c.values[0].as_str(), "true" | "1");
                match c.param.bool_encoding.unwrap_or_default() {
                    BoolEncoding::TrueFalse => fields.push((c.param.name.clone(), on.to_string())),
                    BoolEncoding::ZeroOne => {
                        fields.push((c.param.name.clone(), u8::from(on).to_string()));
                    }
                    BoolEncoding::Presence if on => {
                        fields.push((c.param.name.clone(), "true".into()));
                    }
                    BoolEncoding::Presence => {}
                }
            }
            _ => fields.push((c.param.name.clone(), c.values.join(","))),
        }
    }
    for role in [ParamRole::ResponseFormat, ParamRole::ErrorFormat] {
        if let Some(param) = method.param_with_role(role)
            && !checked.iter().any(|c| c.param.name == param.name)
        {
            fields.push((param.name.clone(), "json".into()));
        }
    }
    fields
}

/// What `--show-code` needs to know of each checked parameter.
fn checked_view<'a>(checked: &'a [Checked<'a>]) -> Vec<crate::call_code::Given<'a>> {
    checked
        .iter()
        .map(|c| crate::call_code::Given {
            param: c.param,
            values: &c.values,
            file: c.file.as_deref(),
        })
        .collect()
}
