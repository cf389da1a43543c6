//! Domain types: parse-don't-validate newtypes and the entities built from them.
//!
//! Every type here can only hold a valid value: constructors check their input
//! and return a [`ValidationError`] that names the field at fault. Past this
//! layer, the rest of the crate never re-checks.

mod caption;
mod email;
mod ids;
mod page;
mod password;
mod password_policy;
mod photo;
mod profile;
mod user;
mod username;
mod validation_error;

pub use caption::Caption;
pub use email::Email;
pub use ids::{PhotoId, UserId};
pub use page::{Cursor, FeedPage, PageLimit, PageRequest};
pub use password::Password;
pub use password_policy::PasswordPolicy;
pub use photo::{Photo, PhotoView};
pub use profile::Profile;
pub use user::User;
pub use username::Username;
pub use validation_error::ValidationError;
