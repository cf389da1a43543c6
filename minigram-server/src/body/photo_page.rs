use axum::Json;
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use minigram::FeedPage;

use super::PhotoJson;

/// Header carrying the next page's cursor.
pub const NEXT_CURSOR: HeaderName = HeaderName::from_static("x-next-cursor");

/// A page of photos: a JSON array (the origin's clients read an array),
/// with `x-next-cursor` and `Link: <...>; rel="next"` when more follow.
#[derive(Debug)]
pub struct PhotoPage {
    items: Vec<PhotoJson>,
    next: Option<(String, String)>,
}

impl PhotoPage {
    /// `page`, where the next page is `{next_base}&cursor=<cursor>`;
    /// `next_base` is the request path with its other query parameters
    /// (always containing `?`).
    pub fn new(page: FeedPage, next_base: &str) -> Self {
        let next = page.next_cursor.map(|cursor| {
            let cursor = cursor.encode();
            let link = format!("<{next_base}&cursor={cursor}>; rel=\"next\"");
            (cursor, link)
        });
        Self {
            items: page.items.into_iter().map(PhotoJson::from).collect(),
            next,
        }
    }
}

/// Bytes reserved per photo when serialising a page: enough for a typical
/// photo object, so the buffer rarely grows (each growth copies it).
const BYTES_PER_PHOTO: usize = 384;

impl IntoResponse for PhotoPage {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(2 + self.items.len() * BYTES_PER_PHOTO);
        let mut response = match serde_json::to_writer(&mut body, &self.items) {
            Ok(()) => (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                body,
            )
                .into_response(),
            // Plain data cannot fail to serialise; axum's Json reports it if so.
            Err(_) => Json(self.items).into_response(),
        };
        if let Some((cursor, link)) = self.next {
            // Cursors are URL-safe base64 and the link is built from it and
            // a fixed path, so both are valid header values.
            if let (Ok(cursor), Ok(link)) =
                (HeaderValue::from_str(&cursor), HeaderValue::from_str(&link))
            {
                let headers = response.headers_mut();
                headers.insert(NEXT_CURSOR, cursor);
                headers.insert(header::LINK, link);
            }
        }
        response
    }
}
