//! The web app (minigram-server/web/): an HTML shell and its CSS and
//! JavaScript modules, compiled into the binary, so the server needs no
//! files beside it and the app works offline.
//!
//! Every asset is served under `/assets/{version}/{file}`, where `version`
//! is a hash of all the assets together: a changed file changes the
//! version, so an asset URL never names two contents and may be cached
//! for a year (`immutable`). The modules import each other by relative
//! path (`./api.js`), which stays inside the same version. The shell at
//! `/` names the version and is served `no-cache` (revalidated by `ETag`
//! on every load), so a new build is picked up at once.

use std::sync::LazyLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// What the shell says where the version goes.
const VERSION_PLACEHOLDER: &str = "{{version}}";

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// The assets: name, content type, bytes. One file per concern.
const FILES: [(&str, &str, &[u8]); 12] = [
    ("app.css", CSS, include_bytes!("../web/app.css")),
    ("app.js", JS, include_bytes!("../web/app.js")),
    ("api.js", JS, include_bytes!("../web/api.js")),
    ("auth.js", JS, include_bytes!("../web/auth.js")),
    ("dom.js", JS, include_bytes!("../web/dom.js")),
    ("errors.js", JS, include_bytes!("../web/errors.js")),
    ("feed.js", JS, include_bytes!("../web/feed.js")),
    ("profile.js", JS, include_bytes!("../web/profile.js")),
    ("upload.js", JS, include_bytes!("../web/upload.js")),
    // The live dashboard (`/dashboard`).
    ("dashboard.css", CSS, include_bytes!("../web/dashboard.css")),
    ("dashboard.js", JS, include_bytes!("../web/dashboard.js")),
    ("charts.js", JS, include_bytes!("../web/charts.js")),
];

/// The shell, before the version is filled in.
const SHELL: &str = include_str!("../web/index.html");
/// The dashboard's page, likewise.
const DASHBOARD: &str = include_str!("../web/dashboard.html");

/// One servable file.
#[derive(Debug)]
pub(crate) struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: Vec<u8>,
    /// The content hash, quoted.
    etag: HeaderValue,
}

impl Asset {
    fn new(name: &'static str, content_type: &'static str, bytes: Vec<u8>) -> Self {
        let etag = HeaderValue::from_str(&format!("\"{}\"", &hash_hex(&[&bytes])[..32]))
            .expect("hex digits are a valid header value");
        Self {
            name,
            content_type,
            bytes,
            etag,
        }
    }

    /// 200 with the bytes, or 304 when `If-None-Match` names this content;
    /// either way with the `ETag` and `cache_control`.
    pub(crate) fn respond(
        &'static self,
        request_headers: &HeaderMap,
        cache_control: &'static str,
    ) -> Response {
        let headers = [
            (header::ETAG, self.etag.clone()),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(cache_control),
            ),
        ];
        let matches = request_headers
            .get_all(header::IF_NONE_MATCH)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|tag| {
                let tag = tag.trim();
                tag == "*" || tag.trim_start_matches("W/") == self.etag
            });
        if matches {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        let content_type = [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        )];
        (headers, content_type, self.bytes.as_slice()).into_response()
    }
}

/// The shell and the assets of this build.
#[derive(Debug)]
pub(crate) struct WebAssets {
    version: String,
    shell: Asset,
    dashboard: Asset,
    assets: Vec<Asset>,
}

/// Built once, on first use: hashing a few dozen KiB in memory.
static WEB: LazyLock<WebAssets> = LazyLock::new(|| {
    let contents: Vec<&[u8]> = FILES
        .iter()
        .flat_map(|(name, _, bytes)| [name.as_bytes(), bytes])
        .collect();
    let version = hash_hex(&contents)[..16].to_owned();
    let shell = SHELL.replace(VERSION_PLACEHOLDER, &version);
    WebAssets {
        shell: Asset::new("index.html", HTML, shell.into_bytes()),
        dashboard: Asset::new(
            "dashboard.html",
            HTML,
            DASHBOARD
                .replace(VERSION_PLACEHOLDER, &version)
                .into_bytes(),
        ),
        assets: FILES
            .iter()
            .map(|&(name, content_type, bytes)| Asset::new(name, content_type, bytes.to_vec()))
            .collect(),
        version,
    }
});

/// This build's web app.
pub(crate) fn web() -> &'static WebAssets {
    &WEB
}

impl WebAssets {
    /// The HTML shell, its asset URLs filled in.
    pub(crate) fn shell(&'static self) -> &'static Asset {
        &self.shell
    }

    /// The dashboard's page, its asset URLs filled in.
    pub(crate) fn dashboard(&'static self) -> &'static Asset {
        &self.dashboard
    }

    /// The asset `name` of `version`; none for another build's version.
    pub(crate) fn asset(&'static self, version: &str, name: &str) -> Option<&'static Asset> {
        if version != self.version {
            return None;
        }
        self.assets.iter().find(|asset| asset.name == name)
    }
}

/// SHA-256 over `parts` (each prefixed by its length, so that moving bytes
/// from one part to the next changes the hash), in hex.
fn hash_hex(parts: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shell_names_this_builds_assets() {
        let web = web();
        let shell = std::str::from_utf8(&web.shell().bytes).expect("utf-8");
        assert!(!shell.contains(VERSION_PLACEHOLDER));
        for path in [
            format!("/assets/{}/app.css", web.version),
            format!("/assets/{}/app.js", web.version),
        ] {
            assert!(shell.contains(&path), "{path}");
        }
        let dashboard = std::str::from_utf8(&web.dashboard().bytes).expect("utf-8");
        assert!(!dashboard.contains(VERSION_PLACEHOLDER));
        for path in [
            format!("/assets/{}/dashboard.css", web.version),
            format!("/assets/{}/dashboard.js", web.version),
        ] {
            assert!(dashboard.contains(&path), "{path}");
        }
        assert!(web.asset(&web.version, "feed.js").is_some());
        assert!(web.asset("0000000000000000", "feed.js").is_none());
        assert!(web.asset(&web.version, "../Cargo.toml").is_none());
    }

    #[test]
    fn every_module_the_app_imports_is_served() {
        for (name, _, bytes) in FILES {
            let text = std::str::from_utf8(bytes).expect("utf-8");
            for import in text.split("from './").skip(1) {
                let module = import.split('\'').next().unwrap_or_default();
                assert!(
                    FILES.iter().any(|(file, _, _)| *file == module),
                    "{name} imports {module}, which is not in FILES"
                );
            }
        }
    }
}
