//! Every generated method, called once over real HTTP: the exact form fields it sends,
//! and a successful decode of a typical answer.

mod support;

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;

use redcap_client::{Client, Error, FileUpload, Payload, params};
use support::{Reply, Server, TOKEN, fields};

fn when() -> chrono::NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(2026, 1, 2)
        .unwrap()
        .and_hms_opt(3, 4, 5)
        .unwrap()
}

type Call = Box<dyn Fn(Client) -> Pin<Box<dyn Future<Output = Result<(), Error>>>>>;

/// Method name, the body the server answers with, the call, and the expected fields
/// (`T` stands for the token).
macro_rules! case {
    ($name:literal, $reply:expr, |$c:ident| $call:expr, $expected:literal) => {
        (
            $name,
            $reply,
            Box::new(
                |client: Client| -> Pin<Box<dyn Future<Output = Result<(), Error>>>> {
                    Box::pin(async move {
                        let $c = &client;
                        $call.send().await.map(|_| ())
                    })
                },
            ) as Call,
            $expected,
        )
    };
}

fn cases() -> Vec<(&'static str, &'static str, Call, &'static str)> {
    vec![
        case!(
            "export_records",
            "[]",
            |c| c
                .export_records()
                .layout(params::RecordLayout::Eav)
                .records(["a", "b c"])
                .fields(["a", "b c"])
                .forms(["a", "b c"])
                .events(["a", "b c"])
                .raw_or_label(params::RawOrLabel::Label)
                .raw_or_label_headers(params::RawOrLabel::Label)
                .export_checkbox_label(true)
                .export_survey_fields(true)
                .export_data_access_groups(true)
                .filter_logic("s")
                .date_range_begin(when())
                .date_range_end(when())
                .csv_delimiter(params::CsvDelimiter::Caret)
                .decimal_character(params::DecimalCharacter::Dot)
                .export_blank_for_gray_form_status(true)
                .combine_checkbox_options(true),
            "token=T&content=record&type=eav&records[0]=a&records[1]=b c&fields[0]=a&fields[1]=b c&forms[0]=a&forms[1]=b c&events[0]=a&events[1]=b c&rawOrLabel=label&rawOrLabelHeaders=label&exportCheckboxLabel=true&exportSurveyFields=true&exportDataAccessGroups=true&filterLogic=s&dateRangeBegin=2026-01-02 03:04:05&dateRangeEnd=2026-01-02 03:04:05&csvDelimiter=^&decimalCharacter=.&exportBlankForGrayFormStatus=true&combineCheckboxOptions=true&format=json&returnFormat=json"
        ),
        case!(
            "import_records",
            r#"{"count": 3}"#,
            |c| c
                .import_records()
                .layout(params::RecordLayout::Eav)
                .overwrite_behavior(params::OverwriteBehavior::Overwrite)
                .force_auto_number(true)
                .background_process(true)
                .data(Payload::json_text("[]"))
                .date_format(params::DateFormat::Ymd)
                .csv_delimiter(params::CsvDelimiter::Caret)
                .return_content(params::ReturnContent::Nothing),
            "token=T&content=record&type=eav&overwriteBehavior=overwrite&forceAutoNumber=true&backgroundProcess=true&format=json&data=[]&dateFormat=YMD&csvDelimiter=^&returnContent=nothing&returnFormat=json"
        ),
        case!(
            "delete_records",
            "3",
            |c| c
                .delete_records()
                .records(["a", "b c"])
                .arm(2)
                .instrument("s")
                .event("s")
                .repeat_instance(2)
                .delete_logging(true),
            "token=T&content=record&action=delete&records[0]=a&records[1]=b c&arm=2&instrument=s&event=s&repeat_instance=2&delete_logging=1&returnFormat=json"
        ),
        case!(
            "rename_record",
            "1",
            |c| c.rename_record().record("s").new_record_name("s").arm(2),
            "token=T&content=record&action=rename&record=s&new_record_name=s&arm=2&returnFormat=json"
        ),
        case!(
            "generate_next_record_name",
            "x",
            |c| c.generate_next_record_name(),
            "token=T&content=generateNextRecordName&returnFormat=json"
        ),
        case!(
            "randomize_record",
            r#"{"record":"1","randomization_id":"4","target_field":"2"}"#,
            |c| c
                .randomize_record()
                .record("s")
                .randomization_id(2)
                .return_alt(true),
            "token=T&content=record&action=randomize&record=s&randomization_id=2&returnAlt=true&format=json&returnFormat=json"
        ),
        case!(
            "export_metadata",
            "[]",
            |c| c.export_metadata().fields(["a", "b c"]).forms(["a", "b c"]),
            "token=T&content=metadata&fields[0]=a&fields[1]=b c&forms[0]=a&forms[1]=b c&format=json&returnFormat=json"
        ),
        case!(
            "import_metadata",
            "3",
            |c| c.import_metadata().data(Payload::json_text("[]")),
            "token=T&content=metadata&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "export_field_names",
            "[]",
            |c| c.export_field_names().field("s"),
            "token=T&content=exportFieldNames&field=s&format=json&returnFormat=json"
        ),
        case!(
            "export_instruments",
            "[]",
            |c| c.export_instruments(),
            "token=T&content=instrument&format=json&returnFormat=json"
        ),
        case!(
            "export_pdf",
            "data",
            |c| c
                .export_pdf()
                .record("s")
                .event("s")
                .instrument("s")
                .repeat_instance(2)
                .all_records(true)
                .compact_display(true),
            "token=T&content=pdf&record=s&event=s&instrument=s&repeat_instance=2&allRecords=true&compactDisplay=true&returnFormat=json"
        ),
        case!(
            "export_instrument_event_mappings",
            "[]",
            |c| c.export_instrument_event_mappings().arms([1, 2]),
            "token=T&content=formEventMapping&arms[0]=1&arms[1]=2&format=json&returnFormat=json"
        ),
        case!(
            "import_instrument_event_mappings",
            "3",
            |c| c
                .import_instrument_event_mappings()
                .data(Payload::json_text("[]")),
            "token=T&content=formEventMapping&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "export_repeating_instruments_events",
            "[]",
            |c| c.export_repeating_instruments_events(),
            "token=T&content=repeatingFormsEvents&format=json&returnFormat=json"
        ),
        case!(
            "import_repeating_instruments_events",
            "3",
            |c| c
                .import_repeating_instruments_events()
                .data(Payload::json_text("[]")),
            "token=T&content=repeatingFormsEvents&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "export_events",
            "[]",
            |c| c.export_events().arms([1, 2]),
            "token=T&content=event&action=export&arms[0]=1&arms[1]=2&format=json&returnFormat=json"
        ),
        case!(
            "import_events",
            "3",
            |c| c
                .import_events()
                .replace_all(true)
                .data(Payload::json_text("[]")),
            "token=T&content=event&action=import&override=1&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "delete_events",
            "3",
            |c| c.delete_events().events(["a", "b c"]),
            "token=T&content=event&action=delete&events[0]=a&events[1]=b c&returnFormat=json"
        ),
        case!(
            "export_arms",
            "[]",
            |c| c.export_arms().arms([1, 2]),
            "token=T&content=arm&action=export&arms[0]=1&arms[1]=2&format=json&returnFormat=json"
        ),
        case!(
            "import_arms",
            "3",
            |c| c
                .import_arms()
                .replace_all(true)
                .data(Payload::json_text("[]")),
            "token=T&content=arm&action=import&override=1&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "delete_arms",
            "3",
            |c| c.delete_arms().arms([1, 2]),
            "token=T&content=arm&action=delete&arms[0]=1&arms[1]=2&returnFormat=json"
        ),
        case!(
            "export_dags",
            "[]",
            |c| c.export_dags(),
            "token=T&content=dag&action=export&format=json&returnFormat=json"
        ),
        case!(
            "import_dags",
            "3",
            |c| c.import_dags().data(Payload::json_text("[]")),
            "token=T&content=dag&action=import&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "delete_dags",
            "3",
            |c| c.delete_dags().dags(["a", "b c"]),
            "token=T&content=dag&action=delete&dags[0]=a&dags[1]=b c&returnFormat=json"
        ),
        case!(
            "switch_dag",
            "1",
            |c| c.switch_dag().dag("s"),
            "token=T&content=dag&action=switch&dag=s&returnFormat=json"
        ),
        case!(
            "export_user_dag_assignments",
            "[]",
            |c| c.export_user_dag_assignments(),
            "token=T&content=userDagMapping&format=json&returnFormat=json"
        ),
        case!(
            "import_user_dag_assignments",
            "3",
            |c| c
                .import_user_dag_assignments()
                .data(Payload::json_text("[]")),
            "token=T&content=userDagMapping&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "export_users",
            "[]",
            |c| c.export_users(),
            "token=T&content=user&action=export&format=json&returnFormat=json"
        ),
        case!(
            "import_users",
            "3",
            |c| c.import_users().data(Payload::json_text("[]")),
            "token=T&content=user&action=import&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "delete_users",
            "3",
            |c| c.delete_users().users(["a", "b c"]),
            "token=T&content=user&action=delete&users[0]=a&users[1]=b c&returnFormat=json"
        ),
        case!(
            "export_user_roles",
            "[]",
            |c| c.export_user_roles(),
            "token=T&content=userRole&action=export&format=json&returnFormat=json"
        ),
        case!(
            "import_user_roles",
            "3",
            |c| c.import_user_roles().data(Payload::json_text("[]")),
            "token=T&content=userRole&action=import&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "delete_user_roles",
            "3",
            |c| c.delete_user_roles().roles(["a", "b c"]),
            "token=T&content=userRole&action=delete&roles[0]=a&roles[1]=b c&returnFormat=json"
        ),
        case!(
            "export_user_role_assignments",
            "[]",
            |c| c.export_user_role_assignments(),
            "token=T&content=userRoleMapping&format=json&returnFormat=json"
        ),
        case!(
            "import_user_role_assignments",
            "3",
            |c| c
                .import_user_role_assignments()
                .data(Payload::json_text("[]")),
            "token=T&content=userRoleMapping&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "export_project_info",
            r#"{"project_id":7,"project_title":"P"}"#,
            |c| c.export_project_info(),
            "token=T&content=project&format=json&returnFormat=json"
        ),
        case!(
            "import_project_info",
            "3",
            |c| c.import_project_info().data(Payload::json_text("[]")),
            "token=T&content=project_settings&format=json&data=[]&returnFormat=json"
        ),
        case!(
            "create_project",
            "0123456789ABCDEF0123456789ABCDEF",
            |c| c.create_project().data(Payload::json_text("[]")).odm("s"),
            "token=T&content=project&format=json&data=[]&odm=s&returnFormat=json"
        ),
        case!(
            "export_project_xml",
            "<?xml version=\"1.0\"?><ODM/>",
            |c| c
                .export_project_xml()
                .return_metadata_only(true)
                .records(["a", "b c"])
                .fields(["a", "b c"])
                .events(["a", "b c"])
                .export_survey_fields(true)
                .export_data_access_groups(true)
                .filter_logic("s")
                .export_files(true),
            "token=T&content=project_xml&returnMetadataOnly=true&records[0]=a&records[1]=b c&fields[0]=a&fields[1]=b c&events[0]=a&events[1]=b c&exportSurveyFields=true&exportDataAccessGroups=true&filterLogic=s&exportFiles=true&returnFormat=json"
        ),
        case!(
            "export_file",
            "data",
            |c| c
                .export_file()
                .record("s")
                .field("s")
                .event("s")
                .repeat_instance(2),
            "token=T&content=file&action=export&record=s&field=s&event=s&repeat_instance=2&returnFormat=json"
        ),
        case!(
            "import_file",
            "",
            |c| c
                .import_file()
                .record("s")
                .field("s")
                .event("s")
                .repeat_instance(2)
                .file(FileUpload::new("f.txt", "hi")),
            "token=T&content=file&action=import&record=s&field=s&event=s&repeat_instance=2&returnFormat=json&file=file:f.txt:hi"
        ),
        case!(
            "delete_file",
            "",
            |c| c
                .delete_file()
                .record("s")
                .field("s")
                .event("s")
                .repeat_instance(2),
            "token=T&content=file&action=delete&record=s&field=s&event=s&repeat_instance=2&returnFormat=json"
        ),
        case!(
            "create_file_repository_folder",
            "[]",
            |c| c
                .create_file_repository_folder()
                .name("s")
                .folder_id(2)
                .dag_id(2)
                .role_id(2),
            "token=T&content=fileRepository&action=createFolder&name=s&folder_id=2&dag_id=2&role_id=2&format=json&returnFormat=json"
        ),
        case!(
            "list_file_repository",
            "[]",
            |c| c.list_file_repository().folder_id(2),
            "token=T&content=fileRepository&action=list&folder_id=2&format=json&returnFormat=json"
        ),
        case!(
            "export_file_repository_file",
            "data",
            |c| c.export_file_repository_file().doc_id(2),
            "token=T&content=fileRepository&action=export&doc_id=2&returnFormat=json"
        ),
        case!(
            "import_file_repository_file",
            "",
            |c| c
                .import_file_repository_file()
                .file(FileUpload::new("f.txt", "hi"))
                .folder_id(2),
            "token=T&content=fileRepository&action=import&folder_id=2&returnFormat=json&file=file:f.txt:hi"
        ),
        case!(
            "delete_file_repository_file",
            "",
            |c| c.delete_file_repository_file().doc_id(2),
            "token=T&content=fileRepository&action=delete&doc_id=2&returnFormat=json"
        ),
        case!(
            "export_report",
            "[]",
            |c| c
                .export_report()
                .report_id(2)
                .raw_or_label(params::RawOrLabel::Label)
                .raw_or_label_headers(params::RawOrLabel::Label)
                .export_checkbox_label(true)
                .csv_delimiter(params::CsvDelimiter::Caret)
                .decimal_character(params::DecimalCharacter::Dot),
            "token=T&content=report&report_id=2&rawOrLabel=label&rawOrLabelHeaders=label&exportCheckboxLabel=true&csvDelimiter=^&decimalCharacter=.&format=json&returnFormat=json"
        ),
        case!(
            "export_logging",
            "[]",
            |c| c
                .export_logging()
                .logtype(params::LogType::PageView)
                .user("s")
                .record("s")
                .dag("s")
                .begin_time(when())
                .end_time(when()),
            "token=T&content=log&logtype=page_view&user=s&record=s&dag=s&beginTime=2026-01-02 03:04&endTime=2026-01-02 03:04&format=json&returnFormat=json"
        ),
        case!(
            "export_survey_link",
            "x",
            |c| c
                .export_survey_link()
                .record("s")
                .instrument("s")
                .event("s")
                .repeat_instance(2),
            "token=T&content=surveyLink&record=s&instrument=s&event=s&repeat_instance=2&returnFormat=json"
        ),
        case!(
            "export_survey_access_code",
            "x",
            |c| c
                .export_survey_access_code()
                .record("s")
                .instrument("s")
                .event("s")
                .repeat_instance(2),
            "token=T&content=surveyAccessCode&record=s&instrument=s&event=s&repeat_instance=2&returnFormat=json"
        ),
        case!(
            "export_survey_queue_link",
            "x",
            |c| c.export_survey_queue_link().record("s"),
            "token=T&content=surveyQueueLink&record=s&returnFormat=json"
        ),
        case!(
            "export_survey_return_code",
            "x",
            |c| c
                .export_survey_return_code()
                .record("s")
                .instrument("s")
                .event("s")
                .repeat_instance(2),
            "token=T&content=surveyReturnCode&record=s&instrument=s&event=s&repeat_instance=2&returnFormat=json"
        ),
        case!(
            "export_survey_participant_list",
            "[]",
            |c| c
                .export_survey_participant_list()
                .instrument("s")
                .event("s"),
            "token=T&content=participantList&instrument=s&event=s&format=json&returnFormat=json"
        ),
        case!(
            "export_version",
            "x",
            |c| c.export_version(),
            "token=T&content=version&format=json"
        ),
        case!(
            "export_field_validation_types",
            "[]",
            |c| c.export_field_validation_types(),
            "token=T&content=fieldValidation&format=json&returnFormat=json"
        ),
        case!(
            "export_field_attachment",
            "data",
            |c| c.export_field_attachment().field("s"),
            "token=T&content=attachment&field=s&returnFormat=json"
        ),
        case!(
            "export_file_info",
            r#"{"size":3,"name":"a.txt"}"#,
            |c| c
                .export_file_info()
                .record("s")
                .field("s")
                .event("s")
                .repeat_instance(2),
            "token=T&content=fileinfo&action=export&record=s&field=s&event=s&repeat_instance=2"
        ),
    ]
}

#[tokio::test]
async fn every_method_sends_exactly_the_fields_redcap_reads() {
    let server = Server::start().await;
    let client = server.client();
    let cases = cases();
    for (name, reply, call, expected) in &cases {
        let mut reply = Reply::ok(*reply);
        if matches!(
            *name,
            "export_file"
                | "export_pdf"
                | "export_file_repository_file"
                | "export_field_attachment"
        ) {
            reply = reply.header("content-type", "text/plain; name=\"a.txt\"");
        }
        server.reply(reply);
        if let Err(error) = call(client.clone()).await {
            panic!("{name}: {error}");
        }
        let recorded = server.take();
        assert_eq!(recorded.len(), 1, "{name}");
        let expected: Vec<(String, String)> =
            fields(&expected.replace("token=T", &format!("token={TOKEN}")));
        assert_eq!(recorded[0].fields, expected, "{name}");
        let multipart = redcap_client::method_info(name).unwrap().multipart;
        let content_type = &recorded[0].content_type;
        if multipart {
            assert!(
                content_type.starts_with("multipart/form-data"),
                "{name}: {content_type}"
            );
        } else {
            assert_eq!(content_type, "application/x-www-form-urlencoded", "{name}");
        }
    }
    let tested: BTreeSet<&str> = cases.iter().map(|case| case.0).collect();
    let generated: BTreeSet<&str> = redcap_client::METHODS.iter().map(|m| m.name).collect();
    assert_eq!(tested, generated, "every generated method has a wire case");
}
