//! Users, user roles and data access groups over HTTP: every method's happy
//! path and shapes, the rights each one checks (exact status and message),
//! and what a DAG member can see and change.

mod support;

use redcap_client::{Client, Error, Payload};
use redcap_emulator::{Config, Emulator, UserRights};
use serde_json::Value;
use support::*;

/// The super token's user, who owns the project.
const ADMIN: &str = "simple_admin";

/// The simple project: forms demographics, health, race_and_ethnicity;
/// DAGs dag_1 (records 1, 2, 3) and dag_2 (record 5); record 4 in none.
async fn simple() -> (Emulator, Client) {
    let config = Config::default()
        .super_user(ADMIN)
        .project("simple", fixture(SIMPLE));
    let emu = Emulator::start(config).await.expect("emulator starts");
    let c = client(&emu, "simple");
    (emu, c)
}

fn user_client(emu: &Emulator, name: &str, rights: UserRights) -> Client {
    let pid = emu.projects()[0].project_id;
    let token = emu.add_user(pid, name, rights).expect("user added");
    Client::new(emu.url(), &token).expect("client")
}

fn in_group(group: &str) -> UserRights {
    let mut rights = UserRights::full();
    rights.group = Some(group.to_owned());
    rights
}

async fn json(c: &Client, method: &str, params: &[(&str, &str)]) -> Value {
    let mut all = vec![("format", "json")];
    all.extend_from_slice(params);
    let text = raw(c, method, &all).await.expect("call succeeds");
    serde_json::from_str(&text).expect("JSON body")
}

fn status_message(error: Error) -> (Option<u16>, String) {
    (
        error.status(),
        error.api_message().unwrap_or_default().to_owned(),
    )
}

async fn fails(c: &Client, method: &str, params: &[(&str, &str)]) -> (Option<u16>, String) {
    let mut all = vec![("format", "json")];
    all.extend_from_slice(params);
    status_message(raw(c, method, &all).await.expect_err("call fails"))
}

fn user<'a>(users: &'a Value, name: &str) -> &'a Value {
    users
        .as_array()
        .expect("array")
        .iter()
        .find(|u| u["username"] == name)
        .unwrap_or_else(|| panic!("user {name} exported"))
}

fn record_ids(rows: &Value) -> Vec<String> {
    let mut ids: Vec<String> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["record_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.dedup();
    ids
}

const USER_KEYS: &[&str] = &[
    "username",
    "email",
    "firstname",
    "lastname",
    "expiration",
    "data_access_group",
    "data_access_group_id",
    "design",
    "alerts",
    "user_rights",
    "data_access_groups",
    "reports",
    "stats_and_charts",
    "manage_survey_participants",
    "calendar",
    "data_import_tool",
    "data_comparison_tool",
    "logging",
    "email_logging",
    "file_repository",
    "data_quality_create",
    "data_quality_execute",
    "api_export",
    "api_import",
    "api_modules",
    "mobile_app",
    "mobile_app_download_data",
    "record_create",
    "record_rename",
    "record_delete",
    "lock_records_all_forms",
    "lock_records",
    "lock_records_customization",
    "forms",
    "forms_export",
];

#[tokio::test]
async fn export_users_has_every_key_in_redcap_order() {
    let (emu, c) = simple().await;
    user_client(&emu, "site1", in_group("dag_1"));
    let users = json(&c, "export_users", &[]).await;
    let users = users.as_array().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0]["username"], ADMIN);
    let keys: Vec<&str> = users[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, USER_KEYS);
    assert_eq!(users[0]["design"], 1);
    assert_eq!(users[0]["user_rights"], 1);
    assert_eq!(users[0]["mobile_app"], 0);
    assert_eq!(users[0]["data_access_group"], "");
    assert_eq!(users[0]["data_access_group_id"], "");
    assert_eq!(
        users[0]["forms"],
        serde_json::json!({"demographics": 138, "health": 138, "race_and_ethnicity": 138})
    );
    assert_eq!(
        users[0]["forms_export"],
        serde_json::json!({"demographics": 1, "health": 1, "race_and_ethnicity": 1})
    );
    // A DAG member's group: unique name and numeric id (a JSON number).
    assert_eq!(users[1]["username"], "site1");
    assert_eq!(users[1]["data_access_group"], "dag_1");
    assert_eq!(users[1]["data_access_group_id"], 1);
    // The typed builder reads the same rows.
    let typed = c.export_users().send().await.unwrap();
    assert_eq!(typed[1].data_access_group, "dag_1");
    assert_eq!(typed[0].rights["api_export"], 1);
}

#[tokio::test]
async fn export_users_csv_and_xml_shapes() {
    let (_emu, c) = simple().await;
    let csv = raw(&c, "export_users", &[("format", "csv")]).await.unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next().unwrap(), USER_KEYS.join(","));
    let row = lines.next().unwrap();
    assert!(row.starts_with("simple_admin,,,,,,,1,1,1,1,"), "{row}");
    assert!(
        row.ends_with(
            ",\"demographics:138,health:138,race_and_ethnicity:138\",\"demographics:1,health:1,race_and_ethnicity:1\""
        ),
        "{row}"
    );
    // REDCap's user XML: escaped text, no CDATA, forms as nested elements.
    let xml = raw(&c, "export_users", &[("format", "xml")]).await.unwrap();
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<users>\n<item><username>simple_admin</username><email></email><firstname></firstname>"
    ));
    assert!(xml.ends_with(
        "<forms_export><demographics>1</demographics><health>1</health><race_and_ethnicity>1</race_and_ethnicity></forms_export></item>\n</users>\n"
    ));
}

#[tokio::test]
async fn import_users_creates_then_updates_the_given_rights() {
    let (_emu, c) = simple().await;
    let count = c
        .import_users()
        .data(Payload::json_text(
            r#"[{"username":"ann","email":"ignored@x.org","design":"1","user_rights":"2","forms":{"demographics":"1"},"forms_export":{"health":"2"},"data_access_group":""}]"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 1);
    let users = json(&c, "export_users", &[]).await;
    let ann = user(&users, "ann");
    assert_eq!(ann["email"], "");
    assert_eq!(ann["design"], 1);
    assert_eq!(ann["user_rights"], 2);
    // Everything not given is REDCap's minimum; forms are exported as
    // the codes stored (here legacy ones), forms not given as 0.
    assert_eq!(ann["api_export"], 0);
    assert_eq!(ann["record_create"], 0);
    assert_eq!(
        ann["forms"],
        serde_json::json!({"demographics": 1, "health": 0, "race_and_ethnicity": 0})
    );
    assert_eq!(
        ann["forms_export"],
        serde_json::json!({"demographics": 0, "health": 2, "race_and_ethnicity": 0})
    );
    // An update changes only the rights given; a forms column replaces
    // every form's right (forms not listed become 0). CSV carries the
    // per-form rights as "form:right,form:right".
    let count = c
        .import_users()
        .data(Payload::csv(
            "username,api_export,forms,expiration,data_access_group\nANN,1,\"health:129,race_and_ethnicity:154\",12/31/2099,\n",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 1);
    let users = json(&c, "export_users", &[]).await;
    let ann = user(&users, "ann");
    assert_eq!(ann["api_export"], 1);
    assert_eq!(ann["design"], 1);
    assert_eq!(ann["expiration"], "2099-12-31");
    assert_eq!(
        ann["forms"],
        serde_json::json!({"demographics": 0, "health": 129, "race_and_ethnicity": 154})
    );
    assert_eq!(ann["forms_export"]["health"], 2);
    // XML rows under <users><item>, forms as nested elements.
    let count = raw(
        &c,
        "import_users",
        &[
            ("format", "xml"),
            (
                "data",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><users><item><username>bob</username><logging>1</logging><forms><health>130</health></forms></item><item><username>ann</username><design>0</design></item></users>",
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(count, "2");
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "bob")["logging"], 1);
    assert_eq!(user(&users, "bob")["forms"]["health"], 130);
    assert_eq!(user(&users, "ann")["design"], 0);
    assert_eq!(user(&users, "ann")["api_export"], 1);
    // A payload that does not decode: REDCap answers 200 with a sentence.
    assert_eq!(
        raw(&c, "import_users", &[("format", "json"), ("data", "[{")])
            .await
            .unwrap(),
        "The data is not in the specified format."
    );
    assert_eq!(
        raw(
            &c,
            "import_users",
            &[
                ("format", "xml"),
                ("data", "<items><item><username>x</username></item></items>")
            ]
        )
        .await
        .unwrap(),
        "The data is not in the specified format."
    );
}

#[tokio::test]
async fn import_users_refuses_bad_rows_and_changes_nothing() {
    let (_emu, c) = simple().await;
    let (status, message) = fails(
        &c,
        "import_users",
        &[(
            "data",
            r#"[{"username":"ann","design":"2","user_rights":"2","data_access_group":"nowhere","forms":"nope:1,health:7","forms_export":"health:4","expiration":"31/12/2099"},{"username":""},{"username":"a<b"}]"#,
        )],
    )
    .await;
    assert_eq!(status, Some(400));
    assert_eq!(
        message,
        [
            "data_access_group \"nowhere\" is not a valid unique Data Access Group name for this project.",
            "The field named \"design\" for user \"ann\"  with value \"2\" is not a valid rights value. It must be 0 or 1.",
            "The form named \"nope\" is incorrect for the user \"ann\" The form does not exist in this project.",
            "The form named \"health\" with value \"7\" is not a valid form-level rights value. It must be 0, 1, 2 or 3.",
            "The form named \"health\" with value \"4\" is not a valid form-level rights value. It must be 0, 1, 2 or 3.",
            "The username is missing for user #2 in the list of users provided.",
            "username \"a&lt;b\" is not in a valid username format. User names can only contain letters, numbers, underscores, hyphens, periods, spaces, apostrophes, and @ symbols.",
        ]
        .join("\n")
    );
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
    // An expiration strtotime cannot read is stored as the epoch.
    c.import_users()
        .data(Payload::json_text(
            r#"[{"username":"old","expiration":"31/12/2099","data_access_group":""}]"#,
        ))
        .send()
        .await
        .unwrap();
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "old")["expiration"], "1970-01-01");
}

#[tokio::test]
async fn a_dag_member_imports_only_their_groups_users() {
    let (emu, c) = simple().await;
    user_client(&emu, "site1b", in_group("dag_1"));
    user_client(&emu, "site2", in_group("dag_2"));
    let lead = user_client(&emu, "lead1", in_group("dag_1"));
    // REDCap 15.7.6 only compares the row's data_access_group with the
    // user's current group, so a row for another group's user that names
    // that group passes (site2 here).
    let note = "Since you have been assigned to a Data Access Group, you are only able to view/edit users from your group, and you are not allowed to add new users to this project.";
    assert_eq!(
        fails(
            &lead,
            "import_users",
            &[(
                "data",
                r#"[{"username":"newbie"},{"username":"site2","data_access_group":"dag_2"},{"username":"site1b"}]"#
            )]
        )
        .await,
        (
            Some(400),
            format!(
                "username \"newbie\" can not be added {note}\ndata_access_group \"\" can not be updated {note}"
            )
        )
    );
    assert_eq!(
        lead.import_users()
            .data(Payload::json_text(
                r#"[{"username":"site1b","design":"0","data_access_group":"dag_1"}]"#
            ))
            .send()
            .await
            .unwrap(),
        1
    );
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "site1b")["design"], 0);
    assert_eq!(user(&users, "site1b")["data_access_group"], "dag_1");
}
#[tokio::test]
async fn import_users_without_data_access_group_takes_the_user_out_of_the_group() {
    let (emu, c) = simple().await;
    let pid = emu.projects()[0].project_id;
    let token = emu.add_user(pid, "site1", in_group("dag_1")).unwrap();
    let site1 = Client::new(emu.url(), &token).unwrap();
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["1", "2", "3"]
    );
    // With the column, the group is kept (or changed).
    c.import_users()
        .data(Payload::json_text(
            r#"[{"username":"site1","design":"0","data_access_group":"dag_1"}]"#,
        ))
        .send()
        .await
        .unwrap();
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "site1")["data_access_group"], "dag_1");
    assert_eq!(user(&users, "site1")["design"], 0);
    // Without it, the user is in no group any more. The typed client refuses
    // such a row; sent raw, REDCap (and so the emulator) takes the user out.
    let refused = c
        .import_users()
        .data(Payload::json_text(r#"[{"username":"site1","design":"1"}]"#))
        .send()
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("row 1 (user `site1`) has no `data_access_group`"),
        "{refused}"
    );
    raw(
        &c,
        "import_users",
        &[
            ("format", "json"),
            ("data", r#"[{"username":"site1","design":"1"}]"#),
        ],
    )
    .await
    .unwrap();
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "site1")["data_access_group"], "");
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["1", "2", "3", "4", "5"]
    );
}

#[tokio::test]
async fn user_methods_check_user_rights() {
    let (emu, _c) = simple().await;
    let mut none = UserRights::full();
    none.user_rights = 0;
    let none = user_client(&emu, "none", none);
    assert_eq!(
        fails(&none, "export_users", &[]).await,
        (
            Some(400),
            "Insufficient user privileges: You must have 'API Export' privileges and 'User Rights' privileges (Full Access or Read Only) in the project.".into()
        )
    );
    let mut read_only = UserRights::full();
    read_only.user_rights = 2;
    let read_only = user_client(&emu, "reader", read_only);
    assert_eq!(
        json(&read_only, "export_users", &[])
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
    let import_message = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'User Rights' privileges in the project in order to import/update users via the API Import Users method.";
    assert_eq!(
        fails(
            &read_only,
            "import_users",
            &[("data", r#"[{"username":"x"}]"#)]
        )
        .await,
        (Some(400), import_message.into())
    );
    assert_eq!(
        fails(&read_only, "delete_users", &[("users[0]", "none")]).await,
        (Some(400), import_message.into())
    );
    // API rights come first (403), before the method's own check.
    let mut no_export = UserRights::full();
    no_export.api_export = false;
    let no_export = user_client(&emu, "noexport", no_export);
    assert_eq!(
        fails(&no_export, "export_users", &[]).await,
        (Some(403), "You do not have API Export privileges".into())
    );
    let mut no_import = UserRights::full();
    no_import.api_import = false;
    let no_import = user_client(&emu, "noimport", no_import);
    assert_eq!(
        fails(&no_import, "delete_users", &[("users[0]", "none")]).await,
        (
            Some(403),
            "You do not have API Import/Update privileges".into()
        )
    );
    let mut no_delete = UserRights::full();
    no_delete.record_delete = false;
    let no_delete = user_client(&emu, "nodelete", no_delete);
    assert_eq!(
        fails(&no_delete, "delete_users", &[("users[0]", "none")]).await,
        (Some(403), "You do not have Delete Record privileges".into())
    );
}

#[tokio::test]
async fn delete_users_removes_them_and_their_tokens() {
    let (emu, c) = simple().await;
    let gone = user_client(&emu, "gone", UserRights::full());
    user_client(&emu, "kept", UserRights::full());
    assert_eq!(
        fails(&c, "delete_users", &[("users", "gone")]).await,
        (
            Some(400),
            "The 'users' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.".into()
        )
    );
    assert_eq!(
        fails(&c, "delete_users", &[("users[0]", "gone"), ("users[1]", "who")]).await,
        (
            Some(400),
            "One or more of the users provided are not valid usernames that do not exist in this project. Note: No users were deleted. Users that do not exist: who".into()
        )
    );
    assert_eq!(c.delete_users().users(["gone"]).send().await.unwrap(), 1);
    let users = json(&c, "export_users", &[]).await;
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["kept", ADMIN]);
    assert_eq!(
        status_message(gone.export_records().send().await.unwrap_err()),
        (
            Some(403),
            "You do not have permissions to use the API".into()
        )
    );
}

#[tokio::test]
async fn roles_give_their_members_their_rights() {
    let (emu, c) = simple().await;
    let ann = user_client(&emu, "ann", UserRights::full());
    let count = c
        .import_user_roles()
        .data(Payload::json_text(
            r#"[{"role_label":"Data Entry","api_export":"1","forms":"demographics:130,health:0","forms_export":"demographics:3"}]"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 1);
    let roles = json(&c, "export_user_roles", &[]).await;
    let role = &roles[0];
    let name = role["unique_role_name"].as_str().unwrap().to_owned();
    // U-, three digits without zeros, seven letters and digits.
    assert_eq!(name.len(), 12);
    assert!(name.starts_with("U-"));
    assert!(name[2..5].chars().all(|ch| ('1'..='9').contains(&ch)));
    assert!(
        name[5..]
            .chars()
            .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit())
    );
    let keys: Vec<&str> = role
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(&keys[..3], ["unique_role_name", "role_label", "design"]);
    assert_eq!(
        &keys[keys.len() - 5..],
        [
            "lock_records_customization",
            "lock_records",
            "lock_records_all_forms",
            "forms",
            "forms_export"
        ]
    );
    // Role rights are exported as the text REDCap stored, forms as numbers.
    assert_eq!(role["role_label"], "Data Entry");
    assert_eq!(role["api_export"], "1");
    assert_eq!(role["design"], "0");
    assert_eq!(
        role["forms"],
        serde_json::json!({"demographics": 130, "health": 0, "race_and_ethnicity": 0})
    );
    assert_eq!(
        role["forms_export"],
        serde_json::json!({"demographics": 3, "health": 0, "race_and_ethnicity": 0})
    );
    // Assign ann: her rights become the role's.
    let count = c
        .import_user_role_assignments()
        .data(Payload::json_text(format!(
            r#"[{{"username":"ann","unique_role_name":"{name}"}}]"#
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 1);
    let mapping = json(&c, "export_user_role_assignments", &[]).await;
    assert_eq!(
        mapping,
        serde_json::json!([
            {"username": "ann", "unique_role_name": name, "data_access_group": ""},
            {"username": ADMIN, "unique_role_name": "", "data_access_group": ""}
        ])
    );
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "ann")["design"], 0);
    assert_eq!(user(&users, "ann")["forms_export"]["demographics"], 3);
    assert_eq!(
        status_message(
            ann.import_records()
                .data(Payload::json_text("[]"))
                .send()
                .await
                .unwrap_err()
        ),
        (
            Some(403),
            "You do not have API Import/Update privileges".into()
        )
    );
    // A role member's rights cannot be imported as a user's.
    assert_eq!(
        fails(&c, "import_users", &[("data", r#"[{"username":"ann","design":"1"}]"#)]).await,
        (
            Some(400),
            "The user \"ann\" cannot have their user privileges modified because the user belongs to a user role. Users in roles cannot have their privileges modified via the 'Import User' API method.".into()
        )
    );
    // Updating a role sets every right the row does not give to 0, and its
    // members follow.
    c.import_user_roles()
        .data(Payload::json_text(format!(
            r#"[{{"unique_role_name":"{name}","role_label":"Data Entry 2","api_import":"1"}}]"#
        )))
        .send()
        .await
        .unwrap();
    let roles = json(&c, "export_user_roles", &[]).await;
    assert_eq!(roles[0]["role_label"], "Data Entry 2");
    assert_eq!(roles[0]["api_export"], "0");
    assert_eq!(roles[0]["forms"]["demographics"], 130);
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "ann")["api_import"], 1);
    assert_eq!(user(&users, "ann")["api_export"], 0);
    // Deleting the role gives its members their own rights back.
    assert_eq!(
        c.delete_user_roles()
            .roles([name.as_str()])
            .send()
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        json(&c, "export_user_roles", &[]).await,
        serde_json::json!([])
    );
    let mapping = json(&c, "export_user_role_assignments", &[]).await;
    assert_eq!(mapping[0]["unique_role_name"], "");
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "ann")["design"], 1);
    assert_eq!(user(&users, "ann")["api_export"], 1);
    assert!(ann.export_records().send().await.is_ok());
}

#[tokio::test]
async fn role_assignments_add_users_and_leaving_restores_own_rights() {
    let (emu, c) = simple().await;
    user_client(&emu, "ann", UserRights::full());
    c.import_user_roles()
        .data(Payload::csv("role_label,api_export\nReader,1\n"))
        .send()
        .await
        .unwrap();
    let name = json(&c, "export_user_roles", &[]).await[0]["unique_role_name"]
        .as_str()
        .unwrap()
        .to_owned();
    // An unknown user is added to the project (with no rights of their
    // own) and put in the role; a DAG column assigns the group too.
    let count = c
        .import_user_role_assignments()
        .data(Payload::csv(format!(
            "username,unique_role_name,data_access_group\nann,{name},dag_2\nnewbie,{name},\n"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 2);
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "newbie")["api_export"], 1);
    assert_eq!(user(&users, "ann")["design"], 0);
    assert_eq!(user(&users, "ann")["data_access_group"], "dag_2");
    // Leaving the role: the user's own rights apply again.
    c.import_user_role_assignments()
        .data(Payload::json_text(r#"[{"username":"ann","unique_role_name":""},{"username":"newbie","unique_role_name":""}]"#))
        .send()
        .await
        .unwrap();
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "ann")["design"], 1);
    assert_eq!(user(&users, "newbie")["api_export"], 0);
    assert_eq!(
        user(&users, "newbie")["forms"],
        serde_json::json!({"demographics": 0, "health": 0, "race_and_ethnicity": 0})
    );
}

#[tokio::test]
async fn role_errors_and_csv_shapes() {
    let (_emu, c) = simple().await;
    assert_eq!(
        fails(
            &c,
            "import_user_roles",
            &[(
                "data",
                r#"[{"role_label":"","design":"yes"},{"unique_role_name":"U-NOPE","role_label":"x","forms":"nope:1,health:9"}]"#
            )]
        )
        .await,
        (
            Some(400),
            [
                "The Role Label is blank.",
                "The field named \"design\" for user role \"\"  with value \"yes\" is not a valid rights value.",
                "The form named \"nope\" is incorrect for the user role \"U-NOPE\" The form does not exist in this project.",
                "The form named \"health\" with value \"9\" is not a valid form-level rights value. It must be 0, 1, 2 or 3.",
                "Invalid Unique Role Names: U-NOPE",
            ]
            .join("\n")
        )
    );
    assert_eq!(
        fails(&c, "delete_user_roles", &[("roles[0]", "U-NOPE")]).await,
        (
            Some(400),
            "One or more of the roles provided are not valid rolenames that do not exist in this project. Note: No roles were deleted. Roles that do not exist: U-NOPE".into()
        )
    );
    assert_eq!(
        fails(&c, "delete_user_roles", &[("roles", "U-NOPE")]).await,
        (
            Some(400),
            "The 'roles' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.".into()
        )
    );
    assert_eq!(
        fails(
            &c,
            "import_user_role_assignments",
            &[(
                "data",
                r#"[{"username":"","unique_role_name":"R"},{"username":"x","unique_role_name":""},{"username":"x","unique_role_name":""},{"username":"simple_admin","unique_role_name":"U-NOPE"}]"#
            )]
        )
        .await,
        (
            Some(400),
            [
                "The username for unique role name \"R\" ",
                "The username \"x\" occurs in more than one record. ",
                "Invalid Unique Role Names: U-NOPE",
            ]
            .join("\n")
        )
    );
    assert_eq!(
        fails(
            &c,
            "import_user_role_assignments",
            &[("data", r#"[{"username":"x"}]"#)]
        )
        .await,
        (
            Some(400),
            "One or more components are missing in your input data. The following attributes are required: username, unique_role_name".into()
        )
    );
    c.import_user_roles()
        .data(Payload::csv(
            "role_label,design,forms\nMonitor,1,demographics:129\n",
        ))
        .send()
        .await
        .unwrap();
    let csv = raw(&c, "export_user_roles", &[("format", "csv")])
        .await
        .unwrap();
    let row = csv.lines().nth(1).unwrap();
    // REDCap 15.7.6's CSV writes the forms pairs again in forms_export.
    assert!(
        row.ends_with(
            ",\"demographics:129,health:0,race_and_ethnicity:0\",\"demographics:129,health:0,race_and_ethnicity:0,demographics:0,health:0,race_and_ethnicity:0\""
        ),
        "{row}"
    );
    assert!(row.contains(",Monitor,1,"), "{row}");
    let xml = raw(&c, "export_user_roles", &[("format", "xml")])
        .await
        .unwrap();
    assert!(
        xml.contains("<role_label>Monitor</role_label><design>1</design>"),
        "{xml}"
    );
    assert!(xml.ends_with("</item>\n</userRoles>\n"));
    let xml = raw(&c, "export_user_role_assignments", &[("format", "xml")])
        .await
        .unwrap();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<items>\n<item><username><![CDATA[simple_admin]]></username><unique_role_name></unique_role_name><data_access_group></data_access_group></item>\n</items>\n"
    );
}
#[tokio::test]
async fn role_methods_check_user_rights() {
    let (emu, _c) = simple().await;
    let mut none = UserRights::full();
    none.user_rights = 0;
    let none = user_client(&emu, "none", none);
    let export_message = "Insufficient user privileges: You must have 'API Export' privileges and 'User Rights' privileges (Full Access or Read Only) in the project.";
    assert_eq!(
        fails(&none, "export_user_roles", &[]).await,
        (Some(400), export_message.into())
    );
    assert_eq!(
        fails(&none, "export_user_role_assignments", &[]).await,
        (Some(400), export_message.into())
    );
    let import_message = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'User Rights' privileges in the project in order to import/update user roles via the API Import User Roles method.";
    for (method, params) in [
        ("import_user_roles", ("data", r#"[{"role_label":"x"}]"#)),
        (
            "import_user_role_assignments",
            ("data", r#"[{"username":"none"}]"#),
        ),
        ("delete_user_roles", ("roles[0]", "U-X")),
    ] {
        assert_eq!(
            fails(&none, method, &[params]).await,
            (Some(400), import_message.into()),
            "{method}"
        );
    }
    // Deleting roles needs Delete Records but not API Import.
    let mut no_delete = UserRights::full();
    no_delete.record_delete = false;
    let no_delete = user_client(&emu, "nodelete", no_delete);
    assert_eq!(
        fails(&no_delete, "delete_user_roles", &[("roles[0]", "U-X")]).await,
        (Some(403), "You do not have Delete Record privileges".into())
    );
    let mut no_import = UserRights::full();
    no_import.api_import = false;
    let no_import = user_client(&emu, "noimport", no_import);
    assert_eq!(
        fails(&no_import, "delete_user_roles", &[("roles[0]", "U-X")]).await,
        (
            Some(400),
            "One or more of the roles provided are not valid rolenames that do not exist in this project. Note: No roles were deleted. Roles that do not exist: U-X".into()
        )
    );
}

#[tokio::test]
async fn dags_are_created_renamed_and_deleted() {
    let (emu, c) = simple().await;
    let site1 = user_client(&emu, "site1", in_group("dag_1"));
    let dags = c.export_dags().send().await.unwrap();
    let names: Vec<(&str, Option<u64>)> = dags
        .iter()
        .map(|d| (d.unique_group_name.as_str(), d.data_access_group_id))
        .collect();
    assert_eq!(names, [("dag_1", Some(1)), ("dag_2", Some(2))]);
    // Create two groups and rename dag_2. REDCap derives unique names
    // from the labels every time, in label order: "dag 1" now sorts before
    // "dag_1" and takes its unique name, so the old dag_1 becomes dag_1b,
    // and renaming dag_2 renames its unique name too.
    let count = c
        .import_dags()
        .data(Payload::json_text(
            r#"[{"data_access_group_name":"Site Três: North / 2","unique_group_name":""},{"data_access_group_name":"dag 1"},{"data_access_group_name":"Second DAG","unique_group_name":"dag_2"}]"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 3);
    assert_eq!(
        json(&c, "export_dags", &[]).await,
        serde_json::json!([
            {"data_access_group_name": "dag 1", "unique_group_name": "dag_1", "data_access_group_id": 4},
            {"data_access_group_name": "dag_1", "unique_group_name": "dag_1b", "data_access_group_id": 1},
            {"data_access_group_name": "Second DAG", "unique_group_name": "second_dag", "data_access_group_id": 2},
            {"data_access_group_name": "Site Três: North / 2", "unique_group_name": "site_trs_north__2", "data_access_group_id": 3}
        ])
    );
    // Records and users follow their group (by id), whatever its name.
    let groups = |rows: Value| -> Vec<String> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["redcap_data_access_group"].as_str().unwrap().to_owned())
            .collect()
    };
    let dag_column = [("exportDataAccessGroups", "true"), ("fields", "record_id")];
    assert_eq!(
        groups(json(&c, "export_records", &dag_column).await),
        ["dag_1b", "dag_1b", "dag_1b", "", "second_dag"]
    );
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "site1")["data_access_group"], "dag_1b");
    assert_eq!(user(&users, "site1")["data_access_group_id"], 1);
    // Delete: as in REDCap only the group goes. Its records and users keep
    // pointing at the deleted group: shown as no group, but the member
    // still sees only those records. The other ids do not move.
    assert_eq!(c.delete_dags().dags(["dag_1b"]).send().await.unwrap(), 1);
    let ids: Vec<(String, u64)> = json(&c, "export_dags", &[])
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["unique_group_name"].as_str().unwrap().to_owned(),
                d["data_access_group_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("dag_1".to_owned(), 4),
            ("second_dag".to_owned(), 2),
            ("site_trs_north__2".to_owned(), 3)
        ]
    );
    assert_eq!(
        groups(json(&c, "export_records", &dag_column).await),
        ["", "", "", "", "second_dag"]
    );
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "site1")["data_access_group"], "");
    assert_eq!(user(&users, "site1")["data_access_group_id"], "");
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["1", "2", "3"]
    );
    let project_xml = raw(
        &c,
        "export_project_xml",
        &[("exportDataAccessGroups", "true")],
    )
    .await
    .unwrap();
    assert!(project_xml.contains("redcap_data_access_group\" Value=\"second_dag\""));
    assert!(!project_xml.contains("Value=\"#"));
    // XML and empty CSV as REDCap writes them.
    let xml = raw(&c, "export_dags", &[("format", "xml")]).await.unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<dags>\n<item><data_access_group_name><![CDATA[dag 1]]></data_access_group_name><unique_group_name><![CDATA[dag_1]]></unique_group_name><data_access_group_id><![CDATA[4]]></data_access_group_id></item>\n"));
    assert!(xml.ends_with("</dags>\n"));
    c.delete_dags()
        .dags(["dag_1", "second_dag", "site_trs_north__2"])
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw(&c, "export_dags", &[("format", "csv")]).await.unwrap(),
        "data_access_group_name,unique_group_name,data_access_group_id"
    );
}

#[tokio::test]
async fn dag_errors_and_rights() {
    let (emu, c) = simple().await;
    assert_eq!(
        fails(&c, "delete_dags", &[("dags", "dag_1")]).await,
        (
            Some(400),
            "The 'dags' parameter is either missing or is not an array. It must be provided as an array even if it only contains one value.".into()
        )
    );
    assert_eq!(
        fails(&c, "delete_dags", &[("dags[0]", "dag_1"), ("dags[1]", "dag_9")]).await,
        (
            Some(400),
            "One or more of the dags provided are not valid unique group names that do not exist in this project. Note: No dags were deleted. DAGs that do not exist: dag_9".into()
        )
    );
    let long = "x".repeat(101);
    assert_eq!(
        fails(
            &c,
            "import_dags",
            &[(
                "data",
                &format!(
                    r#"[{{"data_access_group_name":"","unique_group_name":"u"}},{{"data_access_group_name":"{long}","unique_group_name":""}},{{"data_access_group_name":"x","unique_group_name":"dag_9"}}]"#
                )
            )]
        )
        .await,
        (
            Some(400),
            format!(
                "The data access group name for unique group name \"u\" \nThe data access group name \"{long}\" must be less than or equal to 100 characters in length.\nUnique group name \"dag_9\" does not exist in the project. NOTE: The unique group name is auto-generated from the name of the data access group, so there is no way to set the unique group name manually.\n              If you are attempting to create a new DAG, you should leave the unique_group_name and data_access_group_id fields blank in your upload file."
            )
        )
    );
    assert_eq!(
        fails(
            &c,
            "import_dags",
            &[("data", r#"[{"data_access_group_name":"x"}]"#)]
        )
        .await,
        (
            Some(400),
            "One or more components are missing in your input data. The following attributes are required: data_access_group_name, unique_group_name".into()
        )
    );
    assert_eq!(
        raw(&c, "import_dags", &[("format", "json"), ("data", "nope")])
            .await
            .unwrap(),
        "The data is not in the specified format."
    );
    // A DAG member cannot use the DAG methods at all (403), whatever rights.
    let site1 = user_client(&emu, "site1", in_group("dag_1"));
    let in_dag = "You do not have permission to export/import/delete Data Access Groups because you have been assigned to a Data Access Group.";
    for (method, params) in [
        ("export_dags", vec![]),
        ("import_dags", vec![("data", "[]")]),
        ("delete_dags", vec![("dags[0]", "dag_1")]),
    ] {
        assert_eq!(
            fails(&site1, method, &params).await,
            (Some(403), in_dag.into()),
            "{method}"
        );
    }
    // Without the Data Access Groups right: 400.
    let mut no_dags = UserRights::full();
    no_dags.data_access_groups = false;
    let no_dags = user_client(&emu, "nodags", no_dags);
    let export_message = "Insufficient user privileges: You must have 'API Export' privileges and 'Data Access Groups' privileges in the project.";
    let import_message = "Insufficient user privileges: You must have 'API Import/Update' privileges and 'Data Access Groups' privileges in the project.";
    assert_eq!(
        fails(&no_dags, "export_dags", &[]).await,
        (Some(400), export_message.into())
    );
    assert_eq!(
        fails(&no_dags, "export_user_dag_assignments", &[]).await,
        (Some(400), export_message.into())
    );
    assert_eq!(
        fails(&no_dags, "import_dags", &[("data", "[]")]).await,
        (Some(400), import_message.into())
    );
    assert_eq!(
        fails(&no_dags, "delete_dags", &[("dags[0]", "dag_1")]).await,
        (Some(400), import_message.into())
    );
    assert_eq!(
        fails(&no_dags, "import_user_dag_assignments", &[("data", "[]")]).await,
        (Some(400), import_message.into())
    );
    // Deleting a DAG needs neither Delete Records nor API Import.
    let mut plain = UserRights::full();
    plain.record_delete = false;
    plain.api_import = false;
    let plain = user_client(&emu, "plain", plain);
    assert_eq!(plain.delete_dags().dags(["dag_2"]).send().await.unwrap(), 1);
}

#[tokio::test]
async fn user_dag_assignments() {
    let (emu, c) = simple().await;
    user_client(&emu, "site1", in_group("dag_1"));
    user_client(&emu, "Site2", in_group("dag_2"));
    let mapping = c.export_user_dag_assignments().send().await.unwrap();
    let pairs: Vec<(&str, &str)> = mapping
        .iter()
        .map(|m| (m.username.as_str(), m.redcap_data_access_group.as_str()))
        .collect();
    assert_eq!(pairs, [(ADMIN, ""), ("site1", "dag_1"), ("site2", "dag_2")]);
    let count = c
        .import_user_dag_assignments()
        .data(Payload::csv(
            "username,redcap_data_access_group\nsite1,dag_2\nsite2,\n",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 2);
    let csv = raw(&c, "export_user_dag_assignments", &[("format", "csv")])
        .await
        .unwrap();
    assert_eq!(
        csv,
        "username,redcap_data_access_group\nsimple_admin,\nsite1,dag_2\nsite2,\n"
    );
    assert_eq!(
        fails(
            &c,
            "import_user_dag_assignments",
            &[(
                "data",
                r#"[{"username":"","redcap_data_access_group":"g"},{"username":"who","redcap_data_access_group":""},{"username":"site1","redcap_data_access_group":"dag_9"},{"username":"site1","redcap_data_access_group":""}]"#
            )]
        )
        .await,
        (
            Some(400),
            [
                "The username for unique group name \"g\" ",
                "The username \"who\" does not exist in the project.",
                "Unique group name \"dag_9\" does not exist in the project.",
                "The username \"site1\" occurs in more than one record. ",
            ]
            .join("\n")
        )
    );
    assert_eq!(
        fails(
            &c,
            "import_user_dag_assignments",
            &[("data", r#"[{"username":"site1"}]"#)]
        )
        .await,
        (
            Some(400),
            "One or more components are missing in your input data. The following attributes are required: username, redcap_data_access_group".into()
        )
    );
    // A DAG member with the DAG right sees only their group's users and
    // cannot import assignments.
    let lead = user_client(&emu, "lead2", in_group("dag_2"));
    assert_eq!(
        json(&lead, "export_user_dag_assignments", &[]).await,
        serde_json::json!([
            {"username": "lead2", "redcap_data_access_group": "dag_2"},
            {"username": "site1", "redcap_data_access_group": "dag_2"}
        ])
    );
    assert_eq!(
        json(&lead, "export_users", &[])
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        fails(
            &lead,
            "import_user_dag_assignments",
            &[("data", r#"[{"username":"site1","redcap_data_access_group":""}]"#)]
        )
        .await,
        (
            Some(400),
            "You do not have permission to import User-DAG Assignment because you have been assigned to a Data Access Group.".into()
        )
    );
}
/// The DAG leak scenario: a DAG member sees, creates, deletes and renames
/// only records of their group, in every format, until they switch.
#[tokio::test]
async fn a_dag_member_touches_only_their_groups_records() {
    let (emu, c) = simple().await;
    let pid = emu.projects()[0].project_id;
    let token = emu.add_user(pid, "site1", in_group("dag_1")).unwrap();
    let site1 = Client::new(emu.url(), &token).unwrap();
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["1", "2", "3"]
    );
    let csv = raw(
        &site1,
        "export_records",
        &[("format", "csv"), ("fields", "record_id,name_first")],
    )
    .await
    .unwrap();
    assert_eq!(csv, "record_id,name_first\n1,Nutmeg\n2,Tumtum\n3,Marcus\n");
    // Another group's record asked by name: silently absent; no DAG column.
    assert_eq!(
        json(
            &site1,
            "export_records",
            &[("records[0]", "5"), ("exportDataAccessGroups", "true")]
        )
        .await,
        serde_json::json!([])
    );
    let rows = json(
        &site1,
        "export_records",
        &[("records[0]", "1"), ("exportDataAccessGroups", "true")],
    )
    .await;
    assert!(rows[0].get("redcap_data_access_group").is_none());
    // A new record lands in the member's group.
    site1
        .import_records()
        .data(Payload::json_text(
            r#"[{"record_id":"60","name_first":"New"}]"#,
        ))
        .send()
        .await
        .unwrap();
    let rows = json(
        &c,
        "export_records",
        &[
            ("records[0]", "60"),
            ("exportDataAccessGroups", "true"),
            ("fields", "record_id"),
        ],
    )
    .await;
    assert_eq!(rows[0]["redcap_data_access_group"], "dag_1");
    // Another group's record cannot be changed, deleted or renamed.
    assert_eq!(
        fails(&site1, "import_records", &[("data", r#"[{"record_id":"5","name_first":"X"}]"#)]).await,
        (
            Some(400),
            "The following records cannot be modified because they do not belong to your Data Access Group: 5".into()
        )
    );
    assert_eq!(
        fails(&site1, "delete_records", &[("records[0]", "5")]).await,
        (
            Some(400),
            "One or more of the records provided cannot be deleted because they do not exist in the project. The following records do not exist: 5".into()
        )
    );
    let renamed = raw(
        &site1,
        "rename_record",
        &[("record", "5"), ("new_record_name", "5x")],
    )
    .await
    .unwrap();
    assert_eq!(renamed, "Current Record does not exists.");
    assert_eq!(
        record_ids(&json(&c, "export_records", &[("records[0]", "5")]).await),
        ["5"]
    );
    // switch_dag (REDCap's DAG Switcher): a user with no DAG Switcher
    // entries is "invalid"; otherwise only the groups allowed there.
    let switch = |dag: &'static str| {
        let site1 = site1.clone();
        async move { raw(&site1, "switch_dag", &[("dag", dag)]).await.unwrap() }
    };
    assert_eq!(switch("dag_9").await, "ERROR: Invalid DAG");
    assert_eq!(switch("dag_2").await, "ERROR: Invalid user");
    emu.allow_dag_switch(pid, "site1", &["dag_1", "dag_2"])
        .unwrap();
    assert_eq!(switch("").await, "ERROR: User/DAG assignment not permitted");
    site1.switch_dag().dag("dag_2").send().await.unwrap();
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["5"]
    );
    emu.allow_dag_switch(pid, "site1", &[""]).unwrap();
    assert_eq!(switch("0").await, "1");
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["1", "2", "3", "4", "5", "60"]
    );
    assert_eq!(switch("dag_1").await, "1");
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "site1")["data_access_group"], "dag_1");
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["1", "2", "3", "60"]
    );
}

#[tokio::test]
async fn per_form_export_rights_drop_columns() {
    let (emu, _c) = simple().await;
    let fields = "record_id,name_first,address,dob,age,sex,height,comments";
    let mut deid = UserRights::full();
    deid.forms_export.insert("demographics".into(), 2);
    deid.forms_export.insert("health".into(), 2);
    let deid = user_client(&emu, "deid", deid);
    let csv = raw(
        &deid,
        "export_records",
        &[("format", "csv"), ("fields", fields), ("records[0]", "1")],
    )
    .await
    .unwrap();
    // De-identified: identifiers, free text, notes and dates are dropped.
    assert_eq!(csv.lines().next().unwrap(), "record_id,sex,height");
    let mut no_ids = UserRights::full();
    no_ids.forms_export.insert("demographics".into(), 3);
    no_ids.forms_export.insert("health".into(), 0);
    let no_ids = user_client(&emu, "noids", no_ids);
    let rows = json(
        &no_ids,
        "export_records",
        &[("fields", fields), ("records[0]", "1")],
    )
    .await;
    let keys: Vec<&str> = rows[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["record_id", "age", "sex"]);
    assert_eq!(
        fails(&no_ids, "export_records", &[("fields", "name_first,height")]).await,
        (
            Some(400),
            "The API request cannot complete because all the fields you have specified in your request are fields that will be removed due to your limited Data Export privileges, so there is nothing to return. Higher level data export rights are required to retrieve data for the fields specified.".into()
        )
    );
    let mut nothing = UserRights::full();
    for form in ["demographics", "health", "race_and_ethnicity"] {
        nothing.forms_export.insert(form.into(), 0);
    }
    let nothing = user_client(&emu, "nothing", nothing);
    assert_eq!(
        fails(&nothing, "export_records", &[]).await,
        (
            Some(403),
            "The API request cannot complete because currently you have \"No Access\" data export rights. Higher level data export rights are required for this operation.".into()
        )
    );
}
