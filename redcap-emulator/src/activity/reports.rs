//! `content=report`: a report's rows through the record export, shaped by
//! the report (fields in report order, its filter logic, events, DAGs,
//! sort and output options), with the caller's export rights and DAG.

use std::collections::HashSet;

use crate::activity::setup;
use crate::context::Ctx;
use crate::layout::Layout;
use crate::params::Params;
use crate::records::export::{View, export_view};
use crate::reply::{ApiError, Reply};
use crate::rights::NO_ACCESS_EXPORT;

/// The export options a report request passes on to the record export.
const PASSED_ON: &[&str] = &[
    "token",
    "format",
    "returnFormat",
    "rawOrLabel",
    "rawOrLabelHeaders",
    "exportCheckboxLabel",
    "csvDelimiter",
    "decimalCharacter",
];

/// Exports a report.
pub(crate) fn export(ctx: &Ctx<'_>) -> Result<Reply, ApiError> {
    if ctx.user.rights.no_export_access() {
        return Err(ApiError::forbidden(NO_ACCESS_EXPORT));
    }
    let id_text = ctx.params.get("report_id").unwrap_or_default();
    let not_ours = || {
        ApiError::forbidden(format!(
            "The API request cannot complete because report_id={id_text} does not belong to this project."
        ))
    };
    let id: i64 = id_text.trim().parse().map_err(|_| not_ours())?;
    let report = match setup::report(ctx.conn, id)? {
        Some((project_id, report)) if project_id == ctx.project.id => report,
        _ => return Err(not_ours()),
    };
    let layout = Layout::new(&ctx.project.schema);
    // Fields deleted from the project since the report was made are
    // dropped, as REDCap does.
    let fields: Vec<String> = report
        .fields
        .iter()
        .filter(|f| layout.form_of(f).is_some())
        .cloned()
        .collect();
    let mut pairs: Vec<(String, String)> = PASSED_ON
        .iter()
        .filter_map(|k| ctx.params.get(k).map(|v| ((*k).to_owned(), v.to_owned())))
        .collect();
    let flag = |b: bool| if b { "true" } else { "false" }.to_owned();
    pairs.extend([
        ("type".to_owned(), "flat".to_owned()),
        ("fields".to_owned(), fields.join(",")),
        ("filterLogic".to_owned(), report.filter_logic.clone()),
        ("events".to_owned(), report.filter_events.join(",")),
        (
            "exportDataAccessGroups".to_owned(),
            flag(report.output_dags),
        ),
        (
            "exportSurveyFields".to_owned(),
            flag(report.output_survey_fields),
        ),
        (
            "combineCheckboxOptions".to_owned(),
            flag(report.combine_checkbox_values),
        ),
    ]);
    let params = Params::from_pairs(pairs);
    let records = if report.filter_dags.is_empty() {
        None
    } else {
        let dags: HashSet<&String> = report.filter_dags.iter().collect();
        Some(
            crate::activity::record_groups(ctx.conn, ctx.project.id)?
                .into_iter()
                .filter(|(_, group)| dags.contains(group))
                .map(|(record, _)| record)
                .collect(),
        )
    };
    let view = View {
        order: fields,
        sort: report
            .order_by
            .iter()
            .map(|(f, s)| (f.clone(), s.eq_ignore_ascii_case("DESC")))
            .collect(),
        records,
        record_level: report.filter_type.eq_ignore_ascii_case("RECORD"),
    };
    let sub = Ctx {
        conn: ctx.conn,
        params: &params,
        project: ctx.project.clone(),
        user: ctx.user.clone(),
        format: ctx.format,
        return_format: ctx.return_format,
    };
    export_view(&sub, Some(&view))
}
