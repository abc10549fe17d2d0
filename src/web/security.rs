//! Who may talk to the dev server: only the local user's Studio.
//!
//! - The `Host` header must name the bound address, `localhost`,
//!   `127.0.0.1` or `[::1]` (or a host the project lists in
//!   `serveAllowedHosts`). A web page that points its own domain name at
//!   127.0.0.1 (DNS rebinding) sends its own name, and is refused.
//! - A request with an `Origin` header comes from a web page (browsers add
//!   it to cross-site requests and to every WebSocket handshake); the
//!   Studio plugin sends none. Every such request is refused, WebSocket
//!   upgrades included.

use std::net::SocketAddr;

use hyper::header::{HOST, ORIGIN};
use hyper::HeaderMap;

/// Why a request is refused (403).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

pub fn check_request(
    headers: &HeaderMap,
    bound: SocketAddr,
    allowed_hosts: &[String],
) -> Result<(), Refusal> {
    if let Some(origin) = headers.get(ORIGIN) {
        return Err(Refusal(format!(
            "requests from web pages are refused (Origin: {})",
            String::from_utf8_lossy(origin.as_bytes())
        )));
    }
    let Some(host) = headers.get(HOST) else {
        return Err(Refusal("the request has no Host header".to_owned()));
    };
    let host = String::from_utf8_lossy(host.as_bytes()).to_ascii_lowercase();
    let name = host_name(&host);
    let bound_ip = bound.ip().to_string();
    let allowed = name == "localhost"
        || name == "127.0.0.1"
        || name == "::1"
        || name == bound_ip
        || allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(name));
    if allowed {
        Ok(())
    } else {
        Err(Refusal(format!(
            "the Host `{host}` is not this server; add it to serveAllowedHosts in the project to allow it"
        )))
    }
}

/// The host name of a `Host` header, without port and IPv6 brackets.
fn host_name(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn local_hosts_pass_and_others_are_refused() {
        let bound: SocketAddr = "127.0.0.1:34873".parse().unwrap();
        for host in [
            "localhost:34873",
            "127.0.0.1:34873",
            "[::1]:34873",
            "LOCALHOST",
            "127.0.0.1",
        ] {
            assert_eq!(
                check_request(&headers(&[("host", host)]), bound, &[]),
                Ok(()),
                "{host}"
            );
        }
        for host in [
            "evil.example:34873",
            "127.0.0.1.evil.example",
            "[::2]:34873",
        ] {
            assert!(
                check_request(&headers(&[("host", host)]), bound, &[]).is_err(),
                "{host}"
            );
        }
        assert!(check_request(&headers(&[]), bound, &[]).is_err());
        let allowed = vec!["devbox.lan".to_owned()];
        assert!(check_request(&headers(&[("host", "devbox.lan:34873")]), bound, &allowed).is_ok());
    }

    #[test]
    fn any_origin_is_refused() {
        let bound: SocketAddr = "127.0.0.1:34873".parse().unwrap();
        let h = headers(&[
            ("host", "localhost:34873"),
            ("origin", "http://localhost:34873"),
        ]);
        assert!(check_request(&h, bound, &[]).is_err());
    }
}
