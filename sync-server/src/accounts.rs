//! Secrets: password hashing, device tokens and enrollment codes.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults, which follow the OWASP
//!   recommendation) into a PHC string.
//! - A device token is 32 random bytes, shown once as URL-safe text; the server keeps only its
//!   BLAKE3 hash, so a stolen database holds no usable token. BLAKE3 (not argon2) is right here
//!   because the token is high-entropy: there is nothing to brute-force.
//! - An enrollment code is 10 characters from a 31-letter alphabet without look-alikes
//!   (about 49 bits), shown as `XXXXX-XXXXX`, short enough to type on a phone and ready for a QR code.
//!   Codes are single-use and expire.

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::Rng;

/// Letters of enrollment codes: digits and capitals without 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Hashes a password with argon2id.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let bytes: [u8; 16] = rand::rng().random();
    let salt =
        SaltString::encode_b64(&bytes).map_err(|e| anyhow::anyhow!("encoding a salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// The working memory of one password check (argon2's blocks, 19 MiB with our parameters),
/// kept from one check to the next. Allocating it for every check leaves the freed blocks in
/// whichever allocator arena the blocking thread used, up to one per arena: under a flood
/// of sign-ins the process grew to over 300 MiB although only two checks ran at once. The
/// sign-in keeps one per check that may run at once (`crate::throttle`), so password checks
/// hold a fixed amount of memory however many requests wait.
#[derive(Default)]
pub struct CheckMemory(Vec<Block>);

impl std::fmt::Debug for CheckMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CheckMemory({} blocks)", self.0.len())
    }
}

/// The largest memory cost a stored hash may ask for (64 MiB): a hash from another tool with a
/// huge cost is refused rather than allocated.
const MAX_CHECK_KIB: u32 = 64 * 1024;

/// Checks a password against a stored argon2id PHC string, in `memory`, which grows to what
/// the hash asks for and is kept. Compares in constant time (`password_hash::Output`'s
/// equality).
pub fn verify_password_in(password: &str, phc: &str, memory: &mut CheckMemory) -> bool {
    let Ok(stored) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(stored.algorithm),
        Params::try_from(&stored),
    ) else {
        return false;
    };
    let version = match stored.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Some(salt), Some(expected)) = (stored.salt, stored.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    if params.m_cost() > MAX_CHECK_KIB {
        return false;
    }
    memory.0.resize(params.block_count(), Block::default());
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory.0[..])
        .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// A new device token and the hash to store.
pub fn new_token() -> (String, [u8; 32]) {
    let bytes: [u8; 32] = rand::rng().random();
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    *blake3::hash(token.as_bytes()).as_bytes()
}

/// A new enrollment code, formatted for people, and the hash to store.
pub fn new_enrollment_code() -> (String, [u8; 32]) {
    let mut rng = rand::rng();
    let raw: String = (0..10)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    let shown = format!("{}-{}", &raw[..5], &raw[5..]);
    let hash = code_hash(&shown);
    (shown, hash)
}

/// The stored form of a code, ignoring case, spaces and dashes as people type them.
pub fn code_hash(code: &str) -> [u8; 32] {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    *blake3::hash(normal.as_bytes()).as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let phc = hash_password("正确的密码").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        let mut memory = CheckMemory::default();
        assert!(verify_password_in("正确的密码", &phc, &mut memory));
        assert!(!verify_password_in("wrong", &phc, &mut memory));
        assert!(!verify_password_in("x", "not a hash", &mut memory));
    }

    #[test]
    fn a_check_in_kept_memory_agrees_with_the_crate_s_own_for_any_parameters() {
        use argon2::PasswordVerifier;
        let mut memory = CheckMemory::default();
        let small = Params::new(1024, 1, 1, None).unwrap();
        let other = Argon2::new(Algorithm::Argon2i, Version::V0x10, small);
        let salt = SaltString::encode_b64(b"sixteen bytes!!!").unwrap();
        let phcs = [
            hash_password("正确的密码").unwrap(),
            other.hash_password(b"other", &salt).unwrap().to_string(),
        ];
        // The same memory, reused across hashes of different sizes and kinds, in any order.
        for phc in phcs.iter().chain(phcs.iter().rev()) {
            let parsed = PasswordHash::new(phc).unwrap();
            for guess in ["正确的密码", "other", "wrong"] {
                let theirs = Argon2::default()
                    .verify_password(guess.as_bytes(), &parsed)
                    .is_ok();
                assert_eq!(
                    verify_password_in(guess, phc, &mut memory),
                    theirs,
                    "{phc} {guess}"
                );
            }
        }
        // A hash asking for a gigabyte is refused, not allocated.
        let huge = phcs[0].replace("m=19456", "m=1048576");
        assert!(!verify_password_in("正确的密码", &huge, &mut memory));
        assert_eq!(memory.0.len(), 19 * 1024);
    }

    #[test]
    fn codes_are_typeable_and_forgiving() {
        let (code, hash) = new_enrollment_code();
        assert_eq!(code.len(), 11);
        assert_eq!(code_hash(&code.to_lowercase().replace('-', " ")), hash);
        let (t1, h1) = new_token();
        let (t2, _) = new_token();
        assert_ne!(t1, t2);
        assert_eq!(token_hash(&t1), h1);
    }
}
