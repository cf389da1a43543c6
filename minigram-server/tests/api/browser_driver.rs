//! A real headless Chromium for the browser tests, driven over WebDriver
//! (fantoccini) through a chromedriver this module starts on a free
//! loopback port and stops on drop. Each [`Chromedriver::session`] is a
//! separate browser with its own fresh profile directory, so two sessions
//! are two people with their own cookies.
//!
//! Chromium and chromedriver come from Debian's `chromium` and
//! `chromium-driver` packages (`scripts/test.sh` installs them); `CHROME`
//! and `CHROMEDRIVER` name other binaries. Missing binaries fail the test
//! with what to install: a browser test never skips silently.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use tempfile::TempDir;
use tokio::process::{Child, Command};

/// How long chromedriver may take to answer its status endpoint.
const DRIVER_START: Duration = Duration::from_secs(30);

/// What to do when a binary is missing.
const INSTALL: &str = "install the Debian packages `chromium` and `chromium-driver` \
     (`apt-get install chromium chromium-driver`; scripts/test.sh does it), \
     or name the binaries in CHROME and CHROMEDRIVER";

/// A running chromedriver.
pub struct Chromedriver {
    url: String,
    chrome: PathBuf,
    // Killed on drop (`kill_on_drop`).
    _process: Child,
}

/// One browser: the WebDriver client and its profile directory (removed
/// when this is dropped, after the browser is closed).
pub struct Browser {
    pub client: Client,
    _profile: TempDir,
}

/// `name` in `$var`, else the first of `candidates` on `PATH`.
async fn find_binary(var: &str, candidates: &[&str]) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in candidates {
            let candidate = dir.join(name);
            if tokio::fs::metadata(&candidate)
                .await
                .is_ok_and(|m| m.is_file())
            {
                return candidate;
            }
        }
    }
    panic!("no {} found on PATH: {INSTALL}", candidates.join(" or "));
}

/// A port nothing listens on now (the OS's pick for port 0).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Chromedriver {
    /// Starts chromedriver and waits until it answers.
    pub async fn start() -> Self {
        let chrome =
            find_binary("CHROME", &["chromium", "chromium-browser", "google-chrome"]).await;
        let driver = find_binary("CHROMEDRIVER", &["chromedriver"]).await;
        let port = free_port();
        let process = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", driver.display()));
        let url = format!("http://127.0.0.1:{port}");
        let status = format!("{url}/status");
        let client = reqwest::Client::new();
        let ready = tokio::time::timeout(DRIVER_START, async {
            loop {
                if let Ok(response) = client.get(&status).send().await
                    && response.status().is_success()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
        .await;
        assert!(
            ready.is_ok(),
            "chromedriver did not answer on {url} within {DRIVER_START:?}"
        );
        Self {
            url,
            chrome,
            _process: process,
        }
    }

    /// A new headless browser with a fresh profile, its window
    /// `width` x `height` CSS pixels.
    pub async fn session(&self, width: u32, height: u32) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--hide-scrollbars".to_owned(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut options = json!({ "binary": self.chrome, "args": args });
        // What the browser logs (console messages, failed loads, CSP
        // reports) is kept for `browser_log`.
        // Headless windows are at least 500 px wide: phone widths are
        // emulated (the viewport, not the window).
        if width < 500 {
            options["mobileEmulation"] =
                json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1 } });
        }
        let mut capabilities = Capabilities::new();
        capabilities.insert("goog:chromeOptions".to_owned(), options);
        capabilities.insert("goog:loggingPrefs".to_owned(), json!({ "browser": "ALL" }));
        let client = tokio::time::timeout(
            DRIVER_START,
            ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities)
                .connect(&self.url),
        )
        .await
        .expect("the browser starts in time")
        .unwrap_or_else(|e| panic!("cannot start {}: {e}; {INSTALL}", self.chrome.display()));
        Browser {
            client,
            _profile: profile,
        }
    }
}

/// chromedriver's `POST /session/{id}/se/log` for the `browser` log: the
/// entries since the last call (each `{"level","message","source",...}`).
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

impl Browser {
    /// The browser's log entries of level `SEVERE` or `WARNING` since the
    /// last call, as `"LEVEL message"`.
    pub async fn browser_log(&self) -> Vec<String> {
        let entries = self.client.issue_cmd(BrowserLog).await.unwrap();
        entries
            .as_array()
            .expect("the log is a list")
            .iter()
            .filter(|entry| matches!(entry["level"].as_str(), Some("SEVERE" | "WARNING")))
            .map(|entry| {
                format!(
                    "{} {}",
                    entry["level"].as_str().unwrap_or(""),
                    entry["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    }
}

/// Where screenshots go: `<target>/browser-screenshots`, `<target>` being
/// `CARGO_TARGET_DIR` when set, else the workspace's `target`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join("browser-screenshots")
}
