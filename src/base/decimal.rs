//! Numbers in decimal, appended to a string without `fmt`'s machinery:
//! trace lines and log lines write several for every message `serve`
//! takes, and `write!` costs some hundred instructions each.

/// The decimal digits of `n`, written at the end of `buf`.
pub fn digits(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Append `n` in decimal, as `n.to_string()` would write it.
pub fn push_u64(s: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let d = digits(n, &mut buf);
    // ASCII digits, pushed as characters (no UTF-8 check of the octets).
    s.reserve(d.len());
    for &b in d {
        s.push(char::from(b));
    }
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
