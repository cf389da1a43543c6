//! A typed client for the MiniGram HTTP API.
//!
//! Like a real client it honours `Retry-After` on 429 and 503: it waits and
//! retries until the operation's deadline. Retries are counted, and an
//! operation's latency runs from its first attempt.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::Deserialize;

/// Why an operation failed, in the terms reports group failures by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    /// The server answered with a non-success status.
    Status(u16),
    /// The connection failed (refused, reset, ...).
    Transport(String),
    /// No success within the deadline (retries included).
    Timeout,
    /// A success status with a body the client could not read.
    BadBody(String),
    /// Not attempted because an earlier step (login) failed.
    Skipped,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(code) => write!(f, "HTTP {code}"),
            Self::Transport(cause) => write!(f, "transport: {cause}"),
            Self::Timeout => f.write_str("timeout"),
            Self::BadBody(cause) => write!(f, "unreadable body: {cause}"),
            Self::Skipped => f.write_str("skipped: no session"),
        }
    }
}

/// A successful call: its value and how many retries it took.
#[derive(Debug, Clone)]
pub struct Answer<T> {
    /// The decoded response.
    pub value: T,
    /// Attempts after the first (after 429/503 with `Retry-After`).
    pub retries: u32,
}

/// A failed call: why, and how many retries were made before giving up.
#[derive(Debug, Clone)]
pub struct CallError {
    /// Why it failed.
    pub failure: Failure,
    /// Retries made.
    pub retries: u32,
}

/// A signed-in user.
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    /// Bearer token.
    pub token: String,
    /// The user's id.
    #[serde(rename = "userId")]
    pub user_id: u64,
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: u64,
}

/// The client.
#[derive(Debug, Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    timeout: Duration,
}

/// Longest wait honoured from one `Retry-After`.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(10);

impl ApiClient {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:3000`),
    /// giving up on an operation after `timeout`.
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            timeout,
        })
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let builder = self.http.request(method, format!("{}{path}", self.base));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// Sends `build()` until success, a final failure, or the deadline.
    async fn call(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Answer<bytes_body::Body>, CallError> {
        let started = Instant::now();
        let mut retries = 0;
        loop {
            let remaining = self.timeout.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                return Err(CallError {
                    failure: Failure::Timeout,
                    retries,
                });
            }
            let response = match tokio::time::timeout(remaining, build().send()).await {
                Err(_) => {
                    return Err(CallError {
                        failure: Failure::Timeout,
                        retries,
                    });
                }
                Ok(Err(e)) => {
                    return Err(CallError {
                        failure: Failure::Transport(transport_cause(&e)),
                        retries,
                    });
                }
                Ok(Ok(response)) => response,
            };
            let status = response.status();
            let retryable = status == StatusCode::TOO_MANY_REQUESTS
                || status == StatusCode::SERVICE_UNAVAILABLE;
            if let Some(wait) = retry_after(&response).filter(|_| retryable)
                && started.elapsed() + wait < self.timeout
            {
                retries += 1;
                tokio::time::sleep(wait).await;
                continue;
            }
            if !status.is_success() {
                return Err(CallError {
                    failure: Failure::Status(status.as_u16()),
                    retries,
                });
            }
            return match response.bytes().await {
                Ok(bytes) => Ok(Answer {
                    value: bytes_body::Body(bytes.to_vec()),
                    retries,
                }),
                Err(e) => Err(CallError {
                    failure: Failure::BadBody(e.to_string()),
                    retries,
                }),
            };
        }
    }

    async fn call_json<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Answer<T>, CallError> {
        let answer = self.call(build).await?;
        match serde_json::from_slice(&answer.value.0) {
            Ok(value) => Ok(Answer {
                value,
                retries: answer.retries,
            }),
            Err(e) => Err(CallError {
                failure: Failure::BadBody(e.to_string()),
                retries: answer.retries,
            }),
        }
    }

    /// `POST /api/register`.
    pub async fn register(
        &self,
        username: &str,
        email: &str,
        password: &str,
    ) -> Result<Answer<Session>, CallError> {
        let body = serde_json::json!({"username": username, "email": email, "password": password});
        self.call_json(|| {
            self.request(Method::POST, "/api/register", None)
                .json(&body)
        })
        .await
    }

    /// `POST /api/login`.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Answer<Session>, CallError> {
        let body = serde_json::json!({"username": username, "password": password});
        self.call_json(|| self.request(Method::POST, "/api/login", None).json(&body))
            .await
    }

    /// `GET /api/feed?limit=N`; returns the number of photos.
    pub async fn feed(&self, token: &str, limit: usize) -> Result<Answer<usize>, CallError> {
        let path = format!("/api/feed?limit={limit}");
        let answer: Answer<Vec<serde_json::Value>> = self
            .call_json(|| self.request(Method::GET, &path, Some(token)))
            .await?;
        Ok(Answer {
            value: answer.value.len(),
            retries: answer.retries,
        })
    }

    /// `GET /api/feed?scope=global`; returns the photo ids.
    pub async fn global_feed_ids(&self, token: &str) -> Result<Answer<Vec<u64>>, CallError> {
        let answer: Answer<Vec<IdOnly>> = self
            .call_json(|| {
                self.request(Method::GET, "/api/feed?scope=global&limit=100", Some(token))
            })
            .await?;
        Ok(Answer {
            value: answer.value.into_iter().map(|p| p.id).collect(),
            retries: answer.retries,
        })
    }

    /// `POST` (like) or `DELETE` (unlike) `/api/photos/{id}/like`.
    pub async fn like(&self, token: &str, photo: u64, like: bool) -> Result<Answer<()>, CallError> {
        let path = format!("/api/photos/{photo}/like");
        let method = if like { Method::POST } else { Method::DELETE };
        self.call(|| self.request(method.clone(), &path, Some(token)))
            .await
            .map(discard)
    }

    /// `POST` (follow) or `DELETE` (unfollow) `/api/users/{id}/follow`.
    pub async fn follow(
        &self,
        token: &str,
        user: u64,
        follow: bool,
    ) -> Result<Answer<()>, CallError> {
        let path = format!("/api/users/{user}/follow");
        let method = if follow { Method::POST } else { Method::DELETE };
        self.call(|| self.request(method.clone(), &path, Some(token)))
            .await
            .map(discard)
    }

    /// `POST /api/photos` (multipart); returns the photo id.
    pub async fn upload(
        &self,
        token: &str,
        image: &[u8],
        caption: &str,
    ) -> Result<Answer<u64>, CallError> {
        let answer: Answer<IdOnly> = self
            .call_json(|| {
                let part = reqwest::multipart::Part::bytes(image.to_vec())
                    .file_name("photo.png")
                    .mime_str("image/png")
                    .unwrap_or_else(|_| reqwest::multipart::Part::bytes(image.to_vec()));
                let form = reqwest::multipart::Form::new()
                    .part("photo", part)
                    .text("caption", caption.to_owned());
                self.request(Method::POST, "/api/photos", Some(token))
                    .multipart(form)
            })
            .await?;
        Ok(Answer {
            value: answer.value.id,
            retries: answer.retries,
        })
    }

    /// `GET /api/photos/{id}`: whether the photo exists.
    pub async fn photo_exists(&self, token: &str, photo: u64) -> Result<bool, CallError> {
        let path = format!("/api/photos/{photo}");
        match self
            .call(|| self.request(Method::GET, &path, Some(token)))
            .await
        {
            Ok(_) => Ok(true),
            Err(CallError {
                failure: Failure::Status(404),
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `GET /health`.
    pub async fn health(&self) -> Result<Answer<()>, CallError> {
        self.call(|| self.request(Method::GET, "/health", None))
            .await
            .map(discard)
    }

    /// `GET /api/instance` as JSON (null when the server does not have it).
    pub async fn instance(&self) -> serde_json::Value {
        self.call_json(|| self.request(Method::GET, "/api/instance", None))
            .await
            .map(|a| a.value)
            .unwrap_or(serde_json::Value::Null)
    }
}

fn discard<T>(answer: Answer<T>) -> Answer<()> {
    Answer {
        value: (),
        retries: answer.retries,
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let seconds: f64 = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs_f64(
        seconds.clamp(0.0, MAX_RETRY_WAIT.as_secs_f64()),
    ))
}

fn transport_cause(error: &reqwest::Error) -> String {
    if error.is_connect() {
        "connect failed".into()
    } else if error.is_timeout() {
        "timed out".into()
    } else if error.is_request() {
        "request failed".into()
    } else {
        "connection error".into()
    }
}

/// A response body kept as bytes.
mod bytes_body {
    /// Raw bytes of a response.
    #[derive(Debug, Clone)]
    pub struct Body(pub Vec<u8>);
}

/// A tiny PNG header (`width`×`height`) that the server accepts as an image.
pub fn tiny_png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(b"IHDR");
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}
