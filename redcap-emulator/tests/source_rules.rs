//! Record export, project XML and project creation rules pinned from
//! REDCap 15.7.6's source (`API/instrument/export.php`, `Classes/ODM.php`)
//! and from real REDCap answers.

mod support;

use redcap_client::{Client, FileUpload};
use redcap_emulator::Emulator;
use support::{REPEATING, SIMPLE, client, fixture, post, start};

const PYCAP_SIMPLE: &str = "PyCap/tests/data/test_simple_project.xml";

/// Creates a project from a project XML with the super token, as PyCap's
/// integration tests do, and answers its token.
async fn create_from_xml(emu: &Emulator, xml: &str) -> String {
    let info = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<item>\n<project_title>PyCap test: 12-01 20:10:59</project_title>\n<purpose>0</purpose>\n</item>";
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", emu.super_token()),
            ("content", "project"),
            ("format", "xml"),
            ("data", info),
            ("odm", xml),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body[body.len() - 32..].to_owned()
}

async fn call(emu: &Emulator, token: &str, form: &[(&str, &str)]) -> String {
    let mut all = vec![("token", token)];
    all.extend_from_slice(form);
    let (status, _, body) = post(emu.url(), &all).await;
    assert_eq!(status, 200, "{form:?}: {body}");
    body
}

/// A project created from XML gets its records through
/// `Records::saveData` with the default `skipCalcFields`, so calculated
/// values are not stored: PyCap's simple project answers 30 EAV rows on
/// REDCap (its `test_export_records_df_eav`), not the 34 values the XML
/// holds. Rows come in dictionary order, the form status last, every time.
#[tokio::test]
async fn eav_rows_of_a_project_created_from_xml() {
    let emu = start(&[]).await;
    let xml = std::fs::read_to_string(fixture(PYCAP_SIMPLE)).unwrap();
    let token = create_from_xml(&emu, &xml).await;
    let export = || {
        call(
            &emu,
            &token,
            &[("content", "record"), ("format", "csv"), ("type", "eav")],
        )
    };
    let body = export().await;
    let rows: Vec<&str> = body.lines().skip(1).collect();
    assert_eq!(rows.len(), 30, "{body}");
    assert!(
        !rows
            .iter()
            .any(|r| r.contains(",age,") || r.contains(",bmi,"))
    );
    let first: Vec<&str> = rows
        .iter()
        .filter(|r| r.starts_with("1,"))
        .map(|r| r.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(
        first,
        [
            "record_id",
            "first_name",
            "last_name",
            "address",
            "telephone",
            "email",
            "dob",
            "ethnicity",
            "race",
            "sex",
            "height",
            "weight",
            "demographics_complete"
        ]
    );
    for _ in 0..3 {
        assert_eq!(export().await, body);
    }
}

/// `API/instrument/export.php` writes its CSV by hand (the label always
/// quoted, quotes doubled) and its XML under `<instruments>` with a final
/// newline.
#[tokio::test]
async fn instruments_csv_and_xml_as_redcap_writes_them() {
    let emu = start(&[("repeating", REPEATING)]).await;
    let token = emu.token("repeating").unwrap();
    let csv = call(&emu, token, &[("content", "instrument"), ("format", "csv")]).await;
    assert_eq!(
        csv,
        "instrument_name,instrument_label\nintake,\"intake\"\nblood_pressure,\"blood_pressure\"\nlaboratory,\"laboratory\"\nimage,\"image\"\n"
    );
    let xml = call(&emu, token, &[("content", "instrument"), ("format", "xml")]).await;
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<instruments>\n<item><instrument_name><![CDATA[intake]]></instrument_name><instrument_label><![CDATA[intake]]></instrument_label></item>\n"
    ), "{xml}");
    assert!(xml.ends_with("</instruments>\n"), "{xml}");
    // The handler logs each export.
    let log = call(
        &emu,
        token,
        &[
            ("content", "log"),
            ("format", "json"),
            ("logtype", "manage"),
        ],
    )
    .await;
    let rows: Vec<serde_json::Value> = serde_json::from_str(&log).unwrap();
    let exports = rows
        .iter()
        .filter(|r| r["details"] == "Export instruments (API)")
        .count();
    assert_eq!(exports, 2, "{log}");
}

/// `format=odm` answers CDISC ODM: the ODM element with ClinicalData and
/// no Study; blank values are written; a repeating instrument's instances
/// are FormData with their FormRepeatKey.
#[tokio::test]
async fn record_export_as_odm() {
    let emu = start(&[("repeating", REPEATING)]).await;
    let token = emu.token("repeating").unwrap();
    let body = call(
        &emu,
        token,
        &[
            ("content", "record"),
            ("format", "odm"),
            ("records[0]", "1"),
        ],
    )
    .await;
    assert!(body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<ODM xmlns=\"http://www.cdisc.org/ns/odm/v1.3\""), "{body}");
    assert!(!body.contains("<Study"), "{body}");
    assert!(body.contains("<ClinicalData StudyOID=\"Project."), "{body}");
    assert!(body.contains("\t<SubjectData SubjectKey=\"1\" redcap:RecordIdField=\"record_id\">\n\t\t\t<FormData FormOID=\"Form.intake\" FormRepeatKey=\"1\">"), "{body}");
    assert!(body.contains("<FormData FormOID=\"Form.blood_pressure\" FormRepeatKey=\"2\">\n\t\t\t\t<ItemGroupData ItemGroupOID=\"\" ItemGroupRepeatKey=\"1\">\n\t\t\t\t\t<ItemData ItemOID=\"sbp\" Value=\"1.2\"/>"), "{body}");
    // Record 1's intake row: the blank items of its intake form are
    // written, the repeating forms are not in it.
    let intake =
        &body[body.find("Form.intake").unwrap()..body.find("Form.blood_pressure").unwrap()];
    assert!(!intake.contains("ItemOID=\"sbp\""), "{intake}");
    assert!(body.ends_with("</ClinicalData>\n</ODM>"), "{body}");
}

/// Project XML leaves File Upload fields out, unless `exportFiles=true`,
/// which carries each file as `ItemDataBase64Binary` with its name and
/// type; a project created from that XML serves the same file.
#[tokio::test]
async fn project_xml_carries_files_with_export_files() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    c.import_file()
        .record("4")
        .field("mugshot")
        .file(FileUpload::new("scan.txt", b"hello".to_vec()).mime("text/plain"))
        .send()
        .await
        .unwrap();
    let token = emu.token("simple").unwrap();
    let plain = call(&emu, token, &[("content", "project_xml")]).await;
    assert!(
        plain.contains("<ItemData ItemOID=\"name_first\""),
        "{plain}"
    );
    assert!(
        !plain.contains("<ItemData ItemOID=\"mugshot\"") && !plain.contains("ItemDataBase64Binary"),
        "file fields are left out: {plain}"
    );
    let with = call(
        &emu,
        token,
        &[("content", "project_xml"), ("exportFiles", "true")],
    )
    .await;
    assert!(
        with.contains("<ItemDataBase64Binary ItemOID=\"mugshot\" redcap:DocName=\"scan.txt\" redcap:MimeType=\"text/plain\"><![CDATA[aGVsbG8=]]></ItemDataBase64Binary>"),
        "{with}"
    );
    let copy = create_from_xml(&emu, &with).await;
    let file = Client::new(emu.url(), &copy)
        .unwrap()
        .export_file()
        .record("4")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), b"hello");
    assert_eq!(file.name.as_deref(), Some("scan.txt"));
}

/// `ODM::addRepeatingInstrumentsAndEvents` files a classic project's
/// repeating instruments under its one event whatever event name the XML
/// gives, so repeat instances import.
#[tokio::test]
async fn classic_repeating_setup_applies_whatever_its_event_name() {
    let emu = start(&[]).await;
    let xml = std::fs::read_to_string(fixture(REPEATING))
        .unwrap()
        .replace(
            "redcap:UniqueEventName=\"event_1_arm_1\" redcap:RepeatInstrument",
            "redcap:UniqueEventName=\"visit_arm_1\" redcap:RepeatInstrument",
        );
    assert!(xml.contains("visit_arm_1"));
    let token = create_from_xml(&emu, &xml).await;
    let forms = call(
        &emu,
        &token,
        &[("content", "repeatingFormsEvents"), ("format", "json")],
    )
    .await;
    assert!(
        forms.contains("\"form_name\":\"blood_pressure\""),
        "{forms}"
    );
    let count = call(
        &emu,
        &token,
        &[
            ("content", "record"),
            ("format", "csv"),
            (
                "data",
                "record_id,redcap_repeat_instrument,redcap_repeat_instance,sbp\n1,blood_pressure,9,1.9\n",
            ),
        ],
    )
    .await;
    assert_eq!(count, "1");
    let csv = call(
        &emu,
        &token,
        &[
            ("content", "record"),
            ("format", "csv"),
            ("records[0]", "1"),
        ],
    )
    .await;
    assert!(csv.contains("\n1,blood_pressure,9,"), "{csv}");
}

/// `API/record/delete.php` answers `api_135` (400) to a user with Delete
/// Records but without API Import; nothing is deleted.
#[tokio::test]
async fn record_delete_needs_api_import_too() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let pid = emu.projects()[0].project_id;
    let mut rights = redcap_emulator::UserRights::full();
    rights.api_import = false;
    let token = emu.add_user(pid, "deleter", rights).unwrap();
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", token.as_str()),
            ("content", "record"),
            ("action", "delete"),
            ("records[0]", "1"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        r#"{"error":"Insufficient user privileges: You must have 'API Import\/Update' privileges and 'Delete Records' privileges in the project in order to utilize this API method."}"#
    );
    let owner = emu.token("simple").unwrap();
    let ids = call(
        &emu,
        owner,
        &[
            ("content", "record"),
            ("format", "csv"),
            ("fields", "record_id"),
        ],
    )
    .await;
    assert!(ids.contains("\n1\n"), "{ids}");
}

/// REDCapR's simple project as REDCap answers its EAV export (REDCapR's
/// recorded `read-eav-oneshot` answers): 103 rows in all, and 61 for
/// records 1, 3 and 4 (20, 21 and 20 rows: one per stored value, the
/// record-ID field and each checked checkbox code included).
#[tokio::test]
async fn eav_rows_of_redcaprs_simple_project() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let token = emu.token("simple").unwrap();
    let count = |body: String| {
        let rows: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
        let mut per: std::collections::BTreeMap<String, usize> = Default::default();
        for row in &rows {
            *per.entry(row["record"].as_str().unwrap().to_owned())
                .or_default() += 1;
        }
        (rows.len(), per)
    };
    let all = call(
        &emu,
        token,
        &[("content", "record"), ("format", "json"), ("type", "eav")],
    )
    .await;
    assert_eq!(count(all).0, 103);
    let some = call(
        &emu,
        token,
        &[
            ("content", "record"),
            ("format", "json"),
            ("type", "eav"),
            ("records", "1,3,4"),
        ],
    )
    .await;
    let (total, per) = count(some);
    assert_eq!(total, 61);
    assert_eq!(
        per.into_iter().collect::<Vec<_>>(),
        [
            ("1".to_owned(), 20),
            ("3".to_owned(), 21),
            ("4".to_owned(), 20)
        ]
    );
}

/// `records[]` sent with no names: REDCap's message for an empty array.
#[tokio::test]
async fn record_delete_of_an_empty_array() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let token = emu.token("simple").unwrap();
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", token),
            ("content", "record"),
            ("action", "delete"),
            ("records[]", ""),
            ("format", "csv"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body,
        "ERROR: The 'records' parameter is an empty array. The parameter must be an array containing one or more record names to delete."
    );
}
