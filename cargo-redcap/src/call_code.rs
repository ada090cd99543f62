//! `cargo redcap call --show-code`: the same call as typed-client Rust and as curl. The
//! token never appears: Rust reads it from the environment, curl from `$REDCAP_API_TOKEN`.

use std::io::Write;
use std::path::Path;

use redcap_api_spec::{ListItem, Method, Param, ParamRole, ParamType, Spec};

/// One parameter as the user gave it, already checked against the spec.
pub(crate) struct Given<'a> {
    pub(crate) param: &'a Param,
    /// The value; a list's items one by one.
    pub(crate) values: &'a [String],
    /// The file a `data=@file` payload was read from, or `file=@file` uploads.
    pub(crate) file: Option<&'a Path>,
}

/// The typed-client builder chain for the call.
pub(crate) fn write_rust(
    out: &mut dyn Write,
    spec: &Spec,
    method: &Method,
    given: &[Given<'_>],
) -> std::io::Result<()> {
    writeln!(
        out,
        "// Rust, with redcap-client (URL and token from REDCAP_API_URL and REDCAP_API_TOKEN):"
    )?;
    let payload_format = given
        .iter()
        .find(|g| g.param.role == Some(ParamRole::PayloadFormat))
        .map(|g| g.values[0].as_str())
        .or_else(|| {
            method
                .param_with_role(ParamRole::PayloadFormat)
                .and_then(|p| p.default.as_deref())
        })
        .unwrap_or("json");
    if let Some(data) = given.iter().find(|g| g.param.ty == ParamType::Data) {
        match data.file {
            Some(path) => writeln!(
                out,
                "let data = std::fs::read_to_string({:?})?;",
                path.display().to_string()
            )?,
            None => writeln!(out, "let data = {:?};", data.values[0])?,
        }
    }
    if let Some(upload) = given.iter().find(|g| g.param.ty == ParamType::File) {
        let path = upload
            .file
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let name = upload
            .file
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        writeln!(
            out,
            "let file = redcap_client::FileUpload::new({name:?}, std::fs::read({path:?})?);"
        )?;
    }
    writeln!(out, "let client = redcap_client::Client::from_env()?;")?;
    writeln!(out, "let response = client")?;
    writeln!(out, "    .{}()", method.name)?;
    let mut send = "send()".to_string();
    for g in given {
        let setter = g.param.rust_name();
        let value = &g.values;
        let argument = match (g.param.role, g.param.ty) {
            (Some(ParamRole::ResponseFormat), _) => {
                send = format!("send_raw({})", enum_value(spec, g.param, &value[0]));
                continue;
            }
            // The client sets the error format, and a payload states its own format.
            (Some(ParamRole::ErrorFormat | ParamRole::PayloadFormat), _) => continue,
            (_, ParamType::Data) => {
                let constructor = match payload_format {
                    "csv" => "csv",
                    "xml" => "xml",
                    _ => "json_text",
                };
                format!("redcap_client::Payload::{constructor}(data)")
            }
            (_, ParamType::File) => "file".to_string(),
            (_, ParamType::Enum) => enum_value(spec, g.param, &value[0]),
            (_, ParamType::List) if g.param.item == Some(ListItem::Int) => {
                format!("[{}]", value.join(", "))
            }
            (_, ParamType::List) => format!(
                "[{}]",
                value
                    .iter()
                    .map(|v| format!("{v:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            (_, ParamType::Bool) => matches!(value[0].as_str(), "true" | "1").to_string(),
            (_, ParamType::Int) => value[0].clone(),
            (_, ParamType::Datetime) => datetime(&value[0], "%Y-%m-%d %H:%M:%S"),
            (_, ParamType::DatetimeMinutes) => datetime(&value[0], "%Y-%m-%d %H:%M"),
            _ => format!("{:?}", value[0]),
        };
        writeln!(out, "    .{setter}({argument})")?;
    }
    writeln!(out, "    .{send}\n    .await?;")
}

fn enum_value(spec: &Spec, param: &Param, wire: &str) -> String {
    let name = param.enum_name.as_deref().unwrap_or_default();
    let variant = spec
        .enum_def(name)
        .and_then(|def| def.values.iter().find(|v| v.wire == wire))
        .map_or(wire, |v| v.rust_name.as_str());
    format!("redcap_client::params::{name}::{variant}")
}

fn datetime(text: &str, format: &str) -> String {
    format!("chrono::NaiveDateTime::parse_from_str({text:?}, {format:?})?")
}

/// The curl command sending the same form fields; with a file to upload, as a multipart
/// form, the way the client sends it.
pub(crate) fn write_curl(
    out: &mut dyn Write,
    method: &Method,
    fields: &[(String, String)],
    files: &[(&str, &Path)],
) -> std::io::Result<()> {
    let upload = files.iter().find(|(name, _)| *name == "file");
    let (flag, token) = match upload {
        Some(_) => ("-F", "-F \"token=$REDCAP_API_TOKEN\""),
        None => (
            "--data-urlencode",
            "--data-urlencode \"token=$REDCAP_API_TOKEN\"",
        ),
    };
    writeln!(out, "# curl (URL and token from the environment):")?;
    writeln!(out, "curl -X POST \"$REDCAP_API_URL\" \\")?;
    writeln!(out, "    {token} \\")?;
    let mut lines = vec![format!("content={}", method.content)];
    if let Some(action) = &method.action {
        lines.push(format!("action={action}"));
    }
    let data_file = files.iter().find(|(name, _)| *name == "data");
    for (name, value) in fields {
        match data_file {
            Some((_, path)) if name == "data" => lines.push(match upload {
                Some(_) => format!("data=<{}", path.display()),
                None => format!("data@{}", path.display()),
            }),
            _ => lines.push(format!("{name}={value}")),
        }
    }
    if let Some((_, path)) = upload {
        lines.push(format!("file=@{}", path.display()));
    }
    let last = lines.len() - 1;
    for (i, line) in lines.iter().enumerate() {
        let end = if i == last { "" } else { " \\" };
        writeln!(out, "    {flag} {}{end}", shell_quote(line))?;
    }
    Ok(())
}

/// Single-quotes a word for POSIX shells.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}
