//! The real `minigram-server` binary as a child process, for the tests
//! that start their own clusters through its flags.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use reqwest::{Client, StatusCode};
use serde_json::Value;

/// Starts `minigram-server ARGS --port 0 --data-dir DATA_DIR` (cheap
/// password hashing, no inherited store settings) and returns it with the
/// URL it logs. If it exits before listening, panics with `install_hint`
/// and its output.
pub async fn spawn_binary(args: &[&str], data_dir: &Path, install_hint: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_minigram-server"))
        .args(args)
        .args(["--port", "0", "--log", "info"])
        .arg("--data-dir")
        .arg(data_dir)
        .env("MINIGRAM_HASH_MEMORY_KIB", "64")
        .env("MINIGRAM_HASH_ITERATIONS", "1")
        .env_remove("PORT")
        .env_remove("MINIGRAM_DATABASE_URL")
        .env_remove("MINIGRAM_STORE")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let what = format!("minigram-server {}", args.join(" "));
    let install_hint = install_hint.to_owned();
    let url = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!(
                    "{what} exited before listening; {install_hint}.\nIts output:\n{}",
                    seen.join("\n")
                );
            };
            if let Some((_, rest)) = line.split_once("listening on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
            seen.push(line);
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        url
    })
    .await
    .unwrap();
    (child, url)
}

/// GETs `url` (with a bearer token when given) and parses the JSON body
/// (`null` when it is not JSON).
pub async fn get_json(client: &Client, url: String, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A temporary data directory the `postgres` user can traverse (it runs
/// the database servers when the tests run as root), and its canonical
/// path.
pub fn traversable_data_dir() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let path = dir.path().canonicalize().unwrap();
    (dir, path)
}

/// Sends SIGTERM and checks the server drains, closes its store, stops
/// what it started and exits 0 within 60 s.
pub async fn terminate(mut child: Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("the server exits within 60 s of SIGTERM")
    .unwrap()
    .unwrap();
    assert!(exit.success(), "exit status {exit:?}");
}
