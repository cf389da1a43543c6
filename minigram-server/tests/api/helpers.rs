use std::time::Duration;

use minigram_server::{AppState, Application, ServeError, ServerConfig};
#[cfg(feature = "devcluster")]
use minigram_server::{CacheMode, ReadConsistencyArg, StoreKind};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The token secret tests configure, so they can mint expired tokens.
pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret!";

/// A running server over its own data directory.
pub struct TestApp {
    pub url: String,
    pub client: Client,
    pub state: AppState,
    pub config: ServerConfig,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<Result<(), ServeError>>,
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: u64,
    #[allow(dead_code)]
    pub username: String,
    pub token: String,
}

/// Which store a test server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded store in the test's data directory.
    Embedded,
    /// A fresh database on the shared dev cluster (`pg_cluster`): a
    /// primary and two streaming replicas behind the server's replica
    /// router, as `--replicas 2` runs it.
    #[cfg(feature = "devcluster")]
    Postgres,
    /// As `Postgres`, with `--cache tiered` over the shared test Redis
    /// (`redis_shared`).
    #[cfg(feature = "devcluster")]
    PostgresTiered,
}

impl Backend {
    /// What `/health` and `/api/instance` call the store.
    pub fn store_name(self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            #[cfg(feature = "devcluster")]
            Self::Postgres | Self::PostgresTiered => "postgres",
        }
    }
}

/// `on_each_backend!(tiered $test)` adds `$test::postgres_tiered`
/// (`--cache tiered` over the shared test Redis).
///
/// Runs `async fn $test(backend: Backend)` as one test per backend:
/// `$test::embedded` and `$test::postgres` (the latter with the
/// `devcluster` feature). An attribute replaces `#[tokio::test]`.
macro_rules! on_each_backend {
    ($test:ident) => {
        on_each_backend!(
            #[tokio::test]
            $test
        );
    };
    (tiered $test:ident) => {
        on_each_backend!(tiered #[tokio::test] $test);
    };
    (tiered #[$attr:meta] $test:ident) => {
        mod $test {
            #[$attr]
            async fn embedded() {
                super::$test($crate::helpers::Backend::Embedded).await
            }

            #[cfg(feature = "devcluster")]
            #[$attr]
            async fn postgres() {
                super::$test($crate::helpers::Backend::Postgres).await
            }

            #[cfg(feature = "devcluster")]
            #[$attr]
            async fn postgres_tiered() {
                super::$test($crate::helpers::Backend::PostgresTiered).await
            }
        }
    };
    (#[$attr:meta] $test:ident) => {
        mod $test {
            #[$attr]
            async fn embedded() {
                super::$test($crate::helpers::Backend::Embedded).await
            }

            #[cfg(feature = "devcluster")]
            #[$attr]
            async fn postgres() {
                super::$test($crate::helpers::Backend::Postgres).await
            }
        }
    };
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_with(backend, |_| {}).await
}

pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut ServerConfig)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::for_tests(dir.path());
    config.tokens.secret = Some(TEST_SECRET.into());
    match backend {
        Backend::Embedded => {}
        #[cfg(feature = "devcluster")]
        Backend::Postgres | Backend::PostgresTiered => {
            let cluster = crate::pg_cluster::shared().await;
            let database = cluster.fresh_database().await.unwrap();
            config.store.kind = Some(StoreKind::Postgres);
            config.store.database_url = Some(cluster.cluster().primary_url(&database).into());
            config.store.replica_urls = cluster
                .cluster()
                .replica_urls(&database)
                .into_iter()
                .map(Into::into)
                .collect();
            // These tests read other users' writes right after they are
            // acknowledged (a like count, a followed user's photo), which
            // read-your-writes alone does not promise.
            config.store.read_consistency = ReadConsistencyArg::AllWrites;
            if backend == Backend::PostgresTiered {
                config.cache.mode = Some(CacheMode::Tiered);
                config.cache.redis_url = Some(crate::redis_shared::shared().await.url().into());
                config.cache.redis_prefix = crate::redis_shared::fresh_prefix();
            }
        }
    }
    configure(&mut config);
    start(dir, config).await
}

/// Starts a server on `dir` with `config` (a restart when `dir` has data).
pub async fn start(dir: TempDir, config: ServerConfig) -> TestApp {
    let settings = config.resolve().unwrap();
    let app = Application::build(&settings).await.unwrap();
    let url = app.url();
    let state = app.state().clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    TestApp {
        url,
        client: Client::new(),
        state,
        config,
        dir,
        stop: Some(stop),
        handle,
    }
}

impl TestApp {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Asks the server to shut down (as SIGTERM would) without waiting.
    pub fn trigger_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Shuts down, waits for the server to drain and close the store, and
    /// hands back the data directory and config for a restart.
    pub async fn stop(mut self) -> (TempDir, ServerConfig) {
        self.trigger_shutdown();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("server stops within 30 s")
            .unwrap()
            .unwrap();
        (self.dir, self.config)
    }

    /// Waits for the server task to finish after a shutdown was triggered.
    pub async fn join(self) -> (TempDir, ServerConfig) {
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("server stops within 30 s")
            .unwrap()
            .unwrap();
        (self.dir, self.config)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.at(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// The JSON body of an unauthenticated `GET` (status pages, metrics).
    pub async fn get_json(&self, path: &str) -> Value {
        self.client
            .get(self.at(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The Prometheus exposition at `/metrics`.
    pub async fn metrics_text(&self) -> String {
        let response = self.client.get(self.at("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client
            .get(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, token: &str) -> Response {
        self.client
            .post(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.client
            .delete(self.at(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn register_response(&self, username: &str) -> Response {
        self.post_json(
            "/api/register",
            &json!({
                "username": username,
                "email": format!("{username}@example.com"),
                "password": "correct horse battery",
            }),
        )
        .await
    }

    /// Registers `username` (email `<username>@example.com`, password
    /// `correct horse battery`).
    pub async fn register(&self, username: &str) -> TestUser {
        let response = self.register_response(username).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "registering {username}"
        );
        let body: Value = response.json().await.unwrap();
        TestUser {
            id: body["userId"].as_u64().unwrap(),
            username: username.to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/api/login",
            &json!({ "username": username, "password": password }),
        )
        .await
    }

    pub async fn upload_to(
        &self,
        path: &str,
        token: &str,
        bytes: Vec<u8>,
        caption: &str,
    ) -> Response {
        let form = reqwest::multipart::Form::new()
            .part(
                "photo",
                reqwest::multipart::Part::bytes(bytes)
                    .file_name("photo.png")
                    .mime_str("image/png")
                    .unwrap(),
            )
            .text("caption", caption.to_owned());
        self.client
            .post(self.at(path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts a photo and returns its JSON.
    pub async fn post_photo(&self, user: &TestUser, bytes: Vec<u8>, caption: &str) -> Value {
        let response = self
            .upload_to("/api/photos", &user.token, bytes, caption)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }
}

/// Bytes that image sniffing takes for a `width` x `height` PNG: the
/// signature and an IHDR chunk. Different sizes give different bytes, hence
/// different media keys.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 6, 0, 0, 0]);
    bytes.extend_from_slice(&[0x1f, 0x15, 0xc4, 0x89]);
    bytes.extend_from_slice(b"\x00\x00\x00\x0dIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82");
    bytes
}

/// A real 1x1 GIF.
pub const GIF_1X1: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

/// Asserts the API's error shape and returns the body.
pub async fn assert_error(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status, "status for expected code {code}");
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response carries x-request-id"
    );
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    body
}

/// Polls `check` every 10 ms for up to 5 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}
