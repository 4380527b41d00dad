//! A dns host's zones: origins and record lines.

use super::super::raw::{RawHost, S};
use super::Checker;
use crate::base::diag::{Diagnostic, tr};
use crate::proto::dns;
use crate::proto::dns::ZoneRecord;
use crate::proto::smtp::address::check_domain;
use crate::scenario::DnsConfig;

impl Checker {
    pub(super) fn dns_config(&mut self, h: &RawHost) -> DnsConfig {
        let mut zones = Vec::new();
        for (origin, recs) in &h.zones {
            let origin_l = origin.trim_end_matches('.').to_ascii_lowercase();
            if let Err(e) = check_domain(&origin_l) {
                let at = recs
                    .first()
                    .map(|r| (r.referenced.line(), r.referenced.column()))
                    .unwrap_or((h.role.referenced.line(), 1));
                self.diags.push(Diagnostic {
                    file: self.file.clone(),
                    line: at.0,
                    column: at.1,
                    message: tr(
                        format!("zone `{origin}` is not a domain name: {}", e.en()),
                        format!("ゾーン `{origin}` はドメイン名ではありません: {}", e.ja()),
                    ),
                    hint: Some(tr(
                        "zones are keyed by their origin, e.g. `example.com:`",
                        "ゾーンのキーはその起点 (origin) です (例: `example.com:`)",
                    )),
                });
                continue;
            }
            let out = self.zone_records(recs, &origin_l);
            zones.push((origin_l, out));
        }
        DnsConfig { zones, reverse: h.reverse_dns.unwrap_or(true) }
    }

    /// The record lines of one zone; a bad line is reported at the column of its problem.
    /// A CNAME beside other data of its name is reported at the CNAME's line.
    fn zone_records(&mut self, recs: &[S<String>], origin: &str) -> Vec<ZoneRecord> {
        let mut out = Vec::new();
        let mut parsed: Vec<(&S<String>, ZoneRecord)> = Vec::new();
        for r in recs {
            match dns::parse_record(&r.value, origin) {
                Ok(rec) => {
                    out.push(rec.clone());
                    parsed.push((r, rec));
                }
                Err(e) => self.diags.push(bad_record(&self.file, &self.src, r, e)),
            }
        }
        let lines: Vec<(&str, &ZoneRecord)> = parsed.iter().map(|(r, rec)| (r.value.as_str(), rec)).collect();
        for (i, e) in dns::zone_errors(origin, &lines) {
            self.diags.push(bad_record(&self.file, &self.src, parsed[i].0, e));
        }
        out
    }
}

/// A zone line `r` that is wrong as `e` says, at the column of its problem
/// (`src` the text read: a quoted line's words start one column further in).
fn bad_record(file: &str, src: &str, r: &S<String>, e: dns::RecordError) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        line: r.referenced.line(),
        column: super::value_column(src, r, e.column),
        message: tr(
            format!("bad DNS record `{}`: {}", r.value, e.message),
            format!("DNS レコード `{}` が正しくありません: {}", r.value, e.message),
        ),
        hint: Some(e.hint),
    }
}
