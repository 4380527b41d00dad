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
        // A word after a space is a unit too (`1 minute`), to be named in the message.
        let word = rest.trim_start_matches(' ');
        let gap = rest.len() - word.len();
        let unit_len: usize = word.chars().take_while(|c| c.is_alphabetic()).map(char::len_utf8).sum();
        let unit = &word[..unit_len];
        rest = &word[unit_len..];
        let d = match unit {
            "ms" => Duration::from_millis(n),
            "s" => Duration::from_secs(n),
            "m" => Duration::from_secs(n.saturating_mul(60)),
            "h" => Duration::from_secs(n.saturating_mul(3600)),
            "d" => Duration::from_secs(n.saturating_mul(86400)),
            "" => {
                return Err(tr(
                    format!("`{s}` needs a unit after {n}: {UNITS_EN}"),
                    format!("`{s}` には {n} の後に単位が必要です: {UNITS_JA}"),
                ));
            }
            u => {
                let Some(right) = meant(u, n) else {
                    return Err(tr(
                        format!("`{u}` is not a unit of time; the units are {UNITS_EN}"),
                        format!("`{u}` は時間の単位ではありません。単位は {UNITS_JA} です"),
                    ));
                };
                return Err(tr(
                    format!("`{u}` is not a unit of time; the units are {UNITS_EN}: write `{right}`"),
                    format!("`{u}` は時間の単位ではありません。単位は {UNITS_JA} です: `{right}` と書いてください"),
                ));
            }
        };
        if gap > 0 {
            return Err(tr(
                format!("`{s}`: the unit comes right after the number, without a space: `{n}{unit}`"),
                format!("`{s}`: 単位は数の直後に空白なしで書きます: `{n}{unit}`"),
            ));
        }
        total = total.saturating_add(d);
    }
    Ok(total)
}

/// The units of a duration, in the diagnostics' two languages.
const UNITS_EN: &str = "ms (milliseconds), s (seconds), m (minutes), h (hours) and d (days)";
const UNITS_JA: &str = "ms (ミリ秒)、s (秒)、m (分)、h (時間)、d (日)";

/// What a word that is not a unit most likely meant, written as maillab
/// writes it (`1 minute` → `1m`, `2 weeks` → `14d`), if it is a word for one.
fn meant(word: &str, n: u64) -> Option<String> {
    let unit = match word.to_lowercase().as_str() {
        "msec" | "msecs" | "millisecond" | "milliseconds" | "ミリ秒" => "ms",
        "sec" | "secs" | "second" | "seconds" | "秒" => "s",
        "min" | "mins" | "minute" | "minutes" | "分" => "m",
        "hr" | "hrs" | "hour" | "hours" | "時間" => "h",
        "day" | "days" | "日" => "d",
        "w" | "wk" | "wks" | "week" | "weeks" | "週" | "週間" => return Some(format!("{}d", n.saturating_mul(7))),
        _ => return None,
    };
    Some(format!("{n}{unit}"))
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
        assert!(parse_duration("1 m").is_err());
        assert!(parse_duration("1h 30m").is_err());
    }

    /// A unit that is there but not one of maillab's is named, with the
    /// units and, for a word for one, how to write it.
    #[test]
    fn a_wrong_unit_is_named_with_the_right_ones() {
        let e = parse_duration("1 minute").unwrap_err();
        assert!(e.contains("`minute` is not a unit of time; the units are ms (milliseconds), s (seconds)"), "{e}");
        assert!(e.ends_with("write `1m`"), "{e}");
        assert!(parse_duration("2weeks").unwrap_err().ends_with("write `14d`"));
        assert!(parse_duration("5 fortnights").unwrap_err().ends_with("and d (days)"));
        assert!(parse_duration("1分").unwrap_err().contains("`分` is not a unit of time"));
        let e = parse_duration("1 m").unwrap_err();
        assert!(e.contains("without a space: `1m`"), "{e}");
        assert!(parse_duration("5").unwrap_err().contains("needs a unit after 5: ms (milliseconds)"));
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(20)), "20ms");
    }
}
