//! The declarative spec of every REDCap API method and parameter.
//!
//! The spec is data: one TOML file per method family under `spec/`, plus `spec/enums.toml`
//! for enumerations shared between families. This crate holds its serde model
//! ([`model`]), [`load`] (the files embedded at compile time) and [`load_dir`], and
//! [`validate`]. It is the single source of truth for the generated client, the emulator's
//! parameter handling, the CLI and the docs.
//!
//! ```
//! let spec = redcap_api_spec::load().expect("the embedded spec is valid");
//! let export = spec.method("export_records").unwrap();
//! assert_eq!(export.content, "record");
//! ```

pub mod model;
mod validate;

use std::path::{Path, PathBuf};

pub use model::*;
pub use validate::{Problem, validate};

/// The spec files, embedded so that `load()` needs no file system at run time.
/// Order here is the order of families in the spec (REDCap's help page order).
const FILES: &[(&str, &str)] = &[
    ("enums", include_str!("../spec/enums.toml")),
    ("records", include_str!("../spec/records.toml")),
    ("metadata", include_str!("../spec/metadata.toml")),
    ("instruments", include_str!("../spec/instruments.toml")),
    ("repeating", include_str!("../spec/repeating.toml")),
    ("events", include_str!("../spec/events.toml")),
    ("arms", include_str!("../spec/arms.toml")),
    ("dags", include_str!("../spec/dags.toml")),
    ("users", include_str!("../spec/users.toml")),
    ("user_roles", include_str!("../spec/user_roles.toml")),
    ("projects", include_str!("../spec/projects.toml")),
    ("files", include_str!("../spec/files.toml")),
    (
        "file_repository",
        include_str!("../spec/file_repository.toml"),
    ),
    ("reports", include_str!("../spec/reports.toml")),
    ("logging", include_str!("../spec/logging.toml")),
    ("surveys", include_str!("../spec/surveys.toml")),
    ("redcap", include_str!("../spec/redcap.toml")),
    ("undocumented", include_str!("../spec/undocumented.toml")),
];

/// Why the spec could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// A spec file could not be read.
    #[error("cannot read spec file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: std::io::Error,
    },
    /// A spec file is not valid TOML of the spec's shape.
    #[error("spec file {file}.toml is malformed: {message}")]
    Parse {
        /// File stem.
        file: String,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// The spec parsed but breaks a rule of [`validate`].
    #[error("the spec has {} problem(s):\n{}", .0.len(), render_problems(.0))]
    Invalid(Vec<Problem>),
}

fn render_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The spec shipped with this crate, parsed and validated.
pub fn load() -> Result<Spec, SpecError> {
    let files = FILES
        .iter()
        .map(|(stem, text)| (stem.to_string(), text.to_string()));
    assemble(files)
}

/// The spec from a directory laid out like this crate's `spec/` (same file stems).
pub fn load_dir(dir: &Path) -> Result<Spec, SpecError> {
    let mut files = Vec::new();
    for (stem, _) in FILES {
        let path = dir.join(format!("{stem}.toml"));
        let text =
            std::fs::read_to_string(&path).map_err(|source| SpecError::Read { path, source })?;
        files.push((stem.to_string(), text));
    }
    assemble(files.into_iter())
}

/// The names of the spec files, relative to the crate's `spec/` directory.
pub fn file_names() -> impl Iterator<Item = String> {
    FILES.iter().map(|(stem, _)| format!("{stem}.toml"))
}

fn assemble(files: impl Iterator<Item = (String, String)>) -> Result<Spec, SpecError> {
    let mut spec = Spec {
        families: Vec::new(),
        enums: Vec::new(),
    };
    for (stem, text) in files {
        let file: SpecFile = toml::from_str(&text).map_err(|error| SpecError::Parse {
            file: stem.clone(),
            message: error.to_string(),
        })?;
        spec.enums.extend(file.enums);
        if !file.methods.is_empty() {
            spec.families.push(Family {
                name: stem,
                title: file.title.unwrap_or_default(),
                doc: file.doc.unwrap_or_default(),
                methods: file.methods,
            });
        }
    }
    let problems = validate(&spec);
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(SpecError::Invalid(problems))
    }
}

/// The JSON Schema of a spec file, pretty-printed with a trailing newline.
///
/// A copy is committed as `spec/spec.schema.json` so editors can check the files;
/// a test keeps it current.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(SpecFile);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serialises");
    text.push('\n');
    text
}
