//! Behaviour REDCap 15.7.6 has in record export, record import and
//! logging that is easy to miss: the group column of an export without
//! the record-ID field, `survey_403` on import, and the log rows of user,
//! role and group changes.

mod support;

use support::{SIMPLE, post, start};

/// A call with a project's token; status and body.
async fn call(
    emu: &redcap_emulator::Emulator,
    project: &str,
    content: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let token = emu.token(project).unwrap().to_owned();
    let mut form = vec![("token", token.as_str()), ("content", content)];
    form.extend_from_slice(extra);
    let (status, _, body) = post(emu.url(), &form).await;
    (status, body)
}

#[tokio::test]
async fn group_column_follows_the_first_plain_field_without_the_record_id() {
    // Simple project: records 1-3 in dag_1, 4 in none, 5 in dag_2.
    let emu = start(&[("simple", SIMPLE)]).await;
    let (status, csv) = call(
        &emu,
        "simple",
        "record",
        &[
            ("format", "csv"),
            ("exportDataAccessGroups", "true"),
            ("fields", "sex,name_first"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{csv}");
    let header = csv.lines().next().unwrap();
    assert_eq!(header, "name_first,redcap_data_access_group,sex");
    let groups: Vec<&str> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(groups, ["dag_1", "dag_1", "dag_1", "", "dag_2"]);
    // Checkboxes and form status fields do not take it: it goes after the
    // first other field.
    let (status, csv) = call(
        &emu,
        "simple",
        "record",
        &[
            ("format", "csv"),
            ("exportDataAccessGroups", "true"),
            ("fields", "race,race_and_ethnicity_complete,ethnicity"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{csv}");
    assert_eq!(
        csv.lines().next().unwrap(),
        "race___1,race___2,race___3,race___4,race___5,race___6,ethnicity,redcap_data_access_group,race_and_ethnicity_complete"
    );
    // Labels: the group's label.
    let (_, json) = call(
        &emu,
        "simple",
        "record",
        &[
            ("format", "json"),
            ("rawOrLabel", "label"),
            ("exportDataAccessGroups", "true"),
            ("fields", "name_first"),
        ],
    )
    .await;
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        rows[4],
        serde_json::json!({"name_first": "John Lee", "redcap_data_access_group": "dag_2"})
    );
}
