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
