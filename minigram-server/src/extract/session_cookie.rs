//! The web app's session cookie: the same signed, revocable JWT that
//! register and login answer in their JSON, kept where page script cannot
//! read it (`HttpOnly`), sent only by this site's own pages
//! (`SameSite=Strict`) and, over TLS, only over TLS (`Secure`).
//!
//! No `Max-Age`: the cookie ends with the browser session, and the token
//! inside keeps its own expiry (an expired one is refused like any other).

use axum::http::Uri;
use axum::http::uri::Scheme;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

/// The cookie's name.
pub const SESSION_COOKIE: &str = "minigram_session";

/// `jar` plus the session cookie carrying `token`. `uri` is the request's:
/// over TLS the cookie is marked `Secure`.
pub fn with_session(jar: CookieJar, uri: &Uri, token: &str) -> CookieJar {
    jar.add(session_cookie(token.to_owned(), uri))
}

/// `jar` with the session cookie removed (an expired, empty cookie of the
/// same name, path and attributes, so the browser drops it).
pub fn without_session(jar: CookieJar, uri: &Uri) -> CookieJar {
    jar.remove(session_cookie(String::new(), uri))
}

/// The token in the request's session cookie, if it has a non-empty one.
pub fn session_token(jar: &CookieJar) -> Option<&str> {
    jar.get(SESSION_COOKIE)
        .map(Cookie::value)
        .filter(|token| !token.is_empty())
}

fn session_cookie(value: String, uri: &Uri) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(came_over_tls(uri))
        .build()
}

/// Whether the request arrived over TLS. This server terminates no TLS
/// itself, so today never; an HTTP/2 request over TLS (a TLS acceptor in
/// front of the router) carries the `https` scheme in its URI. A client's
/// `X-Forwarded-Proto` is not trusted for this.
fn came_over_tls(uri: &Uri) -> bool {
    uri.scheme() == Some(&Scheme::HTTPS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_only_over_tls() {
        let plain = with_session(CookieJar::new(), &Uri::from_static("/api/login"), "t");
        let cookie = plain.get(SESSION_COOKIE).expect("set");
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Strict));
        assert_eq!(cookie.path(), Some("/"));
        assert_ne!(cookie.secure(), Some(true));
        let tls = with_session(
            CookieJar::new(),
            &Uri::from_static("https://example.com/api/login"),
            "t",
        );
        assert_eq!(tls.get(SESSION_COOKIE).expect("set").secure(), Some(true));
    }
}
