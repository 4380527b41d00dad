//! Numbers in decimal, appended to a string without `fmt`'s machinery:
//! trace lines and log lines write several for every message `serve`
//! takes, and `write!` costs some hundred instructions each. The digits are
//! itoa's (two at a time from a table; already in the build through
//! serde_json): a digit at a time, pushed as characters, cost some 130
//! instructions a number in serve's profile.

/// Append `n` in decimal, as `n.to_string()` would write it.
pub fn push_u64(s: &mut String, n: u64) {
    s.push_str(itoa::Buffer::new().format(n));
}

/// Append an IPv4 address in dotted decimal, as its `Display` writes it.
pub fn push_ipv4(s: &mut String, ip: std::net::Ipv4Addr) {
    for (i, o) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        push_u64(s, u64::from(o));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_display_writes_them() {
        for ip in ["0.0.0.0", "127.0.0.1", "192.0.2.25", "255.255.255.255", "10.200.3.40"] {
            let ip: std::net::Ipv4Addr = ip.parse().expect("an address");
            let mut s = String::new();
            push_ipv4(&mut s, ip);
            assert_eq!(s, ip.to_string());
        }
    }

    #[test]
    fn the_same_digits_as_to_string() {
        let mut n = 1u64;
        let mut all = vec![0, u64::MAX, u64::MAX - 1];
        while let Some(m) = n.checked_mul(10) {
            all.extend([n - 1, n, n + 1]);
            n = m;
        }
        for v in all {
            let mut s = String::from("x");
            push_u64(&mut s, v);
            assert_eq!(s, format!("x{v}"));
        }
    }
}
