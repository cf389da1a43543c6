use minigram::{Email, LoginError, Password, RegisterError, Username};

use crate::contract::harness::Harness;

pub async fn register_returns_a_session_whose_token_authenticates(h: &Harness) {
    let session = h.register("ada").await;
    assert_eq!(session.user.username.as_str(), "ada");
    assert_eq!(session.user.email.as_str(), "ada@example.com");
    let principal = h.app.authenticate(&session.token).await.unwrap();
    assert_eq!(principal.user_id, session.user.id);
    assert!(session.expires_at > chrono::Utc::now());
}

pub async fn user_ids_increase_from_one(h: &Harness) {
    let a = h.user("first").await;
    let b = h.user("second").await;
    assert_eq!(a.get(), 1);
    assert_eq!(b.get(), 2);
}

pub async fn duplicate_username_is_rejected_case_insensitively(h: &Harness) {
    h.register("Ada").await;
    let err = h
        .app
        .register(
            Username::parse("aDA").unwrap(),
            Email::parse("other@example.com").unwrap(),
            Password::parse("password123").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RegisterError::UsernameTaken), "{err:?}");
}

pub async fn duplicate_email_is_rejected_case_insensitively(h: &Harness) {
    h.register("ada").await;
    let err = h
        .app
        .register(
            Username::parse("grace").unwrap(),
            Email::parse("ADA@Example.com").unwrap(),
            Password::parse("password123").unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, RegisterError::EmailTaken), "{err:?}");
    // Nothing was created: the username is still free.
    h.register("grace").await;
}

pub async fn wrong_password_and_unknown_user_give_the_same_error(h: &Harness) {
    h.register("ada").await;
    let wrong = h.app.login("ada", "not the password").await.unwrap_err();
    let unknown = h.app.login("nobody", "password123").await.unwrap_err();
    let malformed = h.app.login("no such user!", "x").await.unwrap_err();
    assert!(matches!(wrong, LoginError::InvalidCredentials));
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(wrong.to_string(), malformed.to_string());
    let ok = h.app.login("ada", "password123").await.unwrap();
    assert_eq!(ok.user.username.as_str(), "ada");
}

pub async fn login_finds_the_username_case_insensitively(h: &Harness) {
    let id = h.user("Ada.L").await;
    let session = h.app.login("ada.l", "password123").await.unwrap();
    assert_eq!(session.user.id, id);
    assert_eq!(session.user.username.as_str(), "Ada.L");
}
