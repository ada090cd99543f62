//! A project's own records are stored as REDCap stores an import's values, even though
//! they skip validation: the `T` of a project XML's date-times becomes a space
//! (`Records::saveData` does this before any check, for projects created from XML too).

mod support;

use support::{client, fixture, start};

const ETL_REPEATING: &str = "redcap-etl/tests/projects/RepeatingForms.REDCap.xml";

#[tokio::test]
async fn a_project_xml_date_time_is_stored_with_a_space() {
    let xml = std::fs::read_to_string(fixture(ETL_REPEATING)).unwrap();
    assert!(xml.contains(r#"ItemOID="registration_date" Value="2015-12-22T00:00""#));
    let emu = start(&[("etl", ETL_REPEATING)]).await;
    let rows = client(&emu, "etl")
        .export_records()
        .fields(["registration_date"])
        .send()
        .await
        .unwrap();
    let dates: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.get("registration_date"))
        .filter(|v| !v.is_empty())
        .collect();
    assert!(dates.contains(&"2015-12-22 00:00"), "{dates:?}");
    assert!(dates.iter().all(|d| !d.contains('T')), "{dates:?}");
}
