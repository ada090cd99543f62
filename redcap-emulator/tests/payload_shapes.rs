//! The `data` shapes REDCap 15.7.6's importers accept, per method and
//! format, pinned from their handlers: `API/event/import.php`,
//! `API/formEventMapping/import.php` and `API/user/import.php` decode JSON
//! with `json_decode`, XML only under the method's root element
//! (`events`, `items`, `users`), and CSV after turning `&#10;`/`&#13;`
//! back into line breaks; data that does not decode is answered 200 with
//! "The data is not in the specified format.".

mod support;

use redcap_emulator::Emulator;
use support::{PYCAP_LONG, post, start};

const NOT_IN_FORMAT: &str = "The data is not in the specified format.";

async fn send(emu: &Emulator, content: &str, format: &str, data: &str) -> (u16, String) {
    let token = emu.token("long").unwrap();
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", token),
            ("content", content),
            ("format", format),
            ("data", data),
        ],
    )
    .await;
    (status, body)
}

async fn export(emu: &Emulator, content: &str) -> Vec<serde_json::Value> {
    let (status, body) = {
        let token = emu.token("long").unwrap();
        let (status, _, body) = post(
            emu.url(),
            &[("token", token), ("content", content), ("format", "json")],
        )
        .await;
        (status, body)
    };
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test]
async fn events_in_json_csv_and_xml() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    let before = export(&emu, "event").await.len();
    assert_eq!(
        send(
            &emu,
            "event",
            "json",
            r#"[{"event_name":"Extra A","arm_num":"1"}]"#
        )
        .await,
        (200, "1".to_owned())
    );
    // CSV: an event name with an encoded line break is read as one value.
    assert_eq!(
        send(
            &emu,
            "event",
            "csv",
            "event_name,arm_num\n\"Extra&#10;B\",1\n"
        )
        .await,
        (200, "1".to_owned())
    );
    assert_eq!(
        send(
            &emu,
            "event",
            "xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><events><item><event_name>Extra C</event_name><arm_num>1</arm_num></item><item><event_name>Extra D</event_name><arm_num>1</arm_num></item></events>"
        )
        .await,
        (200, "2".to_owned())
    );
    let names: Vec<String> = export(&emu, "event")
        .await
        .iter()
        .map(|e| e["event_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), before + 4);
    for name in ["Extra A", "Extra\nB", "Extra C", "Extra D"] {
        assert!(names.iter().any(|n| n == name), "{names:?}");
    }
    // XML under another root, and JSON that does not decode: 200 with
    // `data_import_tool_200`, nothing imported.
    assert_eq!(
        send(
            &emu,
            "event",
            "xml",
            "<records><item><event_name>Extra E</event_name><arm_num>1</arm_num></item></records>"
        )
        .await,
        (200, NOT_IN_FORMAT.to_owned())
    );
    assert_eq!(
        send(&emu, "event", "json", "[{\"event_name\":").await,
        (200, NOT_IN_FORMAT.to_owned())
    );
    assert_eq!(export(&emu, "event").await.len(), before + 4);
}

#[tokio::test]
async fn mappings_in_json_csv_and_xml() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    // XML holds two items: `$data['items']['item']` is a list only then.
    let one = |format: &str| {
        match format {
        "json" => r#"[{"arm_num":"1","unique_event_name":"enrollment_arm_1","form":"demographics"}]"#.to_owned(),
        "csv" => "arm_num,unique_event_name,form\n1,enrollment_arm_1,demographics\n".to_owned(),
        _ => "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><items><item><arm_num>1</arm_num><unique_event_name>enrollment_arm_1</unique_event_name><form>demographics</form></item><item><arm_num>1</arm_num><unique_event_name>enrollment_arm_1</unique_event_name><form>contact_info</form></item></items>".to_owned(),
    }
    };
    for format in ["json", "csv", "xml"] {
        let expected = if format == "xml" { "2" } else { "1" };
        assert_eq!(
            send(&emu, "formEventMapping", format, &one(format)).await,
            (200, expected.to_owned()),
            "{format}"
        );
        let mappings = export(&emu, "formEventMapping").await;
        assert_eq!(
            mappings.len().to_string(),
            expected,
            "{format}: {mappings:?}"
        );
        assert_eq!(mappings[0]["form"], "demographics");
    }
    // The export's own XML root is not the importer's.
    let records_root = one("xml")
        .replace("<items>", "<records>")
        .replace("</items>", "</records>");
    assert_eq!(
        send(&emu, "formEventMapping", "xml", &records_root).await,
        (200, NOT_IN_FORMAT.to_owned())
    );
    assert_eq!(
        send(&emu, "formEventMapping", "json", "not json").await,
        (200, NOT_IN_FORMAT.to_owned())
    );
}

#[tokio::test]
async fn users_in_json_csv_and_xml() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    assert_eq!(
        send(
            &emu,
            "user",
            "json",
            r#"[{"username":"ann","forms":{"demographics":"1"}}]"#
        )
        .await,
        (200, "1".to_owned())
    );
    // CSV: form rights as `form:right` pairs.
    assert_eq!(
        send(
            &emu,
            "user",
            "csv",
            "username,forms\nbob,\"demographics:1,contact_info:0\"\n"
        )
        .await,
        (200, "1".to_owned())
    );
    // XML: a single `<item>` under `<users>`.
    assert_eq!(
        send(
            &emu,
            "user",
            "xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><users><item><username>cy</username></item></users>"
        )
        .await,
        (200, "1".to_owned())
    );
    let users = export(&emu, "user").await;
    let bob = users.iter().find(|u| u["username"] == "bob").unwrap();
    assert_eq!(bob["forms"]["contact_info"], 0);
    assert!(users.iter().any(|u| u["username"] == "cy"));
    assert!(users.iter().any(|u| u["username"] == "ann"));
    assert_eq!(
        send(
            &emu,
            "user",
            "xml",
            "<records><item><username>dee</username></item></records>"
        )
        .await,
        (200, NOT_IN_FORMAT.to_owned())
    );
}

/// `format=odm` record imports: ClinicalData as REDCap writes it (here, the
/// emulator's own ODM export) brings back a record with its repeating
/// instances, read with the project's repeating setup; the record-ID field
/// comes from `SubjectKey`.
#[tokio::test]
async fn records_in_odm() {
    let emu = start(&[("repeating", support::REPEATING)]).await;
    let token = emu.token("repeating").unwrap();
    let call = |form: Vec<(&'static str, String)>| {
        let url = emu.url().to_owned();
        async move {
            let mut all: Vec<(&str, &str)> = vec![("token", token)];
            all.extend(form.iter().map(|(k, v)| (*k, v.as_str())));
            let (status, _, body) = post(&url, &all).await;
            (status, body)
        }
    };
    let csv = |record: &'static str| {
        call(vec![
            ("content", "record".to_owned()),
            ("format", "csv".to_owned()),
            ("records[0]", record.to_owned()),
        ])
    };
    let (_, before) = csv("1").await;
    let (status, odm) = call(vec![
        ("content", "record".to_owned()),
        ("format", "odm".to_owned()),
        ("records[0]", "1".to_owned()),
    ])
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(vec![
        ("content", "record".to_owned()),
        ("action", "delete".to_owned()),
        ("records[0]", "1".to_owned()),
    ])
    .await;
    assert_eq!((status, body.as_str()), (200, "1"));
    let (status, body) = call(vec![
        ("content", "record".to_owned()),
        ("format", "odm".to_owned()),
        ("returnFormat", "json".to_owned()),
        ("data", odm.clone()),
    ])
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    // Everything but the uploaded files, which record imports skip.
    assert!(before.contains("[document]"));
    assert_eq!(csv("1").await.1, before.replace("[document]", ""));
    // The record-ID item is not needed: SubjectKey names the record.
    let renamed = odm
        .replace("SubjectKey=\"1\"", "SubjectKey=\"77\"")
        .replace("<ItemData ItemOID=\"record_id\" Value=\"1\"/>", "");
    let (status, body) = call(vec![
        ("content", "record".to_owned()),
        ("format", "odm".to_owned()),
        ("returnFormat", "json".to_owned()),
        ("data", renamed),
    ])
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    let copy = csv("77").await.1;
    assert_eq!(copy.lines().count(), before.lines().count(), "{copy}");
    // Not XML at all: REDCap's format error.
    let (status, body) = call(vec![
        ("content", "record".to_owned()),
        ("format", "odm".to_owned()),
        ("returnFormat", "json".to_owned()),
        ("data", "<ODM><ClinicalData>".to_owned()),
    ])
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not formatted correctly"), "{body}");
}

/// Each export of groups, user–group assignments, roles and user–role
/// assignments, in json, csv and xml, is a payload its import reads back
/// (what a client that copies a project's setup sends): the XML roots
/// `dags`, `items`, `userRoles` and `items` are the importers' own.
#[tokio::test]
async fn access_exports_import_back_in_every_format() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let token = emu.token("simple").unwrap();
    // A second user in a group and a role, so that every table has rows.
    for (content, data) in [
        ("user", r#"[{"username":"ann"}]"#),
        ("userRole", r#"[{"role_label":"Viewer"}]"#),
    ] {
        let (status, _, body) = post(
            emu.url(),
            &[
                ("token", token),
                ("content", content),
                ("format", "json"),
                ("data", data),
            ],
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "1"), "{content}");
    }
    let cases = ["dag", "userDagMapping", "userRole", "userRoleMapping"]
        .into_iter()
        .flat_map(|c| ["json", "csv", "xml"].map(|f| (c, f)));
    for (content, format) in cases {
        {
            let (status, _, exported) = post(
                emu.url(),
                &[("token", token), ("content", content), ("format", format)],
            )
            .await;
            assert_eq!(status, 200, "{content} {format}: {exported}");
            let (_, _, rows) = post(
                emu.url(),
                &[("token", token), ("content", content), ("format", "json")],
            )
            .await;
            let rows: Vec<serde_json::Value> = serde_json::from_str(&rows).unwrap();
            let (status, _, body) = post(
                emu.url(),
                &[
                    ("token", token),
                    ("content", content),
                    ("format", format),
                    ("data", &exported),
                ],
            )
            .await;
            assert_eq!(
                (status, body.as_str()),
                (200, rows.len().to_string().as_str()),
                "{content} {format}: {exported}"
            );
        }
    }
}

/// A call on any project of the emulator.
async fn on(emu: &Emulator, project: &str, form: &[(&str, &str)]) -> (u16, String) {
    let token = emu.token(project).unwrap();
    let mut all = vec![("token", token)];
    all.extend_from_slice(form);
    let (status, _, body) = post(emu.url(), &all).await;
    (status, body)
}

/// The dictionary in each export format imports back, as
/// `API/metadata/import.php` decodes it (XML only under `<records>`); XML
/// under another root is answered with an empty 200 (the handler returns a
/// language string it cannot see) and changes nothing.
#[tokio::test]
async fn metadata_in_json_csv_and_xml() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let (_, before) = on(
        &emu,
        "simple",
        &[("content", "metadata"), ("format", "json")],
    )
    .await;
    let fields = serde_json::from_str::<Vec<serde_json::Value>>(&before)
        .unwrap()
        .len()
        .to_string();
    for format in ["json", "csv", "xml"] {
        let (status, exported) = on(
            &emu,
            "simple",
            &[("content", "metadata"), ("format", format)],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(
            on(
                &emu,
                "simple",
                &[
                    ("content", "metadata"),
                    ("format", format),
                    ("data", &exported)
                ]
            )
            .await,
            (200, fields.clone()),
            "{format}: {exported}"
        );
        let (_, after) = on(
            &emu,
            "simple",
            &[("content", "metadata"), ("format", "json")],
        )
        .await;
        assert_eq!(after, before, "{format}");
    }
    let (_, xml) = on(
        &emu,
        "simple",
        &[("content", "metadata"), ("format", "xml")],
    )
    .await;
    assert!(xml.contains("<records>"), "{xml}");
    let other_root = xml
        .replace("<records>", "<metadata>")
        .replace("</records>", "</metadata>");
    assert_eq!(
        on(
            &emu,
            "simple",
            &[
                ("content", "metadata"),
                ("format", "xml"),
                ("data", &other_root)
            ]
        )
        .await,
        (200, String::new())
    );
    let (_, after) = on(
        &emu,
        "simple",
        &[("content", "metadata"), ("format", "json")],
    )
    .await;
    assert_eq!(after, before);
}

/// Arms: JSON, CSV, and XML under `<arms>` (`API/arm/import.php`);
/// anything else in XML is 200 "The data is not in the specified format.".
#[tokio::test]
async fn arms_in_json_csv_and_xml() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    let cases = [
        ("json", r#"[{"arm_num":"3","name":"Three"}]"#.to_owned()),
        ("csv", "arm_num,name\n4,Four\n".to_owned()),
        (
            "xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><arms><item><arm_num>5</arm_num><name><![CDATA[Five & more]]></name></item><item><arm_num>6</arm_num><name>Six</name></item></arms>".to_owned(),
        ),
    ];
    for (format, data) in &cases {
        let expected = if *format == "xml" { "2" } else { "1" };
        assert_eq!(
            on(
                &emu,
                "long",
                &[("content", "arm"), ("format", format), ("data", data)]
            )
            .await,
            (200, expected.to_owned()),
            "{format}"
        );
    }
    let arms = export(&emu, "arm").await;
    let names: Vec<&str> = arms.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["Drug A", "Drug B", "Three", "Four", "Five & more", "Six"]
    );
    assert_eq!(
        on(
            &emu,
            "long",
            &[
                ("content", "arm"),
                ("format", "xml"),
                (
                    "data",
                    "<records><item><arm_num>7</arm_num><name>Seven</name></item></records>"
                )
            ]
        )
        .await,
        (200, NOT_IN_FORMAT.to_owned())
    );
    assert_eq!(export(&emu, "arm").await.len(), 6);
}

/// Repeating instruments: JSON, CSV, and XML under
/// `<repeatingFormsEvents>`. Data the handler cannot decode still runs its
/// first query, which removes the whole repeating setup, and answers 0.
#[tokio::test]
async fn repeating_setup_in_json_csv_and_xml() {
    let emu = start(&[("repeating", support::REPEATING)]).await;
    let setup = |format: &'static str, data: &'static str| {
        let emu = &emu;
        async move {
            on(
                emu,
                "repeating",
                &[
                    ("content", "repeatingFormsEvents"),
                    ("format", format),
                    ("data", data),
                ],
            )
            .await
        }
    };
    assert_eq!(
        setup(
            "json",
            r#"[{"form_name":"blood_pressure","custom_form_label":""}]"#
        )
        .await,
        (200, "1".to_owned())
    );
    assert_eq!(
        setup(
            "csv",
            "form_name,custom_form_label\nlaboratory,\"[lab]\"\nimage,\n"
        )
        .await,
        (200, "2".to_owned())
    );
    assert_eq!(
        setup(
            "xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><repeatingFormsEvents><item><form_name>blood_pressure</form_name><custom_form_label><![CDATA[[sbp]]]></custom_form_label></item></repeatingFormsEvents>"
        )
        .await,
        (200, "1".to_owned())
    );
    let (_, body) = on(
        &emu,
        "repeating",
        &[("content", "repeatingFormsEvents"), ("format", "json")],
    )
    .await;
    assert_eq!(
        body,
        r#"[{"form_name":"blood_pressure","custom_form_label":"[sbp]"}]"#
    );
    for (format, data) in [
        (
            "xml",
            "<items><item><form_name>image</form_name></item></items>",
        ),
        ("json", "[{\"form_name\":"),
    ] {
        assert_eq!(setup(format, data).await, (200, "0".to_owned()), "{format}");
        let (status, body) = on(
            &emu,
            "repeating",
            &[("content", "repeatingFormsEvents"), ("format", "json")],
        )
        .await;
        assert_eq!(status, 400, "{format}");
        assert!(
            body.contains("the project does not contain any repeating instruments"),
            "{format}: {body}"
        );
        setup("json", r#"[{"form_name":"image"}]"#).await;
    }
}

/// Project settings (`API/project_settings/import.php`): one JSON object,
/// the first CSV row or the children of `<items>`; the answer counts the
/// keys sent, known or not. A JSON array is counted and stores nothing;
/// XML under another root is a 400 with an empty message.
#[tokio::test]
async fn project_settings_in_json_csv_and_xml() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let import = |format: &'static str, data: &'static str| {
        let emu = &emu;
        async move {
            on(
                emu,
                "simple",
                &[
                    ("content", "project_settings"),
                    ("format", format),
                    ("data", data),
                ],
            )
            .await
        }
    };
    let title = || {
        let emu = &emu;
        async move {
            let (_, body) = on(emu, "simple", &[("content", "project"), ("format", "json")]).await;
            serde_json::from_str::<serde_json::Value>(&body).unwrap()["project_title"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        import("json", r#"{"project_title":"One","not_a_setting":"x"}"#).await,
        (200, "2".to_owned())
    );
    assert_eq!(title().await, "One");
    assert_eq!(
        import("csv", "project_title,project_notes\nTwo,n\nThree,m\n").await,
        (200, "2".to_owned())
    );
    assert_eq!(title().await, "Two");
    assert_eq!(
        import(
            "xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><items><project_title><![CDATA[Four & five]]></project_title></items>"
        )
        .await,
        (200, "1".to_owned())
    );
    assert_eq!(title().await, "Four & five");
    assert_eq!(
        import("json", r#"[{"project_title":"Six"}]"#).await,
        (200, "1".to_owned())
    );
    assert_eq!(title().await, "Four & five");
    assert_eq!(
        import("xml", "<item><project_title>Seven</project_title></item>").await,
        (
            400,
            r#"<?xml version="1.0" encoding="UTF-8" ?><hash><error></error></hash>"#.to_owned()
        )
    );
    assert_eq!(
        import("json", "{\"project_title\":").await,
        (400, r#"{"error":""}"#.to_owned())
    );
    assert_eq!(title().await, "Four & five");
}

/// Roles, groups and user–group assignments take XML only under their
/// importer's root (`userRoles`, `dags`, `items`); the export roots of the
/// other methods are answered 200 "The data is not in the specified
/// format." and change nothing.
#[tokio::test]
async fn access_xml_only_under_its_root() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let cases = [
        (
            "userRole",
            "<userRoles><item><role_label>Viewer</role_label></item></userRoles>",
            "<items><item><role_label>Other</role_label></item></items>",
        ),
        (
            "dag",
            "<dags><item><data_access_group_name>Site A</data_access_group_name><unique_group_name></unique_group_name></item></dags>",
            "<records><item><data_access_group_name>Site B</data_access_group_name><unique_group_name></unique_group_name></item></records>",
        ),
        (
            "userDagMapping",
            "<items><item><username>site_admin</username><redcap_data_access_group>site_a</redcap_data_access_group></item></items>",
            "<dags><item><username>site_admin</username><redcap_data_access_group></redcap_data_access_group></item></dags>",
        ),
    ];
    for (content, good, bad) in cases {
        assert_eq!(
            on(
                &emu,
                "simple",
                &[("content", content), ("format", "xml"), ("data", good)]
            )
            .await,
            (200, "1".to_owned()),
            "{content}"
        );
        let (_, before) = on(&emu, "simple", &[("content", content), ("format", "json")]).await;
        assert_eq!(
            on(
                &emu,
                "simple",
                &[("content", content), ("format", "xml"), ("data", bad)]
            )
            .await,
            (200, NOT_IN_FORMAT.to_owned()),
            "{content}"
        );
        let (_, after) = on(&emu, "simple", &[("content", content), ("format", "json")]).await;
        assert_eq!(after, before, "{content}");
    }
}

/// Record imports in the shapes REDCap's API help documents for
/// `Records::saveData`: flat rows and EAV (`type=eav`: `record`,
/// `field_name`, `value`) in JSON, CSV and XML under `<records>`, values
/// in CDATA or escaped.
#[tokio::test]
async fn records_flat_and_eav_in_json_csv_and_xml() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "flat",
            "json",
            r#"[{"record_id":"50","name_first":"A & B"}]"#,
            "50",
        ),
        ("flat", "csv", "record_id,name_first\n51,\"A & B\"\n", "51"),
        (
            "flat",
            "xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><records><item><record_id>52</record_id><name_first><![CDATA[A & B]]></name_first></item></records>",
            "52",
        ),
        (
            "eav",
            "json",
            r#"[{"record":"53","field_name":"name_first","value":"A & B"}]"#,
            "53",
        ),
        (
            "eav",
            "csv",
            "record,field_name,value\n54,name_first,A & B\n",
            "54",
        ),
        (
            "eav",
            "xml",
            // `Records::saveData` runs `html_entity_decode` over the XML
            // before parsing it, so an `&` outside CDATA is escaped twice.
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><records><item><record>55</record><field_name>name_first</field_name><value>A &amp;amp; B</value></item></records>",
            "55",
        ),
    ];
    for (kind, format, data, record) in cases {
        assert_eq!(
            on(
                &emu,
                "simple",
                &[
                    ("content", "record"),
                    ("format", format),
                    ("type", kind),
                    ("returnFormat", "json"),
                    ("data", data)
                ]
            )
            .await,
            (200, r#"{"count": 1}"#.to_owned()),
            "{kind} {format}"
        );
        let (_, body) = on(
            &emu,
            "simple",
            &[
                ("content", "record"),
                ("format", "json"),
                ("records[0]", record),
                ("fields[0]", "name_first"),
            ],
        )
        .await;
        assert_eq!(body, r#"[{"name_first":"A & B"}]"#, "{kind} {format}");
    }
}

/// User roles exported as CSV import back as the same roles. REDCap
/// 15.7.6's CSV export (`API/userRole/export.php`) writes the stored form
/// codes (`128` no access, `130` view and edit, …) and builds
/// `forms_export` on top of the `forms` pairs, so each form appears twice
/// there; its importer (`API/userRole/import.php`) reads the pairs into an
/// array keyed by form, where the later, export right wins.
#[tokio::test]
async fn user_roles_round_trip_through_csv() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let roles = r#"[
 {"role_label":"Entry","design":"1","forms":{"demographics":"1","health":"2","race_and_ethnicity":"0"},"forms_export":{"demographics":"1","health":"2","race_and_ethnicity":"3"}},
 {"role_label":"Reader","data_export":"2","forms":{"demographics":"2","health":"0","race_and_ethnicity":"3"},"forms_export":{"demographics":"3","health":"0","race_and_ethnicity":"1"}},
 {"role_label":"Coded","forms":{"demographics":"130","health":"128","race_and_ethnicity":"129"},"forms_export":{"demographics":"2","health":"0","race_and_ethnicity":"1"}}
]"#;
    assert_eq!(
        on(
            &emu,
            "simple",
            &[("content", "userRole"), ("format", "json"), ("data", roles)]
        )
        .await,
        (200, "3".to_owned())
    );
    let (_, original) = on(
        &emu,
        "simple",
        &[("content", "userRole"), ("format", "json")],
    )
    .await;
    let (_, csv) = on(
        &emu,
        "simple",
        &[("content", "userRole"), ("format", "csv")],
    )
    .await;
    assert!(csv.contains("demographics:130"), "{csv}");
    assert!(csv.contains("health:128"), "{csv}");
    // Every role is changed, then the CSV brings them back.
    let listed: Vec<serde_json::Value> = serde_json::from_str(&original).unwrap();
    let changed: Vec<serde_json::Value> = listed
        .iter()
        .map(|r| {
            serde_json::json!({
                "unique_role_name": r["unique_role_name"],
                "role_label": "Changed",
                "forms": {"demographics": "0", "health": "0", "race_and_ethnicity": "0"},
                "forms_export": {"demographics": "0", "health": "0", "race_and_ethnicity": "0"},
            })
        })
        .collect();
    let changed = serde_json::to_string(&changed).unwrap();
    on(
        &emu,
        "simple",
        &[
            ("content", "userRole"),
            ("format", "json"),
            ("data", &changed),
        ],
    )
    .await;
    let (_, now) = on(
        &emu,
        "simple",
        &[("content", "userRole"), ("format", "json")],
    )
    .await;
    assert_ne!(now, original);
    assert_eq!(
        on(
            &emu,
            "simple",
            &[("content", "userRole"), ("format", "csv"), ("data", &csv)]
        )
        .await,
        (200, listed.len().to_string())
    );
    let (_, back) = on(
        &emu,
        "simple",
        &[("content", "userRole"), ("format", "json")],
    )
    .await;
    assert_eq!(back, original);
}
