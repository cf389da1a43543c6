//! The API's error vocabulary: every `code` an error body can carry.
//!
//! Clients branch on these strings, so they are part of the HTTP API: a
//! variant's string (its snake_case name, see [`ErrorCode::as_str`]) never
//! changes once shipped. docs/api.md's error table lists each one; the tests
//! below keep the two in step.

use std::fmt;

use serde::Serialize;
use utoipa::ToSchema;

/// A stable, machine-readable error code, sent as the `code` of every error
/// body. Serialises to its snake_case name (`UserNotFound` →
/// `"user_not_found"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // 400 Bad Request
    /// An input field is not a valid value (`field` names it).
    InvalidInput,
    /// The JSON body is well formed but does not fit: a wrong type or a
    /// missing field.
    InvalidJson,
    /// The body is not valid JSON.
    MalformedJson,
    /// A JSON body was expected but `Content-Type` is not
    /// `application/json`.
    InvalidContentType,
    /// The body could not be read for another reason.
    InvalidBody,
    /// A path segment could not be decoded.
    InvalidPath,
    /// The query string could not be decoded.
    InvalidQuery,
    /// An upload is not a readable `multipart/form-data` body.
    InvalidMultipart,
    /// An upload has no `photo` file field.
    MissingFile,
    /// A user tried to follow themselves.
    SelfFollow,
    /// Any other 4xx answered by a layer or by axum itself.
    BadRequest,
    // 401 Unauthorized
    /// No `Authorization` header.
    MissingToken,
    /// An `Authorization` header that is not `Bearer <token>`.
    MalformedToken,
    /// A token this server did not sign, or signed with another algorithm.
    InvalidToken,
    /// A token past its expiry.
    TokenExpired,
    /// A token revoked by logout.
    TokenRevoked,
    /// Unknown username or wrong password (one code for both).
    InvalidCredentials,
    // 403 Forbidden
    /// A request signed in by the session cookie that changes something
    /// came from another site: its `Origin` (or `Referer`) is not this host.
    CsrfRejected,
    /// Only a photo's author may delete it.
    NotAuthor,
    // 404 Not Found
    /// No such route.
    NotFound,
    /// No photo has this id.
    PhotoNotFound,
    /// No user has this id.
    UserNotFound,
    /// No media file has this name.
    MediaNotFound,
    /// No web app asset has this name (or the asset version is not this
    /// build's).
    AssetNotFound,
    // 405, 409, 413, 415, 429
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// The username is already taken.
    UsernameTaken,
    /// The email is already registered.
    EmailTaken,
    /// The body or upload is larger than the limit.
    PayloadTooLarge,
    /// The upload is not a supported image.
    UnsupportedMediaType,
    /// Too many requests from this client or for this account.
    RateLimited,
    // 5xx
    /// The store's write queue is full; retry later (503).
    Overloaded,
    /// The store is unavailable; retry later (503).
    Unavailable,
    /// The request took too long.
    Timeout,
    /// Anything else that went wrong on the server (500).
    Internal,
}

impl ErrorCode {
    /// Every code, in declaration order (the tests check the order, so a
    /// variant missing from the middle of this list fails them; a new
    /// variant must be added here too).
    pub const ALL: &'static [Self] = &[
        Self::InvalidInput,
        Self::InvalidJson,
        Self::MalformedJson,
        Self::InvalidContentType,
        Self::InvalidBody,
        Self::InvalidPath,
        Self::InvalidQuery,
        Self::InvalidMultipart,
        Self::MissingFile,
        Self::SelfFollow,
        Self::BadRequest,
        Self::MissingToken,
        Self::MalformedToken,
        Self::InvalidToken,
        Self::TokenExpired,
        Self::TokenRevoked,
        Self::InvalidCredentials,
        Self::CsrfRejected,
        Self::NotAuthor,
        Self::NotFound,
        Self::PhotoNotFound,
        Self::UserNotFound,
        Self::MediaNotFound,
        Self::AssetNotFound,
        Self::MethodNotAllowed,
        Self::UsernameTaken,
        Self::EmailTaken,
        Self::PayloadTooLarge,
        Self::UnsupportedMediaType,
        Self::RateLimited,
        Self::Overloaded,
        Self::Unavailable,
        Self::Timeout,
        Self::Internal,
    ];

    /// The string sent in the `code` field; the same as the serialised form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidInput => "invalid_input",
            Self::InvalidJson => "invalid_json",
            Self::MalformedJson => "malformed_json",
            Self::InvalidContentType => "invalid_content_type",
            Self::InvalidBody => "invalid_body",
            Self::InvalidPath => "invalid_path",
            Self::InvalidQuery => "invalid_query",
            Self::InvalidMultipart => "invalid_multipart",
            Self::MissingFile => "missing_file",
            Self::SelfFollow => "self_follow",
            Self::BadRequest => "bad_request",
            Self::MissingToken => "missing_token",
            Self::MalformedToken => "malformed_token",
            Self::InvalidToken => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
            Self::InvalidCredentials => "invalid_credentials",
            Self::CsrfRejected => "csrf_rejected",
            Self::NotAuthor => "not_author",
            Self::NotFound => "not_found",
            Self::PhotoNotFound => "photo_not_found",
            Self::UserNotFound => "user_not_found",
            Self::MediaNotFound => "media_not_found",
            Self::AssetNotFound => "asset_not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UsernameTaken => "username_taken",
            Self::EmailTaken => "email_taken",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited => "rate_limited",
            Self::Overloaded => "overloaded",
            Self::Unavailable => "unavailable",
            Self::Timeout => "timeout",
            Self::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::ErrorCode;

    /// The API reference whose error table must list every code.
    const API_DOC: &str = include_str!("../../docs/api.md");

    /// The strings the API sent before `ErrorCode` existed, written out by
    /// hand: clients depend on them, so they must never change. The match
    /// is exhaustive, so a new variant cannot be added without its string.
    fn shipped(code: ErrorCode) -> &'static str {
        match code {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::InvalidContentType => "invalid_content_type",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidPath => "invalid_path",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidMultipart => "invalid_multipart",
            ErrorCode::MissingFile => "missing_file",
            ErrorCode::SelfFollow => "self_follow",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::MissingToken => "missing_token",
            ErrorCode::MalformedToken => "malformed_token",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TokenRevoked => "token_revoked",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::CsrfRejected => "csrf_rejected",
            ErrorCode::NotAuthor => "not_author",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PhotoNotFound => "photo_not_found",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::MediaNotFound => "media_not_found",
            ErrorCode::AssetNotFound => "asset_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Timeout => "timeout",
            ErrorCode::Internal => "internal",
        }
    }

    /// The codes in the `code` column of docs/api.md's error table. Loose
    /// on purpose: each row's last cell starts with its codes, backticked
    /// and separated by `/` (`` `a` / `b` ``); whatever follows the first
    /// thing that is not such a code is commentary (`` `invalid_input`,
    /// `field` `photo_id` ``, `` `invalid_input` with `field` ``).
    fn documented_codes() -> BTreeSet<String> {
        let section = API_DOC
            .split("## Errors")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("docs/api.md has an `## Errors` section");
        let mut codes = BTreeSet::new();
        // The first two rows are the header (whose last cell is `code`
        // itself) and the `---` separator.
        let rows = section.lines().filter(|l| l.trim_start().starts_with('|'));
        for row in rows.skip(2) {
            let cells: Vec<&str> = row.trim().trim_matches('|').split('|').collect();
            let Some(cell) = cells.last() else { continue };
            codes.extend(leading_codes(cell).into_iter().map(str::to_owned));
        }
        codes
    }

    /// `` `a` / `b` (with `field`) `` → `["a", "b"]`.
    fn leading_codes(cell: &str) -> Vec<&str> {
        let mut codes = Vec::new();
        let mut rest = cell.trim();
        while let Some((word, tail)) = rest.strip_prefix('`').and_then(|r| r.split_once('`')) {
            codes.push(word.trim());
            match tail.trim_start().strip_prefix('/') {
                Some(next) => rest = next.trim_start(),
                None => break,
            }
        }
        codes
    }

    #[test]
    fn the_docs_table_parser_keeps_codes_and_skips_commentary() {
        assert_eq!(leading_codes(" `a` / `b_c` "), ["a", "b_c"]);
        assert_eq!(leading_codes(" `a` (with `field` when known) "), ["a"]);
        assert_eq!(leading_codes(" `a`, `field` `x` / `y` "), ["a"]);
        assert_eq!(leading_codes(" `a` with `field` "), ["a"]);
        assert!(leading_codes(" 4xx ").is_empty());
    }

    #[test]
    fn all_lists_every_variant_once_in_declaration_order() {
        for (position, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(*code as usize, position, "{code:?} is out of place");
        }
        // The last variant closes the list, so nothing is missing at the end.
        assert_eq!(ErrorCode::ALL.last(), Some(&ErrorCode::Internal));
    }

    #[test]
    fn codes_serialise_to_the_strings_the_api_always_sent() {
        for &code in ErrorCode::ALL {
            let expected = shipped(code);
            assert_eq!(
                serde_json::to_value(code).expect("serialises"),
                serde_json::Value::String(expected.to_owned()),
                "{code:?}"
            );
            assert_eq!(code.as_str(), expected, "{code:?}");
            assert_eq!(code.to_string(), expected, "{code:?}");
        }
        let distinct: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            distinct.len(),
            ErrorCode::ALL.len(),
            "two codes share a string"
        );
    }

    #[test]
    fn every_code_is_in_the_api_docs_error_table() {
        let documented = documented_codes();
        let missing: Vec<&str> = ErrorCode::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| !documented.contains(*c))
            .collect();
        assert!(
            missing.is_empty(),
            "not in docs/api.md's error table: {missing:?}"
        );
    }

    #[test]
    fn every_code_in_the_api_docs_error_table_exists() {
        let known: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        let documented = documented_codes();
        assert!(
            documented.len() > 10,
            "the table parser found too little: {documented:?}"
        );
        let unknown: Vec<&String> = documented
            .iter()
            .filter(|c| !known.contains(c.as_str()))
            .collect();
        assert!(
            unknown.is_empty(),
            "documented but not an ErrorCode: {unknown:?}"
        );
    }
}
