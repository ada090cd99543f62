//! The project XML reader, then building and writing back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = redcap_schema::read::decode(data, "fuzz.xml") {
        if let Ok(project) = redcap_schema::read_project_xml(text, "fuzz.xml") {
            if let Ok(schema) = project.schema("fuzz.xml") {
                let _ = redcap_schema::to_project_xml(
                    &schema,
                    Some(&project.records),
                    "2025-01-01T00:00:00",
                );
            }
        }
    }
});
