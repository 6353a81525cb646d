//! What the evidence keeps from a photo's EXIF: orientation, capture time, GPS position.
//!
//! EXIF is read with `kamadak-exif` from the raw block the decoder found. Nothing here fails
//! a capture: a photo with broken EXIF is still evidence, taken "now", upright as stored.

use chrono::{NaiveDate, NaiveDateTime};
use exif::{Exif, In, Tag, Value};
use plumbline_shared::time::{DAY_MS, MINUTE_MS, Timestamp};

use super::{CaptureTimeSource, GpsFix};

/// How far after "now" an EXIF time may be and still be believed: a day covers a wrongly
/// assumed time zone; more means the camera's clock is wrong, and a photo dated after it
/// was attached would make the finding's timeline lie.
const MAX_FUTURE_SKEW_MS: i64 = DAY_MS;

/// What was read from the EXIF block.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Metadata {
    /// EXIF orientation, 1–8 (1: as stored).
    pub(super) orientation: u8,
    /// `DateTimeOriginal` (else `DateTimeDigitized`), with sub-seconds and offset when present.
    pub(super) taken: Option<Taken>,
    /// The GPS position.
    pub(super) gps: Option<GpsFix>,
}

impl Default for Metadata {
    fn default() -> Self {
        Self {
            orientation: 1,
            taken: None,
            gps: None,
        }
    }
}

/// An EXIF capture time: the camera's wall clock, and its UTC offset when the photo states it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Taken {
    local: NaiveDateTime,
    offset_minutes: Option<i32>,
}

/// Reads the raw EXIF block (a TIFF structure), keeping whatever parses.
pub(super) fn read(raw: Option<Vec<u8>>) -> Metadata {
    let Some(raw) = raw else {
        return Metadata::default();
    };
    let exif = match exif::Reader::new().continue_on_error(true).read_raw(raw) {
        Ok(exif) => exif,
        Err(exif::Error::PartialResult(partial)) => {
            let (exif, errors) = partial.into_inner();
            tracing::debug!(
                errors = errors.len(),
                "EXIF partly unreadable; using the rest"
            );
            exif
        }
        Err(error) => {
            tracing::debug!(%error, "EXIF unreadable; ignored");
            return Metadata::default();
        }
    };
    Metadata {
        orientation: exif
            .get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0))
            .and_then(|v| u8::try_from(v).ok())
            .filter(|v| (1..=8).contains(v))
            .unwrap_or(1),
        taken: taken(&exif),
        gps: gps(&exif),
    }
}

fn ascii(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => parts.first().map(Vec::as_slice),
        _ => None,
    }
}

fn taken(exif: &Exif) -> Option<Taken> {
    [
        (
            Tag::DateTimeOriginal,
            Tag::SubSecTimeOriginal,
            Tag::OffsetTimeOriginal,
        ),
        (
            Tag::DateTimeDigitized,
            Tag::SubSecTimeDigitized,
            Tag::OffsetTimeDigitized,
        ),
    ]
    .into_iter()
    .find_map(|(time, subsec, offset)| {
        parse_taken(ascii(exif, time)?, ascii(exif, subsec), ascii(exif, offset))
    })
}

/// Parses EXIF's `YYYY:MM:DD HH:MM:SS`, refined by the sub-second and offset fields. `None`
/// for a blank or impossible date (cameras write `0000:00:00 00:00:00` when unset).
fn parse_taken(time: &[u8], subsec: Option<&[u8]>, offset: Option<&[u8]>) -> Option<Taken> {
    let mut taken = exif::DateTime::from_ascii(time).ok()?;
    // Both are optional refinements: a malformed one is ignored, not the time.
    if let Some(s) = subsec {
        let _ = taken.parse_subsec(s);
    }
    if let Some(o) = offset {
        let _ = taken.parse_offset(o);
    }
    let local = NaiveDate::from_ymd_opt(
        i32::from(taken.year),
        u32::from(taken.month),
        u32::from(taken.day),
    )?
    .and_hms_nano_opt(
        u32::from(taken.hour),
        u32::from(taken.minute),
        u32::from(taken.second),
        taken.nanosecond.unwrap_or(0),
    )?;
    Some(Taken {
        local,
        offset_minutes: taken.offset.map(i32::from),
    })
}

fn gps(exif: &Exif) -> Option<GpsFix> {
    let coordinate = |tag: Tag, reference: Tag, negative: u8, max: f64| {
        let Value::Rational(parts) = &exif.get_field(tag, In::PRIMARY)?.value else {
            return None;
        };
        let degrees = parts
            .iter()
            .zip([1.0, 60.0, 3600.0])
            .map(|(part, unit)| part.to_f64() / unit)
            .sum::<f64>();
        let sign = match ascii(exif, reference)?.first() {
            Some(&r) if r.eq_ignore_ascii_case(&negative) => -1.0,
            _ => 1.0,
        };
        (degrees.is_finite() && degrees <= max).then_some(sign * degrees)
    };
    let lat = coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, b'S', 90.0)?;
    let lon = coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, b'W', 180.0)?;
    if lat == 0.0 && lon == 0.0 {
        // What some cameras write when they have no fix.
        return None;
    }
    let accuracy_m = exif
        .get_field(Tag::GPSHPositioningError, In::PRIMARY)
        .and_then(|f| match &f.value {
            Value::Rational(v) => v.first().map(|r| r.to_f64()),
            _ => None,
        })
        .filter(|a| a.is_finite() && *a >= 0.0);
    Some(GpsFix {
        lat,
        lon,
        accuracy_m,
    })
}

/// When the photo was taken: its EXIF time when there is a believable one, else `now`.
///
/// An EXIF time is the camera's wall clock; `default_offset_minutes` is its assumed UTC offset
/// when the photo does not state one (see [`super::CaptureSettings::exif_utc_offset_minutes`]).
pub(super) fn capture_time(
    taken: Option<&Taken>,
    default_offset_minutes: i32,
    now: Timestamp,
) -> (Timestamp, CaptureTimeSource) {
    let Some(taken) = taken else {
        return (now, CaptureTimeSource::Now);
    };
    let offset = taken.offset_minutes.unwrap_or(default_offset_minutes);
    let utc = taken.local.and_utc().timestamp_millis() - i64::from(offset) * MINUTE_MS;
    let at = Timestamp(utc);
    if at.millis() > now.millis().saturating_add(MAX_FUTURE_SKEW_MS) {
        tracing::warn!(exif = %at, %now, "EXIF capture time is in the future; using now");
        return (now, CaptureTimeSource::Now);
    }
    (at, CaptureTimeSource::Exif)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datetime(text: &str) -> Taken {
        parse_taken(text.as_bytes(), None, None).expect("valid EXIF date-time")
    }

    const NOW: Timestamp = Timestamp(1_795_000_000_000); // 2026-11-18

    #[test]
    fn exif_time_without_offset_is_read_in_the_configured_zone() {
        let taken = datetime("2026:11:18 09:30:00");
        let (at, source) = capture_time(Some(&taken), 8 * 60, NOW);
        assert_eq!(source, CaptureTimeSource::Exif);
        assert_eq!(at.to_string(), "2026-11-18T01:30:00.000Z");
        let (at, _) = capture_time(Some(&taken), 0, NOW);
        assert_eq!(at.to_string(), "2026-11-18T09:30:00.000Z");
    }

    #[test]
    fn exif_offset_and_subseconds_win_over_the_default() {
        let taken = parse_taken(b"2026:11:18 09:30:00", Some(b"25"), Some(b"+09:00"));
        let (at, _) = capture_time(taken.as_ref(), 8 * 60, NOW);
        assert_eq!(at.to_string(), "2026-11-18T00:30:00.250Z");
    }

    #[test]
    fn impossible_or_future_exif_times_fall_back_to_now() {
        for text in [
            "2026:13:40 09:30:00",
            "0000:00:00 00:00:00",
            "    :  :     :  :  ",
        ] {
            assert_eq!(parse_taken(text.as_bytes(), None, None), None, "{text}");
        }
        let future = datetime("2027:06:01 00:00:00");
        assert_eq!(
            capture_time(Some(&future), 480, NOW),
            (NOW, CaptureTimeSource::Now)
        );
        assert_eq!(capture_time(None, 480, NOW), (NOW, CaptureTimeSource::Now));
    }

    #[test]
    fn garbage_exif_is_ignored() {
        assert_eq!(read(Some(b"not a tiff".to_vec())), Metadata::default());
        assert_eq!(read(None), Metadata::default());
    }
}
