//! `POST /api/photos` through the real axum app (`minigram_server::app` over
//! the embedded store, driven with `tower::ServiceExt::oneshot`), with the
//! fuzz input as the multipart body.
//!
//! Invariants: no upload gets a 5xx (but the 503 `overloaded` /
//! `unavailable` that docs/api.md documents for a loaded store); every 4xx
//! carries the JSON error body `{"error", "code"[, "field"]}` with a code
//! of the API's vocabulary; a 201 is a photo with nonzero dimensions.
//!
//! Input: bytes starting with `--X` are the body as is (boundary `X`; the
//! seeds are such bodies). Anything else is read with `arbitrary` as a list
//! of parts (`photo`, `caption` or other fields, images from the
//! image_sniffing seeds, edited), so the fuzzer starts past the framing.
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use libfuzzer_sys::fuzz_target;
use minigram_server::config::Switch;
use minigram_server::{Application, ErrorCode, ServerConfig};
use serde_json::Value;
use tower::ServiceExt as _;

/// The upload limit the app runs with: small, so that the fuzzer reaches
/// the 413 paths too.
const MAX_UPLOAD_BYTES: usize = 4096;
const BOUNDARY: &str = "X";

/// The images the structured mode builds photo parts from.
const IMAGES: &[&[u8]] = &[
    include_bytes!("../seeds/image_sniffing/red-3x2.png"),
    include_bytes!("../seeds/image_sniffing/blue-2x5.jpg"),
    include_bytes!("../seeds/image_sniffing/green-4x1.gif"),
    include_bytes!("../seeds/image_sniffing/red-3x2-lossless.webp"),
    include_bytes!("../seeds/image_sniffing/alpha-5x4-extended.webp"),
];

/// One app for the whole run, with a signed-in user.
struct Harness {
    runtime: tokio::runtime::Runtime,
    app: Router,
    bearer: String,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        // Under fuzz/target (git-ignored; scripts/fuzz.sh empties it), and
        // kept: the store and media stay open for the whole run, which
        // libFuzzer ends with `exit`, so no destructor would remove it.
        let parent = concat!(env!("CARGO_MANIFEST_DIR"), "/target/multipart_upload-data");
        std::fs::create_dir_all(parent).expect("a directory for the app's data");
        let dir = tempfile::Builder::new()
            .tempdir_in(parent)
            .expect("a temporary directory")
            .keep();
        let mut config = ServerConfig::for_tests(&dir);
        config.rate_limits.enabled = Switch::Off;
        config.http.max_upload_bytes = MAX_UPLOAD_BYTES;
        let settings = config.resolve().expect("test settings resolve");
        let application = runtime
            .block_on(Application::build(&settings))
            .expect("the server starts");
        let app = minigram_server::app(application.state().clone());
        Box::leak(Box::new(application));
        let bearer = runtime.block_on(register(&app));
        Harness {
            runtime,
            app,
            bearer,
        }
    })
}

/// Registers the uploading user; its `Authorization` header value.
async fn register(app: &Router) -> String {
    let request = Request::post("/api/register")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"username":"fuzzer","email":"fuzzer@example.com","password":"fuzzing-password"}"#,
        ))
        .expect("a valid request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::CREATED);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("the body is read");
    let json: Value = serde_json::from_slice(&body).expect("JSON");
    let token = json["token"].as_str().expect("a token");
    format!("Bearer {token}")
}

#[derive(Arbitrary, Debug)]
struct Part {
    name: Name,
    filename: Option<String>,
    content_type: Option<String>,
    content: Content,
}

#[derive(Arbitrary, Debug)]
enum Name {
    Photo,
    Caption,
    Other(String),
    /// No `name` parameter at all.
    Missing,
}

#[derive(Arbitrary, Debug)]
enum Content {
    /// One of `IMAGES`, with bytes overwritten and cut or padded.
    Image {
        which: u8,
        overwrite: Vec<(u16, u8)>,
        resize: Option<u16>,
    },
    Bytes(Vec<u8>),
    Text(String),
}

impl Content {
    fn into_bytes(self) -> Vec<u8> {
        match self {
            Self::Image {
                which,
                overwrite,
                resize,
            } => {
                let mut bytes = IMAGES[usize::from(which) % IMAGES.len()].to_vec();
                for (at, byte) in overwrite {
                    if let Some(slot) = bytes.get_mut(usize::from(at)) {
                        *slot = byte;
                    }
                }
                if let Some(len) = resize {
                    bytes.resize(usize::from(len), 0);
                }
                bytes
            }
            Self::Bytes(bytes) => bytes,
            Self::Text(text) => text.into_bytes(),
        }
    }
}

/// The body: the input itself, or the parts it describes, framed.
fn body(data: &[u8]) -> Vec<u8> {
    if data.starts_with(b"--X") {
        return data.to_vec();
    }
    let mut u = Unstructured::new(data);
    let parts: Vec<Part> = u.arbitrary().unwrap_or_default();
    let close = u.arbitrary().unwrap_or(true);
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = "Content-Disposition: form-data".to_owned();
        match part.name {
            Name::Photo => disposition.push_str("; name=\"photo\""),
            Name::Caption => disposition.push_str("; name=\"caption\""),
            Name::Other(name) => disposition.push_str(&format!("; name=\"{name}\"")),
            Name::Missing => {}
        }
        if let Some(filename) = part.filename {
            disposition.push_str(&format!("; filename=\"{filename}\""));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n");
        if let Some(content_type) = part.content_type {
            body.extend_from_slice(format!("Content-Type: {content_type}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.content.into_bytes());
        body.extend_from_slice(b"\r\n");
    }
    if close {
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    }
    body
}

fuzz_target!(|data: &[u8]| {
    let harness = harness();
    let request = Request::post("/api/photos")
        .header(header::AUTHORIZATION, &harness.bearer)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(body(data)))
        .expect("a valid request");
    let (status, json) = harness.runtime.block_on(async {
        let response = harness
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body is read");
        let json: Option<Value> = serde_json::from_slice(&body).ok();
        (status, json)
    });
    check(status, json.as_ref());
});

fn check(status: StatusCode, json: Option<&Value>) {
    let json = json.unwrap_or_else(|| panic!("{status} without a JSON body"));
    if status == StatusCode::CREATED {
        assert!(json["id"].as_u64().is_some_and(|id| id > 0), "{json}");
        assert!(json["width"].as_u64().is_some_and(|w| w > 0), "{json}");
        assert!(json["height"].as_u64().is_some_and(|h| h > 0), "{json}");
        return;
    }
    let code = json["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{status}: {json}"));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(
            code == "overloaded" || code == "unavailable",
            "{status}: {json}"
        );
        return;
    }
    assert!(status.is_client_error(), "{status}: {json}");
    let body = json
        .as_object()
        .unwrap_or_else(|| panic!("{status}: {json}"));
    assert!(
        body.keys()
            .all(|key| ["error", "code", "field"].contains(&key.as_str())),
        "{status}: {json}"
    );
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{status}: {json}"
    );
    assert!(
        ErrorCode::ALL.iter().any(|known| known.as_str() == code),
        "{status}: unknown code in {json}"
    );
    if let Some(field) = body.get("field") {
        assert!(field.is_string(), "{status}: {json}");
    }
}
