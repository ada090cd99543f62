//! PHP's `html_entity_decode($text, ENT_QUOTES)`, which every XML importer
//! of REDCap 15.7.6 runs over the whole `data` payload before parsing it
//! (`Records::xmlDecode(html_entity_decode($data, ENT_QUOTES))` in
//! `API/*/import.php` and `Records::saveData`). The payload is decoded
//! once, as text, so `&amp;lt;` reaches the XML parser as `&lt;`, `&eacute;`
//! becomes `é` before XML would refuse it, and `&lt;` or `&amp;` outside a
//! CDATA section become a bare `<` or `&` that the XML parser then refuses.

use std::borrow::Cow;

/// The named entities of HTML 4.01 (`ENT_HTML401`, PHP's default document
/// type), with their code points. `&apos;` is not among them, so PHP
/// leaves it for the XML parser.
const NAMED: &[(&str, u32)] = &[
    // HTMLspecial.
    ("quot", 34),
    ("amp", 38),
    ("lt", 60),
    ("gt", 62),
    ("OElig", 338),
    ("oelig", 339),
    ("Scaron", 352),
    ("scaron", 353),
    ("Yuml", 376),
    ("circ", 710),
    ("tilde", 732),
    ("ensp", 8194),
    ("emsp", 8195),
    ("thinsp", 8201),
    ("zwnj", 8204),
    ("zwj", 8205),
    ("lrm", 8206),
    ("rlm", 8207),
    ("ndash", 8211),
    ("mdash", 8212),
    ("lsquo", 8216),
    ("rsquo", 8217),
    ("sbquo", 8218),
    ("ldquo", 8220),
    ("rdquo", 8221),
    ("bdquo", 8222),
    ("dagger", 8224),
    ("Dagger", 8225),
    ("permil", 8240),
    ("lsaquo", 8249),
    ("rsaquo", 8250),
    ("euro", 8364),
    // HTMLsymbol.
    ("fnof", 402),
    ("Alpha", 913),
    ("Beta", 914),
    ("Gamma", 915),
    ("Delta", 916),
    ("Epsilon", 917),
    ("Zeta", 918),
    ("Eta", 919),
    ("Theta", 920),
    ("Iota", 921),
    ("Kappa", 922),
    ("Lambda", 923),
    ("Mu", 924),
    ("Nu", 925),
    ("Xi", 926),
    ("Omicron", 927),
    ("Pi", 928),
    ("Rho", 929),
    ("Sigma", 931),
    ("Tau", 932),
    ("Upsilon", 933),
    ("Phi", 934),
    ("Chi", 935),
    ("Psi", 936),
    ("Omega", 937),
    ("alpha", 945),
    ("beta", 946),
    ("gamma", 947),
    ("delta", 948),
    ("epsilon", 949),
    ("zeta", 950),
    ("eta", 951),
    ("theta", 952),
    ("iota", 953),
    ("kappa", 954),
    ("lambda", 955),
    ("mu", 956),
    ("nu", 957),
    ("xi", 958),
    ("omicron", 959),
    ("pi", 960),
    ("rho", 961),
    ("sigmaf", 962),
    ("sigma", 963),
    ("tau", 964),
    ("upsilon", 965),
    ("phi", 966),
    ("chi", 967),
    ("psi", 968),
    ("omega", 969),
    ("thetasym", 977),
    ("upsih", 978),
    ("piv", 982),
    ("bull", 8226),
    ("hellip", 8230),
    ("prime", 8242),
    ("Prime", 8243),
    ("oline", 8254),
    ("frasl", 8260),
    ("weierp", 8472),
    ("image", 8465),
    ("real", 8476),
    ("trade", 8482),
    ("alefsym", 8501),
    ("larr", 8592),
    ("uarr", 8593),
    ("rarr", 8594),
    ("darr", 8595),
    ("harr", 8596),
    ("crarr", 8629),
    ("lArr", 8656),
    ("uArr", 8657),
    ("rArr", 8658),
    ("dArr", 8659),
    ("hArr", 8660),
    ("forall", 8704),
    ("part", 8706),
    ("exist", 8707),
    ("empty", 8709),
    ("nabla", 8711),
    ("isin", 8712),
    ("notin", 8713),
    ("ni", 8715),
    ("prod", 8719),
    ("sum", 8721),
    ("minus", 8722),
    ("lowast", 8727),
    ("radic", 8730),
    ("prop", 8733),
    ("infin", 8734),
    ("ang", 8736),
    ("and", 8743),
    ("or", 8744),
    ("cap", 8745),
    ("cup", 8746),
    ("int", 8747),
    ("there4", 8756),
    ("sim", 8764),
    ("cong", 8773),
    ("asymp", 8776),
    ("ne", 8800),
    ("equiv", 8801),
    ("le", 8804),
    ("ge", 8805),
    ("sub", 8834),
    ("sup", 8835),
    ("nsub", 8836),
    ("sube", 8838),
    ("supe", 8839),
    ("oplus", 8853),
    ("otimes", 8855),
    ("perp", 8869),
    ("sdot", 8901),
    ("lceil", 8968),
    ("rceil", 8969),
    ("lfloor", 8970),
    ("rfloor", 8971),
    ("lang", 9001),
    ("rang", 9002),
    ("loz", 9674),
    ("spades", 9824),
    ("clubs", 9827),
    ("hearts", 9829),
    ("diams", 9830),
];

/// HTMLlat1: the names of U+00A0 to U+00FF, in code point order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

/// The character a named entity stands for.
fn named(name: &str) -> Option<char> {
    let code = LATIN1
        .iter()
        .position(|n| *n == name)
        .and_then(|i| u32::try_from(i).ok())
        .map(|i| 0xA0 + i)
        .or_else(|| NAMED.iter().find(|(n, _)| *n == name).map(|(_, c)| *c))?;
    char::from_u32(code)
}

/// Whether HTML 4.01 lets a numeric entity stand for this code point
/// (PHP's `unicode_cp_is_allowed`): printable ASCII, tab and line breaks,
/// and the rest of Unicode from U+00A0 but surrogates and noncharacters.
/// Other control characters stay written as entities.
fn allowed(code: u32) -> bool {
    matches!(code, 0x20..=0x7E | 0x09 | 0x0A | 0x0D | 0xA0..=0xD7FF)
        || ((0xE000..=0x10FFFF).contains(&code)
            && (code & 0xFFFF) < 0xFFFE
            && !(0xFDD0..=0xFDEF).contains(&code))
}

/// The character of `&#…;` (`body` is what stands between `&#` and `;`).
fn numeric(body: &str) -> Option<char> {
    let (digits, radix) = match body.strip_prefix(['x', 'X']) {
        Some(hex) => (hex, 16),
        None => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let code = u32::from_str_radix(digits, radix).ok()?;
    if !allowed(code) {
        return None;
    }
    char::from_u32(code)
}

/// Decodes HTML 4.01 named entities and numeric character references, each
/// only when closed by `;`; anything else stays as written.
pub(crate) fn html_entity_decode(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let decoded = after.find(';').and_then(|end| {
            let body = &after[..end];
            let c = match body.strip_prefix('#') {
                Some(number) => numeric(number),
                None if !body.is_empty() && body.chars().all(|c| c.is_ascii_alphanumeric()) => {
                    named(body)
                }
                None => None,
            }?;
            Some((c, end + 1))
        });
        match decoded {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::html_entity_decode;

    #[test]
    fn decodes_once_as_php_does() {
        assert_eq!(html_entity_decode("a &amp;lt; b"), "a &lt; b");
        assert_eq!(html_entity_decode("caf&eacute; &euro;5"), "café €5");
        assert_eq!(html_entity_decode("&#233;&#xE9;&#Xe9;"), "ééé");
        assert_eq!(
            html_entity_decode("&quot;x&quot; &#039;y&#39;"),
            "\"x\" 'y'"
        );
        assert_eq!(html_entity_decode("&nbsp;&yuml;&diams;"), "\u{a0}ÿ♦");
    }

    #[test]
    fn leaves_what_php_leaves() {
        // Not HTML 4.01, not closed, not a name, or a code point HTML 4.01
        // does not let an entity stand for.
        for text in [
            "&apos;",
            "&amp",
            "a & b",
            "&unknown;",
            "&#1;",
            "&#x80;",
            "&#xD800;",
            "&#;",
            "&#x;",
            "&#12a;",
            "&;",
            "&&amp;",
        ] {
            let expected = if text == "&&amp;" { "&&" } else { text };
            assert_eq!(html_entity_decode(text), expected, "{text}");
        }
        assert_eq!(html_entity_decode("&#9;&#10;&#13;"), "\t\n\r");
    }
}
