//! Typed imports never erase by accident: through the emulator, a blank typed field
//! keeps the stored value even with `overwriteBehavior=overwrite`, and only the
//! fields an `Edit` names in `clear` are erased (checkbox boxes unchecked).

use std::borrow::Cow;

use redcap_client::import::{Edit, ImportOptions};
use redcap_client::records::{DecodeMode, FlatRow, ValueError};
use redcap_client::{Client, Row};
use redcap_emulator::{Config, Emulator};

const DICTIONARY: &str = "\
Variable / Field Name,Form Name,Section Header,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\",Field Note,Text Validation Type OR Show Slider Number,Text Validation Min,Text Validation Max,Identifier?,Branching Logic (Show field only if...),Required Field?,Custom Alignment,Question Number (surveys only),Matrix Group Name,Matrix Ranking?,Field Annotation
record_id,intake,,text,Record ID,,,,,,,,,,,,,
name,intake,,text,Name,,,,,,,,,,,,,
weight,intake,,text,Weight,,,integer,,,,,,,,,,
symptoms,intake,,checkbox,Symptoms,\"1, Cough | 2, Fever\",,,,,,,,,,,,
";

/// The intake form as a typed row, written by hand so the test pins the import
/// path, not a code generator.
#[derive(Default, Debug, Clone)]
struct Intake([String; 6]);

impl FlatRow for Intake {
    const FIELDS: &'static [&'static str] =
        &["record_id", "name", "weight", "symptoms", "intake_complete"];
    const COLUMNS: &'static [&'static str] = &[
        "record_id",
        "name",
        "weight",
        "symptoms___1",
        "symptoms___2",
        "intake_complete",
    ];
    fn column_index(column: &str) -> Option<usize> {
        Self::COLUMNS.iter().position(|c| *c == column)
    }
    fn set_column(&mut self, index: usize, raw: &str, _: DecodeMode) -> Result<(), ValueError> {
        self.0[index] = raw.to_owned();
        Ok(())
    }
    fn column_text(&self, index: usize) -> Cow<'_, str> {
        Cow::Borrowed(&self.0[index])
    }
}

fn intake(cells: [&str; 6]) -> Intake {
    Intake(cells.map(str::to_owned))
}

async fn stored(client: &Client, record: &str) -> Row {
    let rows = client
        .export_records()
        .records([record])
        .send()
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one row for record {record}");
    rows.into_iter().next().unwrap()
}

fn values<'a>(row: &'a Row, columns: &[&str]) -> Vec<&'a str> {
    columns.iter().map(|c| row.get(c).unwrap_or("?")).collect()
}

#[test]
fn blank_typed_fields_keep_values_and_only_cleared_fields_are_erased() {
    let dir = std::env::temp_dir().join(format!("redcap-typed-edits-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let schema = redcap_schema::read(DICTIONARY.as_bytes(), "dictionary.csv").unwrap();
    let path = dir.join("schema.json");
    std::fs::write(&path, redcap_schema::to_snapshot(&schema)).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let emulator = Emulator::start(Config::default().project("p", &path))
            .await
            .unwrap();
        let client = redcap_tests::quick_client(emulator.url(), emulator.token("p").unwrap());
        let columns = ["name", "weight", "symptoms___1", "symptoms___2"];

        client
            .import_all_typed(
                &schema,
                &[intake(["1", "Ada", "70", "1", "1", ""])],
                &ImportOptions::new(),
            )
            .await
            .unwrap();
        assert_eq!(
            values(&stored(&client, "1").await, &columns),
            ["Ada", "70", "1", "1"]
        );

        // Only the weight changes; the blank name and unset boxes are kept even though
        // the caller asked for overwrite.
        client
            .import_all_typed(
                &schema,
                &[intake(["1", "", "72", "", "", ""])],
                &ImportOptions::new().overwrite(true),
            )
            .await
            .unwrap();
        assert_eq!(
            values(&stored(&client, "1").await, &columns),
            ["Ada", "72", "1", "1"]
        );

        // Named clears erase exactly those fields; overwrite is chosen by the edits.
        let edits = [Edit::new(intake(["1", "", "", "", "", ""]))
            .clear("weight")
            .clear("symptoms")];
        let dry = client
            .import_dry_run_edits(&schema, &edits, &ImportOptions::new())
            .await
            .unwrap();
        let erased: Vec<&str> = dry.erasures.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(
            erased,
            ["weight"],
            "the dry run shows the one blank erasure"
        );
        let unchecked: Vec<&str> = dry.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(unchecked, ["symptoms___1", "symptoms___2"]);
        assert_eq!(
            values(&stored(&client, "1").await, &columns),
            ["Ada", "72", "1", "1"]
        );

        client
            .import_all_edits(&schema, &edits, &ImportOptions::new())
            .await
            .unwrap();
        assert_eq!(
            values(&stored(&client, "1").await, &columns),
            ["Ada", "", "0", "0"]
        );

        // A clear the row type cannot express is refused before anything is sent.
        let error = client
            .import_all_edits(
                &schema,
                &[Edit::new(intake(["1", "", "", "", "", ""])).clear("height")],
                &ImportOptions::new(),
            )
            .await
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("row 1") && error.contains("height"),
            "{error}"
        );
        assert_eq!(
            values(&stored(&client, "1").await, &columns),
            ["Ada", "", "0", "0"]
        );
    });
    std::fs::remove_dir_all(&dir).unwrap();
}
