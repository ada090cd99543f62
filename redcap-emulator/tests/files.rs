//! Files of File Upload fields, the File Repository, PDFs, validation
//! types and attachments, over HTTP with the typed client.

mod support;

use redcap_client::params::{DataFormat, Format};
use redcap_client::{Client, Error, FileUpload, Payload};
use redcap_emulator::{Emulator, UserRights};
use support::{LONGITUDINAL, REPEATING, SIMPLE, client, start};

/// Every byte value, so that a round trip proves nothing is re-encoded.
fn binary() -> Vec<u8> {
    (0..=255u8).cycle().take(1000).collect()
}

fn status_message(error: &Error) -> (Option<u16>, Option<&str>) {
    (error.status(), error.api_message())
}

/// A raw POST: status, headers and body bytes.
async fn post_raw(url: &str, form: &[(&str, &str)]) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let response = reqwest::Client::new()
        .post(url)
        .form(form)
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.bytes().await.expect("body").to_vec();
    (status, headers, body)
}

fn header<'h>(headers: &'h reqwest::header::HeaderMap, name: &str) -> &'h str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn user(emu: &Emulator, name: &str, rights: UserRights) -> Client {
    let pid = emu.projects()[0].project_id;
    let token = emu.add_user(pid, name, rights).expect("user added");
    Client::new(emu.url(), &token).expect("client")
}

#[tokio::test]
async fn upload_download_round_trip_keeps_bytes_name_and_type() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    c.import_file()
        .record("4")
        .field("mugshot")
        .file(FileUpload::new("scan.png", binary()).mime("image/png"))
        .send()
        .await
        .unwrap();
    let file = c
        .export_file()
        .record("4")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), binary().as_slice());
    assert_eq!(file.name.as_deref(), Some("scan.png"));
    assert_eq!(file.mime.as_deref(), Some("image/png"));

    let token = emu.token("simple").unwrap();
    let (status, headers, body) = post_raw(
        emu.url(),
        &[
            ("token", token),
            ("content", "file"),
            ("action", "export"),
            ("record", "4"),
            ("field", "mugshot"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        "image/png; name=\"scan.png\""
    );
    assert_eq!(
        header(&headers, "content-security-policy"),
        "script-src 'none'"
    );
    assert_eq!(body, binary());

    let info = c
        .export_file_info()
        .record("4")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!((info.size, info.name.as_str()), (1000, "scan.png"));
    let (_, headers, body) = post_raw(
        emu.url(),
        &[
            ("token", token),
            ("content", "fileinfo"),
            ("action", "export"),
            ("record", "4"),
            ("field", "mugshot"),
        ],
    )
    .await;
    assert_eq!(body, br#"{"size":1000,"name":"scan.png"}"#);
    assert!(header(&headers, "content-type").starts_with("application/json"));

    // The record export shows REDCap's placeholder for a file field.
    let csv = c
        .export_records()
        .records(["4"])
        .fields(["record_id", "mugshot"])
        .send_raw(DataFormat::Csv)
        .await
        .unwrap();
    assert_eq!(csv.text().unwrap(), "record_id,mugshot\n4,[document]\n");

    // The upload and the download are in the project log.
    let log = support::raw(&c, "export_logging", &[("format", "json")])
        .await
        .unwrap();
    assert!(log.contains("Upload document (API)"), "{log}");
    assert!(log.contains("Download file (API)"), "{log}");

    // A new upload replaces the file; single quotes and backslashes are
    // dropped from the name, and the type is guessed from the extension.
    c.import_file()
        .record("4")
        .field("mugshot")
        .file(FileUpload::new("o'neil\\s notes.txt", b"hello".to_vec()))
        .send()
        .await
        .unwrap();
    let file = c
        .export_file()
        .record("4")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), b"hello");
    assert_eq!(file.name.as_deref(), Some("oneils notes.txt"));
    assert_eq!(file.mime.as_deref(), Some("text/plain"));
}

#[tokio::test]
async fn files_inside_the_project_xml_are_downloadable() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let file = c
        .export_file()
        .record("1")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(file.name.as_deref(), Some("mugshot-1.jpg"));
    assert_eq!(file.mime.as_deref(), Some("image/jpeg"));
    assert!(file.bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
}

#[tokio::test]
async fn repeating_instances_have_their_own_files() {
    let emu = start(&[("repeating", REPEATING)]).await;
    let c = client(&emu, "repeating");
    // Instance 9 of the repeating `image` form does not exist yet: the
    // upload creates it (form status Incomplete) as REDCap does.
    c.import_file()
        .record("1")
        .field("image_profile")
        .repeat_instance(9)
        .file(FileUpload::new("nine.bin", vec![9u8; 9]))
        .send()
        .await
        .unwrap();
    let nine = c
        .export_file()
        .record("1")
        .field("image_profile")
        .repeat_instance(9)
        .send()
        .await
        .unwrap();
    assert_eq!(nine.bytes.as_ref(), &[9u8; 9]);
    assert_eq!(nine.name.as_deref(), Some("nine.bin"));
    assert_eq!(nine.mime.as_deref(), Some("application/octet-stream"));
    let first = c
        .export_file()
        .record("1")
        .field("image_profile")
        .send()
        .await
        .unwrap();
    assert_eq!(first.name.as_deref(), Some("levon-and-barry.jpg"));
    let csv = c
        .export_records()
        .records(["1"])
        .fields(["record_id", "image_profile", "image_complete"])
        .send_raw(DataFormat::Csv)
        .await
        .unwrap();
    let text = csv.text().unwrap();
    assert!(
        text.contains("1,image,9,[document],0\n"),
        "instance 9 exists with its file and an Incomplete status:\n{text}"
    );
    let error = c
        .export_file()
        .record("1")
        .field("image_profile")
        .repeat_instance(8)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("There is no file to download for this record")
        )
    );
}

#[tokio::test]
async fn longitudinal_files_live_in_their_event() {
    let emu = start(&[("long", LONGITUDINAL)]).await;
    let c = client(&emu, "long");
    c.import_file()
        .record("100")
        .field("patient_document")
        .event("enrollment_arm_1")
        .file(FileUpload::new("consent.pdf", b"%PDF-1.4 consent".to_vec()))
        .send()
        .await
        .unwrap();
    let file = c
        .export_file()
        .record("100")
        .field("patient_document")
        .event("enrollment_arm_1")
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), b"%PDF-1.4 consent");
    assert_eq!(file.mime.as_deref(), Some("application/pdf"));
    // `demographics` is not designated to `dose_1_arm_1`: REDCap answers
    // 200 and stores nothing.
    c.import_file()
        .record("100")
        .field("patient_document")
        .event("dose_1_arm_1")
        .file(FileUpload::new("other.pdf", b"x".to_vec()))
        .send()
        .await
        .unwrap();
    let error = c
        .export_file()
        .record("100")
        .field("patient_document")
        .event("dose_1_arm_1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("There is no file to download for this record")
        )
    );
    // A record without data in the event does not exist there.
    let error = c
        .export_file()
        .record("100")
        .field("patient_document")
        .event("enrollment_arm_2")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("The record \"100\" does not exist"))
    );
}

#[tokio::test]
async fn delete_removes_the_file_and_only_once() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let delete = || c.delete_file().record("2").field("mugshot").send();
    delete().await.unwrap();
    let error = c
        .export_file()
        .record("2")
        .field("mugshot")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("There is no file to download for this record")
        )
    );
    let error = delete().await.unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("There is no file to delete for this record")
        )
    );
    let csv = c
        .export_records()
        .records(["2"])
        .fields(["record_id", "mugshot"])
        .send_raw(DataFormat::Csv)
        .await
        .unwrap();
    assert_eq!(csv.text().unwrap(), "record_id,mugshot\n2,\n");
}

#[tokio::test]
async fn file_errors_are_redcaps() {
    let emu = start(&[("simple", SIMPLE), ("long", LONGITUDINAL)]).await;
    let c = client(&emu, "simple");
    let error = c
        .export_file()
        .record("1")
        .field("name_first")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("The field 'name_first' does not exist or is not a 'file' field")
        )
    );
    let error = c
        .export_file()
        .record("99")
        .field("mugshot")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("The record \"99\" does not exist"))
    );
    let error = c
        .import_file()
        .record("99")
        .field("mugshot")
        .file(FileUpload::new("a.txt", b"a".to_vec()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("The record '99' does not exist. It must exist to upload a file")
        )
    );
    let error = c
        .import_file()
        .record("1")
        .field("nope")
        .file(FileUpload::new("a.txt", b"a".to_vec()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("The field 'nope' does not exist or is not a 'file' field")
        )
    );
    let error = c
        .delete_file()
        .record("99")
        .field("mugshot")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("The record '99' does not exist"))
    );
    // A request without a file part.
    let token = emu.token("simple").unwrap();
    let (status, _, body) = post_raw(
        emu.url(),
        &[
            ("token", token),
            ("content", "file"),
            ("action", "import"),
            ("record", "1"),
            ("field", "mugshot"),
            ("returnFormat", "json"),
        ],
    )
    .await;
    assert_eq!(
        (status, body.as_slice()),
        (400, &br#"{"error":"No valid file was uploaded"}"#[..])
    );

    // Files and the File Repository need an explicit action; `filesize`
    // is an old name for `fileinfo`.
    for content in ["file", "fileRepository", "fileinfo"] {
        let (status, _, body) = post_raw(
            emu.url(),
            &[
                ("token", token),
                ("content", content),
                ("returnFormat", "json"),
            ],
        )
        .await;
        assert_eq!(
            (status, body.as_slice()),
            (
                400,
                &br#"{"error":"The value of the parameter \"action\" is not valid"}"#[..]
            ),
            "{content}"
        );
    }
    let (status, _, body) = post_raw(
        emu.url(),
        &[
            ("token", token),
            ("content", "filesize"),
            ("action", "export"),
            ("record", "1"),
            ("field", "mugshot"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.starts_with(br#"{"size":"#),
        "{}",
        String::from_utf8_lossy(&body)
    );

    // Longitudinal projects need a valid event.
    let long = client(&emu, "long");
    for event in [None, Some("nope_arm_1")] {
        let mut request = long.export_file().record("1").field("patient_document");
        if let Some(event) = event {
            request = request.event(event);
        }
        let error = request.send().await.unwrap_err();
        assert_eq!(status_message(&error), (Some(400), Some("invalid event")));
    }

    // Rights: export right per form, identifier files, Delete Records,
    // API Import.
    // REDCap checks the general export level derived from every form's
    // right: "No Access" on every form is refused, on one form it is not.
    let mut no_export = UserRights::full();
    for form in ["demographics", "health", "race_and_ethnicity"] {
        no_export.forms_export.insert(form.into(), 0);
    }
    let error = user(&emu, "no_export", no_export)
        .export_file()
        .record("1")
        .field("mugshot")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(403),
            Some(
                "The API request cannot complete because currently you have \"No Access\" data export rights. Higher level data export rights are required for this operation."
            )
        )
    );
    let mut one_form = UserRights::full();
    one_form.forms_export.insert("health".into(), 0);
    let file = user(&emu, "one_form", one_form)
        .export_file()
        .record("1")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(file.name.as_deref(), Some("mugshot-1.jpg"));
    let mut no_delete = UserRights::full();
    no_delete.record_delete = false;
    let error = user(&emu, "no_delete", no_delete)
        .delete_file()
        .record("1")
        .field("mugshot")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(403), Some("You do not have Delete Record privileges"))
    );
    let error = user(&emu, "reader", UserRights::export_only())
        .import_file()
        .record("1")
        .field("mugshot")
        .file(FileUpload::new("a.txt", b"a".to_vec()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(403),
            Some("You do not have API Import/Update privileges")
        )
    );
}

#[tokio::test]
async fn identifier_file_fields_need_full_export_rights() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    // Tag `mugshot` as an identifier through the dictionary.
    let mut dictionary = c
        .export_metadata()
        .send_raw(Format::Csv)
        .await
        .unwrap()
        .text()
        .unwrap()
        .to_owned();
    let line = dictionary
        .lines()
        .find(|l| l.starts_with("mugshot,"))
        .unwrap()
        .to_owned();
    let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
    cells[10] = "y".into();
    dictionary = dictionary.replace(&line, &cells.join(","));
    c.import_metadata()
        .data(Payload::csv(dictionary))
        .send()
        .await
        .unwrap();
    // De-Identified on every form (the general level is then 2).
    let mut deidentified = UserRights::full();
    for form in ["demographics", "health", "race_and_ethnicity"] {
        deidentified.forms_export.insert(form.into(), 2);
    }
    let error = user(&emu, "deid", deidentified)
        .export_file()
        .record("1")
        .field("mugshot")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(403),
            Some(
                "The API request cannot complete because this File Upload field is an Identifier field while at the same time you currently have either \"De-Identified\" data export rights or \"Remove all tagged Identifier fields\" data export rights, which prevent you from exporting fields tagged as Identifiers. Higher level data export rights are required for this operation."
            )
        )
    );
}

/// REDCap 15.7.6's file handlers (`API/file/export.php`, `delete.php`) do
/// not check data access groups; an upload is saved through
/// `REDCap::getData`, which only sees the user's own group, so an upload
/// into another group's record answers 200 and stores nothing.
#[tokio::test]
async fn a_dag_user_and_another_groups_file() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let mut rights = UserRights::full();
    rights.group = Some("dag_2".into());
    let dag2 = user(&emu, "dag2_user", rights);
    let c = client(&emu, "simple");
    // Record 1 is in dag_1.
    dag2.import_file()
        .record("1")
        .field("mugshot")
        .file(FileUpload::new("x.txt", b"x".to_vec()))
        .send()
        .await
        .unwrap();
    let kept = c
        .export_file()
        .record("1")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.name.as_deref(),
        Some("mugshot-1.jpg"),
        "nothing stored"
    );
    let seen = dag2
        .export_file()
        .record("1")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.name.as_deref(), Some("mugshot-1.jpg"));
    // Into the group's own record 5 the upload is stored.
    dag2.import_file()
        .record("5")
        .field("mugshot")
        .file(FileUpload::new("mine.txt", b"mine".to_vec()))
        .send()
        .await
        .unwrap();
    let own = dag2
        .export_file()
        .record("5")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(own.bytes.as_ref(), b"mine");
    // Record export stays confined to the group.
    let csv = dag2
        .export_records()
        .fields(["record_id"])
        .send_raw(DataFormat::Csv)
        .await
        .unwrap();
    assert_eq!(csv.text().unwrap(), "record_id\n5\n");
}

const NO_REPOSITORY: &str = "The API request cannot complete because currently you do not have \"File Repository\" rights, which are required for this operation.";

#[tokio::test]
async fn file_repository_tree() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let reports = c
        .create_file_repository_folder()
        .name("Reports")
        .send()
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    let reports = reports[0].folder_id;
    let raw = c
        .create_file_repository_folder()
        .name("Archive")
        .send_raw(Format::Csv)
        .await
        .unwrap();
    let archive: u64 = raw
        .text()
        .unwrap()
        .strip_prefix("folder_id\n")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let raw = c
        .create_file_repository_folder()
        .name("2024")
        .folder_id(reports)
        .send_raw(Format::Xml)
        .await
        .unwrap();
    assert_eq!(
        raw.text().unwrap(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<items>\n<item><folder_id>{}</folder_id></item>\n</items>\n",
            archive + 1
        )
    );

    // Folder errors.
    let error = c
        .create_file_repository_folder()
        .name("")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("new folder 'name' not provided"))
    );
    let params = [
        ("name".to_owned(), "x".to_owned()),
        ("folder_id".to_owned(), "abc".to_owned()),
        ("format".to_owned(), "json".to_owned()),
    ];
    let error = c
        .call_raw("create_file_repository_folder", &params)
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("folder_id is not valid"))
    );
    let error = c
        .create_file_repository_folder()
        .name("x")
        .folder_id(999)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some(
                "The File Repository folder folder_id=999 does not exist or else you do not have permission to that folder because it is DAG-restricted or Role-restricted."
            )
        )
    );

    // Files: at the top and in a folder; a clashing name is numbered.
    let upload = |name: &str, bytes: &[u8]| FileUpload::new(name, bytes.to_vec());
    c.import_file_repository_file()
        .file(upload("notes.txt", b"top"))
        .send()
        .await
        .unwrap();
    c.import_file_repository_file()
        .file(upload("notes.txt", b"top again"))
        .send()
        .await
        .unwrap();
    c.import_file_repository_file()
        .file(upload("q1.csv", b"a,b\n1,2\n"))
        .folder_id(reports)
        .send()
        .await
        .unwrap();

    let top = c.list_file_repository().send().await.unwrap();
    let listed: Vec<(Option<u64>, Option<u64>, &str)> = top
        .iter()
        .map(|e| (e.folder_id, e.doc_id, e.name.as_str()))
        .collect();
    assert_eq!(listed.len(), 4, "{listed:?}");
    assert_eq!(listed[0], (Some(archive), None, "Archive"));
    assert_eq!(listed[1], (Some(reports), None, "Reports"));
    assert_eq!((listed[2].0, listed[2].2), (None, "notes (1).txt"));
    assert_eq!((listed[3].0, listed[3].2), (None, "notes.txt"));
    let notes = listed[3].1.unwrap();
    let notes_again = listed[2].1.unwrap();

    let inside = c
        .list_file_repository()
        .folder_id(reports)
        .send_raw(Format::Csv)
        .await
        .unwrap();
    let q1 = notes_again + 1;
    assert_eq!(
        inside.text().unwrap(),
        format!(
            "folder_id,doc_id,name\n{},,2024\n,{q1},q1.csv\n",
            archive + 1
        )
    );
    let inside = c
        .list_file_repository()
        .folder_id(reports)
        .send_raw(Format::Json)
        .await
        .unwrap();
    assert_eq!(
        inside.text().unwrap(),
        format!(
            r#"[{{"folder_id":{},"name":"2024"}},{{"doc_id":{q1},"name":"q1.csv"}}]"#,
            archive + 1
        )
    );

    let xml = c
        .list_file_repository()
        .folder_id(reports)
        .send_raw(Format::Xml)
        .await
        .unwrap();
    assert_eq!(
        xml.text().unwrap(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<items>\n<item><folder_id>{}</folder_id><name><![CDATA[2024]]></name></item>\n<item><doc_id>{q1}</doc_id><name><![CDATA[q1.csv]]></name></item>\n</items>\n",
            archive + 1
        )
    );
    // An empty folder lists nothing, in CSV too.
    let empty = c
        .list_file_repository()
        .folder_id(archive)
        .send_raw(Format::Csv)
        .await
        .unwrap();
    assert_eq!(empty.text().unwrap(), "");

    // Download, then delete to the recycle bin: the file leaves the list
    // but its doc_id stays valid, as REDCap keeps it for 30 days.
    let file = c
        .export_file_repository_file()
        .doc_id(q1)
        .send()
        .await
        .unwrap();
    assert_eq!(file.bytes.as_ref(), b"a,b\n1,2\n");
    assert_eq!(file.name.as_deref(), Some("q1.csv"));
    assert_eq!(file.mime.as_deref(), Some("text/csv"));
    c.delete_file_repository_file()
        .doc_id(notes)
        .send()
        .await
        .unwrap();
    let top = c.list_file_repository().send().await.unwrap();
    assert!(top.iter().all(|e| e.doc_id != Some(notes)));
    let binned = c
        .export_file_repository_file()
        .doc_id(notes)
        .send()
        .await
        .unwrap();
    assert_eq!(binned.bytes.as_ref(), b"top");
    c.delete_file_repository_file()
        .doc_id(notes)
        .send()
        .await
        .unwrap();
    for request in [
        c.export_file_repository_file()
            .doc_id(123_456)
            .send()
            .await
            .map(|_| ()),
        c.delete_file_repository_file().doc_id(123_456).send().await,
    ] {
        let error = request.unwrap_err();
        assert_eq!(
            status_message(&error),
            (Some(400), Some("Invalid doc_id or missing doc_id"))
        );
    }
    // A CSV-injection guard on names.
    c.import_file_repository_file()
        .file(upload("=cmd.txt", b"x"))
        .folder_id(archive)
        .send()
        .await
        .unwrap();
    let guarded = c
        .list_file_repository()
        .folder_id(archive)
        .send_raw(Format::Csv)
        .await
        .unwrap();
    assert_eq!(
        guarded.text().unwrap(),
        format!("folder_id,doc_id,name\n,{},\"\t=cmd.txt\"\n", q1 + 1)
    );
    let token = emu.token("simple").unwrap();
    let (status, _, body) = post_raw(
        emu.url(),
        &[
            ("token", token),
            ("content", "fileRepository"),
            ("action", "import"),
            ("returnFormat", "json"),
        ],
    )
    .await;
    assert_eq!(
        (status, body.as_slice()),
        (400, &br#"{"error":"No valid file was uploaded"}"#[..])
    );
}

#[tokio::test]
async fn file_repository_rights_and_group_folders() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    // dag_id 2 is dag_2 (ids as export_dags gives them).
    let private = c
        .create_file_repository_folder()
        .name("dag 2 only")
        .dag_id(2)
        .send()
        .await
        .unwrap()[0]
        .folder_id;
    let shared = c
        .create_file_repository_folder()
        .name("shared")
        .send()
        .await
        .unwrap()[0]
        .folder_id;
    let mut in_dag_1 = UserRights::full();
    in_dag_1.group = Some("dag_1".into());
    let dag1 = user(&emu, "dag1_user", in_dag_1);
    let names: Vec<String> = dag1
        .list_file_repository()
        .send()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["shared"]);
    let refused = format!(
        "The File Repository folder folder_id={private} does not exist or else you do not have permission to that folder because it is DAG-restricted or Role-restricted."
    );
    let error = dag1
        .list_file_repository()
        .folder_id(private)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_message(&error), (Some(400), Some(refused.as_str())));
    let error = dag1
        .import_file_repository_file()
        .folder_id(private)
        .file(FileUpload::new("a.txt", b"a".to_vec()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_message(&error), (Some(400), Some(refused.as_str())));
    assert!(
        dag1.list_file_repository()
            .folder_id(shared)
            .send()
            .await
            .unwrap()
            .is_empty()
    );
    // The owner sees both.
    assert_eq!(c.list_file_repository().send().await.unwrap().len(), 2);

    // Without the File Repository right every method is refused; listing
    // needs no API right at all, deleting needs API Import.
    let mut no_repository = UserRights::full();
    no_repository.file_repository = false;
    let none = user(&emu, "no_repo", no_repository);
    let errors = [
        none.list_file_repository().send().await.map(|_| ()),
        none.create_file_repository_folder()
            .name("x")
            .send()
            .await
            .map(|_| ()),
        none.export_file_repository_file()
            .doc_id(1)
            .send()
            .await
            .map(|_| ()),
        none.delete_file_repository_file().doc_id(1).send().await,
        none.import_file_repository_file()
            .file(FileUpload::new("a.txt", b"a".to_vec()))
            .send()
            .await,
    ];
    for result in errors {
        assert_eq!(
            status_message(&result.unwrap_err()),
            (Some(403), Some(NO_REPOSITORY))
        );
    }
    let mut no_api = UserRights::full();
    no_api.api_export = false;
    no_api.api_import = false;
    let no_api = user(&emu, "no_api", no_api);
    assert_eq!(no_api.list_file_repository().send().await.unwrap().len(), 2);
    let error = no_api
        .delete_file_repository_file()
        .doc_id(1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(403),
            Some("You do not have API Import/Update privileges")
        )
    );
}

/// Checks what a PDF reader needs: the header, the trailer and a
/// cross-reference table whose every offset points at its object.
fn assert_valid_pdf(pdf: &[u8]) {
    assert!(pdf.starts_with(b"%PDF-1.4\n"));
    assert!(pdf.ends_with(b"%%EOF\n"));
    let find = |needle: &[u8]| {
        pdf.windows(needle.len())
            .rposition(|w| w == needle)
            .expect("present")
    };
    let at = find(b"startxref\n") + b"startxref\n".len();
    let tail = std::str::from_utf8(&pdf[at..]).unwrap();
    let start: usize = tail.lines().next().unwrap().parse().unwrap();
    let table = std::str::from_utf8(&pdf[start..]).unwrap();
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("xref"));
    let count: usize = lines
        .next()
        .unwrap()
        .strip_prefix("0 ")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(lines.next(), Some("0000000000 65535 f "));
    for n in 1..count {
        let line = lines.next().unwrap();
        let offset: usize = line[..10].parse().unwrap();
        assert!(
            pdf[offset..].starts_with(format!("{n} 0 obj").as_bytes()),
            "object {n} at {offset}"
        );
    }
    assert!(table.contains(&format!("/Size {count} /Root 1 0 R")));
    // qpdf is optional: when installed, it must find no problem.
    let path = std::env::temp_dir().join(format!(
        "redcap-emulator-{}-{}.pdf",
        std::process::id(),
        pdf.len()
    ));
    std::fs::write(&path, pdf).unwrap();
    let checked = std::process::Command::new("qpdf")
        .arg("--check")
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    if let Ok(output) = checked {
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "qpdf --check: {report}");
        assert!(
            report.contains("No syntax or stream encoding errors"),
            "{report}"
        );
    }
}

fn contains(pdf: &[u8], text: &str) -> bool {
    let needle = format!("({text})");
    pdf.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn pdf_of_instruments_blank_one_record_and_all() {
    let emu = start(&[("simple", SIMPLE), ("long", LONGITUDINAL)]).await;
    let c = client(&emu, "simple");
    let blank = c.export_pdf().send().await.unwrap();
    assert_eq!(blank.mime.as_deref(), Some("application/pdf"));
    assert!(
        blank.name.as_deref().is_some_and(|n| n.ends_with(".pdf")),
        "{:?}",
        blank.name
    );
    assert_valid_pdf(&blank.bytes);
    for text in [
        "REDCapR: simple",
        "demographics",
        "health",
        "race_and_ethnicity",
        "First Name",
        // Blank choices, the parentheses escaped in the PDF string.
        r"\( \) Female",
    ] {
        assert!(contains(&blank.bytes, text), "{text}");
    }
    assert!(
        !contains(&blank.bytes, "Nutmeg"),
        "a blank form has no data"
    );

    let one = c.export_pdf().record("1").send().await.unwrap();
    assert_valid_pdf(&one.bytes);
    assert!(contains(&one.bytes, "Nutmeg"));
    assert!(contains(&one.bytes, "Record ID 1"));
    assert!(
        contains(&one.bytes, "mugshot-1.jpg"),
        "a file field shows its file name"
    );
    assert!(!contains(&one.bytes, "Tumtum"));

    let health = c
        .export_pdf()
        .record("1")
        .instrument("health")
        .send()
        .await
        .unwrap();
    assert!(contains(&health.bytes, "health"));
    assert!(!contains(&health.bytes, "demographics"));

    let all = c.export_pdf().all_records(true).send().await.unwrap();
    assert_valid_pdf(&all.bytes);
    for name in ["Nutmeg", "Tumtum", "Marcus", "Trudy", "John Lee"] {
        assert!(contains(&all.bytes, name), "{name}");
    }

    let token = emu.token("simple").unwrap();
    let (status, headers, body) = post_raw(
        emu.url(),
        &[("token", token), ("content", "pdf"), ("record", "2")],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/pdf");
    let disposition = header(&headers, "content-disposition");
    assert!(
        disposition.starts_with("attachment; filename=\"REDCapRSimple_")
            && disposition.ends_with(".pdf\""),
        "{disposition}"
    );
    assert!(contains(&body, "Tumtum"));

    let error = c.export_pdf().instrument("nope").send().await.unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("Invalid instrument"))
    );
    // The instrument is checked even with `allRecords`.
    let error = c
        .export_pdf()
        .all_records(true)
        .instrument("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("Invalid instrument"))
    );
    let error = c.export_pdf().record("99").send().await.unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("The record '99' does not exist"))
    );
    // The event is only read with a record.
    let long = client(&emu, "long");
    let error = long
        .export_pdf()
        .record("100")
        .event("nope_arm_1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_message(&error), (Some(400), Some("Invalid event")));
    let blank = long.export_pdf().event("nope_arm_1").send().await.unwrap();
    assert_valid_pdf(&blank.bytes);
    let visit = long
        .export_pdf()
        .record("100")
        .event("visit_1_arm_1")
        .send()
        .await
        .unwrap();
    assert_valid_pdf(&visit.bytes);
    assert!(contains(
        &visit.bytes,
        "Record ID 100 \\(Visit 1 \\(Arm 1: Drug A\\)\\)"
    ));
    assert!(!contains(
        &visit.bytes,
        "Record ID 100 \\(Enrollment \\(Arm 1: Drug A\\)\\)"
    ));

    // A DAG user's records only.
    let mut rights = UserRights::full();
    rights.group = Some("dag_2".into());
    let dag2 = user(&emu, "dag2_pdf", rights);
    let error = dag2.export_pdf().record("1").send().await.unwrap_err();
    assert_eq!(
        status_message(&error),
        (Some(400), Some("The record '1' does not exist"))
    );
    let theirs = dag2.export_pdf().all_records(true).send().await.unwrap();
    assert!(contains(&theirs.bytes, "John Lee"));
    assert!(!contains(&theirs.bytes, "Nutmeg"));
}

#[tokio::test]
async fn validation_types_and_attachments() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    let types = c.export_field_validation_types().send().await.unwrap();
    let names: Vec<&str> = types.iter().map(|t| t.validation_type.as_str()).collect();
    assert_eq!(names.len(), 39);
    assert_eq!(names[0], "postalcode_french");
    assert_eq!(names[38], "zipcode");
    assert!(names.contains(&"date_ymd") && names.contains(&"postalcode_french"));
    let integer = types
        .iter()
        .find(|t| t.validation_type == "integer")
        .unwrap();
    assert_eq!(integer.regex, r"/^[-+]?\b\d+\b$/");
    let json = c
        .export_field_validation_types()
        .send_raw(Format::Json)
        .await
        .unwrap();
    assert!(
        json.text()
            .unwrap()
            .starts_with(r#"[{"validation_type":"postalcode_french","regex":"\/^((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}$\/"},"#)
    );
    let csv = c
        .export_field_validation_types()
        .send_raw(Format::Csv)
        .await
        .unwrap();
    assert!(
        csv.text()
            .unwrap()
            .starts_with("validation_type,regex\npostalcode_french,\"/^((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}$/\"\n")
    );
    let xml = c
        .export_field_validation_types()
        .send_raw(Format::Xml)
        .await
        .unwrap();
    assert!(xml.text().unwrap().starts_with(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<field_validations>\n<field_validation><validation_type>postalcode_french</validation_type><regex><![CDATA[/^((0?[1-9])|([1-8][0-9])|(9[0-8]))[0-9]{3}$/]]></regex></field_validation>\n"
    ));

    let error = c
        .export_field_attachment()
        .field("nope")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_message(&error), (Some(400), Some("Invalid field")));
    let error = c
        .export_field_attachment()
        .field("name_first")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("The field 'name_first' is not a 'descriptive' field")
        )
    );
    // A descriptive field without an attachment.
    let mut dictionary = c
        .export_metadata()
        .send_raw(Format::Csv)
        .await
        .unwrap()
        .text()
        .unwrap()
        .to_owned();
    dictionary.push_str("intro,race_and_ethnicity,,descriptive,Read this,,,,,,,,,,,,,\n");
    c.import_metadata()
        .data(Payload::csv(dictionary))
        .send()
        .await
        .unwrap();
    let error = c
        .export_field_attachment()
        .field("intro")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        status_message(&error),
        (
            Some(400),
            Some("The field 'intro' does not have an attachment.")
        )
    );
}

#[tokio::test]
async fn pdf_of_repeating_instances_and_compact_display() {
    let emu = start(&[("repeating", REPEATING), ("simple", SIMPLE)]).await;
    let c = client(&emu, "repeating");
    let all = c
        .export_pdf()
        .record("1")
        .instrument("image")
        .send()
        .await
        .unwrap();
    assert_valid_pdf(&all.bytes);
    assert!(contains(&all.bytes, "levon-and-barry.jpg"));
    assert!(contains(&all.bytes, "mugshot-1.jpg"));
    assert!(contains(&all.bytes, "Record ID 1 - Instance #2"));
    let second = c
        .export_pdf()
        .record("1")
        .instrument("image")
        .repeat_instance(2)
        .send()
        .await
        .unwrap();
    assert!(contains(&second.bytes, "mugshot-1.jpg"));
    assert!(!contains(&second.bytes, "levon-and-barry.jpg"));

    // Without its file, record 4's File Upload field is empty: the compact
    // display leaves it out.
    let simple = client(&emu, "simple");
    simple
        .delete_file()
        .record("4")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    let full = simple
        .export_pdf()
        .record("4")
        .instrument("health")
        .send()
        .await
        .unwrap();
    let compact = simple
        .export_pdf()
        .record("4")
        .instrument("health")
        .compact_display(true)
        .send()
        .await
        .unwrap();
    assert_valid_pdf(&compact.bytes);
    let mugshot = simple
        .export_metadata()
        .fields(["mugshot"])
        .send()
        .await
        .unwrap()
        .remove(0)
        .field_label;
    assert!(contains(&full.bytes, &mugshot));
    assert!(!contains(&compact.bytes, &mugshot));
}

/// `RestUtility::sendFile` sets `Content-type: {mime}; name="{name}"`
/// with `header()`, and PHP's `default_charset` appends `;charset=UTF-8`
/// to every `text/` type; other types are sent as set.
#[tokio::test]
async fn text_files_come_with_phps_default_charset() {
    let emu = start(&[("simple", SIMPLE)]).await;
    let c = client(&emu, "simple");
    c.import_file()
        .record("4")
        .field("mugshot")
        .file(FileUpload::new("notes.txt", b"hello".to_vec()).mime("text/plain"))
        .send()
        .await
        .unwrap();
    let token = emu.token("simple").unwrap();
    let (status, headers, body) = post_raw(
        emu.url(),
        &[
            ("token", token),
            ("content", "file"),
            ("action", "export"),
            ("record", "4"),
            ("field", "mugshot"),
        ],
    )
    .await;
    assert_eq!((status, body.as_slice()), (200, b"hello".as_slice()));
    assert_eq!(
        header(&headers, "content-type"),
        "text/plain; name=\"notes.txt\";charset=UTF-8"
    );
    let file = c
        .export_file()
        .record("4")
        .field("mugshot")
        .send()
        .await
        .unwrap();
    assert_eq!(file.name.as_deref(), Some("notes.txt"));
}
