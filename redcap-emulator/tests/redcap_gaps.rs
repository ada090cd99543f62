//! Behaviours pinned from REDCap 15.7.6's source where the emulator used
//! to differ.

mod support;

use support::{PYCAP_LONG, post, start};

/// `Event::saveEventMapping` clears every event–form row of the project
/// (`Project::clearEventForms`) before adding the imported ones.
#[tokio::test]
async fn a_mapping_import_replaces_every_arms_mappings() {
    let emu = start(&[("long", PYCAP_LONG)]).await;
    let token = emu.token("long").unwrap();
    let export = || async {
        let (status, _, body) = post(
            emu.url(),
            &[
                ("token", token),
                ("content", "formEventMapping"),
                ("format", "json"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str::<Vec<serde_json::Value>>(&body).unwrap()
    };
    let before = export().await;
    assert!(before.len() > 1);
    let first = &before[0];
    let one = serde_json::json!([{
        "arm_num": first["arm_num"],
        "unique_event_name": first["unique_event_name"],
        "form": first["form"],
    }]);
    let (status, _, body) = post(
        emu.url(),
        &[
            ("token", token),
            ("content", "formEventMapping"),
            ("format", "json"),
            ("data", &one.to_string()),
        ],
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "1"));
    assert_eq!(export().await, vec![first.clone()]);
}

async fn call(emu: &redcap_emulator::Emulator, form: &[(&str, &str)]) -> (u16, String) {
    let token = emu.token("simple").unwrap();
    let mut all = vec![("token", token)];
    all.extend_from_slice(form);
    let (status, _, body) = post(emu.url(), &all).await;
    (status, body)
}

/// A CSV import is read with the request's `csvDelimiter` (`tab` for a
/// tab), as REDCap's `csvToArray` is given it.
#[tokio::test]
async fn csv_imports_use_the_csv_delimiter() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    for (delimiter, sep) in [(";", ";"), ("tab", "\t"), ("|", "|"), ("^", "^")] {
        let data = format!("record_id{sep}name_first\n71{sep}Semi, Colon\n");
        let (status, body) = call(
            &emu,
            &[
                ("content", "record"),
                ("format", "csv"),
                ("csvDelimiter", delimiter),
                ("data", &data),
            ],
        )
        .await;
        assert_eq!((status, body.as_str()), (200, "1"), "{delimiter}");
        let (_, body) = call(
            &emu,
            &[
                ("content", "record"),
                ("format", "json"),
                ("records", "71"),
                ("fields", "name_first"),
            ],
        )
        .await;
        assert_eq!(body, r#"[{"name_first":"Semi, Colon"}]"#, "{delimiter}");
    }
}

/// `returnContent=auto_ids` with `forceAutoNumber` answers the new and
/// the sent ID of each record; in CSV under an `id,original_id` header.
#[tokio::test]
async fn auto_ids_in_csv_pair_new_and_sent_ids() {
    let emu = start(&[("simple", support::SIMPLE)]).await;
    let (status, body) = call(
        &emu,
        &[
            ("content", "record"),
            ("format", "csv"),
            ("forceAutoNumber", "true"),
            ("returnContent", "auto_ids"),
            ("data", "record_id,name_first\nA,One\nB,Two\n"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "id,original_id");
    assert_eq!(lines.len(), 3, "{body}");
    assert!(
        lines[1].ends_with(",A") && lines[2].ends_with(",B"),
        "{body}"
    );
    let new: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_ne!(new[0], new[1]);
    assert!(new.iter().all(|id| id.parse::<u64>().is_ok()), "{body}");
}
