//! Users, user roles and data access groups over HTTP: every method's happy
//! path and shapes, the rights each one checks (exact status and message),
//! and what a DAG member can see and change.

mod support;

use redcap_client::{Client, Error, Payload};
use redcap_emulator::{Emulator, UserRights};
use serde_json::Value;
use support::*;

const ADMIN: &str = "simple_admin";

/// The simple project: forms demographics, health, race_and_ethnicity;
/// DAGs dag_1 (records 1, 2, 3) and dag_2 (record 5); record 4 in none.
async fn simple() -> (Emulator, Client) {
    let emu = start(&[("simple", SIMPLE)]).await;
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
    let xml = raw(&c, "export_users", &[("format", "xml")]).await.unwrap();
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<users>\n<item><username><![CDATA[simple_admin]]></username><email></email>"
    ));
    assert!(xml.contains(
        "<forms_export><demographics><![CDATA[1]]></demographics><health><![CDATA[1]]></health><race_and_ethnicity><![CDATA[1]]></race_and_ethnicity></forms_export></item>\n</users>\n"
    ));
}

#[tokio::test]
async fn import_users_creates_then_updates_only_the_given_rights() {
    let (_emu, c) = simple().await;
    let count = c
        .import_users()
        .data(Payload::json_text(
            r#"[{"username":"ann","email":"ignored@x.org","design":"1","user_rights":"2","forms":{"demographics":"1"},"forms_export":{"health":"2"}}]"#,
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
    // Everything not given is REDCap's minimum.
    assert_eq!(ann["api_export"], 0);
    assert_eq!(ann["record_create"], 0);
    assert_eq!(
        ann["forms"],
        serde_json::json!({"demographics": 130, "health": 128, "race_and_ethnicity": 128})
    );
    assert_eq!(
        ann["forms_export"],
        serde_json::json!({"demographics": 0, "health": 2, "race_and_ethnicity": 0})
    );
    // An update changes only its columns; CSV carries per-form rights as
    // "form:right,form:right" text (15.6 codes or legacy ones).
    let count = c
        .import_users()
        .data(Payload::csv(
            "username,api_export,forms,expiration\nann,1,\"health:129,race_and_ethnicity:154\",2099-12-31\n",
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
        serde_json::json!({"demographics": 130, "health": 129, "race_and_ethnicity": 154})
    );
    // XML rows under <users><item>.
    let count = raw(
        &c,
        "import_users",
        &[
            ("format", "xml"),
            (
                "data",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><users><item><username>bob</username><logging>1</logging></item><item><username>ann</username><design>0</design></item></users>",
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(count, "2");
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "bob")["logging"], 1);
    assert_eq!(user(&users, "ann")["design"], 0);
    assert_eq!(user(&users, "ann")["api_export"], 1);
}

/// The incident to guard against: REDCap 15.7.6 reads a user import row
/// without `data_access_group` as "no group", so re-importing a DAG
/// member's rights without that column takes them out of their DAG and
/// shows them every record. The emulator does the same, so clients can
/// test that they always send the column.
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
    // Without it, the user is in no group any more.
    c.import_users()
        .data(Payload::json_text(r#"[{"username":"site1","design":"1"}]"#))
        .send()
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
async fn import_users_refuses_bad_rows_and_changes_nothing() {
    let (_emu, c) = simple().await;
    let (status, message) = fails(
        &c,
        "import_users",
        &[(
            "data",
            r#"[{"username":"ann","design":"2","data_access_group":"nowhere","forms":"nope:1,health:7","expiration":"31/12/2099"},{"username":""}]"#,
        )],
    )
    .await;
    assert_eq!(status, Some(400));
    assert_eq!(
        message,
        [
            "ann: the value \"2\" of \"design\" is not valid (it must be an integer from 0 to 1).",
            "ann: \"nope\" is not a valid instrument name.",
            "ann: \"7\" is not a valid data entry right for the instrument \"health\".",
            "ann: the expiration date \"31/12/2099\" is not a valid date in YYYY-MM-DD format.",
            "ann: \"nowhere\" is not a valid unique group name for data_access_group.",
            "The username is missing for one or more users.",
        ]
        .join("\n")
    );
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(users.as_array().unwrap().len(), 1);
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
    assert_eq!(name.len(), 12);
    assert!(name.starts_with("U-"));
    assert!(
        name[2..]
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
    assert_eq!(role["role_label"], "Data Entry");
    assert_eq!(role["api_export"], 1);
    assert_eq!(role["design"], 0);
    assert_eq!(
        role["forms"],
        serde_json::json!({"demographics": 130, "health": 128, "race_and_ethnicity": 128})
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
            {"username": "ann", "unique_role_name": name},
            {"username": ADMIN, "unique_role_name": ""}
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
    // Changing the role changes its members.
    c.import_user_roles()
        .data(Payload::json_text(format!(
            r#"[{{"unique_role_name":"{name}","role_label":"Data Entry 2","api_import":"1"}}]"#
        )))
        .send()
        .await
        .unwrap();
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "ann")["api_import"], 1);
    assert_eq!(user(&users, "ann")["api_export"], 1);
    // Deleting the role leaves its members with its rights, in no role.
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
    assert_eq!(
        mapping[0],
        serde_json::json!({"username": "ann", "unique_role_name": ""})
    );
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "ann")["api_import"], 1);
}

#[tokio::test]
async fn role_errors_and_csv_shapes() {
    let (_emu, c) = simple().await;
    assert_eq!(
        fails(&c, "import_user_roles", &[("data", r#"[{"role_label":""},{"unique_role_name":"U-NOPE","role_label":"x"}]"#)]).await,
        (
            Some(400),
            "The role_label is missing for one or more roles.\nThe unique role name \"U-NOPE\" is not valid.".into()
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
        fails(&c, "import_user_role_assignments", &[("data", r#"[{"username":"who","unique_role_name":""},{"username":"simple_admin","unique_role_name":"U-NOPE"}]"#)]).await,
        (
            Some(400),
            "The username \"who\" is not a valid user in this project.\nThe unique role name \"U-NOPE\" for the user \"simple_admin\" is not valid.".into()
        )
    );
    // Empty exports: the CSV header alone for the mapping; roles have none.
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
            ",\"demographics:129,health:128,race_and_ethnicity:128\",\"demographics:129,health:128,race_and_ethnicity:128,demographics:0,health:0,race_and_ethnicity:0\""
        ),
        "{row}"
    );
    assert!(row.contains(",Monitor,1,"), "{row}");
    let xml = raw(&c, "export_user_role_assignments", &[("format", "xml")])
        .await
        .unwrap();
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<items>\n<item><username><![CDATA[simple_admin]]></username><unique_role_name></unique_role_name></item>\n</items>\n"
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
    user_client(&emu, "site1", in_group("dag_1"));
    let dags = c.export_dags().send().await.unwrap();
    let names: Vec<(&str, Option<u64>)> = dags
        .iter()
        .map(|d| (d.unique_group_name.as_str(), d.data_access_group_id))
        .collect();
    assert_eq!(names, [("dag_1", Some(1)), ("dag_2", Some(2))]);
    // Create (unique names from the label; a clash gets "b") and rename.
    let count = c
        .import_dags()
        .data(Payload::json_text(
            r#"[{"data_access_group_name":"Site Três: North / 2","unique_group_name":""},{"data_access_group_name":"dag 1"},{"data_access_group_name":"Second DAG","unique_group_name":"dag_2"}]"#,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(count, 3);
    let dags = json(&c, "export_dags", &[]).await;
    assert_eq!(
        dags,
        serde_json::json!([
            {"data_access_group_name": "dag_1", "unique_group_name": "dag_1", "data_access_group_id": 1},
            {"data_access_group_name": "Second DAG", "unique_group_name": "dag_2", "data_access_group_id": 2},
            {"data_access_group_name": "Site Três: North / 2", "unique_group_name": "site_trs_north__2", "data_access_group_id": 3},
            {"data_access_group_name": "dag 1", "unique_group_name": "dag_1b", "data_access_group_id": 4}
        ])
    );
    // Delete: the group's records and users are then in no group; ids of
    // the other groups do not move.
    assert_eq!(c.delete_dags().dags(["dag_1"]).send().await.unwrap(), 1);
    let dags = json(&c, "export_dags", &[("format", "json")]).await;
    let ids: Vec<(&str, u64)> = dags
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["unique_group_name"].as_str().unwrap(),
                d["data_access_group_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ids, [("dag_2", 2), ("site_trs_north__2", 3), ("dag_1b", 4)]);
    let rows = json(
        &c,
        "export_records",
        &[("exportDataAccessGroups", "true"), ("fields", "record_id")],
    )
    .await;
    let groups: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["redcap_data_access_group"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["", "", "", "", "dag_2"]);
    let users = json(&c, "export_users", &[]).await;
    assert_eq!(user(&users, "site1")["data_access_group"], "");
    // XML and empty CSV as REDCap writes them.
    let xml = raw(&c, "export_dags", &[("format", "xml")]).await.unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<dags>\n<item><data_access_group_name><![CDATA[Second DAG]]></data_access_group_name><unique_group_name><![CDATA[dag_2]]></unique_group_name><data_access_group_id><![CDATA[2]]></data_access_group_id></item>\n"));
    assert!(xml.ends_with("</dags>\n"));
    c.delete_dags()
        .dags(["dag_2", "site_trs_north__2", "dag_1b"])
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
    assert_eq!(
        fails(
            &c,
            "import_dags",
            &[
                (
                    "data",
                    r#"[{"data_access_group_name":"","unique_group_name":""},{"data_access_group_name":"x","unique_group_name":"dag_9"}]"#
                )
            ]
        )
        .await,
        (
            Some(400),
            "The data_access_group_name field is required for every DAG.\nThe unique group name \"dag_9\" is not valid.".into()
        )
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
    user_client(&emu, "site2", in_group("dag_2"));
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
                r#"[{"username":"who","redcap_data_access_group":""},{"username":"site1","redcap_data_access_group":"dag_9"}]"#
            )]
        )
        .await,
        (
            Some(400),
            "The username \"who\" is not a valid user in this project.\nThe Data Access Group \"dag_9\" for the user \"site1\" is not a valid unique group name.".into()
        )
    );
    // A DAG member with the DAG right sees only their group's users.
    let site1 = Client::new(
        emu.url(),
        &emu.add_user(emu.projects()[0].project_id, "lead2", in_group("dag_2"))
            .unwrap(),
    )
    .unwrap();
    let seen = json(&site1, "export_user_dag_assignments", &[]).await;
    assert_eq!(
        seen,
        serde_json::json!([
            {"username": "lead2", "redcap_data_access_group": "dag_2"},
            {"username": "site1", "redcap_data_access_group": "dag_2"}
        ])
    );
    let users = json(&site1, "export_users", &[]).await;
    assert_eq!(users.as_array().unwrap().len(), 2);
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
    // switch_dag: only to a group allowed on the DAG Switcher.
    let switch = |dag: &'static str| {
        let site1 = site1.clone();
        async move { raw(&site1, "switch_dag", &[("dag", dag)]).await.unwrap() }
    };
    assert_eq!(
        switch("dag_2").await,
        "ERROR: User/DAG assignment not permitted"
    );
    assert_eq!(switch("dag_9").await, "ERROR: Invalid DAG");
    emu.allow_dag_switch(pid, "site1", &["dag_1", "dag_2", ""])
        .unwrap();
    site1.switch_dag().dag("dag_2").send().await.unwrap();
    assert_eq!(
        record_ids(&json(&site1, "export_records", &[]).await),
        ["5"]
    );
    assert_eq!(switch("").await, "1");
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
