use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::TryRng as _;
use secrecy::{ExposeSecret, SecretSlice};
use serde::{Deserialize, Serialize};

use super::TokenError;
use crate::domain::UserId;
use crate::error::AuthError;

/// Token settings.
#[derive(Debug, Clone)]
pub struct TokenConfig {
    /// The HS256 signing secret (at least 32 bytes). `None`: generate one on
    /// first start and keep it in the store, so restarts and every instance
    /// sharing the store accept the same tokens.
    pub secret: Option<SecretSlice<u8>>,
    /// How long a token is valid.
    pub ttl: Duration,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            secret: None,
            ttl: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// Who a valid token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The signed-in user.
    pub user_id: UserId,
    /// The token's unique id (`jti`), what logout revokes.
    pub token_id: String,
    /// When the token expires.
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    iat: i64,
    jti: String,
}

/// Signs and checks HS256 tokens.
#[derive(Clone)]
pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// The length of generated secrets.
pub(crate) const GENERATED_SECRET_BYTES: usize = 32;

impl TokenIssuer {
    /// An issuer signing with `secret`. Fails only for an empty secret (the
    /// builder also refuses secrets under 32 bytes).
    pub fn new(secret: &SecretSlice<u8>, ttl: Duration) -> Result<Self, TokenError> {
        let bytes = secret.expose_secret();
        // Only HS256 is accepted: this also refuses `alg: none` and any
        // algorithm-confusion attempt.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 0;
        Ok(Self {
            encoding: EncodingKey::from_secret(bytes).map_err(TokenError::key)?,
            decoding: DecodingKey::from_secret(bytes).map_err(TokenError::key)?,
            validation,
            ttl,
        })
    }

    /// An issuer whose key cannot sign HS256 (an RSA key where an HMAC
    /// secret belongs), so that [`issue`](Self::issue) fails: the only way
    /// to reach the signing-failure path, since any HMAC secret signs.
    #[cfg(test)]
    pub(crate) fn with_unusable_key(ttl: Duration) -> Self {
        let secret = SecretSlice::from(vec![0u8; GENERATED_SECRET_BYTES]);
        Self {
            encoding: EncodingKey::from_rsa_der(b"not a key"),
            ..Self::new(&secret, ttl).expect("a 32-byte secret is a valid HS256 key")
        }
    }

    /// A fresh random secret.
    pub(crate) fn generate_secret() -> Vec<u8> {
        let mut secret = vec![0u8; GENERATED_SECRET_BYTES];
        // The operating system's source, straight: this key signs every
        // token for as long as the store keeps it. Failing is fatal here
        // as it was with any OS RNG: there is no secure fallback.
        rand::rngs::SysRng
            .try_fill_bytes(&mut secret)
            .expect("the operating system's random source failed");
        secret
    }

    /// Signs a token for `user` valid for the configured time.
    ///
    /// Fails only if the key cannot sign (a bug or misconfiguration, never
    /// something the caller did).
    pub fn issue(&self, user: UserId) -> Result<(String, Principal), TokenError> {
        self.issue_at(user, Utc::now())
    }

    /// Signs a token as if issued at `now` (tests use a past `now` to make
    /// expired tokens).
    pub fn issue_at(
        &self,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(String, Principal), TokenError> {
        let ttl = chrono::Duration::from_std(self.ttl).unwrap_or(chrono::Duration::days(1));
        let expires_at = now + ttl;
        let mut jti = [0u8; 16];
        // The thread's CSPRNG (ChaCha12 seeded from the OS): unique ids.
        rand::fill(&mut jti);
        let claims = Claims {
            sub: user.to_string(),
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            jti: hex::encode(jti),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(TokenError::signing)?;
        Ok((
            token,
            Principal {
                user_id: user,
                token_id: claims.jti,
                expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or(expires_at),
            },
        ))
    }

    /// Checks signature, algorithm and expiry. Does not check revocation
    /// (that needs the store; see `Minigram::authenticate`).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AuthError::Expired,
                other => AuthError::InvalidToken {
                    reason: describe(other),
                },
            })?;
        let claims = data.claims;
        let user_id = UserId::parse(&claims.sub).map_err(|_| AuthError::InvalidToken {
            reason: "the subject is not a user id".into(),
        })?;
        let expires_at =
            DateTime::from_timestamp(claims.exp, 0).ok_or_else(|| AuthError::InvalidToken {
                reason: "the expiry is out of range".into(),
            })?;
        if claims.jti.is_empty() {
            return Err(AuthError::InvalidToken {
                reason: "the token has no id".into(),
            });
        }
        Ok(Principal {
            user_id,
            token_id: claims.jti,
            expires_at,
        })
    }
}

fn describe(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidSignature => "bad signature".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
            "algorithm not accepted".into()
        }
        ErrorKind::MissingRequiredClaim(claim) => format!("missing claim {claim}"),
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "malformed".into(),
        _ => "not accepted".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(60);

    #[test]
    fn a_key_that_cannot_sign_is_a_signing_error() {
        let issuer = TokenIssuer::with_unusable_key(TTL);
        let user = UserId::parse("1").expect("a valid id");
        let err = issuer
            .issue(user)
            .expect_err("an RSA key cannot sign HS256");
        assert!(matches!(err, TokenError::Signing { .. }), "{err:?}");
        assert!(
            err.to_string().starts_with("signing the token failed"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_secret_is_refused_as_a_key() {
        let err = TokenIssuer::new(&SecretSlice::from(Vec::new()), TTL)
            .expect_err("an empty secret is no HS256 key");
        assert!(matches!(err, TokenError::Key { .. }), "{err:?}");
    }

    /// Also the check that the JWT crate has a crypto backend: without one
    /// it builds, and fails only here, at run time.
    #[test]
    fn a_good_key_signs_tokens_it_then_accepts() {
        let secret = SecretSlice::from(TokenIssuer::generate_secret());
        let issuer = TokenIssuer::new(&secret, TTL).expect("a valid key");
        let user = UserId::parse("7").expect("a valid id");
        let (token, issued) = issuer.issue(user).expect("signs");
        assert_eq!(issuer.verify(&token).expect("accepts"), issued);
    }
}
