//! The enrollment link: `plumbline://enroll?server=<address>&code=<code>`, both values
//! percent-encoded. The office's admin page shows it as a QR code; the app takes it pasted or
//! scanned into the code field, so the inspector types nothing. One module for both sides, so
//! the two never disagree on the format.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// The scheme and path every enrollment link starts with.
pub const PREFIX: &str = "plumbline://enroll?";

/// Everything but RFC 3986's unreserved characters is encoded.
const ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The link for `server` and a one-time `code`.
pub fn format(server: &str, code: &str) -> String {
    format!(
        "{PREFIX}server={}&code={}",
        utf8_percent_encode(server, ENCODED),
        utf8_percent_encode(code, ENCODED)
    )
}

/// The server and code of a link, or `None` when `text` is not an enrollment link with both.
pub fn parse(text: &str) -> Option<(String, String)> {
    let query = text.trim().strip_prefix(PREFIX)?;
    let mut server = None;
    let mut code = None;
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=')?;
        let value = percent_decode_str(value).decode_utf8().ok()?.into_owned();
        match key {
            "server" => server = Some(value),
            "code" => code = Some(value),
            _ => {}
        }
    }
    Some((server?, code?)).filter(|(s, c)| !s.is_empty() && !c.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_round_trips_and_encodes_the_address() {
        let link = format("https://p.example.com:8443", "K7M2P-9QXDA");
        assert_eq!(
            link,
            "plumbline://enroll?server=https%3A%2F%2Fp.example.com%3A8443&code=K7M2P-9QXDA"
        );
        assert_eq!(
            parse(&format!("  {link}\n")),
            Some(("https://p.example.com:8443".into(), "K7M2P-9QXDA".into()))
        );
    }

    #[test]
    fn anything_else_is_not_a_link() {
        assert_eq!(parse("K7M2P-9QXDA"), None);
        assert_eq!(parse("plumbline://enroll?server=x"), None, "no code");
        assert_eq!(
            parse("plumbline://enroll?server=&code=A"),
            None,
            "empty server"
        );
        assert_eq!(
            parse("plumbline://enroll?server=%FF&code=A"),
            None,
            "not UTF-8"
        );
        assert_eq!(parse("https://example.com/?server=a&code=b"), None);
    }
}
