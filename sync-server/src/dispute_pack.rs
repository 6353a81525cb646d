//! The dispute pack: one zip with everything a case's evidence is, and a manifest of BLAKE3
//! hashes that says whether any of it was altered since.
//!
//! A fine or an owner's claim gets disputed months later, in front of people who do not use
//! Plumbline. The pack holds the case record, its page as the office saw it (the timeline with
//! device and server times and authors), every photo original, the printed notice and fine
//! slips, and `MANIFEST.b3`: one line per file, `<hash>  <path>`, the format `b3sum --check`
//! reads. `plumbline-sync-server verify-pack FILE` checks the same without unpacking and names
//! each file that differs. The manifest's own hash is printed by both and logged by the server
//! when it builds the pack, so a pack re-hashed by whoever altered it is told apart too.
//!
//! This module knows zips and hashes, not cases: [`crate::web::case_pack`] fills it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// The manifest's name inside the pack.
pub const MANIFEST: &str = "MANIFEST.b3";

/// The pack's description for a person, inside the pack.
pub const README: &str = "README.txt";

/// Most bytes one file of a pack may hold when verifying (a photo is at most a few MB).
const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Why a pack could not be built or read.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// Writing or reading the zip failed.
    #[error("the zip file: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Reading a file failed.
    #[error("reading the pack: {0}")]
    Io(#[from] std::io::Error),
    /// The pack has no manifest, or one that does not read.
    #[error("the pack's manifest: {0}")]
    Manifest(String),
    /// Two files were given the same path.
    #[error("the pack would hold `{0}` twice")]
    Duplicate(String),
}

/// A pack being put together: files by path.
#[derive(Debug, Default)]
pub struct PackBuilder {
    files: BTreeMap<String, Vec<u8>>,
}

/// A finished pack.
#[derive(Debug)]
pub struct Pack {
    /// The zip's bytes.
    pub zip: Vec<u8>,
    /// BLAKE3 of `MANIFEST.b3`, hex.
    pub manifest_b3: String,
    /// How many files the manifest lists.
    pub files: usize,
}

impl PackBuilder {
    /// Adds a file. Paths are `/`-separated and relative (`photos/<hash>.jpg`).
    pub fn add(&mut self, path: impl Into<String>, bytes: Vec<u8>) -> Result<(), PackError> {
        let path = path.into();
        if self.files.contains_key(&path) || path == MANIFEST {
            return Err(PackError::Duplicate(path));
        }
        self.files.insert(path, bytes);
        Ok(())
    }

    /// The zip: every file, then the manifest of their hashes (the readme is listed too).
    pub fn finish(mut self, readme: &str) -> Result<Pack, PackError> {
        self.add(README, readme.as_bytes().to_vec())?;
        let mut manifest = String::new();
        for (path, bytes) in &self.files {
            manifest.push_str(&format!("{}  {path}\n", blake3::hash(bytes).to_hex()));
        }
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        for (path, bytes) in &self.files {
            // Photos are compressed already; deflating them again costs time and saves nothing.
            let method = if is_image(path) {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            zip.start_file(
                path.as_str(),
                SimpleFileOptions::default().compression_method(method),
            )?;
            zip.write_all(bytes)?;
        }
        zip.start_file(MANIFEST, SimpleFileOptions::default())?;
        zip.write_all(manifest.as_bytes())?;
        let zip = zip.finish()?.into_inner();
        Ok(Pack {
            zip,
            manifest_b3: blake3::hash(manifest.as_bytes()).to_hex().to_string(),
            files: self.files.len(),
        })
    }
}

fn is_image(path: &str) -> bool {
    path.ends_with(".jpg") || path.ends_with(".png")
}

/// What a check of a pack found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackReport {
    /// BLAKE3 of the manifest as found in the pack, hex: compare it with the one the server
    /// logged when it built the pack.
    pub manifest_b3: String,
    /// Files the manifest lists.
    pub listed: usize,
    /// What differs; empty when nothing was altered.
    pub problems: Vec<PackProblem>,
}

/// One thing wrong with a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackProblem {
    /// The file's bytes are not the ones the manifest hashed.
    Altered(String),
    /// The manifest lists a file the pack does not hold.
    Missing(String),
    /// The pack holds a file the manifest does not list.
    Unlisted(String),
}

impl std::fmt::Display for PackProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PackProblem::Altered(p) => {
                write!(f, "ALTERED   {p}: its bytes do not match the manifest")
            }
            PackProblem::Missing(p) => {
                write!(f, "MISSING   {p}: listed in the manifest, not in the pack")
            }
            PackProblem::Unlisted(p) => {
                write!(f, "UNLISTED  {p}: in the pack, not in the manifest")
            }
        }
    }
}

/// Checks every file of the pack in `zip` against its manifest.
pub fn verify(zip: impl Read + std::io::Seek) -> Result<PackReport, PackError> {
    let mut archive = ZipArchive::new(zip)?;
    let manifest_text = {
        let mut entry = archive
            .by_name(MANIFEST)
            .map_err(|_| PackError::Manifest(format!("there is no {MANIFEST}")))?;
        let mut text = String::new();
        entry
            .by_ref()
            .take(MAX_FILE_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| PackError::Manifest(format!("{MANIFEST} is not text: {e}")))?;
        text
    };
    let mut listed = BTreeMap::new();
    for (n, line) in manifest_text.lines().enumerate() {
        let Some((hash, path)) = line.split_once("  ") else {
            return Err(PackError::Manifest(format!(
                "line {} is not `<hash>  <path>`",
                n + 1
            )));
        };
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PackError::Manifest(format!(
                "line {} does not start with a BLAKE3 hash",
                n + 1
            )));
        }
        listed.insert(path.to_owned(), hash.to_ascii_lowercase());
    }
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        if entry.is_dir() {
            continue;
        }
        let path = entry.name()?.into_owned();
        if path == MANIFEST {
            continue;
        }
        seen.insert(path.clone());
        let Some(want) = listed.get(&path) else {
            problems.push(PackProblem::Unlisted(path));
            continue;
        };
        let mut hasher = blake3::Hasher::new();
        let copied = std::io::copy(&mut entry.by_ref().take(MAX_FILE_BYTES + 1), &mut hasher);
        let matches = match copied {
            Ok(n) if n <= MAX_FILE_BYTES => hasher.finalize().to_hex().as_str() == want,
            // A file that does not decompress (a damaged zip entry) is altered too.
            _ => false,
        };
        if !matches {
            problems.push(PackProblem::Altered(path));
        }
    }
    for path in listed.keys() {
        if !seen.contains(path) {
            problems.push(PackProblem::Missing(path.clone()));
        }
    }
    Ok(PackReport {
        manifest_b3: blake3::hash(manifest_text.as_bytes()).to_hex().to_string(),
        listed: listed.len(),
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pack() -> Pack {
        let mut b = PackBuilder::default();
        b.add("case.json", br#"{"case":"f-1"}"#.to_vec()).unwrap();
        b.add("photos/aa.jpg", vec![0xFF, 0xD8, 1, 2, 3, 0xFF, 0xD9])
            .unwrap();
        b.finish("readme").unwrap()
    }

    #[test]
    fn a_fresh_pack_verifies_and_its_manifest_reads_as_b3sum_does() {
        let p = pack();
        let report = verify(Cursor::new(&p.zip)).unwrap();
        assert!(report.problems.is_empty(), "{report:?}");
        assert_eq!(report.listed, 3);
        assert_eq!(report.manifest_b3, p.manifest_b3);
        let mut archive = ZipArchive::new(Cursor::new(&p.zip)).unwrap();
        let mut manifest = String::new();
        archive
            .by_name(MANIFEST)
            .unwrap()
            .read_to_string(&mut manifest)
            .unwrap();
        let case_line = format!("{}  case.json", blake3::hash(br#"{"case":"f-1"}"#).to_hex());
        assert!(manifest.lines().any(|l| l == case_line), "{manifest}");
    }

    #[test]
    fn an_altered_photo_is_named() {
        let p = pack();
        // Photos are stored, not deflated: their bytes appear as they are in the zip.
        let mut zip = p.zip.clone();
        let at = zip
            .windows(5)
            .position(|w| w == [0xFF, 0xD8, 1, 2, 3])
            .unwrap();
        zip[at + 3] ^= 0x40;
        let report = verify(Cursor::new(&zip)).unwrap();
        assert_eq!(
            report.problems,
            vec![PackProblem::Altered("photos/aa.jpg".into())]
        );
    }

    #[test]
    fn a_pack_without_its_manifest_is_refused() {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("case.json", SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"{}").unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert!(matches!(
            verify(Cursor::new(&bytes)),
            Err(PackError::Manifest(_))
        ));
    }
}
