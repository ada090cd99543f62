//! PDFs of data collection instruments (`content=pdf`): a small PDF 1.4
//! writer ([`writer`]) and the API method ([`export`]).

pub(crate) mod export;
pub(crate) mod writer;
