//! Durations as scenario files and traces write them: `30s`, `5m`, `2h`,
//! `5d`, `20ms`, or a combination such as `1h30m`.
//!
//! Pure text, shared by the scenario loader, the trace and the list server;
//! it lives here, in the lowest layer that uses it, so that `listserv` needs
//! nothing from `scenario` (which re-exports both functions).

use crate::base::diag::tr;
use std::time::Duration;

/// `30s`, `5m`, `2h`, `5d`, `20ms`, or a combination such as `1h30m`;
/// `Err` says why not, in the diagnostics' language.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err(tr("empty duration", "時間の長さが空です"));
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(tr(format!("`{s}` is not a duration"), format!("`{s}` は時間の長さではありません")));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| tr(format!("`{s}`: number too large"), format!("`{s}` は数が大きすぎます")))?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86400)),
            "" => {
                return Err(tr(
                    format!("`{s}` needs a unit after {n}"),
                    format!("`{s}` には {n} の後に単位が必要です"),
                ));
            }
            u => return Err(tr(format!("`{u}` is not a unit of time"), format!("`{u}` は時間の単位ではありません"))),
        };
        total = total.saturating_add(d);
    }
    Ok(total)
}

/// `1h30m` style text for a duration (used in the trace and reports).
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [("d", 86_400_000u128), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("20ms").unwrap(), Duration::from_millis(20));
        assert_eq!(parse_duration("5d").unwrap(), Duration::from_secs(432_000));
        assert!(parse_duration("5").is_err());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("3 weeks").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(20)), "20ms");
    }
}
