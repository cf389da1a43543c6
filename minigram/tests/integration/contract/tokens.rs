use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use minigram::AuthError;
use minigram::auth::TokenIssuer;
use secrecy::SecretSlice;

use crate::contract::harness::Harness;

pub async fn logout_revokes_the_token_and_is_idempotent(h: &Harness) {
    let session = h.register("ada").await;
    let other = h.app.login("ada", "password123").await.unwrap();
    h.app.logout(&session.token).await.unwrap();
    let err = h.app.authenticate(&session.token).await.unwrap_err();
    assert!(matches!(err, AuthError::Revoked), "{err:?}");
    h.app.logout(&session.token).await.unwrap();
    // Other sessions of the same user keep working.
    h.app.authenticate(&other.token).await.unwrap();
}

pub async fn expired_tokens_are_rejected(h: &Harness) {
    let id = h.user("ada").await;
    let long_ago = chrono::Utc::now() - chrono::Duration::days(30);
    let (token, _) = h.app.tokens().issue_at(id, long_ago).unwrap();
    let err = h.app.authenticate(&token).await.unwrap_err();
    assert!(matches!(err, AuthError::Expired), "{err:?}");
}

pub async fn forged_tokens_are_rejected(h: &Harness) {
    let session = h.register("ada").await;
    let exp = (chrono::Utc::now() + chrono::Duration::hours(1)).timestamp();
    let claims = format!(
        r#"{{"sub":"{}","exp":{exp},"iat":0,"jti":"x"}}"#,
        session.user.id
    );
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let alg_none = format!("{none_header}.{}.", URL_SAFE_NO_PAD.encode(&claims));
    // The real token with its payload swapped for another user's.
    let parts: Vec<&str> = session.token.split('.').collect();
    let swapped_claims = claims.replace(&format!("\"{}\"", session.user.id), "\"999\"");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(swapped_claims),
        parts[2]
    );
    for token in [alg_none.as_str(), tampered.as_str(), "garbage", "", "a.b.c"] {
        let err = h.app.authenticate(token).await.unwrap_err();
        assert!(
            matches!(err, AuthError::InvalidToken { .. }),
            "{token:?}: {err:?}"
        );
    }
}

pub async fn tokens_from_another_secret_are_rejected(h: &Harness) {
    let id = h.user("ada").await;
    let other = TokenIssuer::new(
        &SecretSlice::from(vec![7u8; 32]),
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    let (token, _) = other.issue(id).unwrap();
    let err = h.app.authenticate(&token).await.unwrap_err();
    assert!(matches!(err, AuthError::InvalidToken { .. }), "{err:?}");
}
