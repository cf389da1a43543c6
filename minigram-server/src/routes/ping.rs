/// `GET /ping`: a trivial handler (no auth, no store), the reference that
/// benchmarks compare the real endpoints against, measured in the same run.
#[utoipa::path(
    get,
    path = "/ping",
    tag = "operations",
    responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")),
)]
pub(crate) async fn ping() -> &'static str {
    "ok"
}
