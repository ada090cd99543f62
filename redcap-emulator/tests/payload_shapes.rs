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
    let one = |format: &str| {
        match format {
        "json" => r#"[{"arm_num":"1","unique_event_name":"enrollment_arm_1","form":"demographics"}]"#.to_owned(),
        "csv" => "arm_num,unique_event_name,form\n1,enrollment_arm_1,demographics\n".to_owned(),
        _ => "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><items><item><arm_num>1</arm_num><unique_event_name>enrollment_arm_1</unique_event_name><form>demographics</form></item></items>".to_owned(),
    }
    };
    for format in ["json", "csv", "xml"] {
        assert_eq!(
            send(&emu, "formEventMapping", format, &one(format)).await,
            (200, "1".to_owned()),
            "{format}"
        );
        let mappings = export(&emu, "formEventMapping").await;
        assert_eq!(mappings.len(), 1, "{format}: {mappings:?}");
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
    // Not the role CSV: its form-rights cells carry stored values (128 for
    // no access) and REDCap 15.7.6's doubled `forms_export` pairs, which
    // the CSV importer's 0–3 check refuses.
    let cases = ["dag", "userDagMapping", "userRole", "userRoleMapping"]
        .into_iter()
        .flat_map(|c| ["json", "csv", "xml"].map(|f| (c, f)))
        .filter(|case| *case != ("userRole", "csv"));
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
