use minigram::Session;
use serde::Serialize;
use utoipa::ToSchema;

/// What register and login answer:
/// `{"token","userId","username","user":{"id","username","email"}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Session)]
pub struct SessionJson {
    /// The bearer token (a JWT, HS256) for `Authorization: Bearer <token>`.
    token: String,
    /// The signed-in user's id (the origin's name for it).
    #[serde(rename = "userId")]
    #[schema(minimum = 1)]
    user_id: u64,
    /// The signed-in user's username.
    username: String,
    /// The signed-in user.
    user: UserJson,
}

/// The signed-in user as register and login describe it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = SessionUser)]
struct UserJson {
    /// The user's id.
    #[schema(minimum = 1)]
    id: u64,
    /// The username.
    username: String,
    /// The email address, lower-cased.
    #[schema(format = Email)]
    email: String,
}

impl From<Session> for SessionJson {
    fn from(session: Session) -> Self {
        let user = session.user;
        Self {
            token: session.token,
            user_id: user.id.get(),
            username: user.username.as_str().to_owned(),
            user: UserJson {
                id: user.id.get(),
                username: user.username.as_str().to_owned(),
                email: user.email.as_str().to_owned(),
            },
        }
    }
}
