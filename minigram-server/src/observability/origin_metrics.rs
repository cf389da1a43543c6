//! The origin's `/api/metrics` fields, with the origin's names, types and
//! formats, so its stress client (which reads them every second) runs
//! unchanged. docs/api.md maps each field to its source here.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;

use super::http_metrics::MetricsSnapshot;
use super::process_memory::MemoryUsage;

/// The origin's top-level `/api/metrics` fields. Strings where the origin
/// sends strings (`"123s"`, `"12.34"`, `"1.23%"`, `"4.56ms"`: it formats
/// with `toFixed(2)`), numbers where it sends numbers.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OriginMetrics {
    /// Whole seconds since start, then `s`.
    uptime: String,
    /// Requests answered since start.
    total_requests: u64,
    /// Requests per second over the recent window, two decimals.
    requests_per_second: String,
    /// Requests being handled now (this one included).
    active_connections: u64,
    /// Answers with status 400 or above since start.
    total_errors: u64,
    /// `totalErrors` as a percentage of `totalRequests`, two decimals, `%`.
    error_rate: String,
    /// Mean time to answer over the recent window, two decimals, `ms`.
    avg_response_time: String,
    /// Store operations since start.
    db_queries: u64,
    /// `dbQueries` per second of uptime, two decimals.
    db_queries_per_second: String,
    /// The process's memory in Node's shape.
    memory_usage: MemoryUsage,
    /// Answered requests per `"METHOD /route/pattern"`.
    endpoints: BTreeMap<String, u64>,
}

/// What the origin's fields are computed from.
#[derive(Debug)]
pub(crate) struct OriginSources<'a> {
    /// The HTTP figures.
    pub http: &'a MetricsSnapshot,
    /// Mean latency over the same recent window as `http.requests_per_s`.
    pub recent_mean_ms: f64,
    /// Time since start.
    pub uptime: Duration,
    /// Store operations since start.
    pub db_queries: u64,
    /// This process's memory now.
    pub memory: MemoryUsage,
}

/// `value` with two decimals, as JavaScript's `toFixed(2)` writes
/// non-negative numbers; anything not finite or negative (which the
/// figures here never are) as `0.00`, so the format always holds.
fn two_decimals(value: f64) -> String {
    let value = if value.is_finite() && value >= 0.0 {
        value
    } else {
        0.0
    };
    format!("{value:.2}")
}

/// `count` per second of `uptime`; 0 before any time has passed.
fn per_second(count: u64, uptime: Duration) -> f64 {
    let seconds = uptime.as_secs_f64();
    if seconds > 0.0 {
        count as f64 / seconds
    } else {
        0.0
    }
}

impl OriginMetrics {
    /// The origin's fields from minigram's figures.
    pub(crate) fn new(sources: OriginSources<'_>) -> Self {
        let http = sources.http;
        let total_errors = http.client_errors_total + http.server_errors_total;
        // The origin divides by zero here (`NaN%`); 0 errors of 0 is 0 %.
        let error_rate = if http.requests_total == 0 {
            0.0
        } else {
            total_errors as f64 * 100.0 / http.requests_total as f64
        };
        Self {
            uptime: format!("{}s", sources.uptime.as_secs()),
            total_requests: http.requests_total,
            requests_per_second: two_decimals(http.requests_per_s),
            // A gauge that only a bug could take below 0.
            active_connections: u64::try_from(http.in_flight).unwrap_or(0),
            total_errors,
            error_rate: format!("{}%", two_decimals(error_rate)),
            avg_response_time: format!("{}ms", two_decimals(sources.recent_mean_ms)),
            db_queries: sources.db_queries,
            db_queries_per_second: two_decimals(per_second(sources.db_queries, sources.uptime)),
            memory_usage: sources.memory,
            endpoints: http
                .routes
                .iter()
                .map(|route| (format!("{} {}", route.method, route.route), route.count))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::observability::RouteSnapshot;

    fn route(method: &str, route: &str, count: u64) -> RouteSnapshot {
        RouteSnapshot {
            method: method.into(),
            route: route.into(),
            count,
            client_errors: 0,
            server_errors: 0,
            statuses: BTreeMap::new(),
            mean_ms: 1.0,
            p50_ms: 1.0,
            p99_ms: 1.0,
            p999_ms: 1.0,
            max_ms: 1.0,
        }
    }

    fn snapshot(requests_total: u64, client_errors: u64, server_errors: u64) -> MetricsSnapshot {
        MetricsSnapshot {
            uptime_s: 123,
            requests_total,
            client_errors_total: client_errors,
            server_errors_total: server_errors,
            requests_per_s: 12.346,
            rate_window_s: 10,
            in_flight: 3,
            routes: vec![
                route("GET", "/api/feed", 7),
                route("POST", "/api/photos/{id}/like", 2),
            ],
        }
    }

    fn origin(http: &MetricsSnapshot, db_queries: u64) -> Value {
        let fields = OriginMetrics::new(OriginSources {
            http,
            recent_mean_ms: 4.555_5,
            uptime: Duration::from_millis(123_900),
            db_queries,
            memory: MemoryUsage {
                rss: 4096,
                heap_total: 4096,
                heap_used: 1024,
                external: 0,
            },
        });
        serde_json::to_value(fields).expect("serialises")
    }

    #[test]
    fn fields_have_the_origins_names_types_and_formats() {
        let body = origin(&snapshot(400, 3, 2), 1239);
        assert_eq!(
            body,
            json!({
                "uptime": "123s",
                "totalRequests": 400,
                "requestsPerSecond": "12.35",
                "activeConnections": 3,
                "totalErrors": 5,
                "errorRate": "1.25%",
                "avgResponseTime": "4.56ms",
                "dbQueries": 1239,
                "dbQueriesPerSecond": "10.00",
                "memoryUsage": { "rss": 4096, "heapTotal": 4096, "heapUsed": 1024, "external": 0 },
                "endpoints": { "GET /api/feed": 7, "POST /api/photos/{id}/like": 2 },
            })
        );
    }

    #[test]
    fn no_requests_is_a_zero_error_rate_not_nan() {
        let body = origin(&snapshot(0, 0, 0), 0);
        assert_eq!(body["errorRate"], "0.00%");
        assert_eq!(body["dbQueriesPerSecond"], "0.00");
    }

    #[test]
    fn two_decimals_always_has_the_format() {
        assert_eq!(two_decimals(0.0), "0.00");
        assert_eq!(two_decimals(1e6 / 3.0), "333333.33");
        assert_eq!(two_decimals(f64::NAN), "0.00");
        assert_eq!(two_decimals(f64::INFINITY), "0.00");
        assert_eq!(two_decimals(-1.0), "0.00");
        assert_eq!(per_second(5, Duration::ZERO), 0.0);
    }
}
