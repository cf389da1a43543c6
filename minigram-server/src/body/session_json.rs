use minigram::Session;
use serde::Serialize;

/// What register and login answer:
/// `{"token","userId","username","user":{"id","username","email"}}`.
#[derive(Debug, Clone, Serialize)]
pub struct SessionJson {
    token: String,
    #[serde(rename = "userId")]
    user_id: u64,
    username: String,
    user: UserJson,
}

#[derive(Debug, Clone, Serialize)]
struct UserJson {
    id: u64,
    username: String,
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
