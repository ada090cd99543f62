//! `content=record&action=randomize`: allocation from a configured table,
//! as REDCap's `API/record/randomize.php` does it: the checks in its order,
//! most failures as plain text with status 200, the allocated value written
//! to the target field, and the record's row of the table used up.

use indexmap::IndexMap;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::activity::journal;
use crate::context::Ctx;
use crate::format::{Format, cell_text, csv_line, php_json};
use crate::layout::Layout;
use crate::records::data::GROUP_FIELD;
use crate::reply::{ApiError, Reply};
use crate::store;

/// The index gate's message for a user without the Randomize right.
pub(crate) const NO_RANDOMIZE: &str = "You do not have Randomize privileges";

/// The tables.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS randomizations (
    project_id INTEGER NOT NULL,
    randomization_id INTEGER NOT NULL,
    definition_json TEXT NOT NULL,
    PRIMARY KEY (project_id, randomization_id)
);
CREATE TABLE IF NOT EXISTS randomization_allocations (
    project_id INTEGER NOT NULL,
    randomization_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (project_id, randomization_id, position)
);
";

/// A stratification field, read in an event (the target event when none
/// is given). `redcap_data_access_group` stratifies by the record's DAG.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Stratum {
    /// The field.
    pub field: String,
    /// Its unique event name (longitudinal projects).
    pub event: Option<String>,
}

/// One row of an allocation table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Allocation {
    /// The value the target field gets.
    pub target: String,
    /// The alternative value (`target_field_alt`, e.g. a randomisation
    /// number for open allocation).
    pub alt: String,
    /// The strata this row is for: field (or `redcap_data_access_group`
    /// with a unique DAG name) to value.
    pub strata: IndexMap<String, String>,
}

/// A randomisation: its id, target, strata and allocation table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Randomization {
    /// The id clients pass as `randomization_id`.
    pub randomization_id: i64,
    /// The field that receives the allocation.
    pub target_field: String,
    /// The event of the target field (the first event when absent).
    pub target_event: Option<String>,
    /// Stratification fields.
    pub strata: Vec<Stratum>,
    /// Blinded (concealed) allocation: `target_field_alt` is `*`.
    pub blinded: bool,
    /// The allocation table, used in order.
    pub allocations: Vec<Allocation>,
}

/// Adds (or replaces) a project's randomisation; allocations already made
/// are kept.
pub(crate) fn put(conn: &Connection, project_id: i64, r: &Randomization) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO randomizations (project_id, randomization_id, definition_json) VALUES (?1, ?2, ?3)
         ON CONFLICT (project_id, randomization_id) DO UPDATE SET definition_json = excluded.definition_json",
        params![
            project_id,
            r.randomization_id,
            serde_json::to_string(r).unwrap_or_else(|_| "{}".into())
        ],
    )?;
    Ok(())
}

fn get(conn: &Connection, project_id: i64, id: i64) -> rusqlite::Result<Option<Randomization>> {
    conn.query_row(
        "SELECT definition_json FROM randomizations WHERE project_id = ?1 AND randomization_id = ?2",
        params![project_id, id],
        |r| r.get::<_, String>(0),
    )
    .optional()
    .map(|json| json.and_then(|j| serde_json::from_str(&j).ok()))
}

/// A failure REDCap reports as plain text with status 200.
fn refused(ctx: &Ctx<'_>, message: &str) -> Reply {
    Reply::plain(ctx.format, message)
}

/// Randomises a record.
pub(crate) fn randomize(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    if !ctx.user.rights.random_perform {
        return Err(ApiError::forbidden(
            "Cannot randomize. You do not have the Randomize permission.",
        ));
    }
    let p = ctx.params;
    let record = p.get("record").unwrap_or_default().to_owned();
    let return_alt = p.get("returnAlt").is_some_and(|v| v == "true" || v == "1");
    let setup = match p
        .get("randomization_id")
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        Some(id) => get(ctx.conn, ctx.project.id, id)?,
        None => None,
    };
    let Some(setup) = setup else {
        return Ok(refused(ctx, "Invalid data supplied"));
    };
    let layout = Layout::new(&ctx.project.schema);
    let Some(target_event) = (match &setup.target_event {
        Some(e) => layout.event(e),
        None => layout.events.first(),
    }) else {
        return Err(ApiError::bad("Cannot randomize. An error occurred."));
    };
    let values = store::values(
        ctx.conn,
        ctx.project.id,
        Some(std::slice::from_ref(&record)),
    )?;
    let in_arm = values.iter().any(|v| {
        layout
            .event(&v.event)
            .is_some_and(|e| e.arm == target_event.arm)
    });
    if record.is_empty() || !in_arm {
        return Ok(refused(ctx, "Cannot randomize. Record does not exist."));
    }
    let used: Vec<(i64, String)> = {
        let mut stmt = ctx.conn.prepare(
            "SELECT position, record FROM randomization_allocations WHERE project_id = ?1 AND randomization_id = ?2",
        )?;
        let rows = stmt.query_map(params![ctx.project.id, setup.randomization_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    if used.iter().any(|(_, r)| *r == record) {
        return Ok(refused(
            ctx,
            "Cannot randomize. Randomization already completed for record.",
        ));
    }
    // The record's strata, in the order configured.
    let mut strata: IndexMap<String, String> = IndexMap::new();
    let mut missing: Vec<String> = Vec::new();
    for stratum in &setup.strata {
        let value = if stratum.field == "redcap_data_access_group" {
            values
                .iter()
                .find(|v| v.field == GROUP_FIELD)
                .map(|v| v.value.clone())
        } else {
            let event = stratum
                .event
                .clone()
                .unwrap_or_else(|| target_event.unique_name.clone());
            values
                .iter()
                .find(|v| v.field == stratum.field && v.event == event && v.instance == 1)
                .map(|v| v.value.clone())
        };
        match value.filter(|v| !v.is_empty()) {
            Some(v) => {
                strata.insert(stratum.field.clone(), v);
            }
            None => missing.push(stratum.field.clone()),
        }
    }
    if !missing.is_empty() {
        if missing.iter().any(|m| m == "redcap_data_access_group") {
            return Ok(refused(
                ctx,
                "Cannot randomize. Record not assigned to a DAG",
            ));
        }
        return Ok(refused(
            ctx,
            &format!(
                "Cannot randomize. Missing stratification data for fields: {}",
                missing.join(",")
            ),
        ));
    }
    let free = setup.allocations.iter().enumerate().find(|(i, a)| {
        !used.iter().any(|(pos, _)| *pos == *i as i64)
            && strata.iter().all(|(f, v)| a.strata.get(f) == Some(v))
    });
    let Some((position, allocation)) = free else {
        return Ok(refused(ctx, "Cannot randomize. No allocations available."));
    };
    ctx.conn.execute(
        "INSERT INTO randomization_allocations (project_id, randomization_id, position, record) VALUES (?1, ?2, ?3, ?4)",
        params![ctx.project.id, setup.randomization_id, position as i64, record],
    )?;
    store::set_value(
        ctx.conn,
        ctx.project.id,
        &store::Value {
            event: target_event.unique_name.clone(),
            record: record.clone(),
            field: setup.target_field.clone(),
            instance: 1,
            value: allocation.target.clone(),
        },
    )?;
    journal::write(
        ctx,
        &journal::Entry {
            event: "MANAGE",
            object_type: "redcap_data",
            pk: &record,
            event_name: "",
            data_values: format!(
                "{} = '{record}'\nrandomization_id = {}",
                layout.id_field(),
                setup.randomization_id
            ),
            description: "Randomize record (API)",
        },
    )?;
    let mut result: IndexMap<String, Value> = IndexMap::new();
    result.insert(
        "randomization_id".into(),
        Value::from(setup.randomization_id),
    );
    result.insert("record".into(), Value::String(record));
    result.insert(
        "target_field".into(),
        Value::String(allocation.target.clone()),
    );
    result.insert(
        "target_field_name".into(),
        Value::String(setup.target_field.clone()),
    );
    if return_alt {
        let alt = if setup.blinded {
            "*".to_owned()
        } else {
            allocation.alt.clone()
        };
        result.insert("target_field_alt".into(), Value::String(alt));
    }
    Ok(Reply::new(ctx.format, serialise(ctx.format, &result)))
}

/// The handler's own json, xml (`<items>`) and csv (header and one line).
fn serialise(format: Format, result: &IndexMap<String, Value>) -> String {
    match format {
        Format::Json => php_json(&Value::Object(result.clone().into_iter().collect())),
        Format::Csv => {
            let mut out = String::new();
            csv_line(result.keys().map(String::as_str), ',', &mut out);
            let cells: Vec<String> = result.values().map(cell_text).collect();
            csv_line(cells.iter().map(String::as_str), ',', &mut out);
            out
        }
        // REDCap emits nothing for odm; xml is the fallback.
        Format::Xml | Format::Odm => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<items>\n");
            for (key, value) in result {
                let text = cell_text(value);
                if text.is_empty() {
                    out.push_str(&format!("<{key}></{key}>"));
                } else {
                    out.push_str(&format!("<{key}><![CDATA[{text}]]></{key}>"));
                }
            }
            out.push_str("\n</items>\n");
            out
        }
    }
}
