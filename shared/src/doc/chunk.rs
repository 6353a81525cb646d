//! Checking the chunks of a sync message before they touch a document.
//!
//! automerge applies a sync message's changes with `load_incremental`, which keeps what parses
//! and drops a damaged chunk with nothing but a log line (`OnPartialLoad::Ignore`). The sender
//! is then asked for the change again, sends the same bytes, and the exchange never ends. Every
//! side that receives changes from a stranger checks each chunk first, so that a damaged one
//! is refused by name instead.

use automerge::{Automerge, AutomergeError, LoadOptions, OnPartialLoad, VerificationMode};

/// Why a chunk of a sync message cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("chunk {index} of {count} is damaged: {reason}")]
pub struct DamagedChunk {
    /// Its position in the message, from 1.
    pub index: usize,
    /// How many chunks the message carries.
    pub count: usize,
    /// What automerge found wrong (a checksum that does not match, columns that do not parse).
    pub reason: String,
}

/// Checks that every chunk is whole and intact: a document, or one or more changes one after
/// the other (automerge's version 2 messages put all their changes in one chunk), each with a
/// checksum that matches its bytes and nothing after the last. A change whose dependencies are
/// elsewhere passes; applying it waits for them as usual.
pub fn check_chunks<'a>(
    chunks: impl ExactSizeIterator<Item = &'a [u8]>,
) -> Result<(), DamagedChunk> {
    let count = chunks.len();
    for (i, bytes) in chunks.enumerate() {
        check_chunk(bytes).map_err(|reason| DamagedChunk {
            index: i + 1,
            count,
            reason,
        })?;
    }
    Ok(())
}

/// The first bytes of every automerge chunk.
const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
/// The chunk type (after the magic and the checksum) of a bundle: many changes compressed
/// together, a format phones never send.
const BUNDLE: u8 = 3;

/// The types of the chunks one after another in `bytes`, read from their headers (magic,
/// checksum, type, LEB128 length) as automerge reads them: one message entry may hold several
/// chunks, and a bundle hidden behind a good change would be decoded all the same. Stops at a
/// header that does not parse; automerge refuses the bytes there too.
fn chunk_types(bytes: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut rest = bytes;
    while rest.len() > 9 && rest[..4] == MAGIC {
        types.push(rest[8]);
        let (mut len, mut shift, mut i) = (0u64, 0u32, 9usize);
        loop {
            let Some(&b) = rest.get(i) else {
                return types;
            };
            if shift > 63 {
                return types;
            }
            len |= u64::from(b & 0x7f) << shift;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let Some(next) = usize::try_from(len).ok().and_then(|l| i.checked_add(l)) else {
            return types;
        };
        if next > rest.len() {
            return types;
        }
        rest = &rest[next..];
    }
    types
}

fn check_chunk(bytes: &[u8]) -> Result<(), String> {
    // Bundles are refused unread: automerge 0.12's bundle decoder allocates whatever a
    // malformed run-length column claims (1.4 KB asked for 16 GB, found by fuzzing:
    // `fuzz/seeds/unit_changes/bundle-memory-bomb`) and panics on others. Phones send changes
    // and documents only.
    if chunk_types(bytes).contains(&BUNDLE) {
        return Err("a bundle of changes, which is not accepted; send the changes".into());
    }
    // Loading the chunk alone, strictly, is automerge's own check of every part of it (the
    // first part's checksum; each later part parsed and checked, none skipped). On its own a
    // change lacks its dependencies, which is not damage.
    let options = LoadOptions::new()
        .on_partial_load(OnPartialLoad::Error)
        .verification_mode(VerificationMode::DontCheck);
    // automerge 0.12's column decoder panics on some malformed run-length data instead of
    // returning an error (found by fuzzing: `fuzz/seeds/unit_changes/bundle-with-bad-rle`).
    // Bytes from a device must never stop a request, so a panic here is a damaged chunk.
    let loaded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Automerge::load_with_options(bytes, options)
    }));
    match loaded {
        Ok(Ok(_) | Err(AutomergeError::MissingDeps)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the chunk's columns do not decode".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ROOT, transaction::Transactable};

    fn two_changes() -> (Vec<u8>, Vec<u8>) {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "description", "卫生间闭水试验渗漏到楼下")
            .unwrap();
        doc.commit();
        doc.put(ROOT, "severity", "S1").unwrap();
        doc.commit();
        let changes = doc.get_changes(&[]);
        (
            changes[0].raw_bytes().to_vec(),
            changes[1].raw_bytes().to_vec(),
        )
    }

    #[test]
    fn bundles_are_refused_unread() {
        // Each made automerge panic or ask for 16 GB when read (found by fuzzing).
        for bytes in [
            include_bytes!("../../../fuzz/seeds/unit_changes/bundle-with-bad-rle").as_slice(),
            include_bytes!("../../../fuzz/seeds/unit_changes/bundle-memory-bomb").as_slice(),
        ] {
            let refused = check_chunks([bytes].into_iter()).unwrap_err();
            assert!(refused.reason.contains("bundle"), "{refused:?}");
            // Also behind a good change in the same entry.
            let (good, _) = two_changes();
            let hidden = [good.as_slice(), bytes].concat();
            let refused = check_chunks([hidden.as_slice()].into_iter()).unwrap_err();
            assert!(refused.reason.contains("bundle"), "{refused:?}");
        }
    }

    #[test]
    fn whole_changes_pass_even_without_their_dependencies() {
        let (first, second) = two_changes();
        check_chunks([first.as_slice(), second.as_slice()].into_iter()).unwrap();
        check_chunks([second.as_slice()].into_iter()).unwrap();
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "x", 1).unwrap();
        check_chunks([doc.save().as_slice()].into_iter()).unwrap();
    }

    #[test]
    fn a_flipped_byte_anywhere_in_a_change_is_named() {
        let (first, second) = two_changes();
        for at in 0..second.len() {
            let mut damaged = second.clone();
            damaged[at] ^= 0x20;
            let err = check_chunks([first.as_slice(), damaged.as_slice()].into_iter())
                .expect_err(&format!("a flipped byte at {at} passed"));
            assert_eq!((err.index, err.count), (2, 2));
        }
    }

    #[test]
    fn changes_one_after_the_other_pass_and_anything_after_them_is_damage() {
        let (first, second) = two_changes();
        let joined = [first.as_slice(), second.as_slice()].concat();
        check_chunks([joined.as_slice()].into_iter()).unwrap();
        let mut flipped = joined.clone();
        let at = first.len() + second.len() / 2;
        flipped[at] ^= 0x01;
        assert!(check_chunks([flipped.as_slice()].into_iter()).is_err());
        let trailing = [joined.as_slice(), b"garbage"].concat();
        assert!(check_chunks([trailing.as_slice()].into_iter()).is_err());
        assert!(check_chunks([&first[..first.len() - 1]].into_iter()).is_err());
    }
}
