//! Response bodies, shaped exactly as docs/api.md (and the origin's clients) expect.

mod photo_json;
mod photo_page;
mod profile_json;
mod session_json;

pub use photo_json::PhotoJson;
pub use photo_page::PhotoPage;
pub use profile_json::ProfileJson;
pub use session_json::SessionJson;
