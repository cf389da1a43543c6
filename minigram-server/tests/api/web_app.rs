//! The web app over plain HTTP: the shell and assets with their caching
//! and security headers, the session cookie that register and login set,
//! cookie authentication, the CSRF check on cookie-authenticated writes
//! and logout clearing the cookie. (`browser` drives the same in Chromium.)

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::helpers::{Backend, TestApp, assert_error, spawn_app};

const SESSION_COOKIE: &str = "minigram_session";

/// The `name=value` of the session cookie a response sets, and its
/// attributes, as the `Set-Cookie` header spells them.
fn session_cookie(headers: &HeaderMap) -> (String, String) {
    let set = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{SESSION_COOKIE}=")))
        .expect("a session cookie is set");
    let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
    (pair.to_owned(), attributes.to_ascii_lowercase())
}

fn asset_urls(shell: &str) -> Vec<String> {
    shell
        .split('"')
        .filter(|part| part.starts_with("/assets/"))
        .map(str::to_owned)
        .collect()
}

/// A cookie-authenticated request to `path` with `origin` (if any).
pub(crate) async fn with_cookie(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    cookie: &str,
    origin: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.at(path))
        .header("cookie", cookie);
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_shell_is_no_cache_and_its_assets_immutable_with_security_headers() {
    let app = spawn_app(Backend::Embedded).await;
    let shell = app.client.get(app.at("/")).send().await.unwrap();
    assert_eq!(shell.status(), StatusCode::OK);
    let headers = shell.headers().clone();
    assert_eq!(headers["cache-control"], "no-cache");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("img-src 'self' blob: data:"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let etag = headers["etag"].clone();
    let body = shell.text().await.unwrap();
    assert!(body.contains("/api/openapi.json") && body.contains("/health"));
    let revalidated = app
        .client
        .get(app.at("/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);

    let urls = asset_urls(&body);
    assert!(urls.iter().any(|u| u.ends_with("/app.js")), "{urls:?}");
    assert!(urls.iter().any(|u| u.ends_with("/app.css")), "{urls:?}");
    for url in &urls {
        let asset = app.client.get(app.at(url)).send().await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK, "{url}");
        assert_eq!(
            asset.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(asset.headers().contains_key("etag"));
        assert_eq!(asset.headers()["x-content-type-options"], "nosniff");
    }
    // Modules import their neighbours by relative path: same version.
    let module = urls[0].rsplit_once('/').unwrap().0;
    let api = app
        .client
        .get(app.at(&format!("{module}/api.js")))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::OK);
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );

    let stale = app
        .client
        .get(app.at("/assets/0000000000000000/app.js"))
        .send()
        .await
        .unwrap();
    assert_error(stale, StatusCode::NOT_FOUND, "asset_not_found").await;
}

#[tokio::test]
async fn register_and_login_set_an_http_only_strict_cookie_that_signs_in() {
    let app = spawn_app(Backend::Embedded).await;
    let registered = app.register_response("cookie_user").await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let (cookie, attributes) = session_cookie(registered.headers());
    for attribute in ["httponly", "samesite=strict", "path=/"] {
        assert!(attributes.contains(attribute), "{attributes}");
    }
    assert!(!attributes.contains("secure"), "plain HTTP: {attributes}");
    let body: serde_json::Value = registered.json().await.unwrap();
    assert_eq!(
        cookie,
        format!("{SESSION_COOKIE}={}", body["token"].as_str().unwrap())
    );

    let login = app.login("cookie_user", "correct horse battery").await;
    assert_eq!(login.status(), StatusCode::OK);
    let (cookie, _) = session_cookie(login.headers());
    let feed = with_cookie(&app, reqwest::Method::GET, "/api/feed", &cookie, None).await;
    assert_eq!(feed.status(), StatusCode::OK);
}

#[tokio::test]
async fn cookie_writes_need_this_hosts_origin_and_bearer_writes_do_not() {
    let app = spawn_app(Backend::Embedded).await;
    let author = app.register("author").await;
    let photo = app
        .post_photo(&author, crate::helpers::png(8, 8), "hi")
        .await;
    let like = format!("/api/photos/{}/like", photo["id"]);
    let registered = app.register_response("reader").await;
    let (cookie, _) = session_cookie(registered.headers());
    let post = reqwest::Method::POST;

    for origin in [None, Some("http://evil.example"), Some("null")] {
        let refused = with_cookie(&app, post.clone(), &like, &cookie, origin).await;
        assert_error(refused, StatusCode::FORBIDDEN, "csrf_rejected").await;
    }
    let own_origin = app.url.clone();
    let allowed = with_cookie(&app, post.clone(), &like, &cookie, Some(&own_origin)).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    // A Referer of this host stands in for a missing Origin.
    let referred = app
        .client
        .delete(app.at(&like))
        .header("cookie", &cookie)
        .header("referer", app.at("/#/global"))
        .send()
        .await
        .unwrap();
    assert_eq!(referred.status(), StatusCode::OK);

    // The bearer header wins over the cookie and needs no Origin.
    let bearer = app
        .client
        .post(app.at(&like))
        .bearer_auth(&author.token)
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_by_cookie_revokes_the_token_and_clears_the_cookie() {
    let app = spawn_app(Backend::Embedded).await;
    let registered = app.register_response("leaver").await;
    let (cookie, _) = session_cookie(registered.headers());
    let own_origin = app.url.clone();
    let logout = with_cookie(
        &app,
        reqwest::Method::POST,
        "/api/logout",
        &cookie,
        Some(&own_origin),
    )
    .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let (cleared, attributes) = session_cookie(logout.headers());
    assert_eq!(cleared, format!("{SESSION_COOKIE}="));
    assert!(attributes.contains("max-age=0"), "{attributes}");
    let feed = with_cookie(&app, reqwest::Method::GET, "/api/feed", &cookie, None).await;
    assert_error(feed, StatusCode::UNAUTHORIZED, "token_revoked").await;
    // No header and no cookie: still the bearer 401.
    let none = app.client.get(app.at("/api/feed")).send().await.unwrap();
    assert_error(none, StatusCode::UNAUTHORIZED, "missing_token").await;
}
