//! argon2id over a per-thread, reused memory area.
//!
//! `Argon2::hash_password` allocates its work area (19 MiB with the default
//! parameters) on every call. glibc keeps such freed blocks in its arenas
//! instead of returning them (measured: 10 sequential registrations left the
//! server at 200 MB RSS). Each hashing thread here allocates the area once and
//! reuses it, so hashing holds exactly `threads × m_cost` KiB, no more.

use std::cell::RefCell;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::HashingError;

thread_local! {
    /// This thread's argon2 work area; grows to the largest `m_cost` seen.
    static WORK_AREA: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

fn failed(e: impl std::fmt::Display) -> HashingError {
    HashingError::Failed(e.to_string())
}

/// Runs `argon2` over `password` and `salt` into an output of `output_len`
/// bytes, using this thread's work area.
fn compute(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    output_len: usize,
) -> Result<Output, HashingError> {
    let blocks = params.block_count();
    WORK_AREA.with(|area| {
        let mut area = area.borrow_mut();
        if area.len() < blocks {
            area.resize(blocks, Block::default());
        }
        let mut out = vec![0u8; output_len];
        argon2
            .hash_password_into_with_memory(password, salt, &mut out, &mut area[..blocks])
            .map_err(failed)?;
        Output::new(&out).map_err(failed)
    })
}

/// Hashes `password` with argon2id `params` and a fresh random salt into a
/// PHC string (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).
pub(super) fn hash(params: &Params, password: &[u8]) -> Result<String, HashingError> {
    let salt = Salt::generate();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = compute(&argon2, params, password, &salt, output_len)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc`. The algorithm, version
/// and parameters come from `phc`, so hashes made with other parameters still
/// verify. The comparison is constant-time (`Output`'s equality).
pub(super) fn verify(phc: &str, password: &[u8]) -> Result<bool, HashingError> {
    let parsed = PasswordHash::new(phc)
        .map_err(|e| failed(format!("stored hash is not a PHC string: {e}")))?;
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str()).map_err(failed)?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(failed)?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(failed)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(failed("stored hash has no salt or no hash"));
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let computed = compute(&argon2, &params, password, &salt, expected.len())?;
    Ok(computed == expected)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use argon2::{PasswordHasher as _, PasswordVerifier as _};

    use super::*;

    fn cheap() -> Params {
        Params::new(64, 1, 1, None).unwrap()
    }

    #[test]
    fn hashes_verify_here_and_in_the_argon2_crate() {
        let phc = hash(&cheap(), b"correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        assert!(verify(&phc, b"correct horse").unwrap());
        assert!(!verify(&phc, b"wrong horse").unwrap());
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", phc.as_str())
                .is_ok()
        );
    }

    #[test]
    fn hashes_from_the_argon2_crate_verify_here_whatever_their_parameters() {
        let salt = Salt::generate();
        let other = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(128, 2, 2, None).unwrap(),
        );
        let phc = other
            .hash_password_with_salt(b"pw12345678", &salt)
            .unwrap()
            .to_string();
        assert!(verify(&phc, b"pw12345678").unwrap());
        assert!(!verify(&phc, b"pw12345679").unwrap());
        assert!(verify("not a phc string", b"x").is_err());
    }

    /// Stored hashes outlive library versions: a PHC string from the
    /// reference C implementation (argon2-cffi), the standard format that
    /// earlier minigram versions (argon2 0.5) wrote too, must verify.
    #[test]
    fn hashes_from_the_reference_implementation_verify() {
        let phc = "$argon2id$v=19$m=64,t=1,p=1$PuctOGvZiGbdQ6zrhtJTUw$bDScIBIInJCajZEcOBylv5woC4WO0x7rxKVIpqc/Md8";
        assert!(verify(phc, b"pw12345678").unwrap());
        assert!(!verify(phc, b"pw12345679").unwrap());
    }
}
