//! The Japanese of the mail-authentication lines (`auth.sign`, `auth.spf`,
//! `auth.dkim`, `auth.dmarc`; written by `host::mailauth` from the verdicts
//! of `proto::mailauth`). The result tokens (`spf=fail`, `dkim=pass`,
//! `p=reject dis=reject`, `header.from=…`) and the names stay as written, as
//! in an `Authentication-Results:` field; maillab's reason around them is
//! Japanese. A reason the DKIM verifier (the mail-auth crate) gave and this
//! file does not know stays as the verifier wrote it, like any other
//! program's diagnostic; a reason of maillab's own that does not match
//! leaves the whole line English.

use super::super::{Event, Field};

/// `QID: DKIM-Signature field added (s=SELECTOR, d=DOMAIN)`.
pub(super) fn sign(e: &Event, l: &str) -> Option<String> {
    let qid = e.field_str(Field::Qid)?;
    let rest = l.strip_prefix(qid)?.strip_prefix(": ")?;
    let c = re!(r"^DKIM-Signature field added \(s=(\S+), d=(\S+)\)$").captures(rest)?;
    Some(format!("{qid}: DKIM-Signature フィールドを付けました（s={}、d={}）", &c[1], &c[2]))
}

/// `spf=RESULT (REASON) smtp.mailfrom=ADDRESS`.
pub(super) fn spf(l: &str) -> Option<String> {
    let c = re!(r"^(spf=\S+) \((.*)\) (smtp\.mailfrom=\S*)$").captures(l)?;
    Some(format!("{}（{}）{}", &c[1], spf_reason(&c[2])?, &c[3]))
}

fn spf_reason(r: &str) -> Option<String> {
    let c = |p: &regex::Regex| p.captures(r);
    Some(if let Some(c) = c(re!(r"^(\S+) designates ([0-9.]+) as permitted sender \((.*)\)$")) {
        format!("{} は {} からの送信を認めています。{}", &c[1], &c[2], matched(&c[3]))
    } else if let Some(c) = c(re!(r"^(\S+) does not designate ([0-9.]+) as permitted sender \((.*)\)$")) {
        format!("{} は {} からの送信を認めていません。{}", &c[1], &c[2], matched(&c[3]))
    } else if let Some(c) = c(re!(r"^(\S+) neither permits nor denies ([0-9.]+) \((.*)\)$")) {
        format!("{} は {} からの送信を認めても拒んでもいません。{}", &c[1], &c[2], matched(&c[3]))
    } else if let Some(c) = c(re!(r"^(\S+) publishes no SPF record$")) {
        format!("{} は SPF レコードを公開していません", &c[1])
    } else if let Some(c) = c(re!(r"^(\S+) leads to (\S+), which publishes no SPF record$")) {
        format!("{} の先の {} は SPF レコードを公開していません", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^(\S+) publishes more than one SPF record$")) {
        format!("{} は SPF レコードを 2 つ以上公開しています", &c[1])
    } else if let Some(c) = c(re!(r"^the SPF record of (\S+) is broken: (\S+): (.+)$")) {
        let why = match &c[3] {
            "macros are not expanded in this lab" => "この実習環境ではマクロを展開しません",
            "not a domain" => "ドメインではありません",
            "bad prefix length" => "プレフィックス長が正しくありません",
            "not an IPv4 address" => "IPv4 アドレスではありません",
            "unknown mechanism" => "知らないメカニズムです",
            _ => return None,
        };
        format!("{} の SPF レコードが壊れています: {}: {why}", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^the SPF record of (\S+) is broken: two redirect= modifiers$")) {
        format!("{} の SPF レコードが壊れています: redirect= が 2 つあります", &c[1])
    } else if let Some(c) = c(re!(r"^(\S+) names more than (\d+) MX hosts$")) {
        format!("{} が指す MX ホストが {} を超えています", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^more than (\d+) DNS look-ups \(at (.+)\)$")) {
        format!("DNS の問い合わせが {} 回を超えました（{} で）", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^no answer from the DNS for (\S+) (\S+)$")) {
        format!("DNS から {} {} の答えがありません", &c[1], &c[2])
    } else if let Some(c) = c(re!(r#"^(".*") is not a domain SPF can check$"#)) {
        format!("{} は SPF で調べられるドメインではありません", &c[1])
    } else {
        return None;
    })
}

/// Which term decided: a mechanism of the record, or none of them.
fn matched(why: &str) -> String {
    match re!(r"^no mechanism of (\S+) matched$").captures(why) {
        Some(c) => format!("{} のどのメカニズムにも一致しません", &c[1]),
        None => format!("一致したのは {why}"),
    }
}

/// `dkim=RESULT (REASON)[ header.d=DOMAIN header.s=SELECTOR]`.
pub(super) fn dkim(l: &str) -> Option<String> {
    let c = re!(r"^(dkim=\S+) \((.*)\)((?: header\.d=\S* header\.s=\S*)?)$").captures(l)?;
    let tail = c[3].trim_start();
    Some(format!("{}（{}）{tail}", &c[1], dkim_reason(&c[2])))
}

/// maillab's own reasons, and the verifier's (mail-auth 0.7's `Error`
/// texts) that a lab's scenario can lead to; any other as written.
fn dkim_reason(r: &str) -> String {
    if let Some(c) = re!(r"^DNS resolution error: no answer for (\S+) TXT$").captures(r) {
        return format!("DNS から {} TXT の答えがありません", &c[1]);
    }
    if let Some(code) = r.strip_prefix("DNS record not found: ") {
        return format!("鍵の TXT レコードが DNS にありません（{code}）");
    }
    match r {
        "signature verified" => "署名を確かめました",
        "no signature" => "署名がありません",
        "no verifier" => "署名を確かめる仕組みを用意できませんでした",
        "the message has no DKIM-Signature" => "メッセージに DKIM-Signature がありません",
        "Calculated body hash does not match signature hash" => "本文のハッシュが署名の bh= と一致しません",
        "Signature verification failed" => {
            "署名が一致しません（署名したあとにヘッダフィールドが変わったか、鍵が違います）"
        }
        "Public key for this signature has been revoked" => "この署名の公開鍵は取り消されています（p= が空です）",
        "Signature expired" => "署名の有効期限が切れています",
        "Unsupported key type in DKIM DNS record" => "DNS の DKIM レコードの鍵の種類に対応していません",
        "Unsupported algorithm in DKIM Signature" => "DKIM-Signature のアルゴリズムに対応していません",
        "Incompatible algorithms used in signature and DKIM DNS record" => {
            "署名と DNS の DKIM レコードのアルゴリズムが合いません"
        }
        "Invalid record" => "DNS の DKIM レコードが正しくありません",
        "AUID does not match domain name" => "i= のドメインが d= と合いません",
        "Parse error" => "DKIM-Signature を読めません",
        _ => return r.to_string(),
    }
    .to_string()
}

/// `dmarc=RESULT (p=P dis=D) header.from=DOMAIN: REASON[; what was applied]`,
/// or `dmarc=none (WHY)` when the message has no single From: domain.
pub(super) fn dmarc(l: &str) -> Option<String> {
    if let Some(c) = re!(r"^(dmarc=none) \((.*)\)$").captures(l) {
        return Some(format!("{}（{}）", &c[1], from_problem(&c[2])?));
    }
    let c = re!(r"^(dmarc=\S+ \(p=\S+ dis=\S+\) header\.from=\S+): (.*?)((?:; (?:policy applied|pct=).*)?)$")
        .captures(l)?;
    Some(format!("{}: {}{}", &c[1], dmarc_reason(&c[2])?, applied(&c[3])?))
}

fn from_problem(r: &str) -> Option<String> {
    Some(if let Some(c) = re!(r"^the message has (\d+) From: fields$").captures(r) {
        format!("メッセージに From: フィールドが {} 個あります", &c[1])
    } else if let Some(c) = re!(r"^From: (.*) has no domain$").captures(r) {
        format!("From: {} にドメインがありません", &c[1])
    } else {
        let c = re!(r"^From: (.*) does not name exactly one address$").captures(r)?;
        format!("From: {} に書かれたアドレスが 1 つではありません", &c[1])
    })
}

fn dmarc_reason(r: &str) -> Option<String> {
    let c = |p: &regex::Regex| p.captures(r);
    Some(if let Some(c) = c(re!(r"^(DKIM|SPF) pass for (\S+) aligned with From: (\S+)$")) {
        format!("{} の {} が pass し、From: の {} とアラインしています", &c[2], &c[1], &c[3])
    } else if let Some(c) = c(re!(r"^SPF passed for (\S+), which is not aligned with (\S+)$")) {
        format!("SPF は {} について pass しましたが、{} とアラインしていません", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^SPF (\S+) and no DKIM signature aligned with (\S+)$")) {
        format!("SPF は {} で、{} とアラインした DKIM の署名もありません", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^SPF (\S+) and no valid DKIM signature$")) {
        format!("SPF は {} で、有効な DKIM の署名もありません", &c[1])
    } else if let Some(c) = c(re!(r"^(\S+) publishes no DMARC record$")) {
        format!("{} は DMARC レコードを公開していません", &c[1])
    } else if let Some(c) = c(re!(r"^no DNS answer for (\S+)$")) {
        format!("DNS から {} の答えがありません", &c[1])
    } else if let Some(c) = c(re!(r"^the DMARC record of (\S+) is broken: (.+)$")) {
        format!("{} の DMARC レコードが壊れています: {}", &c[1], broken_dmarc(&c[2])?)
    } else {
        return None;
    })
}

/// Why a DMARC record could not be read (`proto::mailauth::dmarc::parse`
/// and the look-up's own check).
fn broken_dmarc(e: &str) -> Option<String> {
    let c = |p: &regex::Regex| p.captures(e);
    Some(if e == "it does not start with v=DMARC1" {
        "v=DMARC1 で始まっていません".to_string()
    } else if e == "it has no p= tag" {
        "p= タグがありません".to_string()
    } else if let Some(c) = c(re!(r"^(\S+=\S*): r or s expected$")) {
        format!("{}: r か s のはずです", &c[1])
    } else if let Some(c) = c(re!(r"^(\S+=\S*): none, quarantine or reject expected$")) {
        format!("{}: none、quarantine、reject のどれかのはずです", &c[1])
    } else if let Some(c) = c(re!(r"^(\S+=\S*): 0 to 100 expected$")) {
        format!("{}: 0 から 100 のはずです", &c[1])
    } else {
        let c = c(re!(r"^(\S+) has more than one DMARC record$"))?;
        format!("{} に DMARC レコードが 2 つ以上あります", &c[1])
    })
}

/// What a failing message got: the policy, or the `pct=` draw and its outcome.
fn applied(a: &str) -> Option<String> {
    if a.is_empty() {
        return Some(String::new());
    }
    if let Some(p) = a.strip_prefix("; policy applied: ") {
        return Some(format!("。ポリシー {p} を当てました"));
    }
    if let Some(c) = re!(r"^; pct=(\d+), drew (\d+): in the sample, policy applied: (\S+)$").captures(a) {
        return Some(format!("。pct={} の抽選で {}: 当たったのでポリシー {} を当てました", &c[1], &c[2], &c[3]));
    }
    let c = re!(r"^; pct=(\d+), drew (\d+): left out of the sample, so (\S+) instead of (\S+)$").captures(a)?;
    Some(format!("。pct={} の抽選で {}: 外れたので {} ではなく {} を当てました", &c[1], &c[2], &c[4], &c[3]))
}

#[cfg(test)]
mod tests {
    use super::super::super::{Event, Field, Kind, ev};

    fn at(kind: Kind, line: &str) -> Event {
        let t = chrono::DateTime::parse_from_rfc3339("2026-06-01T09:00:00+09:00").expect("a time");
        ev(t, "mx-shop", kind).line(line)
    }
    fn ja(e: &Event) -> String {
        e.line_in(true).into_owned()
    }

    /// The lines of scenarios/spoofing.yaml and the other reasons maillab
    /// writes, in Japanese; the result tokens and names stay.
    #[test]
    fn authentication_lines_are_japanese() {
        let cases = [
            (
                at(Kind::AuthSign, "B21D136E9E: DKIM-Signature field added (s=mail, d=bank.example)")
                    .field(Field::Qid, "B21D136E9E"),
                "B21D136E9E: DKIM-Signature フィールドを付けました（s=mail、d=bank.example）",
            ),
            (
                at(
                    Kind::AuthSpf,
                    "spf=fail (bank.example does not designate 198.51.100.66 as permitted sender (-all)) smtp.mailfrom=ceo@bank.example",
                ),
                "spf=fail（bank.example は 198.51.100.66 からの送信を認めていません。一致したのは -all）smtp.mailfrom=ceo@bank.example",
            ),
            (
                at(
                    Kind::AuthSpf,
                    "spf=pass (bank.example designates 192.0.2.25 as permitted sender (ip4:192.0.2.25)) smtp.mailfrom=president@bank.example",
                ),
                "spf=pass（bank.example は 192.0.2.25 からの送信を認めています。一致したのは ip4:192.0.2.25）smtp.mailfrom=president@bank.example",
            ),
            (
                at(
                    Kind::AuthSpf,
                    "spf=neutral (a.example neither permits nor denies 192.0.2.9 (no mechanism of a.example matched)) smtp.mailfrom=x@a.example",
                ),
                "spf=neutral（a.example は 192.0.2.9 からの送信を認めても拒んでもいません。a.example のどのメカニズムにも一致しません）smtp.mailfrom=x@a.example",
            ),
            (
                at(Kind::AuthSpf, "spf=none (pay.example publishes no SPF record) smtp.mailfrom=billing@pay.example"),
                "spf=none（pay.example は SPF レコードを公開していません）smtp.mailfrom=billing@pay.example",
            ),
            (
                at(
                    Kind::AuthSpf,
                    "spf=permerror (the SPF record of a.example is broken: ip4:300.1.1.1: not an IPv4 address) smtp.mailfrom=x@a.example",
                ),
                "spf=permerror（a.example の SPF レコードが壊れています: ip4:300.1.1.1: IPv4 アドレスではありません）smtp.mailfrom=x@a.example",
            ),
            (
                at(Kind::AuthSpf, "spf=temperror (no answer from the DNS for a.example TXT) smtp.mailfrom=x@a.example"),
                "spf=temperror（DNS から a.example TXT の答えがありません）smtp.mailfrom=x@a.example",
            ),
            (
                at(Kind::AuthDkim, "dkim=none (the message has no DKIM-Signature)"),
                "dkim=none（メッセージに DKIM-Signature がありません）",
            ),
            (
                at(Kind::AuthDkim, "dkim=pass (signature verified) header.d=bank.example header.s=mail"),
                "dkim=pass（署名を確かめました）header.d=bank.example header.s=mail",
            ),
            (
                at(
                    Kind::AuthDkim,
                    "dkim=fail (Calculated body hash does not match signature hash) header.d=bank.example header.s=mail",
                ),
                "dkim=fail（本文のハッシュが署名の bh= と一致しません）header.d=bank.example header.s=mail",
            ),
            (
                at(
                    Kind::AuthDmarc,
                    "dmarc=fail (p=reject dis=reject) header.from=bank.example: SPF fail and no valid DKIM signature; policy applied: reject",
                ),
                "dmarc=fail (p=reject dis=reject) header.from=bank.example: SPF は fail で、有効な DKIM の署名もありません。ポリシー reject を当てました",
            ),
            (
                at(
                    Kind::AuthDmarc,
                    "dmarc=pass (p=reject dis=none) header.from=bank.example: DKIM pass for bank.example aligned with From: bank.example",
                ),
                "dmarc=pass (p=reject dis=none) header.from=bank.example: bank.example の DKIM が pass し、From: の bank.example とアラインしています",
            ),
            (
                at(
                    Kind::AuthDmarc,
                    "dmarc=fail (p=quarantine dis=quarantine) header.from=pay.example: SPF none and no valid DKIM signature; pct=50, drew 31: in the sample, policy applied: quarantine",
                ),
                "dmarc=fail (p=quarantine dis=quarantine) header.from=pay.example: SPF は none で、有効な DKIM の署名もありません。pct=50 の抽選で 31: 当たったのでポリシー quarantine を当てました",
            ),
            (
                at(
                    Kind::AuthDmarc,
                    "dmarc=fail (p=quarantine dis=none) header.from=pay.example: SPF none and no valid DKIM signature; pct=50, drew 67: left out of the sample, so none instead of quarantine",
                ),
                "dmarc=fail (p=quarantine dis=none) header.from=pay.example: SPF は none で、有効な DKIM の署名もありません。pct=50 の抽選で 67: 外れたので quarantine ではなく none を当てました",
            ),
            (
                at(
                    Kind::AuthDmarc,
                    "dmarc=permerror (p=none dis=none) header.from=a.example: the DMARC record of a.example is broken: pct=150: 0 to 100 expected",
                ),
                "dmarc=permerror (p=none dis=none) header.from=a.example: a.example の DMARC レコードが壊れています: pct=150: 0 から 100 のはずです",
            ),
            (
                at(Kind::AuthDmarc, "dmarc=none (the message has 2 From: fields)"),
                "dmarc=none（メッセージに From: フィールドが 2 個あります）",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(ja(&e), want, "{:?}", e.line);
        }
    }

    /// A reason maillab does not write leaves the line English; a reason of
    /// the DKIM verifier it does not know stays as the verifier wrote it.
    #[test]
    fn unknown_reasons() {
        let e = at(Kind::AuthSpf, "spf=fail (something new) smtp.mailfrom=x@a.example");
        assert!(matches!(e.line_in(true), std::borrow::Cow::Borrowed(_)));
        let e = at(Kind::AuthDmarc, "dmarc=fail (p=reject dis=reject) header.from=a.example: who knows");
        assert!(matches!(e.line_in(true), std::borrow::Cow::Borrowed(_)));
        let e = at(Kind::AuthDkim, "dkim=fail (Too many ARC headers) header.d=a.example header.s=s");
        assert_eq!(ja(&e), "dkim=fail（Too many ARC headers）header.d=a.example header.s=s");
    }
}
