//! The answers of the HTML pages (`/`, `/dashboard`): the page with its
//! validators, or 304.
#![allow(dead_code, reason = "response descriptions, never constructed")]

use utoipa::IntoResponses;

/// An HTML page served `no-cache`, revalidated by its `ETag`.
#[derive(IntoResponses)]
pub(crate) enum HtmlPage {
    /// The page (loading its assets from `/assets/{version}/...`).
    #[response(
        status = 200,
        content_type = "text/html",
        headers(
            ("ETag" = String, description = "The page's content hash, quoted."),
            ("Cache-Control" = String, description = "`no-cache`."),
        )
    )]
    Page(String),
    /// Not modified: `If-None-Match` matched the `ETag`.
    #[response(status = 304)]
    NotModified,
}
