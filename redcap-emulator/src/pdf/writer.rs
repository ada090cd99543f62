//! A minimal PDF 1.4 writer: US Letter pages of left-aligned text in the
//! standard Helvetica fonts (no embedding), wrapped to the page width and
//! paginated, with a cross-reference table a viewer can use.
//!
//! Text is encoded in WinAnsiEncoding; characters outside it print as `?`.

/// Page size (US Letter, points) and margins.
const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
const FOOTER_Y: f32 = 30.0;

/// The fonts of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }
}

/// A document being written.
#[derive(Debug)]
pub(crate) struct Document {
    pages: Vec<Vec<u8>>,
    current: Vec<u8>,
    /// The baseline of the next line, from the bottom of the page.
    y: f32,
    title: String,
}

impl Document {
    /// An empty document with one blank page.
    pub(crate) fn new(title: &str) -> Document {
        Document {
            pages: Vec::new(),
            current: Vec::new(),
            y: PAGE_HEIGHT - MARGIN,
            title: title.to_owned(),
        }
    }

    /// Starts a new page (unless the current one is still empty).
    pub(crate) fn page_break(&mut self) {
        if !self.current.is_empty() {
            self.pages.push(std::mem::take(&mut self.current));
        }
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Vertical space.
    pub(crate) fn space(&mut self, points: f32) {
        self.y -= points;
    }

    /// A paragraph, wrapped to the width left after `indent`; breaks the
    /// page when a line does not fit.
    pub(crate) fn text(&mut self, text: &str, font: Font, size: f32, indent: f32) {
        let width = PAGE_WIDTH - 2.0 * MARGIN - indent;
        let leading = size * 1.3;
        for line in wrap(text, font, size, width) {
            if self.y - leading < MARGIN {
                self.page_break();
            }
            self.y -= leading;
            let encoded = encode(&line);
            let mut op = format!(
                "BT /{} {size} Tf {:.2} {:.2} Td (",
                font.resource(),
                MARGIN + indent,
                self.y
            )
            .into_bytes();
            op.extend_from_slice(&escape(&encoded));
            op.extend_from_slice(b") Tj ET\n");
            self.current.extend_from_slice(&op);
        }
    }

    /// A horizontal rule across the text width.
    pub(crate) fn rule(&mut self) {
        self.y -= 6.0;
        let line = format!(
            "0.5 w {MARGIN:.2} {y:.2} m {:.2} {y:.2} l S\n",
            PAGE_WIDTH - MARGIN,
            y = self.y
        );
        self.current.extend_from_slice(line.as_bytes());
        self.y -= 6.0;
    }

    /// The finished file.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        if !self.current.is_empty() || self.pages.is_empty() {
            self.pages.push(std::mem::take(&mut self.current));
        }
        let count = self.pages.len();
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
        let mut offsets: Vec<usize> = Vec::new();
        let mut object = |out: &mut Vec<u8>, body: &[u8]| {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        };
        // Objects 1–5 are fixed; page i is object 6 + 2i, its content 7 + 2i.
        object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
        let kids: Vec<String> = (0..count).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
        object(
            &mut out,
            format!(
                "<< /Type /Pages /Kids [{}] /Count {count} >>",
                kids.join(" ")
            )
            .as_bytes(),
        );
        object(
            &mut out,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        );
        object(
            &mut out,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        );
        let mut info = b"<< /Producer (REDCap emulator) /Title (".to_vec();
        info.extend_from_slice(&escape(&encode(&self.title)));
        info.extend_from_slice(b") >>");
        object(&mut out, &info);
        for (i, content) in self.pages.iter().enumerate() {
            object(
                &mut out,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                     /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    7 + 2 * i
                )
                .as_bytes(),
            );
            let mut stream = content.clone();
            let footer = format!("Page {} of {count}", i + 1);
            let x = PAGE_WIDTH - MARGIN - text_width(&footer, Font::Regular, 8.0);
            stream.extend_from_slice(
                format!("BT /F1 8 Tf {x:.2} {FOOTER_Y:.2} Td ({footer}) Tj ET\n").as_bytes(),
            );
            let mut body = format!("<< /Length {} >>\nstream\n", stream.len()).into_bytes();
            body.extend_from_slice(&stream);
            body.extend_from_slice(b"\nendstream");
            object(&mut out, &body);
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n", offsets.len() + 1).as_bytes());
        out.extend_from_slice(b"0000000000 65535 f \n");
        for offset in &offsets {
            out.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                offsets.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

/// Helvetica advance widths (1/1000 em) of the printable ASCII range,
/// from the font's Adobe metrics.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // space–/
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0–9
    278, 278, 584, 584, 584, 556, 1015, // :–@
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A–Z
    278, 278, 278, 469, 556, 333, // [–`
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // a–z
    334, 260, 334, 584, // {–~
];

fn char_width(c: char, font: Font) -> f32 {
    let base = match c {
        ' '..='~' => f32::from(HELVETICA[c as usize - 32]),
        _ => 556.0,
    };
    // Bold glyphs are a little wider; wrapping errs on the safe side.
    match font {
        Font::Regular => base,
        Font::Bold => base * 1.08,
    }
}

/// The width of a string in points.
pub(crate) fn text_width(text: &str, font: Font, size: f32) -> f32 {
    text.chars().map(|c| char_width(c, font)).sum::<f32>() * size / 1000.0
}

/// Splits text into lines that fit `width`: at spaces where possible,
/// inside a word when the word alone is too long; newlines are kept.
fn wrap(text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if text_width(&candidate, font, size) <= width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for c in word.chars() {
                line.push(c);
                if text_width(&line, font, size) > width {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// Text in WinAnsiEncoding (Latin-1 plus the typographic characters of
/// 0x80–0x9F); anything else becomes `?`.
fn encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '\u{20AC}' => 0x80,
            '\u{2018}' => 0x91,
            '\u{2019}' => 0x92,
            '\u{201C}' => 0x93,
            '\u{201D}' => 0x94,
            '\u{2022}' => 0x95,
            '\u{2013}' => 0x96,
            '\u{2014}' => 0x97,
            '\u{2026}' => 0x85,
            '\t' => b' ',
            c if (c as u32) < 0x20 => b' ',
            c if (c as u32) < 0x7F || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// Escapes a PDF literal string.
fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for &b in bytes {
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_paginates() {
        let mut doc = Document::new("T (1)");
        for i in 0..200 {
            doc.text(
                &format!("Line {i} with (parens) and \\ and café"),
                Font::Regular,
                10.0,
                0.0,
            );
        }
        let pdf = doc.finish();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        // 52 lines of 13 points fit between the margins: 200 need 4 pages.
        assert!(text.contains("/Count 4 "), "{text}");
        assert!(text.contains("(Line 7 with \\(parens\\) and \\\\ and caf"));
        assert!(text.trim_end().ends_with("%%EOF"));
    }

    #[test]
    fn xref_offsets_point_at_objects() {
        let mut doc = Document::new("x");
        doc.text("hello", Font::Bold, 12.0, 0.0);
        let pdf = doc.finish();
        let find = |needle: &[u8]| pdf.windows(needle.len()).rposition(|w| w == needle);
        let at = find(b"startxref\n").expect("startxref") + b"startxref\n".len();
        let tail = std::str::from_utf8(&pdf[at..]).expect("ascii tail");
        let start: usize = tail
            .lines()
            .next()
            .and_then(|n| n.parse().ok())
            .expect("offset");
        let table = std::str::from_utf8(&pdf[start..]).expect("ascii xref");
        assert!(table.starts_with("xref\n0 8\n"));
        for (i, line) in table.lines().skip(3).take(7).enumerate() {
            let offset: usize = line[..10].parse().expect("offset");
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", i + 1).as_bytes()));
        }
    }

    #[test]
    fn long_words_are_split() {
        let lines = wrap(&"x".repeat(300), Font::Regular, 10.0, 100.0);
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| text_width(l, Font::Regular, 10.0) <= 100.0)
        );
    }
}
