//! The conversion on real exports: REDCapR's longitudinal and repeating samples and a
//! project with missing-data codes. Every non-blank cell of the export must land in
//! exactly one table, typed, and nothing else may.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int32Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use redcap_schema::ProjectSchema;
use redcap_tidy::{Error, Tables, meta};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

fn schema(path: &str) -> ProjectSchema {
    redcap_schema::read_path(&repo(path)).unwrap()
}

fn export(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap()
}

const REDCAPR: &str = "redcap-schema/tests/fixtures/REDCapR/inst/test-data/projects";

/// Counts the export's non-blank cells outside the key columns, and the non-null cells of
/// the tables' data columns: the two must match, since each cell lands once.
fn assert_every_cell_lands_once(schema: &ProjectSchema, export: &str, tables: &Tables) {
    let mut reader = csv::Reader::from_reader(export.as_bytes());
    let header = reader.headers().unwrap().clone();
    let keys: HashSet<&str> = [
        schema.record_id_field.as_str(),
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "redcap_data_access_group",
        "redcap_survey_identifier",
    ]
    .into();
    let mut cells = 0;
    for row in reader.records() {
        let row = row.unwrap();
        cells += row
            .iter()
            .zip(&header)
            .filter(|(cell, name)| !cell.is_empty() && !keys.contains(name))
            .count();
    }
    let mut landed = 0;
    for table in &tables.instruments {
        let schema = table.batch.schema();
        for (field, column) in schema.fields().iter().zip(table.batch.columns()) {
            let role = field.metadata().get(meta::ROLE).map(String::as_str);
            // Labels and checkbox lists are derived from cells counted in other columns.
            if matches!(
                role,
                Some("key" | "label" | "status_label" | "checkbox_list")
            ) {
                continue;
            }
            landed += column.len() - column.null_count();
        }
    }
    assert_eq!(
        landed, cells,
        "every non-blank cell lands in exactly one table"
    );
}

fn table<'a>(tables: &'a Tables, name: &str) -> &'a RecordBatch {
    &tables
        .instruments
        .iter()
        .find(|t| t.name == name)
        .unwrap()
        .batch
}

/// The distinct keys of a table (record, event, instance as text) and the row count.
fn keys(batch: &RecordBatch) -> (usize, usize) {
    let text = |name: &str, row: usize| -> String {
        let Some(column) = batch.column_by_name(name) else {
            return String::new();
        };
        if column.is_null(row) {
            return String::new();
        }
        match column.data_type() {
            DataType::Utf8 => column.as_string::<i32>().value(row).to_owned(),
            DataType::Int32 => column.as_primitive::<Int32Type>().value(row).to_string(),
            _ => {
                let d = column.as_dictionary::<Int32Type>();
                d.values()
                    .as_string::<i32>()
                    .value(d.keys().value(row) as usize)
                    .to_owned()
            }
        }
    };
    let id = batch.schema().field(0).name().clone();
    let distinct: HashSet<_> = (0..batch.num_rows())
        .map(|row| {
            (
                text(&id, row),
                text("redcap_event_name", row),
                text("redcap_repeat_instance", row),
            )
        })
        .collect();
    (distinct.len(), batch.num_rows())
}

#[test]
fn longitudinal_sample_splits_by_event_and_keeps_every_cell() {
    let schema = schema(&format!("{REDCAPR}/longitudinal/project.xml"));
    let export = export(&format!("{REDCAPR}/longitudinal/data.csv"));
    let tables = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap();
    assert_eq!(tables.instruments.len(), schema.forms.len());
    assert_every_cell_lands_once(&schema, &export, &tables);
    for table in &tables.instruments {
        let (distinct, rows) = keys(&table.batch);
        assert_eq!(distinct, rows, "keys of `{}` are unique", table.name);
        let schema = table.batch.schema();
        assert_eq!(schema.field(1).name(), "redcap_event_name");
        assert_eq!(schema.field(2).name(), "redcap_arm");
    }
    let demographics = table(&tables, "demographics");
    let dob = demographics.column_by_name("dob").unwrap();
    assert_eq!(dob.data_type(), &DataType::Date32);
    assert!(dob.as_primitive::<Date32Type>().iter().flatten().count() > 0);
    let sex = demographics
        .schema()
        .field_with_name("sex")
        .unwrap()
        .clone();
    assert_eq!(sex.data_type(), &redcap_tidy_dictionary_type());
    assert_eq!(sex.metadata()[meta::LABEL], "Gender");
    assert!(demographics.column_by_name("sex_label").is_some());
    let gym = demographics
        .schema()
        .field_with_name("gym___1")
        .unwrap()
        .clone();
    assert_eq!(gym.data_type(), &DataType::Boolean);
    assert_eq!(gym.metadata()[meta::CHOICE_CODE], "1");
    // Height is a `number` field: an exact decimal; weight an `integer`.
    let height = demographics
        .schema()
        .field_with_name("height")
        .unwrap()
        .clone();
    assert!(matches!(height.data_type(), DataType::Decimal128(38, 15)));
    let weight = demographics
        .schema()
        .field_with_name("weight")
        .unwrap()
        .clone();
    assert_eq!(weight.data_type(), &DataType::Int64);
}

fn redcap_tidy_dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

#[test]
fn repeating_instruments_get_one_row_per_instance() {
    let schema = schema(&format!("{REDCAPR}/vignette-repeating/project.xml"));
    let export = export(&format!("{REDCAPR}/vignette-repeating/data.csv"));
    let tables = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap();
    assert_every_cell_lands_once(&schema, &export, &tables);
    let intake = table(&tables, "intake");
    assert!(intake.column_by_name("redcap_repeat_instance").is_none());
    let blood_pressure = table(&tables, "blood_pressure");
    let instances = blood_pressure
        .column_by_name("redcap_repeat_instance")
        .unwrap()
        .as_primitive::<Int32Type>();
    assert_eq!(instances.null_count(), 0);
    let rows_in_export = export
        .lines()
        .filter(|l| l.split(',').nth(1) == Some("blood_pressure"))
        .count();
    assert_eq!(blood_pressure.num_rows(), rows_in_export);
    let (distinct, rows) = keys(blood_pressure);
    assert_eq!(distinct, rows);
    // `number`: exact at scale 15; `1.1` is 11 × 10^14.
    let sbp = blood_pressure.column_by_name("sbp").unwrap();
    assert_eq!(sbp.data_type(), &DataType::Decimal128(38, 15));
    assert_eq!(
        sbp.as_primitive::<Decimal128Type>().value(0),
        11 * 10i128.pow(14)
    );
    // `number_1dp`: scale 1.
    let height = intake.column_by_name("height").unwrap();
    assert_eq!(height.data_type(), &DataType::Decimal128(38, 1));
    assert_eq!(height.as_primitive::<Decimal128Type>().value(0), 10);
}

const MISSING: &str = "tests/fixtures/missing-codes";

#[test]
fn missing_data_codes_stay_apart_from_values() {
    let schema = schema(&format!("{MISSING}/schema.json"));
    let export = export(&format!("{MISSING}/data.csv"));
    let tables = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap();
    assert_every_cell_lands_once(&schema, &export, &tables);
    let visit = table(&tables, "visit");
    let code = |column: &str, row: usize| -> Option<String> {
        let c = visit
            .column_by_name(column)
            .unwrap()
            .as_dictionary::<Int32Type>();
        c.is_valid(row).then(|| {
            c.values()
                .as_string::<i32>()
                .value(c.keys().value(row) as usize)
                .to_owned()
        })
    };
    // Record 2: `UNK` in the date, `NA` in the integer, `ASKU` in the decimal.
    assert!(visit.column_by_name("visit_date").unwrap().is_null(1));
    assert_eq!(code("visit_date_missing", 1).as_deref(), Some("UNK"));
    assert!(visit.column_by_name("age").unwrap().is_null(1));
    assert_eq!(code("age_missing", 1).as_deref(), Some("NA"));
    assert_eq!(code("weight_missing", 1).as_deref(), Some("ASKU"));
    assert_eq!(code("smoker_missing", 1).as_deref(), Some("UNK"));
    // Record 1 has values and no codes.
    assert_eq!(code("age_missing", 0), None);
    assert!(visit.column_by_name("age").unwrap().is_valid(0));
    // A checkbox's missing-data codes are boolean columns of their own.
    let unk = visit
        .schema()
        .field_with_name("symptoms___unk")
        .unwrap()
        .clone();
    assert_eq!(unk.metadata()[meta::ROLE], "checkbox_missing");
    assert!(
        visit
            .column_by_name("symptoms___unk")
            .unwrap()
            .as_boolean()
            .value(1)
    );
    // A calculation takes no missing-data codes: no `bmi_missing` column.
    assert!(visit.column_by_name("bmi_missing").is_none());
}

/// The ticked codes of a checkbox list column, `None` for a null list.
fn ticked(batch: &RecordBatch, column: &str, row: usize) -> Option<Vec<String>> {
    let list = batch.column_by_name(column).unwrap().as_list::<i32>();
    list.is_valid(row).then(|| {
        list.value(row)
            .as_string::<i32>()
            .iter()
            .map(|code| code.unwrap().to_owned())
            .collect()
    })
}

#[test]
fn a_checkbox_has_a_list_of_its_ticked_codes_beside_its_boxes() {
    let schema = schema(&format!("{MISSING}/schema.json"));
    let export = export(&format!("{MISSING}/data.csv"));
    let tables = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap();
    let visit = table(&tables, "visit");
    let visit_schema = visit.schema();
    let names: Vec<&str> = visit_schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    let at = names.iter().position(|n| *n == "symptoms").unwrap();
    assert_eq!(
        names[at..at + 7],
        [
            "symptoms",
            "symptoms___1",
            "symptoms___2",
            "symptoms___3",
            "symptoms___unk",
            "symptoms___na",
            "symptoms___asku"
        ]
    );
    let list = visit_schema.field_with_name("symptoms").unwrap();
    let DataType::List(item) = list.data_type() else {
        panic!("{}", list.data_type());
    };
    assert_eq!(item.data_type(), &DataType::Utf8);
    assert_eq!(list.metadata()[meta::ROLE], "checkbox_list");
    let field = schema.field("symptoms").unwrap();
    assert_eq!(list.metadata()[meta::LABEL], field.label);
    // The field's own choices; the missing-data codes are not values.
    assert_eq!(
        list.metadata()[meta::CHOICES],
        redcap_schema::choices::format_choices(&field.choices)
    );
    // Record 1 ticks 1 and 3; record 2 has `UNK`, so its value is unknown, not empty;
    // record 3 ticks nothing.
    assert_eq!(
        ticked(visit, "symptoms", 0),
        Some(vec!["1".to_owned(), "3".to_owned()])
    );
    assert_eq!(ticked(visit, "symptoms", 1), None);
    assert!(
        visit
            .column_by_name("symptoms___unk")
            .unwrap()
            .as_boolean()
            .value(1)
    );
    assert_eq!(ticked(visit, "symptoms", 2), Some(Vec::new()));
}

#[test]
fn a_checkbox_list_needs_every_choice_of_its_field() {
    let schema = schema(&format!("{MISSING}/schema.json"));
    let export = export(&format!("{MISSING}/data.csv"));
    // Drop the `symptoms___2` column from the header and every row.
    let cut: String = export
        .lines()
        .map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            let mut kept = cells[..6].to_vec();
            kept.extend(&cells[7..]);
            kept.join(",") + "\n"
        })
        .collect();
    assert!(!cut.contains("symptoms___2"));
    let error = redcap_tidy::tables_from_csv(&schema, cut.as_bytes()).unwrap_err();
    assert!(
        matches!(error, Error::Header(_)) && error.to_string().contains("`symptoms___2`"),
        "{error}"
    );
}

#[test]
fn a_value_that_does_not_fit_names_its_cell() {
    let schema = schema(&format!("{MISSING}/schema.json"));
    let export = export(&format!("{MISSING}/data.csv")).replace("2026-01-05", "05/01/2026");
    let error = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap_err();
    let Error::Value {
        place,
        field,
        value,
        expected,
    } = &error
    else {
        panic!("{error}");
    };
    assert_eq!((place.row, place.record.as_str()), (1, "1"));
    assert_eq!(
        (field.as_str(), value.as_str()),
        ("visit_date", "05/01/2026")
    );
    assert!(
        expected.contains("YYYY-MM-DD") && expected.contains("UNK"),
        "{expected}"
    );
    assert!(error.to_string().contains("record `1`"), "{error}");
}

#[test]
fn a_value_outside_its_repeating_instrument_is_refused() {
    let schema = schema(&format!("{REDCAPR}/vignette-repeating/project.xml"));
    let export = export(&format!("{REDCAPR}/vignette-repeating/data.csv")).replacen(
        "1,blood_pressure,1,,,",
        "1,blood_pressure,1,5.0,,",
        1,
    );
    let error = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("height") && message.contains("intake"),
        "{message}"
    );
}

#[test]
fn unknown_columns_and_events_are_refused() {
    let schema = schema(&format!("{MISSING}/schema.json"));
    let export = "record_id,shoe_size\n1,42\n";
    let error = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("`shoe_size`"), "{error}");

    let schema = self::schema(&format!("{REDCAPR}/longitudinal/project.xml"));
    let export = "study_id,redcap_event_name,first_name\n1,no_such_arm_1,Ann\n";
    let error = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("`no_such_arm_1`"), "{error}");
}

#[test]
fn batches_stream_and_files_come_back_whole() {
    let schema = schema(&format!("{REDCAPR}/longitudinal/project.xml"));
    let export = export(&format!("{REDCAPR}/longitudinal/data.csv"));
    let dir = std::env::temp_dir().join(format!("redcap-tidy-{}", std::process::id()));
    let mut counts = HashMap::new();
    for format in [
        redcap_tidy::Format::Parquet,
        redcap_tidy::Format::Arrow,
        redcap_tidy::Format::Csv,
    ] {
        let out = dir.join(format.extension());
        let (summary, files) =
            redcap_tidy::write_tables(&schema, export.as_bytes(), &out, format).unwrap();
        assert_eq!(files.len(), schema.forms.len() + 1);
        assert!(files.iter().all(|f| f.exists()));
        assert_eq!(summary.export_rows, 18);
        counts.insert(format.extension(), summary.table_rows.clone());
        let leftovers = std::fs::read_dir(&out)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".partial")
            })
            .count();
        assert_eq!(leftovers, 0);
    }
    // Arrow IPC reads back to the same rows as the in-memory conversion.
    let tables = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap();
    let file = std::fs::File::open(dir.join("arrow/demographics.arrow")).unwrap();
    let reader = arrow_ipc::reader::FileReader::try_new(file, None).unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows, table(&tables, "demographics").num_rows());
    assert_eq!(batches[0].schema(), table(&tables, "demographics").schema());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A flat CSV export as REDCap's flat JSON export of the same rows.
fn as_json(export: &str) -> String {
    let mut reader = csv::Reader::from_reader(export.as_bytes());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = reader
        .records()
        .map(|row| {
            header
                .iter()
                .zip(row.unwrap().iter())
                .map(|(name, cell)| (name.to_owned(), cell.into()))
                .collect()
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap()
}

#[test]
fn a_json_export_gives_the_same_tables_as_the_csv_export() {
    for (schema_path, export_path) in [
        (
            format!("{REDCAPR}/longitudinal/project.xml"),
            format!("{REDCAPR}/longitudinal/data.csv"),
        ),
        (
            format!("{MISSING}/schema.json"),
            format!("{MISSING}/data.csv"),
        ),
    ] {
        let schema = schema(&schema_path);
        let export = export(&export_path);
        let json = as_json(&export);
        assert_eq!(
            redcap_tidy::ExportFormat::sniff(json.as_bytes()),
            redcap_tidy::ExportFormat::Json
        );
        assert_eq!(
            redcap_tidy::ExportFormat::sniff(export.as_bytes()),
            redcap_tidy::ExportFormat::Csv
        );
        let from_csv = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap();
        let from_json =
            redcap_tidy::tables_from(&schema, json.as_bytes(), redcap_tidy::ExportFormat::Json)
                .unwrap();
        assert_eq!(from_csv.instruments.len(), from_json.instruments.len());
        for (csv, json) in from_csv.instruments.iter().zip(&from_json.instruments) {
            assert_eq!(csv.name, json.name);
            assert_eq!(csv.batch, json.batch, "{export_path}: table `{}`", csv.name);
        }
    }
}

#[test]
fn an_empty_json_export_gives_empty_tables_of_every_column() {
    let schema = schema(&format!("{REDCAPR}/longitudinal/project.xml"));
    let export = export(&format!("{REDCAPR}/longitudinal/data.csv"));
    let full = redcap_tidy::tables_from_csv(&schema, export.as_bytes()).unwrap();
    let empty =
        redcap_tidy::tables_from(&schema, &b"[]"[..], redcap_tidy::ExportFormat::Json).unwrap();
    for (full, empty) in full.instruments.iter().zip(&empty.instruments) {
        assert_eq!(empty.batch.num_rows(), 0);
        assert_eq!(full.batch.schema(), empty.batch.schema(), "{}", full.name);
    }
}

#[test]
fn a_json_value_that_does_not_fit_names_its_cell() {
    let schema = schema(&format!("{MISSING}/schema.json"));
    let json = as_json(&export(&format!("{MISSING}/data.csv"))).replace("\"54\"", "\"old\"");
    let error = redcap_tidy::tables_from(&schema, json.as_bytes(), redcap_tidy::ExportFormat::Json)
        .unwrap_err();
    assert!(
        matches!(&error, Error::Value { field, value, .. } if field == "age" && value == "old"),
        "{error}"
    );
}
