//! Making a stored blob durable before the row that says it exists.
//!
//! object_store's local filesystem store writes a file and renames it into place, but never
//! calls `fsync`: after a power cut the file can be empty or missing while the database —
//! which does sync (`synchronous = FULL`) — lists the blob as complete, and the phone, told
//! the hash arrived, deletes its own copy once the retention passed. So every upload syncs the
//! object's file and the directories above it ([`Durability::sync`]) between putting the bytes
//! and recording the blob (`crate::blobs`).
//!
//! An object store that acknowledges a put only once the object is durable (S3 and the
//! compatible stores) needs nothing more: [`Durability::AcknowledgedByStore`].

use std::path::{Path, PathBuf};

/// How an object put into the blob store becomes durable.
#[derive(Debug, Clone)]
pub enum Durability {
    /// Objects are files below this folder: sync the file, then each directory from its parent
    /// up to the folder (a directory entry made by the put is lost with an unsynced directory).
    LocalFiles(PathBuf),
    /// The store acknowledges a put only once it is durable.
    AcknowledgedByStore,
}

impl Durability {
    /// Makes the object at `object` (the object store's path, `/`-separated) durable. An
    /// error means it may not be: the upload fails and the device retries.
    pub fn sync(&self, object: &str) -> std::io::Result<()> {
        let Self::LocalFiles(root) = self else {
            return Ok(());
        };
        let file = object
            .split('/')
            .filter(|part| !part.is_empty())
            .fold(root.clone(), |path, part| path.join(part));
        std::fs::File::open(&file)?.sync_all()?;
        let mut dir: Option<&Path> = file.parent();
        while let Some(d) = dir {
            std::fs::File::open(d)?.sync_all()?;
            if d == root.as_path() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_object_and_its_directories_are_synced_and_a_missing_one_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        let durable = Durability::LocalFiles(root.path().to_owned());
        std::fs::create_dir_all(root.path().join("ab")).unwrap();
        std::fs::write(root.path().join("ab").join("abcd"), b"photo").unwrap();
        durable.sync("ab/abcd").unwrap();
        assert!(durable.sync("ab/missing").is_err());
        Durability::AcknowledgedByStore.sync("ab/missing").unwrap();
    }
}
