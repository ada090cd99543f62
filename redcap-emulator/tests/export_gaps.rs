//! Behaviour REDCap 15.7.6 has in record export, record import and
//! logging that is easy to miss: the group column of an export without
//! the record-ID field, `survey_403` on import, and the log rows of user,
//! role and group changes.

mod support;

use redcap_emulator::{Config, Emulator};
use support::{SIMPLE, fixture, import_records, post, start};

/// A call with a project's token; status and body.
async fn call(
    emu: &Emulator,
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

/// A CSV export of `fields` with the groups column, of the records listed in
/// `extra` (all when none are).
async fn csv_export(
    emu: &Emulator,
    token: &str,
    fields: &str,
    extra: &[(String, String)],
) -> String {
    let mut form = vec![
        ("token", token),
        ("content", "record"),
        ("format", "csv"),
        ("exportDataAccessGroups", "true"),
        ("fields", fields),
    ];
    form.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (status, _, body) = post(emu.url(), &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A few fields of every record are read in one pass over the records; the
/// same fields asked for record by record (with `records`) take another
/// path. Both must give the same rows, groups and order, to a user in a
/// group too.
#[tokio::test]
async fn a_few_fields_of_every_record_match_the_record_by_record_read() {
    let emu = start(&[("simple", SIMPLE)]).await;
    // Names that sort differently in byte and natural order, and a record
    // without `sex`.
    let (status, body) = import_records(
        &emu,
        "simple",
        "csv",
        "record_id,name_first,sex\n10,Ten,1\n9,Nine,0\na,Letter,\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let pid = emu.projects()[0].project_id;
    let mut rights = redcap_emulator::UserRights::full();
    rights.group = Some("dag_1".to_owned());
    let grouped = emu.add_user(pid, "site1", rights).unwrap();
    let admin = emu.token("simple").unwrap().to_owned();
    let all = ["1", "2", "3", "4", "5", "9", "10", "a"];
    let mut every: Vec<(String, String)> = Vec::new();
    for (at, record) in all.iter().enumerate() {
        every.push((format!("records[{at}]"), (*record).to_owned()));
    }
    for token in [admin.as_str(), grouped.as_str()] {
        for fields in ["record_id", "sex,record_id", "name_first"] {
            let at_once = csv_export(&emu, token, fields, &[]).await;
            let by_record = csv_export(&emu, token, fields, &every).await;
            assert_eq!(at_once, by_record, "fields {fields}");
        }
    }
    // What the rows are: every record in natural order, each with its group; a user in a
    // group sees its records (the column is then left out, as REDCap does).
    assert_eq!(
        csv_export(&emu, &admin, "record_id", &[]).await,
        "record_id,redcap_data_access_group\n1,dag_1\n2,dag_1\n3,dag_1\n4,\n5,dag_2\n9,\n10,\na,\n"
    );
    assert_eq!(
        csv_export(&emu, &grouped, "record_id", &[]).await,
        "record_id\n1\n2\n3\n"
    );
}

const DOCTEST: &str = "PyCap/tests/data/doctest_project.xml";
const EVENT: &str = "event_1_arm_1";
const SURVEY_403: &str = "This field is a Form Status field, whose value cannot be modified for survey responses during a data import. Since this is a survey response, this field's value can only be modified on the survey itself or by marking it as a completed response on the data entry form.";

/// PyCap's doctest project (survey `form_1` in the repeating event
/// `event_1_arm_1`) with record 1's response completed and record 2's
/// partial; record 3 has none.
async fn answered() -> Emulator {
    let emu = Emulator::start(Config::default().project("doctest", fixture(DOCTEST)))
        .await
        .expect("emulator starts");
    let pid = emu.projects()[0].project_id;
    emu.record_survey_response(pid, "1", EVENT, "form_1", 1, Some("2024-01-02 03:04:05"))
        .unwrap();
    emu.record_survey_response(pid, "2", EVENT, "form_1", 1, None)
        .unwrap();
    emu
}

/// Imports one CSV row of record, instance and form status.
async fn import_status(
    emu: &Emulator,
    record: &str,
    instance: &str,
    status: &str,
    behaviour: &str,
) -> (u16, String) {
    let data = format!(
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,form_1_complete\n\
{record},{EVENT},,{instance},{status}\n"
    );
    call(
        emu,
        "doctest",
        "record",
        &[
            ("format", "csv"),
            ("returnFormat", "csv"),
            ("overwriteBehavior", behaviour),
            ("data", &data),
        ],
    )
    .await
}

#[tokio::test]
async fn survey_responses_form_status_cannot_be_changed_by_import() {
    let emu = answered().await;
    // Record 1 (completed response, status 2): changing it is refused.
    assert_eq!(
        import_status(&emu, "1", "1", "0", "normal").await,
        (
            400,
            format!("ERROR: \"1\",\"form_1_complete\",\"0\",\"{SURVEY_403}\"")
        )
    );
    // A partial response is protected too.
    assert_eq!(
        import_status(&emu, "2", "1", "2", "normal").await,
        (
            400,
            format!("ERROR: \"2\",\"form_1_complete\",\"2\",\"{SURVEY_403}\"")
        )
    );
    // Sending the stored value changes nothing, so it passes.
    assert_eq!(
        import_status(&emu, "1", "1", "2", "normal").await,
        (200, "1".into())
    );
    // A blank is ignored under normal, but deletes under overwrite.
    assert_eq!(
        import_status(&emu, "1", "1", "", "normal").await,
        (200, "1".into())
    );
    assert_eq!(
        import_status(&emu, "1", "1", "", "overwrite").await,
        (
            400,
            format!("ERROR: \"1\",\"form_1_complete\",\"\",\"{SURVEY_403}\"")
        )
    );
    // No response for record 3, nor for record 1's instance 2.
    assert_eq!(
        import_status(&emu, "3", "1", "2", "normal").await,
        (200, "1".into())
    );
    assert_eq!(
        import_status(&emu, "1", "2", "1", "normal").await,
        (200, "1".into())
    );
    // An invalid category gets the category message instead.
    assert_eq!(
        import_status(&emu, "1", "1", "7", "normal").await,
        (
            400,
            "ERROR: \"1\",\"form_1_complete\",\"7\",\"The value is not a valid category for form_1_complete\"".into()
        )
    );
    // Nothing of the refused imports was written.
    let (_, csv) = call(
        &emu,
        "doctest",
        "record",
        &[("format", "csv"), ("fields", "record_id,form_1_complete")],
    )
    .await;
    assert_eq!(
        csv,
        "record_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,form_1_complete\n\
1,event_1_arm_1,,1,2\n\
1,event_1_arm_1,,2,1\n\
2,event_1_arm_1,,1,0\n\
3,event_1_arm_1,,1,2\n"
    );
}

/// The log as (action, details, record) triples, newest first, without
/// the log exports themselves.
async fn log_rows(emu: &Emulator, logtype: &str) -> Vec<(String, String, String)> {
    let (status, body) = call(
        emu,
        "simple",
        "log",
        &[("format", "json"), ("logtype", logtype)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    rows.iter()
        .filter(|r| r["details"] != "Export Logging (API)")
        .map(|r| {
            assert_eq!(r["username"], "site_admin");
            (
                r["action"].as_str().unwrap().to_owned(),
                r["details"].as_str().unwrap().to_owned(),
                r["record"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn ok(emu: &Emulator, content: &str, extra: &[(&str, &str)]) {
    let (status, body) = call(emu, "simple", content, extra).await;
    assert_eq!(status, 200, "{content}: {body}");
}

#[tokio::test]
async fn user_role_and_dag_changes_are_logged() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let json = [("format", "json")];
    let with = |data: &'static str| [("format", "json"), ("data", data)];
    ok(&emu, "user", &with(r#"[{"username":"alice"}]"#)).await;
    ok(
        &emu,
        "user",
        &with(r#"[{"username":"alice","design":"1","data_access_group":"dag_1"}]"#),
    )
    .await;
    ok(&emu, "userRole", &with(r#"[{"role_label":"Reviewer"}]"#)).await;
    let (_, roles) = call(&emu, "simple", "userRole", &json).await;
    let roles: serde_json::Value = serde_json::from_str(&roles).unwrap();
    let unique = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role_label"] == "Reviewer")
        .unwrap()["unique_role_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let edit = format!(r#"[{{"unique_role_name":"{unique}","role_label":"Checker"}}]"#);
    ok(&emu, "userRole", &[("format", "json"), ("data", &edit)]).await;
    let assign = format!(r#"[{{"username":"alice","unique_role_name":"{unique}"}}]"#);
    ok(
        &emu,
        "userRoleMapping",
        &[("format", "json"), ("data", &assign)],
    )
    .await;
    ok(
        &emu,
        "dag",
        &with(r#"[{"data_access_group_name":"Site C","unique_group_name":""}]"#),
    )
    .await;
    ok(
        &emu,
        "userDagMapping",
        &with(r#"[{"username":"alice","redcap_data_access_group":"site_c"}]"#),
    )
    .await;
    ok(
        &emu,
        "dag",
        &[
            ("format", "json"),
            ("action", "delete"),
            ("dags[0]", "site_c"),
        ],
    )
    .await;
    let unassign = r#"[{"username":"alice","unique_role_name":""}]"#;
    ok(
        &emu,
        "userRoleMapping",
        &[("format", "json"), ("data", unassign)],
    )
    .await;
    ok(
        &emu,
        "userRole",
        &[
            ("format", "json"),
            ("action", "delete"),
            ("roles[0]", &unique),
        ],
    )
    .await;
    ok(
        &emu,
        "user",
        &[
            ("format", "json"),
            ("action", "delete"),
            ("users[0]", "alice"),
        ],
    )
    .await;

    let s = |a: &str, d: &str, r: &str| (a.to_owned(), d.to_owned(), r.to_owned());
    // logtype=user: object type redcap_user_rights (the role edit is
    // logged on redcap_user_roles, so it is not here).
    assert_eq!(
        log_rows(&emu, "user").await,
        [
            s("Delete user alice", "user = 'alice'", "alice"),
            s("Delete user role ", "role = 'Checker'", ""),
            s("Manage/Design ", "Import user role assignments (API)", ""),
            s(
                "User assigned to role alice",
                "user = 'alice', role = ''",
                "alice"
            ),
            s("Manage/Design ", "Import user role assignments (API)", ""),
            s(
                "User assigned to role alice",
                "user = 'alice', role = 'Checker'",
                "alice"
            ),
            s("Create user role ", "role = 'Reviewer'", ""),
            // The handler's row comes before each user's row; a changed
            // group is logged after the edit.
            s(
                "Manage/Design ",
                "Assign user to data access group user = 'alice', group = 'dag_1'",
                "",
            ),
            s("Update user alice", "user = 'alice'", "alice"),
            s("Manage/Design ", "Import users (API)", ""),
            s("Add user alice", "user = 'alice'", "alice"),
            s("Manage/Design ", "Import users (API)", ""),
        ]
    );
    // logtype=manage: every MANAGE row, the handlers' own and the user-DAG
    // assignments (shown with their data values).
    let design = |d: &str| s("Manage/Design ", d, "");
    assert_eq!(
        log_rows(&emu, "manage").await,
        [
            design("Delete users (API)"),
            design("Delete user roles (API)"),
            design("Import user role assignments (API)"),
            design("Delete DAGs (API)"),
            design("Assign user to data access group user = 'alice', group = 'Site C'"),
            design("Import User-DAG assignments (API)"),
            design("Import DAGs (API)"),
            design("Import user role assignments (API)"),
            design("Import user roles (API)"),
            design("Import user roles (API)"),
            design("Assign user to data access group user = 'alice', group = 'dag_1'"),
            design("Import users (API)"),
            design("Import users (API)"),
        ]
    );
    // The role edit (on redcap_user_roles) is only in the full log.
    let all = log_rows(&emu, "").await;
    assert!(
        all.contains(&s("Edit user role ", "role = 'Checker'", "")),
        "{all:?}"
    );
    assert!(
        !log_rows(&emu, "user")
            .await
            .iter()
            .any(|r| r.0.starts_with("Edit user role"))
    );
}

#[tokio::test]
async fn dag_switch_is_logged_by_the_switching_user() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let pid = emu.projects()[0].project_id;
    let mut rights = redcap_emulator::UserRights::full();
    rights.group = Some("dag_1".to_owned());
    let token = emu.add_user(pid, "site1", rights).unwrap();
    emu.allow_dag_switch(pid, "site1", &["dag_1", "dag_2"])
        .unwrap();
    let form = [
        ("token", token.as_str()),
        ("content", "dag"),
        ("action", "switch"),
        ("dag", "dag_2"),
    ];
    let (status, _, body) = post(emu.url(), &form).await;
    assert_eq!((status, body.as_str()), (200, "1"));
    let (_, body) = call(
        &emu,
        "simple",
        "log",
        &[("format", "json"), ("logtype", "manage")],
    )
    .await;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let switch: Vec<(&str, &str, &str)> = rows
        .iter()
        .filter(|r| r["details"] == "Switch DAG (API)")
        .map(|r| {
            (
                r["username"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
                r["record"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(switch, [("site1", "Manage/Design ", "")]);
}
