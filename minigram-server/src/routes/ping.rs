/// `GET /ping`: a trivial handler (no auth, no store), the reference that
/// benchmarks compare the real endpoints against, measured in the same run.
pub(crate) async fn ping() -> &'static str {
    "ok"
}
