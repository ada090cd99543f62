//! Errors: each names the stage that failed and the place in the input.

use crate::problem::Problems;

/// Why an input could not be read or turned into a schema.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be opened.
    #[error("{source_name}: cannot read: {error}")]
    Io {
        /// File name.
        source_name: String,
        /// The I/O error.
        #[source]
        error: std::io::Error,
    },
    /// The input is not text in UTF-8.
    #[error("{source_name}: byte {offset}: not valid UTF-8")]
    Encoding {
        /// File name.
        source_name: String,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// The content is none of the supported kinds.
    #[error("{source_name}: {reason}")]
    UnknownFormat {
        /// File name.
        source_name: String,
        /// What was found instead.
        reason: String,
    },
    /// A dictionary CSV's header row is not REDCap's.
    #[error(
        "{source_name}: line 1, column {column}: broken header: found {found:?}, expected {expected:?}"
    )]
    Header {
        /// File name.
        source_name: String,
        /// 1-based column position.
        column: usize,
        /// The header cell found.
        found: String,
        /// What REDCap's headers have at this position.
        expected: String,
    },
    /// A CSV row could not be parsed, or has cells beyond the 18 columns.
    #[error("{source_name}: line {line}: {message}")]
    Csv {
        /// File name.
        source_name: String,
        /// 1-based line where the row starts.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// JSON that does not parse or does not have the expected shape.
    #[error("{source_name}: line {line}, column {column}: {message}")]
    Json {
        /// File name.
        source_name: String,
        /// 1-based line (0 when the problem is the shape of a whole item).
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// XML that does not parse or does not have the expected shape.
    #[error("{source_name}: line {line}: {message}")]
    Xml {
        /// File name.
        source_name: String,
        /// 1-based line of the problem.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Pieces of a project that do not fit together (events naming an arm
    /// that does not exist, a second dictionary, …).
    #[error("{source_name}: {message}")]
    Assemble {
        /// The input concerned.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// REDCap's dictionary checks found errors; every problem is listed.
    #[error("{source_name}: the data dictionary has errors:\n{problems}")]
    Invalid {
        /// The input checked.
        source_name: String,
        /// All problems found, warnings included.
        problems: Problems,
    },
}

impl Error {
    /// The problems of an [`Error::Invalid`].
    pub fn problems(&self) -> Option<&Problems> {
        match self {
            Error::Invalid { problems, .. } => Some(problems),
            _ => None,
        }
    }
}

/// 1-based line and column of a byte offset in `text`, counting `\r\n`,
/// `\n` and a lone `\r` each as one line break (CR-only files exist).
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let mut line = 1;
    let mut line_start = 0;
    for (i, &b) in before.iter().enumerate() {
        let is_break = b == b'\n' || (b == b'\r' && before.get(i + 1) != Some(&b'\n'));
        if is_break {
            line += 1;
            line_start = i + 1;
        }
    }
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Line numbers for offsets met in increasing order, counted incrementally
/// so that locating every row of a large file stays linear.
pub(crate) struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(text: &'a str) -> LineCounter<'a> {
        LineCounter {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    /// The 1-based line of `offset`; offsets before the last one asked for
    /// are counted from the start again.
    pub(crate) fn line_at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        for i in self.offset..offset {
            let b = self.text[i];
            if b == b'\n' || (b == b'\r' && self.text.get(i + 1) != Some(&b'\n')) {
                self.line += 1;
            }
        }
        self.offset = offset;
        self.line
    }
}
