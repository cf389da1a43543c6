//! Connection URLs shown without their passwords.

/// `url` with its passwords replaced by `***`, for logs and error
/// messages: the one in the user info (`redis://:hunter2@host:6379`
/// becomes `redis://:***@host:6379`) and a libpq `password=` parameter, in the query or in the `key=value`
/// form (`host=db password=pw` becomes `host=db password=***`).
/// URLs without a password come back unchanged.
pub fn redacted_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // libpq's `key=value` form.
        return url
            .split_whitespace()
            .map(|kv| {
                if kv.starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let (before_query, query) = rest.split_at(rest.find('?').unwrap_or(rest.len()));
    // The user info ends at the last `@` before the query: a password may
    // hold `@` or `/` only percent-encoded, but be generous anyway.
    let location = match before_query.rsplit_once('@') {
        Some((user_info, host_and_path)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host_and_path}"),
            None => before_query.to_owned(),
        },
        None => before_query.to_owned(),
    };
    let query = query
        .split_inclusive(['?', '&'])
        .map(|part| match part.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                let separator = if part.ends_with('&') { "&" } else { "" };
                format!("{key}=***{separator}")
            }
            _ => part.to_owned(),
        })
        .collect::<String>();
    format!("{scheme}://{location}{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            redacted_url("redis://:hunter2@localhost:6379/0"),
            "redis://:***@localhost:6379/0"
        );
        assert_eq!(
            redacted_url("postgres://ada:s3cr@t@db:5432/minigram?sslmode=require"),
            "postgres://ada:***@db:5432/minigram?sslmode=require"
        );
        assert_eq!(
            redacted_url("postgres://ada@db/minigram"),
            "postgres://ada@db/minigram"
        );
        assert_eq!(
            redacted_url("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(
            redacted_url("postgresql://db/minigram?user=ada&password=pw&sslmode=require"),
            "postgresql://db/minigram?user=ada&password=***&sslmode=require"
        );
        assert_eq!(
            redacted_url("postgresql://db/minigram?password=pw"),
            "postgresql://db/minigram?password=***"
        );
        assert_eq!(redacted_url("not a url"), "not a url");
        assert_eq!(
            redacted_url("host=db user=ada password=pw dbname=minigram"),
            "host=db user=ada password=*** dbname=minigram"
        );
    }
}
