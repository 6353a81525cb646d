//! The two kinds of image the server keeps as evidence: JPEG photos and PNG signatures (and
//! floor plans), recognised by their first bytes, whatever a client declared.

/// The only kinds of evidence the server keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    /// A photo.
    Jpeg,
    /// A signature.
    Png,
}

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
/// Bytes [`ImageType::sniff`] needs to tell every type apart.
pub const SNIFF_BYTES: usize = 8;

impl ImageType {
    /// The MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageType::Jpeg => "image/jpeg",
            ImageType::Png => "image/png",
        }
    }

    /// Parses a `Content-Type` header value (parameters and case ignored).
    pub fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("image/jpeg") {
            Some(ImageType::Jpeg)
        } else if essence.eq_ignore_ascii_case("image/png") {
            Some(ImageType::Png)
        } else {
            None
        }
    }

    /// The type the first bytes of a file show, if it is one we keep.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(JPEG_MAGIC) {
            Some(ImageType::Jpeg)
        } else if bytes.starts_with(PNG_MAGIC) {
            Some(ImageType::Png)
        } else {
            None
        }
    }
}

impl std::fmt::Display for ImageType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.content_type())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_and_parses_types() {
        assert_eq!(
            ImageType::sniff(&[0xFF, 0xD8, 0xFF, 0xDB]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(ImageType::sniff(PNG_MAGIC), Some(ImageType::Png));
        assert_eq!(ImageType::sniff(b"GIF89a"), None);
        assert_eq!(ImageType::sniff(&[0x89, b'P', b'N', b'G']), None);
        assert_eq!(
            ImageType::from_content_type("Image/JPEG; charset=binary"),
            Some(ImageType::Jpeg)
        );
        assert_eq!(ImageType::from_content_type("image/gif"), None);
    }
}
