//! CSRF defence for requests signed in by the session cookie: a request
//! that may change something (any method but GET and HEAD) must show, in
//! its `Origin` header (or, when a browser sends none, its `Referer`), that
//! it comes from a page of this very host. Browsers set both headers
//! themselves and page script cannot forge them, so a form or `fetch` on
//! another site, which the browser would send with the cookie were it not
//! `SameSite=Strict`, is refused here too.
//!
//! Only the authority (host and port) is compared: the server does not
//! know for sure which scheme the client used (see `session_cookie`).
//! Bearer-authenticated requests need none of this: a foreign page cannot
//! make a browser attach an `Authorization` header.

use axum::http::header::{HOST, ORIGIN, REFERER};
use axum::http::request::Parts;
use axum::http::{Method, Uri};

/// Whether a cookie-authenticated request may be served: a safe method,
/// or an `Origin`/`Referer` whose authority is the request's host.
pub fn cookie_request_allowed(parts: &Parts) -> bool {
    if parts.method == Method::GET || parts.method == Method::HEAD {
        return true;
    }
    let Some(host) = request_host(parts) else {
        return false;
    };
    // `Origin` when present decides alone (`null` included: refused);
    // `Referer` only stands in for a missing `Origin`.
    let source = parts
        .headers
        .get(ORIGIN)
        .or_else(|| parts.headers.get(REFERER))
        .and_then(|value| value.to_str().ok());
    let Some(source) = source.and_then(|s| s.parse::<Uri>().ok()) else {
        return false;
    };
    let web_scheme = matches!(source.scheme_str(), Some("http" | "https"));
    web_scheme
        && source
            .authority()
            .is_some_and(|authority| authority.as_str().eq_ignore_ascii_case(host))
}

/// The host the client addressed: the HTTP/2 `:authority` (in the URI),
/// else the `Host` header.
fn request_host(parts: &Parts) -> Option<&str> {
    parts
        .uri
        .authority()
        .map(|authority| authority.as_str())
        .or_else(|| parts.headers.get(HOST).and_then(|h| h.to_str().ok()))
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(method: Method, headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder().method(method).uri("/api/logout");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).expect("a request").into_parts().0
    }

    #[test]
    fn reads_pass_and_writes_need_this_hosts_origin() {
        let host = ("host", "127.0.0.1:3000");
        assert!(cookie_request_allowed(&parts(Method::GET, &[host])));
        assert!(cookie_request_allowed(&parts(Method::HEAD, &[])));
        assert!(cookie_request_allowed(&parts(
            Method::POST,
            &[host, ("origin", "http://127.0.0.1:3000")]
        )));
        assert!(cookie_request_allowed(&parts(
            Method::DELETE,
            &[host, ("referer", "http://127.0.0.1:3000/#/feed")]
        )));
        for refused in [
            vec![host],
            vec![host, ("origin", "http://evil.example")],
            vec![host, ("origin", "http://127.0.0.1:3001")],
            vec![host, ("origin", "null")],
            vec![host, ("origin", "file://127.0.0.1:3000")],
            // A foreign Origin is not rescued by a matching Referer.
            vec![
                host,
                ("origin", "http://evil.example"),
                ("referer", "http://127.0.0.1:3000/"),
            ],
            vec![("origin", "http://127.0.0.1:3000")],
        ] {
            assert!(
                !cookie_request_allowed(&parts(Method::POST, &refused)),
                "{refused:?}"
            );
        }
    }
}
