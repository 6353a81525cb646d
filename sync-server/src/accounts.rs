//! Secrets: password hashing, device tokens and enrollment codes.
//!
//! - Passwords are hashed with argon2id (the `argon2` crate's defaults, which follow the OWASP
//!   recommendation) into a PHC string.
//! - A device token is 32 random bytes, shown once as URL-safe text; the server keeps only its
//!   BLAKE3 hash, so a stolen database holds no usable token. BLAKE3 (not argon2) is right here
//!   because the token is high-entropy: there is nothing to brute-force.
//! - An enrollment code is 10 characters from a 32-letter alphabet without look-alikes
//!   (50 bits), shown as `XXXXX-XXXXX`, short enough to type on a phone and ready for a QR code.
//!   Codes are single-use and expire.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
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

/// Checks a password against a stored argon2id PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
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
        assert!(verify_password("正确的密码", &phc));
        assert!(!verify_password("wrong", &phc));
        assert!(!verify_password("x", "not a hash"));
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
