//! Which client address a request has: the TCP peer, or, behind a trusted proxy, what the
//! proxy says in `X-Forwarded-For` (PORTAL_TRUSTED_PROXIES).

use std::net::{IpAddr, SocketAddr};

/// An address block such as `10.0.0.0/8` or `fd00::/8` (a bare address is a /32 or /128).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { net: addr, prefix })
    }

    /// `0.0.0.0/0` or `::/0`: every address, i.e. anyone could write their own address.
    pub fn is_everyone(&self) -> bool {
        self.prefix == 0
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 peer may arrive as an IPv4-mapped IPv6 address on a dual-stack socket.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// The client address for limits: the TCP peer, unless the peer is a trusted proxy; then the
/// right-most `X-Forwarded-For` entry that is not a trusted proxy (the left part of the
/// header is whatever the client wrote and proves nothing). Rule: shared/security.md, "Web
/// sessions".
pub fn client_ip(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let mut last = peer;
    for entry in forwarded_for
        .iter()
        .rev()
        .flat_map(|h| h.rsplit(','))
        .map(str::trim)
    {
        // A malformed entry ends the walk: what is left of it came from the client.
        let Some(ip) = parse_forwarded_ip(entry) else {
            tracing::warn!("an X-Forwarded-For entry from a trusted proxy is not an address");
            return last;
        };
        if !is_trusted(ip) {
            return ip;
        }
        last = ip;
    }
    last
}

/// One `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or
/// `[2001:db8::1]:443` (some proxies add the port).
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry
        .parse::<SocketAddr>()
        .ok()
        .map(|a| a.ip())
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let trusted = [
            Cidr::parse("10.0.0.0/8").unwrap(),
            Cidr::parse("fd00::/8").unwrap(),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // Straight from the internet: the header is the client's own words.
        assert_eq!(
            client_ip(ip("203.0.113.9"), &["198.51.100.1"], &trusted),
            ip("203.0.113.9")
        );
        // Through the load balancer: the right-most entry it did not add.
        assert_eq!(
            client_ip(
                ip("10.1.2.3"),
                &["1.2.3.4, 198.51.100.7, 10.9.9.9"],
                &trusted
            ),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["1.2.3.4", "198.51.100.7"], &trusted),
            ip("198.51.100.7"),
            "several headers read as one list"
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &[], &trusted),
            ip("10.1.2.3"),
            "no header: the proxy itself"
        );
        assert_eq!(
            client_ip(ip("10.1.2.3"), &["garbage, 10.0.0.5"], &trusted),
            ip("10.0.0.5")
        );
        assert_eq!(
            client_ip(ip("::ffff:10.1.2.3"), &["198.51.100.7"], &trusted),
            ip("198.51.100.7"),
            "an IPv4-mapped peer"
        );
        for with_port in ["198.51.100.7:5678", "[2001:db8::7]:443", "[2001:db8::7]"] {
            assert_ne!(
                client_ip(ip("10.1.2.3"), &[with_port], &trusted),
                ip("10.1.2.3"),
                "{with_port}: a port does not put everyone into the proxy's bucket"
            );
        }
        assert!(Cidr::parse("fd00::1").unwrap().contains(ip("fd00::1")));
        assert!(!Cidr::parse("10.0.0.0/8").unwrap().contains(ip("11.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(ip("11.0.0.1")));
    }
}
