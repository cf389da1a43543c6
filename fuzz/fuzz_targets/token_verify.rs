//! Token parsing and verification (`minigram::auth::TokenIssuer`) on
//! arbitrary strings, on genuine tokens after arbitrary edits, and on
//! arbitrary claims signed with the issuer's own secret.
//!
//! Invariants: verification never panics; only a token the issuer signed
//! verifies, and it verifies to the user it was issued for; any change at
//! all to a genuine token (base64url without padding has one spelling per
//! byte string, and HS256 covers header and claims) makes it fail;
//! correctly signed claims verify exactly when they name a user id, an
//! unexpired representable expiry and a token id, and then to those.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use libfuzzer_sys::fuzz_target;
use minigram::UserId;
use minigram::auth::TokenIssuer;
use secrecy::SecretSlice;

/// The issuer's secret: fixed, so that crashes reproduce.
const SECRET: &[u8; 32] = b"minigram-fuzz-token-secret-32-by";
const TTL: Duration = Duration::from_secs(3600);

#[derive(Arbitrary, Debug)]
enum Input {
    /// Any string offered as a bearer token.
    Raw(String),
    /// A genuine token for `user`, then edited.
    Edited { user: u64, edits: Vec<Edit> },
    /// Claims of the fuzzer's choosing, signed with the issuer's secret.
    Signed(Claims),
    /// Any payload bytes, signed with the issuer's secret.
    SignedPayload(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
enum Edit {
    /// XOR a byte with a nonzero mask.
    Flip {
        at: usize,
        mask: u8,
    },
    Insert {
        at: usize,
        byte: u8,
    },
    Remove {
        at: usize,
    },
    Truncate {
        len: usize,
    },
}

#[derive(Arbitrary, Debug)]
struct Claims {
    sub: Subject,
    exp: Expiry,
    iat: i64,
    jti: String,
}

#[derive(Arbitrary, Debug)]
enum Subject {
    Id(u64),
    Text(String),
}

#[derive(Arbitrary, Debug)]
enum Expiry {
    /// Seconds from now (so most such tokens are unexpired).
    FromNow(i32),
    Absolute(i64),
}

fn issuer() -> &'static TokenIssuer {
    static ISSUER: OnceLock<TokenIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| {
        TokenIssuer::new(&SecretSlice::from(SECRET.to_vec()), TTL).expect("a 32-byte secret")
    })
}

fuzz_target!(|input: Input| {
    let issuer = issuer();
    match input {
        Input::Raw(token) => {
            // Forging an HS256 signature is out of the fuzzer's reach.
            assert!(issuer.verify(&token).is_err(), "{token:?} verified");
        }
        Input::Edited { user, edits } => {
            let Some(user) = UserId::new(user) else {
                return;
            };
            let (token, issued) = issuer.issue(user).expect("the issuer signs");
            let mut edited = token.clone().into_bytes();
            for edit in edits {
                edit.apply(&mut edited);
            }
            // Tokens travel as header text: only UTF-8 reaches `verify`.
            let Ok(edited) = String::from_utf8(edited) else {
                return;
            };
            let verified = issuer.verify(&edited);
            if edited == token {
                assert_eq!(verified.expect("a genuine token verifies"), issued);
            } else {
                assert!(verified.is_err(), "edited token verified: {edited:?}");
            }
        }
        Input::Signed(claims) => {
            let now = chrono::Utc::now().timestamp();
            let (sub, expected_user) = match &claims.sub {
                Subject::Id(id) => (id.to_string(), UserId::new(*id)),
                Subject::Text(text) => (text.clone(), UserId::parse(text).ok()),
            };
            let exp = match claims.exp {
                Expiry::FromNow(seconds) => now.saturating_add(i64::from(seconds)),
                Expiry::Absolute(at) => at,
            };
            let payload = serde_json::json!({
                "sub": sub,
                "exp": exp,
                "iat": claims.iat,
                "jti": claims.jti,
            });
            let token = sign(payload.to_string().as_bytes());
            let verified = issuer.verify(&token);
            // A second either side of now is left alone: the clock moves.
            let unexpired = exp > now + 1 && chrono::DateTime::from_timestamp(exp, 0).is_some();
            let expired = exp < now - 1;
            match verified {
                Ok(principal) => {
                    assert!(!expired, "expired claims verified: {payload}");
                    assert_eq!(Some(principal.user_id), expected_user, "{payload}");
                    assert_eq!(principal.token_id, claims.jti);
                    assert_eq!(principal.expires_at.timestamp(), exp);
                }
                Err(error) => {
                    let valid = expected_user.is_some() && unexpired && !claims.jti.is_empty();
                    assert!(!valid, "valid claims refused ({error}): {payload}");
                }
            }
        }
        Input::SignedPayload(payload) => {
            if let Ok(principal) = issuer.verify(&sign(&payload)) {
                // Whatever the JSON looked like, what verified is a user, a
                // token id and an expiry still ahead.
                assert!(!principal.token_id.is_empty());
                assert!(principal.expires_at.timestamp() >= chrono::Utc::now().timestamp() - 1);
            }
        }
    }
});

impl Edit {
    fn apply(self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match self {
            Self::Flip { at, mask } if len > 0 => bytes[at % len] ^= mask,
            Self::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
            Self::Remove { at } if len > 0 => {
                bytes.remove(at % len);
            }
            Self::Truncate { len: new } => bytes.truncate(new),
            _ => {}
        }
    }
}

/// `payload` as an HS256 token signed with the issuer's secret: the header
/// this server writes, the payload as given.
fn sign(payload: &[u8]) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"HS256"}"#);
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload));
    let key = EncodingKey::from_secret(SECRET).expect("a usable HS256 secret");
    let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256)
        .expect("HS256 signs with any secret");
    format!("{message}.{signature}")
}
