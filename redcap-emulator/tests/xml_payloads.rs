//! XML `data` as REDCap 15.7.6 decodes it. Every XML importer runs
//! `Records::xmlDecode(html_entity_decode($data, ENT_QUOTES))`
//! (`API/*/import.php`, `Classes/Records.php` `saveData`): entities are
//! decoded once over the whole text before the XML is parsed, and the
//! parsed document becomes `[root name => children]` through SimpleXML and
//! `json_encode`, which gives a root holding one `<item>` as that item's
//! fields rather than a list of one.

mod support;

use redcap_emulator::Emulator;
use serde_json::Value;
use support::{PYCAP_LONG, SIMPLE, create_project, post, start};

/// `data_import_tool_200`.
const NOT_IN_FORMAT: &str = "The data is not in the specified format.";
/// `design_641`, before the attributes a handler lists.
const MISSING: &str =
    "One or more components are missing in your input data. The following attributes are required:";

async fn call(emu: &Emulator, project: &str, form: &[(&str, &str)]) -> (u16, String) {
    let token = emu.token(project).unwrap();
    let mut all = vec![("token", token), ("returnFormat", "json")];
    all.extend_from_slice(form);
    let (status, _, body) = post(emu.url(), &all).await;
    (status, body)
}

fn error(message: &str) -> String {
    serde_json::json!({ "error": message }).to_string()
}

async fn import_xml(emu: &Emulator, content: &str, data: &str) -> (u16, String) {
    call(
        emu,
        "long",
        &[("content", content), ("format", "xml"), ("data", data)],
    )
    .await
}

/// `API/arm/import.php` and `API/event/import.php` flatten the decoded XML
/// with `fixXML`, which for one item lists its field values instead of
/// the item; `Arm::addArms` and `Event::addEvents` then find no
/// `$data[0]['name']` (`$data[0]['event_name']`) and answer 400
/// `design_641`. `API/formEventMapping/import.php` takes
/// `$data['items']['item']` as the rows, the item's fields for one item,
/// and `Event::saveEventMapping` answers the same. A JSON object is one
/// map too. Two items are a list and import.
#[tokio::test]
async fn one_item_is_not_a_list_for_arms_events_and_mappings() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    let arm = |n: u32| format!("<item><arm_num>{n}</arm_num><name>Arm {n}</name></item>");
    let one_arm = format!("<arms>{}</arms>", arm(3));
    assert_eq!(
        import_xml(&emu, "arm", &one_arm).await,
        (400, error(&format!("{MISSING} arm_num, name")))
    );
    let (status, body) = call(
        &emu,
        "long",
        &[
            ("content", "arm"),
            ("format", "json"),
            ("data", r#"{"arm_num":"3","name":"Arm 3"}"#),
        ],
    )
    .await;
    assert_eq!(
        (status, body),
        (400, error(&format!("{MISSING} arm_num, name")))
    );
    // Nothing was added by either.
    let (_, arms) = call(&emu, "long", &[("content", "arm"), ("format", "json")]).await;
    assert!(!arms.contains("Arm 3"), "{arms}");
    assert_eq!(
        import_xml(&emu, "arm", &format!("<arms>{}{}</arms>", arm(3), arm(4))).await,
        (200, "2".to_owned())
    );

    let event = "<item><event_name>Extra</event_name><arm_num>1</arm_num><unique_event_name>extra_arm_1</unique_event_name></item>";
    assert_eq!(
        import_xml(&emu, "event", &format!("<events>{event}</events>")).await,
        (
            400,
            error(&format!("{MISSING} event_name,arm_num,unique_event_name"))
        )
    );
    // With `override`, `Event::addEvents` does not ask for the unique name.
    let (status, body) = call(
        &emu,
        "long",
        &[
            ("content", "event"),
            ("format", "xml"),
            ("override", "1"),
            ("data", &format!("<events>{event}</events>")),
        ],
    )
    .await;
    assert_eq!(
        (status, body),
        (400, error(&format!("{MISSING} event_name,arm_num")))
    );

    let mapping = "<item><arm_num>1</arm_num><unique_event_name>enrollment_arm_1</unique_event_name><form>demographics</form></item>";
    assert_eq!(
        import_xml(
            &emu,
            "formEventMapping",
            &format!("<items>{mapping}</items>")
        )
        .await,
        (
            400,
            error(&format!("{MISSING} arm_num,unique_event_name,form"))
        )
    );
    // The mappings are untouched.
    let (_, mappings) = call(
        &emu,
        "long",
        &[("content", "formEventMapping"), ("format", "json")],
    )
    .await;
    let mappings: Value = serde_json::from_str(&mappings).unwrap();
    assert!(mappings.as_array().unwrap().len() > 1, "{mappings}");
}

/// Entities are decoded once before the XML parser sees the text:
/// `&eacute;` (not an XML entity) is a letter, `&amp;lt;` reaches XML as
/// `&lt;`, `&apos;` (not an HTML 4.01 entity) is left for XML, and a lone
/// `&amp;` or `&lt;` outside CDATA becomes a bare `&` or `<` that the
/// parser refuses (`Records::saveData` answers 400 `data_import_tool_200`;
/// the arm importer 200 with the same text).
#[tokio::test]
async fn entities_are_decoded_before_the_xml_is_parsed() {
    let emu = start(&[("simple", SIMPLE), ("long", PYCAP_LONG)]).await;
    let import = |value: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><records><item><record_id>70</record_id><name_first>{value}</name_first></item></records>"
        )
    };
    let (status, body) = call(
        &emu,
        "simple",
        &[
            ("content", "record"),
            ("format", "xml"),
            (
                "data",
                &import("Ren&eacute;e &amp;lt;3 O&apos;Neil &#233;<![CDATA[ & < ]]>"),
            ),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    let (_, exported) = call(
        &emu,
        "simple",
        &[
            ("content", "record"),
            ("format", "json"),
            ("records[0]", "70"),
            ("fields[0]", "name_first"),
        ],
    )
    .await;
    let exported: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(exported[0]["name_first"], "Renée <3 O'Neil é & <");
    for bad in ["A &amp; B", "A &lt; B"] {
        let (status, body) = call(
            &emu,
            "simple",
            &[
                ("content", "record"),
                ("format", "xml"),
                ("data", &import(bad)),
            ],
        )
        .await;
        assert_eq!((status, body), (400, error(NOT_IN_FORMAT)), "{bad}");
    }
    // The same decoding in the arm importer.
    let arms = "<arms><item><arm_num>1</arm_num><name>Bras &eacute;t&eacute;</name></item><item><arm_num>2</arm_num><name>Arm 2</name></item></arms>";
    assert_eq!(import_xml(&emu, "arm", arms).await, (200, "2".to_owned()));
    let (_, exported) = call(&emu, "long", &[("content", "arm"), ("format", "json")]).await;
    let exported: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(exported[0]["name"], "Bras été");
    assert_eq!(
        import_xml(
            &emu,
            "arm",
            "<arms><item><arm_num>1</arm_num><name>A &amp; B</name></item><item><arm_num>2</arm_num><name>C</name></item></arms>"
        )
        .await,
        (200, NOT_IN_FORMAT.to_owned())
    );
}

/// `Records::saveData` reads XML only as `<records>` holding `<item>`s
/// (`isset($data['records']['item'])`); any other root, no item, or XML
/// that does not parse is 400 `data_import_tool_200`, in the return format.
#[tokio::test]
async fn record_xml_needs_a_records_root_with_items() {
    let emu = start(&[("simple", SIMPLE)]).await;
    for data in [
        "<item><record_id>71</record_id></item>",
        "<data><item><record_id>71</record_id></item></data>",
        "<records><row><record_id>71</record_id></row></records>",
        "<records></records>",
        "<records><item><record_id>71</record_id></item>",
        "record_id\n71\n",
    ] {
        for (format, expected) in [
            ("json", error(NOT_IN_FORMAT)),
            (
                "xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><hash><error>{NOT_IN_FORMAT}</error></hash>"
                ),
            ),
        ] {
            let token = emu.token("simple").unwrap();
            let (status, _, body) = post(
                emu.url(),
                &[
                    ("token", token),
                    ("content", "record"),
                    ("format", "xml"),
                    ("returnFormat", format),
                    ("data", data),
                ],
            )
            .await;
            assert_eq!((status, body), (400, expected), "{data}");
        }
    }
    // Other elements beside the items are ignored; values are trimmed
    // (`xmlDecode`'s strict mode).
    let (status, body) = call(
        &emu,
        "simple",
        &[
            ("content", "record"),
            ("format", "xml"),
            (
                "data",
                "<records><note>x</note><item><record_id> 72 </record_id><name_first>\n Ann \n</name_first></item></records>",
            ),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, r#"{"count": 1}"#));
    let (_, exported) = call(
        &emu,
        "simple",
        &[
            ("content", "record"),
            ("format", "json"),
            ("records[0]", "72"),
            ("fields[0]", "name_first"),
        ],
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&exported).unwrap()[0]["name_first"],
        "Ann"
    );
}

/// `API/project/import.php` takes the project's row from `$data[0]` of
/// JSON (a lone object has none) and from the XML root `<item>` itself
/// (`isset($data['item'])`: under `<records>` it is not found); both
/// failures are 400 `data_import_tool_200`.
#[tokio::test]
async fn project_creation_reads_one_row_as_redcap_does() {
    let emu = start(&[]).await;
    // The error is written in `format` (`sendResponse(400, …, $format)`).
    for (format, data, expected) in [
        (
            "json",
            r#"{"project_title":"T","purpose":"0"}"#,
            error(NOT_IN_FORMAT),
        ),
        (
            "xml",
            "<records><item><project_title>T</project_title><purpose>0</purpose></item></records>",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" ?><hash><error>{NOT_IN_FORMAT}</error></hash>"
            ),
        ),
    ] {
        assert_eq!(
            create_project(&emu, format, data).await,
            (400, expected),
            "{data}"
        );
    }
    let (status, token) = create_project(
        &emu,
        "xml",
        "<item><project_title>Caf&eacute; &amp;amp; co</project_title><purpose>0</purpose></item>",
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let (status, _, info) = post(
        emu.url(),
        &[
            ("token", token.as_str()),
            ("content", "project"),
            ("format", "json"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(
        serde_json::from_str::<Value>(&info).unwrap()["project_title"],
        "Café & co"
    );
}

/// Most importers take their rows from `$data[root]['item']`
/// (`API/user/import.php`, `API/userRole/import.php`, `API/dag/import.php`,
/// `API/metadata/import.php`, …): rows under any other element name are not
/// read, and `isset` fails (200 `data_import_tool_200`). The mapping importer
/// checks only the root, so `<items>` without items has no first row (400
/// `design_641`). The arm importer's `fixXML` takes whatever the root holds.
#[tokio::test]
async fn rows_are_item_elements_except_for_arms_and_events() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    assert_eq!(
        import_xml(
            &emu,
            "user",
            "<users><user><username>x</username></user><user><username>y</username></user></users>"
        )
        .await,
        (200, NOT_IN_FORMAT.to_owned())
    );
    assert_eq!(
        import_xml(
            &emu,
            "dag",
            "<dags><dag><data_access_group_name>S</data_access_group_name><unique_group_name></unique_group_name></dag></dags>"
        )
        .await,
        (200, NOT_IN_FORMAT.to_owned())
    );
    for empty in [
        "<items/>",
        "<items><map><form>demographics</form></map></items>",
    ] {
        assert_eq!(
            import_xml(&emu, "formEventMapping", empty).await,
            (
                400,
                error(&format!("{MISSING} arm_num,unique_event_name,form"))
            ),
            "{empty}"
        );
    }
    assert_eq!(
        import_xml(
            &emu,
            "arm",
            "<arms><arm><arm_num>5</arm_num><name>Five</name></arm><arm><arm_num>6</arm_num><name>Six</name></arm></arms>"
        )
        .await,
        (200, "2".to_owned())
    );
}
