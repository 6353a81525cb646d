//! Where to enroll, from what the person typed: the server address and the code, or an
//! enrollment link (`plumbline://enroll?…`, from the office's QR code) pasted into the code
//! field, which carries both.

use plumbline_shared::enroll_link;

/// The server and code to enroll with, or `None` while something is missing.
pub fn enroll_target(server: &str, code: &str) -> Option<(String, String)> {
    if let Some(both) = enroll_link::parse(code) {
        return Some(both);
    }
    let (server, code) = (server.trim(), code.trim());
    (!server.is_empty() && !code.is_empty()).then(|| (server.to_owned(), code.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_link_fills_in_both_and_typed_values_are_trimmed() {
        let link = enroll_link::format("http://10.0.0.5:8080", "K7M2P-9QXDA");
        assert_eq!(
            enroll_target("", &link),
            Some(("http://10.0.0.5:8080".into(), "K7M2P-9QXDA".into()))
        );
        assert_eq!(
            enroll_target(" http://a:1 ", " K7M2P "),
            Some(("http://a:1".into(), "K7M2P".into()))
        );
        assert_eq!(enroll_target("", "K7M2P"), None);
        assert_eq!(enroll_target("http://a:1", "  "), None);
    }
}
