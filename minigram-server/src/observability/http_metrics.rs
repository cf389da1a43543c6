use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram as Hdr;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;
use utoipa::ToSchema;

use super::recent_rate::{RecentRate, WINDOW_SECS, now_secs};

/// Longest latency the percentile histograms tell apart (1 hour); longer
/// ones are recorded as this.
const MAX_TRACKED_MICROS: u64 = 3_600_000_000;

/// Labels of the per-request metrics.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

type LatencyFamily = Family<RequestLabels, Histogram, fn() -> Histogram>;

/// Latency buckets in seconds: 100 µs doubling up to ~3.3 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_1, 2.0, 16))
}

/// Per-route figures kept for `/api/metrics` (percentiles need the whole
/// distribution, which Prometheus histograms do not keep).
#[derive(Debug)]
struct RouteStats {
    latency_us: Hdr<u64>,
    /// The requests since the last [`HttpMetrics::take_interval`] only:
    /// the history's per-second percentiles.
    interval_us: Hdr<u64>,
    statuses: BTreeMap<u16, u64>,
}

/// An empty latency histogram: 1 µs to 1 hour at 3 significant figures.
fn latency_hdr() -> Hdr<u64> {
    Hdr::new_with_bounds(1, MAX_TRACKED_MICROS, 3)
        .expect("1 µs to 1 hour at 3 significant figures is a valid range")
}

/// One route's requests over one history interval.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RouteInterval {
    /// HTTP method.
    pub method: String,
    /// The route pattern.
    pub route: String,
    /// Requests answered in the interval.
    pub count: u64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th-percentile latency in milliseconds.
    pub p99_ms: f64,
}

/// Every route's requests over one history interval, and all of them together.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalLatency {
    /// Median over all routes, when any request was answered.
    pub p50_ms: Option<f64>,
    /// 99th percentile over all routes, when any request was answered.
    pub p99_ms: Option<f64>,
    /// Routes that answered requests in the interval, sorted.
    pub routes: Vec<RouteInterval>,
}

/// HTTP request metrics: Prometheus counters and histograms per route and
/// status, an in-flight gauge, and HdrHistograms for percentiles.
#[derive(Debug)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    in_flight: Gauge,
    routes: Mutex<HashMap<(String, String), RouteStats>>,
    total: AtomicU64,
    client_errors: AtomicU64,
    server_errors: AtomicU64,
    recent: RecentRate,
    /// Microseconds the requests counted by `recent` took, in the same
    /// per-second slots: the two window totals give a recent mean.
    recent_latency_us: RecentRate,
    started: Instant,
}

/// Decrements the in-flight gauge when the request ends, also when it is
/// cancelled (client gone, timeout).
#[derive(Debug)]
pub struct InFlightGuard<'a>(&'a Gauge);

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

impl HttpMetrics {
    /// New metrics, registered in `registry`.
    pub fn new(registry: &mut Registry) -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let in_flight = Gauge::default();
        // The encoder ends help texts with a period itself.
        registry.register(
            "minigram_http_requests",
            "HTTP requests answered, by method, route and status",
            requests.clone(),
        );
        registry.register(
            "minigram_http_request_duration_seconds",
            "Time to answer HTTP requests, by method, route and status",
            latency.clone(),
        );
        registry.register(
            "minigram_http_requests_in_flight",
            "HTTP requests being handled now",
            in_flight.clone(),
        );
        Self {
            requests,
            latency,
            in_flight,
            routes: Mutex::new(HashMap::new()),
            total: AtomicU64::new(0),
            client_errors: AtomicU64::new(0),
            server_errors: AtomicU64::new(0),
            recent: RecentRate::default(),
            recent_latency_us: RecentRate::default(),
            started: Instant::now(),
        }
    }

    /// Counts a request as in flight until the guard drops.
    pub fn enter(&self) -> InFlightGuard<'_> {
        self.in_flight.inc();
        InFlightGuard(&self.in_flight)
    }

    /// Requests being handled now.
    pub fn in_flight(&self) -> i64 {
        self.in_flight.get()
    }

    /// Records one answered request.
    pub fn record(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = RequestLabels {
            method: method.to_owned(),
            route: route.to_owned(),
            status,
        };
        self.requests.get_or_create(&labels).inc();
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        self.total.fetch_add(1, Ordering::Relaxed);
        self.recent.tick();
        match status {
            400..=499 => self.client_errors.fetch_add(1, Ordering::Relaxed),
            500..=599 => self.server_errors.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(u64::MAX)
            .max(1);
        // Capped like the histograms, so the slot sums cannot wrap.
        self.recent_latency_us.add(micros.min(MAX_TRACKED_MICROS));
        {
            let mut routes = self.routes.lock();
            let stats = routes
                .entry((labels.method, labels.route))
                .or_insert_with(|| RouteStats {
                    latency_us: latency_hdr(),
                    interval_us: latency_hdr(),
                    statuses: BTreeMap::new(),
                });
            stats.latency_us.saturating_record(micros);
            stats.interval_us.saturating_record(micros);
            *stats.statuses.entry(status).or_insert(0) += 1;
        }
    }

    /// The latency of the requests answered since the previous call (or
    /// since start), per route and overall; starts the next interval.
    pub fn take_interval(&self) -> IntervalLatency {
        let ms = |h: &Hdr<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        // All routes together: the routes' interval histograms merged here,
        // once a second, rather than a second histogram (and lock) per request.
        let mut all = latency_hdr();
        let mut routes: Vec<RouteInterval> = {
            let mut stats = self.routes.lock();
            stats
                .iter_mut()
                .filter(|(_, s)| !s.interval_us.is_empty())
                .map(|((method, route), s)| {
                    let interval = RouteInterval {
                        method: method.clone(),
                        route: route.clone(),
                        count: s.interval_us.len(),
                        p50_ms: ms(&s.interval_us, 0.50),
                        p99_ms: ms(&s.interval_us, 0.99),
                    };
                    // Same bounds on both sides, so adding cannot fail.
                    let _ = all.add(&s.interval_us);
                    // Keeps the allocation for the next interval.
                    s.interval_us.reset();
                    interval
                })
                .collect()
        };
        routes.sort_by(|a, b| (&a.route, &a.method).cmp(&(&b.route, &b.method)));
        let answered = !all.is_empty();
        IntervalLatency {
            p50_ms: answered.then(|| ms(&all, 0.50)),
            p99_ms: answered.then(|| ms(&all, 0.99)),
            routes,
        }
    }

    /// Mean time to answer, in milliseconds, of the requests answered in
    /// the last few whole seconds: the window of
    /// [`MetricsSnapshot::requests_per_s`], `rate_window_s` long; 0 when
    /// none were.
    pub fn recent_mean_ms(&self) -> f64 {
        // One `now` for both totals, so they cover the same seconds.
        let now = now_secs();
        let requests = self.recent.window_total(now);
        if requests == 0 {
            return 0.0;
        }
        self.recent_latency_us.window_total(now) as f64 / requests as f64 / 1000.0
    }

    /// The figures for `/api/metrics`.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let routes = self.routes.lock();
        let mut per_route: Vec<RouteSnapshot> = routes
            .iter()
            .map(|((method, route), stats)| {
                let ms = |q: f64| stats.latency_us.value_at_quantile(q) as f64 / 1000.0;
                let count = stats.latency_us.len();
                let count_where = |f: fn(u16) -> bool| {
                    stats
                        .statuses
                        .iter()
                        .filter(|(s, _)| f(**s))
                        .map(|(_, n)| n)
                        .sum()
                };
                RouteSnapshot {
                    method: method.clone(),
                    route: route.clone(),
                    count,
                    client_errors: count_where(|s| (400..500).contains(&s)),
                    server_errors: count_where(|s| s >= 500),
                    statuses: stats
                        .statuses
                        .iter()
                        .map(|(s, n)| (s.to_string(), *n))
                        .collect(),
                    mean_ms: stats.latency_us.mean() / 1000.0,
                    p50_ms: ms(0.50),
                    p99_ms: ms(0.99),
                    p999_ms: ms(0.999),
                    max_ms: stats.latency_us.max() as f64 / 1000.0,
                }
            })
            .collect();
        per_route.sort_by(|a, b| (&a.route, &a.method).cmp(&(&b.route, &b.method)));
        MetricsSnapshot {
            uptime_s: self.started.elapsed().as_secs(),
            requests_total: self.total.load(Ordering::Relaxed),
            client_errors_total: self.client_errors.load(Ordering::Relaxed),
            server_errors_total: self.server_errors.load(Ordering::Relaxed),
            requests_per_s: self.recent.per_second(),
            rate_window_s: WINDOW_SECS,
            in_flight: self.in_flight(),
            routes: per_route,
        }
    }
}

/// Request figures as `/api/metrics` reports them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MetricsSnapshot {
    /// Seconds since the server started.
    pub uptime_s: u64,
    /// Requests answered since start.
    pub requests_total: u64,
    /// 4xx answers since start.
    pub client_errors_total: u64,
    /// 5xx answers since start.
    pub server_errors_total: u64,
    /// Requests per second over the last `rate_window_s` whole seconds.
    pub requests_per_s: f64,
    /// The window of `requests_per_s`, in seconds.
    pub rate_window_s: u64,
    /// Requests being handled now.
    pub in_flight: i64,
    /// Per method and route.
    pub routes: Vec<RouteSnapshot>,
}

/// One route's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RouteSnapshot {
    /// HTTP method.
    pub method: String,
    /// The route pattern, e.g. `/api/photos/{id}/like`.
    pub route: String,
    /// Requests answered.
    pub count: u64,
    /// 4xx answers.
    pub client_errors: u64,
    /// 5xx answers.
    pub server_errors: u64,
    /// Answers by status code.
    pub statuses: BTreeMap<String, u64>,
    /// Mean latency in milliseconds.
    pub mean_ms: f64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th-percentile latency in milliseconds.
    pub p99_ms: f64,
    /// 99.9th-percentile latency in milliseconds.
    pub p999_ms: f64,
    /// Slowest request in milliseconds.
    pub max_ms: f64,
}
