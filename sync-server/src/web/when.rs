//! Times as the office reads them: Beijing time, whatever the server's zone.

use plumbline_shared::time::Timestamp;

/// Beijing time, to the minute.
pub fn beijing(t: Timestamp) -> String {
    t.to_datetime()
        .map(|d| {
            d.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is valid"))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}
