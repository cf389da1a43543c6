//! The client's address: the socket peer, or what a trusted proxy says.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap};

/// Finds the client address of a request. `X-Forwarded-For` is believed
/// only when the peer is a trusted proxy; then the rightmost address that
/// is not itself a trusted proxy is the client (entries further left were
/// written by the client and could be anything).
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientIp {
    trusted: Vec<IpAddr>,
}

impl ClientIp {
    pub(crate) fn new(trusted: Vec<IpAddr>) -> Self {
        Self { trusted }
    }

    /// The client's address; `None` when the connection's address is
    /// unknown (a router driven without `into_make_service_with_connect_info`).
    pub(crate) fn resolve(&self, extensions: &Extensions, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| canonical(addr.ip()))?;
        if !self.is_trusted(peer) {
            return Some(peer);
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .map(canonical)
            .collect();
        let client = forwarded
            .iter()
            .rev()
            .find(|ip| !self.is_trusted(**ip))
            .or(forwarded.first())
            .copied();
        Some(client.unwrap_or(peer))
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|t| canonical(*t) == ip)
    }
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, xff: Option<&str>) -> (Extensions, HeaderMap) {
        let mut extensions = Extensions::new();
        let peer: IpAddr = peer.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        extensions.insert(ConnectInfo(SocketAddr::new(peer, 1234)));
        let mut headers = HeaderMap::new();
        if let Some(Ok(value)) = xff.map(str::parse) {
            headers.insert("x-forwarded-for", value);
        }
        (extensions, headers)
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() {
        let resolver = ClientIp::new(vec![]);
        let (e, h) = request("203.0.113.9", Some("198.51.100.1"));
        assert_eq!(resolver.resolve(&e, &h), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let resolver = ClientIp::new(vec![[10, 0, 0, 1].into(), [10, 0, 0, 2].into()]);
        let (e, h) = request("10.0.0.1", Some("1.2.3.4, 198.51.100.1, 10.0.0.2"));
        assert_eq!(resolver.resolve(&e, &h), ip("198.51.100.1"));
        let (e, h) = request("10.0.0.1", None);
        assert_eq!(resolver.resolve(&e, &h), ip("10.0.0.1"));
        let (e, h) = request("::ffff:10.0.0.1", Some("garbage, 198.51.100.7"));
        assert_eq!(resolver.resolve(&e, &h), ip("198.51.100.7"));
    }

    #[test]
    fn no_connect_info_means_unknown() {
        let resolver = ClientIp::new(vec![]);
        assert_eq!(
            resolver.resolve(&Extensions::new(), &HeaderMap::new()),
            None
        );
    }
}
