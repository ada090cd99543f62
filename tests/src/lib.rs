//! Record types generated from corpus projects, exercised by the tests in `tests/`.

#![deny(warnings)]

/// REDCapR's `simple` project (classic, checkboxes, a file field).
pub mod simple {
    include!(concat!(env!("OUT_DIR"), "/simple.rs"));
}

/// REDCapR's `longitudinal` project (two arms, twelve events, checkboxes).
pub mod longitudinal {
    include!(concat!(env!("OUT_DIR"), "/longitudinal.rs"));
}

/// REDCapR's `vignette-repeating` project (three repeating instruments).
pub mod repeating {
    include!(concat!(env!("OUT_DIR"), "/repeating.rs"));
}

/// REDCapR's `checkboxes-1` dictionary (letter codes).
pub mod checkboxes {
    include!(concat!(env!("OUT_DIR"), "/checkboxes.rs"));
}

/// A project with missing-data codes (`tests/fixtures/missing-codes`).
pub mod missing {
    include!(concat!(env!("OUT_DIR"), "/missing.rs"));
}

/// Hostile names and labels (`tests/fixtures/obstacle-course`): keywords, the
/// generator's own names as fields and instruments, mixed case, double and triple
/// underscores, leading digits, odd choice codes, other scripts, emoji, empty,
/// duplicate and very long labels.
pub mod obstacle {
    include!(concat!(env!("OUT_DIR"), "/obstacle.rs"));
}

/// Every other dictionary and project XML of the corpus fixtures, generated and compiled.
pub mod corpus {
    include!(concat!(env!("OUT_DIR"), "/corpus.rs"));
}

/// A synthetic wide project (five forms, about 200 export columns), for the benchmark.
pub mod wide {
    include!(concat!(env!("OUT_DIR"), "/wide.rs"));
}
