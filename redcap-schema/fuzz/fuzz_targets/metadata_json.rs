//! The metadata JSON reader, then checks and building.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = redcap_schema::read::decode(data, "fuzz.json") {
        if let Ok(rows) = redcap_schema::read::metadata_json::read_metadata_json(text, "fuzz.json")
        {
            let parts = redcap_schema::build::Parts {
                rows,
                ..Default::default()
            };
            let _ = parts.build("fuzz.json");
        }
    }
});
