//! `cargo redcap demo`: the whole toolkit on a bundled sample project, with no REDCap
//! server needed. The emulator serves the sample in-process; the schema is pulled over
//! the API as `cargo redcap pull` does, the typed crate is written as `cargo redcap gen
//! --crate` does, and the records come back through the typed client.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use redcap_client::Client;
use redcap_client::records::{Choice, DecodeMode};

use crate::Error;

/// The bundled sample (`sample/project.xml`, kept in this crate so that it is
/// packaged with it): PyCap's longitudinal test project (two arms, a repeating
/// instrument, checkboxes, choices, two records). `sample` below is expanded from the same
/// file, so the typed decode uses the types `gen` writes for it; a test checks the two stay
/// the same file.
pub const SAMPLE_XML: &[u8] = include_bytes!("../sample/project.xml");

/// The sample's record types, compiled in: generated code cannot be compiled at run time.
#[allow(missing_docs, unreachable_pub, dead_code)]
mod sample {
    redcap_client::project!("sample/project.xml");
}

/// The emulator's name for the sample project.
const PROJECT: &str = "demo";

/// How many records the tour shows.
const SHOWN_RECORDS: usize = 3;

/// Arguments of `cargo redcap demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where to write the generated crate (default: a new folder in the system's temp dir).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Runs the demo.
pub fn run(args: &DemoArgs, out: &mut dyn Write) -> Result<ExitCode, Error> {
    let dir = match &args.out {
        Some(dir) => dir.clone(),
        None => std::env::temp_dir().join(format!("redcap-demo-{}", std::process::id())),
    };
    let sample_path = dir.join("sample/project.xml");
    write_file(&sample_path, SAMPLE_XML)?;

    step(
        out,
        "starting a local REDCap (redcap-emulator) with the bundled sample project",
    )?;
    // The emulator gets its own runtime; the blocking steps below (the schema pull makes
    // its own runtime) call it over HTTP like any REDCap.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    let config = redcap_emulator::Config::default().project(PROJECT, &sample_path);
    let emulator = runtime
        .block_on(redcap_emulator::Emulator::start(config))
        .map_err(|e| Error::Usage(format!("cannot start the emulator: {e}")))?;
    let token = emulator
        .token(PROJECT)
        .ok_or_else(|| Error::Usage("the emulator did not create the demo project".into()))?;
    let client = Client::new(emulator.url(), token)?;
    writeln!(
        out,
        "    REDCap API at {} (token kept out of sight)",
        emulator.url()
    )?;

    step(
        out,
        "pulling the project's schema over the API (as `cargo redcap pull`)",
    )?;
    // The demo shows the flow; the sample's design warnings would only distract.
    let schema = crate::live::fetch_schema(&client, &mut std::io::sink())?;
    let fields: usize = schema.forms.iter().map(|form| form.fields.len()).sum();
    writeln!(
        out,
        "    {:?}: {} instruments, {fields} fields, {} arms, {} events",
        schema.project.title.as_deref().unwrap_or("(untitled)"),
        schema.forms.len(),
        schema.arms.len(),
        schema.events.len(),
    )?;

    step(
        out,
        "generating the typed crate (as `cargo redcap gen --crate`)",
    )?;
    let crate_dir = dir.join("redcap-demo-records");
    let files = crate::generate::crate_files(
        &schema,
        &crate_dir,
        "redcap-demo-records",
        &crate::crate_manifest::ClientSource::installed(),
    )?;
    for (path, text) in &files {
        write_file(path, text.as_bytes())?;
    }
    writeln!(out, "    wrote {}", crate_dir.display())?;
    let module = crate::generate::module(&schema);
    writeln!(out, "\n    One instrument, as a struct (excerpt):\n")?;
    write_excerpt(out, &module, "    pub struct ")?;
    writeln!(out, "\n    One choice field, as an enum (excerpt):\n")?;
    write_excerpt(out, &module, "    pub enum ")?;
    writeln!(
        out,
        "\n    One event, its repeating instrument as instances (excerpt):\n"
    )?;
    write_excerpt(out, &module, "    pub struct EnrollmentArm1 ")?;
    writeln!(out)?;

    step(out, "exporting the records through the typed client")?;
    let rows: Vec<sample::Row> = runtime.block_on(client.export_typed_with(DecodeMode::Strict))?;
    let row_count = rows.len();
    let mut rows_per_record = std::collections::HashMap::<String, usize>::new();
    for row in &rows {
        *rows_per_record
            .entry(row.key.record.as_str().to_string())
            .or_default() += 1;
    }
    let records = sample::Record::from_rows(rows)
        .map_err(|e| Error::Usage(format!("the exported rows do not group into records: {e}")))?;
    writeln!(
        out,
        "    {row_count} rows decoded into {} `Record`s; the first {}:\n",
        records.len(),
        SHOWN_RECORDS.min(records.len())
    )?;
    for record in records.iter().take(SHOWN_RECORDS) {
        let rows = rows_per_record
            .get(record.id.as_str())
            .copied()
            .unwrap_or(0);
        write_record(out, record, rows)?;
    }
    write_next_steps(out, &crate_dir)?;
    Ok(ExitCode::SUCCESS)
}

fn step(out: &mut dyn Write, what: &str) -> std::io::Result<()> {
    writeln!(out, "==> {what}…")?;
    out.flush()
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| Error::File {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, bytes).map_err(|source| Error::File {
        path: path.to_path_buf(),
        source,
    })
}

/// At most how many members of a struct or enum the excerpt shows.
const EXCERPT_ITEMS: usize = 7;

/// The first item of the generated module that starts with `prefix`, without its doc
/// comments and attributes, and cut to a few members.
fn write_excerpt(out: &mut dyn Write, module: &str, prefix: &str) -> std::io::Result<()> {
    let mut lines = module.lines().skip_while(|line| !line.starts_with(prefix));
    let Some(header) = lines.next() else {
        return Ok(());
    };
    writeln!(out, "        {}", header.trim())?;
    let mut members = Vec::new();
    let mut current = String::new();
    let mut attribute_depth = 0i32;
    for line in lines {
        let trimmed = line.trim();
        if trimmed == "}" {
            break;
        }
        if attribute_depth > 0 || trimmed.starts_with("#[") {
            attribute_depth += balance(trimmed, '[', ']');
            continue;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        current.push_str(trimmed);
        // A member's type may span lines; it ends at a comma outside any generics.
        if trimmed.ends_with(',') && balance(&current, '<', '>') == 0 {
            members.push(std::mem::take(&mut current));
        }
    }
    // One member of each type shows the most in a few lines.
    let mut types = Vec::new();
    for member in &members {
        let ty = kind(
            member
                .split_once(": ")
                .map_or(member.as_str(), |(_, ty)| ty),
        );
        if types.len() < EXCERPT_ITEMS && !types.contains(&ty) {
            types.push(ty);
            writeln!(out, "            {member}")?;
        }
    }
    if members.len() > types.len() {
        writeln!(out, "            // … {} more", members.len() - types.len())?;
    }
    writeln!(out, "        }}")
}

fn balance(text: &str, open: char, close: char) -> i32 {
    text.chars()
        .map(|c| match c {
            c if c == open => 1,
            c if c == close => -1,
            _ => 0,
        })
        .sum()
}

/// What a member's type shows a reader: choice enums and checkbox sets count as one kind
/// each, whatever the field.
fn kind(ty: &str) -> &str {
    const SCALARS: [&str; 13] = [
        "String",
        "Date",
        "Decimal",
        "bool",
        "i64",
        "Integer",
        "Time",
        "TimeSeconds",
        "MinutesSeconds",
        "DateTime",
        "DateTimeSeconds",
        "NaiveTime",
        "FormStatus",
    ];
    let ty = ty.trim_end_matches(',');
    let inner = ty
        .strip_prefix("Option<")
        .and_then(|t| t.strip_suffix('>'))
        .unwrap_or(ty);
    if inner.starts_with("Checkboxes<") {
        "checkboxes"
    } else if inner.contains(['<', ':']) || SCALARS.contains(&inner) || ty == inner {
        ty
    } else {
        "choice"
    }
}

/// A few typed values of a record, never all of it: sample data stands in for patient data.
fn write_record(out: &mut dyn Write, record: &sample::Record, rows: usize) -> std::io::Result<()> {
    let show = |out: &mut dyn Write, path: &str, ty: &str, value: String| {
        writeln!(out, "        {path:<52} {ty:<28} {value}")
    };
    let text = |value: Option<String>| value.unwrap_or_else(|| "(blank)".into());
    if let Some(enrolment) = &record.enrollment_arm_1 {
        writeln!(out, "    record {} (arm 1, {rows} rows)", record.id)?;
        show(
            out,
            "enrollment_arm_1.demographics.date_enrolled",
            "Option<Date>",
            text(
                enrolment
                    .demographics
                    .date_enrolled
                    .as_ref()
                    .map(|d| d.to_string()),
            ),
        )?;
        // `baseline_data` repeats in this event: one struct per instance.
        let instances: Vec<String> = enrolment
            .baseline_data
            .iter()
            .map(|i| {
                format!(
                    "#{} weight2={}",
                    i.instance,
                    text(i.data.weight2.as_ref().map(|w| w.to_string()))
                )
            })
            .collect();
        show(
            out,
            "enrollment_arm_1.baseline_data",
            "Vec<Instance<BaselineData>>",
            format!("[{}]", instances.join(", ")),
        )?;
        if let Some(visit) = &record.visit_1_arm_1 {
            show(
                out,
                "visit_1_arm_1.visit_lab_data.vld1",
                "Option<Decimal>",
                text(visit.visit_lab_data.vld1.as_ref().map(|d| d.to_string())),
            )?;
        }
        if let Some(dose) = &record.dose_1_arm_1 {
            show(
                out,
                "dose_1_arm_1.patient_morale_questionnaire.pmq3",
                "Option<Pmq3>",
                text(
                    dose.patient_morale_questionnaire
                        .pmq3
                        .as_ref()
                        .map(|c| c.label().to_string()),
                ),
            )?;
        }
    } else if let Some(enrolment) = &record.enrollment_arm_2 {
        writeln!(out, "    record {} (arm 2, {rows} rows)", record.id)?;
        show(
            out,
            "enrollment_arm_2.demographics.date_enrolled",
            "Option<Date>",
            text(
                enrolment
                    .demographics
                    .date_enrolled
                    .as_ref()
                    .map(|d| d.to_string()),
            ),
        )?;
        // The same instrument does not repeat in arm 2: one struct, no instances.
        show(
            out,
            "enrollment_arm_2.baseline_data.weight2",
            "Option<Integer>",
            text(
                enrolment
                    .baseline_data
                    .weight2
                    .as_ref()
                    .map(|w| w.to_string()),
            ),
        )?;
        if let Some(visit) = &record.first_visit_arm_2 {
            show(
                out,
                "first_visit_arm_2.visit_lab_data.vld1",
                "Option<Decimal>",
                text(visit.visit_lab_data.vld1.as_ref().map(|d| d.to_string())),
            )?;
        }
        if let Some(dose) = &record.first_dose_arm_2 {
            show(
                out,
                "first_dose_arm_2.patient_morale_questionnaire.pmq3",
                "Option<Pmq3>",
                text(
                    dose.patient_morale_questionnaire
                        .pmq3
                        .as_ref()
                        .map(|c| c.label().to_string()),
                ),
            )?;
        }
    } else {
        writeln!(out, "    record {} ({rows} rows, not enrolled)", record.id)?;
    }
    Ok(())
}

fn write_next_steps(out: &mut dyn Write, crate_dir: &Path) -> std::io::Result<()> {
    writeln!(
        out,
        "\nThat was all local. The generated crate is in {} (src/lib.rs, redcap/schema.json).\n\
         \n\
         The same against your REDCap (HTTPS; the token stays in the environment):\n\
         \n\
         \x20   export REDCAP_API_URL=https://redcap.example.org/api/\n\
         \x20   export REDCAP_API_TOKEN=…                    # the project's API token\n\
         \x20   cargo redcap call export_version              # check the connection\n\
         \x20   cargo redcap pull                             # writes redcap/schema.json\n\
         \x20   cargo redcap gen redcap/schema.json --out src/records.rs\n\
         \n\
         then `client.export_typed::<records::Row>()` as above, and `cargo redcap diff` in CI\n\
         to catch design changes that break the code.",
        crate_dir.display()
    )
}
