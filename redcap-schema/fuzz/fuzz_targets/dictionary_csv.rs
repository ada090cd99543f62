//! The dictionary CSV reader, then checks and building: any bytes give a
//! schema or an error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = redcap_schema::read::decode(data, "fuzz.csv") {
        if let Ok(rows) = redcap_schema::read::dictionary_csv::read_dictionary_csv(text, "fuzz.csv")
        {
            let parts = redcap_schema::build::Parts {
                rows,
                ..Default::default()
            };
            if let Ok(schema) = parts.build("fuzz.csv") {
                let _ = redcap_schema::to_dictionary_csv(&schema);
            }
        }
    }
});
