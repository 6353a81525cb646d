//! Photos the person picks before they are saved: from the platform's picker (camera or
//! gallery, through a file input) or from the camera-roll folder, processed at once so the
//! draft shows real thumbnails and saving is instant.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::engine::NewPhoto;
use crate::ui::model::jpeg_data_uri;
use crate::ui::screens::finding_editor::DraftPhoto;
use crate::ui::screens::folder_pick::GalleryEntry;
use plumbline_media::capture::CaptureSettings;

/// The most camera-roll files listed at once, newest first.
const GALLERY_LIMIT: usize = 60;

/// Photos in a draft, each processed, with a key for removing it.
#[derive(Debug, Clone, Default)]
pub struct DraftPhotos {
    next_key: u32,
    photos: Vec<(u32, NewPhoto, String)>,
    /// Photos being processed now.
    pub processing: usize,
}

impl DraftPhotos {
    /// Adds a processed photo.
    pub fn push(&mut self, photo: NewPhoto) {
        let thumb = jpeg_data_uri(&photo.thumbnail);
        self.photos.push((self.next_key, photo, thumb));
        self.next_key += 1;
    }

    /// Drops a photo before saving.
    pub fn remove(&mut self, key: u32) {
        self.photos.retain(|(k, _, _)| *k != key);
    }

    /// What the screen shows.
    pub fn view(&self) -> Vec<DraftPhoto> {
        self.photos
            .iter()
            .map(|(key, _, thumb)| DraftPhoto {
                key: *key,
                thumb: thumb.clone(),
            })
            .collect()
    }

    /// The photos, for saving.
    pub fn photos(&self) -> Vec<NewPhoto> {
        self.photos.iter().map(|(_, p, _)| p.clone()).collect()
    }
}

fn is_picture(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "jpg" | "jpeg" | "png" | "heic" | "heif"
        )
    })
}

/// The pictures in `folder`, newest first; an unreadable folder lists nothing.
pub fn gallery(folder: &Path) -> Vec<GalleryEntry> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && is_picture(p))
        .map(|p| {
            let modified = p
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (modified, p)
        })
        .collect();
    files.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    files
        .into_iter()
        .take(GALLERY_LIMIT)
        .map(|(_, path)| GalleryEntry {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path: path.to_string_lossy().into_owned(),
        })
        .collect()
}

/// Reads a picked file, at most one byte more than the capture pipeline accepts (so that it
/// answers "too large" without this reading a huge file whole).
pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let limit = CaptureSettings::default().max_input_bytes;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gallery_lists_pictures_only() {
        let dir = tempfile::tempdir().expect("temp dir");
        for name in ["a.jpg", "b.PNG", "notes.txt", "c.heic"] {
            std::fs::write(dir.path().join(name), b"x").expect("write");
        }
        let mut names: Vec<String> = gallery(dir.path()).into_iter().map(|e| e.name).collect();
        names.sort();
        assert_eq!(names, ["a.jpg", "b.PNG", "c.heic"]);
        assert!(gallery(&dir.path().join("missing")).is_empty());
    }
}
