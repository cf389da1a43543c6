//! Headers every response carries, for the web app's sake: a strict
//! Content-Security-Policy (scripts, styles and connections only from this
//! origin, no inline script or style, images also from `blob:` for the
//! upload preview and `data:`), no content-type sniffing, and referrers
//! only to this origin. On JSON and images they cost nothing and make a
//! response opened directly in a browser just as inert.

use axum::http::{HeaderName, HeaderValue, header};
use tower_http::set_header::SetResponseHeaderLayer;

/// The policy. `form-action 'self'` and `frame-ancestors 'none'` close
/// form redirection and clickjacking; `base-uri 'none'` keeps relative
/// module URLs from being re-rooted.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' blob: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The three layers, outermost first; a header a handler set is kept.
pub(crate) fn security_headers() -> (
    SetResponseHeaderLayer<HeaderValue>,
    SetResponseHeaderLayer<HeaderValue>,
    SetResponseHeaderLayer<HeaderValue>,
) {
    let layer = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    (
        layer(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        layer(header::REFERRER_POLICY, "same-origin"),
    )
}
