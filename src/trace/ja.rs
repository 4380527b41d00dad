//! maillab's own narration in Japanese: the English line of an event, as a
//! Japanese reader sees it ([`super::Event::line_in`]). The trace and its
//! JSON keep the English line; only a view in Japanese asks for this.
//!
//! What the hosts say stays as they said it: SMTP, POP3 and IMAP commands
//! and replies, DNS questions and answers, maillog lines, header fields,
//! addresses, host names, queue ids and the reasons an MTA or a socket gave
//! (`Connection timed out`, a DSN's diagnostic). Only the words maillab puts
//! around them are translated. A line is read from the event's kind and
//! fields, or where the data is only in the line, with a pattern anchored at
//! both ends for that kind; a line that does not match stays English
//! (`None`), never half-read.

use super::{Event, Field, Kind};
use regex::{Captures, Regex};

/// A pattern compiled once.
macro_rules! re {
    ($p:literal) => {{
        static RE: ::std::sync::LazyLock<::regex::Regex> =
            ::std::sync::LazyLock::new(|| ::regex::Regex::new($p).unwrap_or_else(|e| panic!("{e}")));
        &*RE
    }};
}

mod auth;

/// The event's line in Japanese, or `None` when it stays as written.
pub fn line(e: &Event) -> Option<String> {
    let l = e.line.as_deref()?;
    match e.kind {
        Kind::RunStart => {
            let c = re!(r"^scenario (.+) \((\d+) hosts\), virtual time starts (\S+)$").captures(l)?;
            Some(format!("シナリオ {} を開始（ホスト {} 台）、仮想時間は {} から", &c[1], &c[2], &c[3]))
        }
        Kind::ExpectPass | Kind::ExpectFail => e.field_str(Field::LineJa).map(str::to_string),
        Kind::RunEnd => l.strip_prefix("virtual time elapsed: ").map(|t| format!("経過した仮想時間: {t}")),
        Kind::RunLimit => run_limit(l),
        Kind::Summary => summary(e, l),
        Kind::Step => step(e, l),
        Kind::Fault => fault(l),
        Kind::HostConfigure => l.strip_prefix("configuration reloaded: ").map(|x| format!("設定を読み直しました: {x}")),
        Kind::TcpConnect => {
            let c = re!(r"^connect to (\S+) \[([0-9.]+)\]:(\d+) from port (\d+)$").captures(l)?;
            Some(format!("{} [{}]:{} に接続（送信元ポート {}）", &c[1], &c[2], &c[3], &c[4]))
        }
        Kind::TcpError => {
            let c = re!(r"^connect to (\S+) \[([0-9.]+)\]:(\d+): (.+)$").captures(l)?;
            Some(format!("{} [{}]:{} に接続できません: {}", &c[1], &c[2], &c[3], &c[4]))
        }
        Kind::TcpAccept => tcp_accept(l),
        Kind::TcpClose => (l == "connection closed").then(|| "接続を閉じました".to_string()),
        Kind::TcpRefuse => tcp_refuse(l),
        Kind::TlsHandshake => tls_handshake(e, l),
        Kind::TlsError => {
            l.strip_prefix("TLS handshake failed: ").map(|x| format!("TLS のハンドシェイクに失敗しました: {x}"))
        }
        Kind::SmtpData => {
            let c = re!(r"^\(message content: (\d+) lines, (\d+) octets\)$").captures(l)?;
            Some(format!("（メッセージ本体: {} 行、{} オクテット）", &c[1], &c[2]))
        }
        Kind::MuaResult => mua_result(l),
        Kind::MuaFetch => mua_fetch(l),
        Kind::MuaMessage => mua_message(e, l),
        Kind::QueueAdd => {
            let (qid, rest) = qid_and(e, l)?;
            let rest = rest.strip_prefix("from=")?;
            Some(format!("{qid}: キューに入れました（from={rest}）"))
        }
        Kind::QueueRetry => {
            let (qid, rest) = qid_and(e, l)?;
            let c = re!(r"^attempt (\d+) for (\d+) recipient\(s\)$").captures(rest)?;
            Some(format!("{qid}: {} 回目の配送の試み（宛先 {} 件）", &c[1], &c[2]))
        }
        Kind::QueueRoute => {
            let (qid, rest) = qid_and(e, l)?;
            let (d, ip) = (e.field_str(Field::Domain)?, e.field_str(Field::Ip)?);
            let en = format!(
                "mail for {d} goes straight to {ip}: an address literal names the host itself, so there is no MX or A look-up"
            );
            (rest == en).then(|| {
                format!(
                    "{qid}: {d} 宛のメールは {ip} へ直接送ります: アドレスリテラルはホストそのものを指すので、MX も A も引きません"
                )
            })
        }
        Kind::QueueDeferred => {
            let (qid, rest) = qid_and(e, l)?;
            let c = re!(r"^<(.*)> deferred: (.*); next try in (\S+)$").captures(rest)?;
            Some(format!("{qid}: <{}> の配送を延期: {}。次の試みは {} 後", &c[1], &c[2], &c[3]))
        }
        Kind::QueueDone => {
            let (qid, rest) = qid_and(e, l)?;
            (rest == "done, removed from the queue")
                .then(|| format!("{qid}: すべての宛先の処理を終え、キューから削除しました"))
        }
        Kind::QueueLeft => {
            let (qid, rest) = qid_and(e, l)?;
            let c = re!(r"^(\d+) recipient\(s\) still queued at the end of the run$").captures(rest)?;
            Some(format!("{qid}: 宛先 {} 件が、実行の終わりにまだキューに残っています", &c[1]))
        }
        Kind::Relay => {
            let (qid, rest) = qid_and(e, l)?;
            let c = re!(r"^<(.*)> handed to (.+)$").captures(rest)?;
            Some(format!("{qid}: <{}> を {} に中継しました", &c[1], &c[2]))
        }
        Kind::Deliver => deliver(e, l),
        Kind::Bounce => {
            let (qid, rest) = qid_and(e, l)?;
            let c = re!(r"^<(.*)> failed: (\S+) (.*)$").captures(rest)?;
            Some(format!("{qid}: <{}> への配送に失敗しました: {} {}", &c[1], &c[2], &c[3]))
        }
        Kind::BounceDiscard => bounce_discard(e, l),
        Kind::AliasExpand => alias_expand(e, l),
        Kind::RcptDuplicate => {
            let (qid, rest) = qid_and(e, l)?;
            let rest = rest.strip_prefix('<')?;
            if let Some((r, n)) = rest.split_once("> reached twice: one copy, which now asks NOTIFY=") {
                return Some(format!(
                    "{qid}: <{r}> には二度届くので、1 通だけ配送します。その 1 通は二つの要求を合わせて NOTIFY={n} になります"
                ));
            }
            let r = rest.strip_suffix("> reached twice: one copy")?;
            Some(format!("{qid}: <{r}> には二度届くので、1 通だけ配送します"))
        }
        Kind::PopauthAdd => {
            let c = re!(r"^(\S+) may relay until (\S+) \((\S+) login by (.+)\)$").captures(l)?;
            Some(format!("{} からの中継を {} まで許可します（{} による {} のログイン）", &c[1], &c[2], &c[4], &c[3]))
        }
        Kind::PopauthExpire => {
            let ip = l.strip_suffix(" may no longer relay: its POP-before-SMTP window has passed")?;
            Some(format!("{ip} からの中継はもう許可しません: POP before SMTP の期間が過ぎました"))
        }
        Kind::AuthDelay => {
            let c = re!(r"^(\d+)(?:st|nd|rd|th) failed login from (\S+) in the last (\S+): reply held back (\S+)$")
                .captures(l)?;
            Some(format!(
                "{} からのログインの失敗、直近 {} で {} 回目: 応答を {} 遅らせます",
                &c[2], &c[3], &c[1], &c[4]
            ))
        }
        Kind::ListReceive => {
            let (qid, rest) = qid_and(e, l)?;
            let c = re!(r"^<(.*)> handed to the list server \((posting|command|administrator) address\)$")
                .captures(rest)?;
            let which = match &c[2] {
                "posting" => "投稿用アドレス",
                "command" => "コマンド受付アドレス",
                _ => "管理者アドレス",
            };
            Some(format!("{qid}: <{}> をリストサーバに渡しました（{which}）", &c[1]))
        }
        Kind::AuthSign => auth::sign(e, l),
        Kind::AuthSpf => auth::spf(l),
        Kind::AuthDkim => auth::dkim(l),
        Kind::AuthDmarc => auth::dmarc(l),
        k if k.category() == super::Category::List => list(e, l),
        _ => None,
    }
}

/// A queue id from the event's `qid` field and what the line says after `QID: `.
fn qid_and<'a>(e: &'a Event, l: &'a str) -> Option<(&'a str, &'a str)> {
    let qid = e.field_str(Field::Qid)?;
    Some((qid, l.strip_prefix(qid)?.strip_prefix(": ")?))
}

fn run_limit(l: &str) -> Option<String> {
    if let Some(c) = re!(r"^run limit of (\S+) reached; stopping with work still pending$").captures(l) {
        return Some(format!("実行の上限 {} に達しました。仕事が残ったまま止めます", &c[1]));
    }
    let c = re!(
        r"^event budget of (\d+) events reached: the run stops here \(does something retry or loop without end\?\)$"
    )
    .captures(l)?;
    Some(format!(
        "イベントの上限 {} 件に達しました。実行はここで止まります（何かが際限なく再送やループをしていませんか）",
        &c[1]
    ))
}

/// The per-MTA accounting, from its fields; the count handed to the list
/// server has no field and is read from the line.
fn summary(e: &Event, l: &str) -> Option<String> {
    let n = |f: Field| e.field_u64(f);
    let (a, d, r, b, q) =
        (n(Field::Accepted)?, n(Field::Delivered)?, n(Field::Relayed)?, n(Field::Bounced)?, n(Field::Queued)?);
    let lists = re!(r" \((\d+) of them to the list server\),").captures(l).map(|c| c[1].to_string());
    let en_lists = lists.as_ref().map(|k| format!(" ({k} of them to the list server)")).unwrap_or_default();
    let en = format!(
        "accepted {a} recipient(s): {d} delivered here{en_lists}, {r} relayed on, {b} bounced, {q} still queued"
    );
    if en != l {
        return None;
    }
    let lists = lists.map(|k| format!("（うちリストサーバへ {k} 件）")).unwrap_or_default();
    Some(format!(
        "受け付けた宛先 {a} 件: ここで配送 {d} 件{lists}、中継 {r} 件、エラーメール {b} 件、キューに残り {q} 件"
    ))
}

/// A step's line: its head (`step N: …`) in Japanese where it is one of the
/// heads the run writes, and its note in Japanese where the scenario gives one.
fn step(e: &Event, l: &str) -> Option<String> {
    let (head, note, note_ja) = match (e.field_str(Field::Note), e.field_str(Field::NoteJa)) {
        (Some(en), Some(ja)) if l.ends_with(en) => {
            let head = l.strip_suffix(en)?;
            (head.strip_suffix(" — ").unwrap_or(head), None, Some(ja))
        }
        _ => match l.split_once(" — ") {
            Some((h, n)) => (h, Some(n), None),
            None => (l, None, None),
        },
    };
    let ja_head = step_head(head);
    if ja_head.is_none() && note_ja.is_none() {
        return None;
    }
    let head = ja_head.unwrap_or_else(|| head.to_string());
    Some(match (note_ja, note) {
        (Some(n), _) | (None, Some(n)) => format!("{head} — {n}"),
        (None, None) => head,
    })
}

fn step_head(h: &str) -> Option<String> {
    let c = re!(r"^step (\d+): (.+)$").captures(h)?;
    let (n, what) = (&c[1], c.get(2)?.as_str());
    let ja = if let Some(c) = re!(r"^(\S+) sends to (.+) via (\S+)$").captures(what) {
        format!("{} が {} 経由で {} に送る", &c[1], &c[3], &c[2])
    } else if let Some(c) = re!(r#"^(\S+) replies to "(.*)" \(to ([^()"]+)\) via (\S+)$"#).captures(what) {
        format!("{} が「{}」に返信する（宛先 {}、{} 経由）", &c[1], &c[2], &c[3], &c[4])
    } else if let Some(c) =
        re!(r#"^(\S+) has fetched no message to reply to(?: with "(.*)" in the subject)?$"#).captures(what)
    {
        let which = c.get(2).map(|s| format!("件名に「{}」を含む", s.as_str())).unwrap_or_default();
        format!("{} は返信する{which}メッセージをまだ読んでいない", &c[1])
    } else if let Some(c) =
        re!(r"^(\S+) reads the mailbox of (\S+) on (\S+) with (POP3 \(APOP\)|POP3|IMAP)$").captures(what)
    {
        format!("{} が {} で {} の {} のメールボックスを読む", &c[1], &c[4], &c[3], &c[2])
    } else if let Some(d) = what.strip_prefix("wait ").filter(|d| !d.contains(' ')) {
        format!("{d} 待つ")
    } else if let Some(c) = re!(r"^the administrator of (\S+) changes its configuration$").captures(what) {
        format!("{} の管理者が設定を変える", &c[1])
    } else if let Some(f) = fault(what) {
        f
    } else {
        let c = re!(r"^(.+) for (\S+)$").captures(what)?;
        format!("{}（{} の間）", fault(&c[1])?, &c[2])
    };
    Some(format!("ステップ {n}: {ja}"))
}

/// A change to the network, as a `fault` event or a step says it.
fn fault(l: &str) -> Option<String> {
    let c = |r: &Regex| r.captures(l);
    Some(if let Some(c) = c(re!(r"^host (\S+) goes down$")) {
        format!("ホスト {} が停止", &c[1])
    } else if let Some(c) = c(re!(r"^host (\S+) comes back up$")) {
        format!("ホスト {} が復帰", &c[1])
    } else if let Some(c) = c(re!(r"^link (\S+) ↔ (\S+) is cut$")) {
        format!("回線 {} ↔ {} が切断", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^link (\S+) ↔ (\S+) is restored$")) {
        format!("回線 {} ↔ {} が復旧", &c[1], &c[2])
    } else if let Some(c) = c(re!(r"^link (\S+) ↔ (\S+) now has latency (\S+)$")) {
        format!("回線 {} ↔ {} の遅延が {} に", &c[1], &c[2], &c[3])
    } else if let Some(c) = c(re!(r"^DNS host (\S+) answers SERVFAIL to everything$")) {
        format!("DNS ホスト {} がどの問い合わせにも SERVFAIL を返す", &c[1])
    } else if let Some(c) = c(re!(r"^DNS host (\S+) answers normally again$")) {
        format!("DNS ホスト {} がまた普通に答える", &c[1])
    } else {
        return None;
    })
}

fn tcp_accept(l: &str) -> Option<String> {
    let c = re!(r"^connection from (\S+) \[([0-9.]+)\]:(\d+)(?: on port (\d+) \(([^()]+)\))?$").captures(l)?;
    let on = match (c.get(4), c.get(5)) {
        (Some(p), Some(s)) => format!("、ポート {} で（{}）", p.as_str(), s.as_str()),
        _ => String::new(),
    };
    Some(format!("{} [{}]:{} からの接続{on}", &c[1], &c[2], &c[3]))
}

fn tcp_refuse(l: &str) -> Option<String> {
    if let Some(c) = re!(r"^too many connections: (\d+) sessions at once, the service's limit; refused$").captures(l) {
        return Some(format!("接続が多すぎます: 同時に {} セッション（このサービスの上限）。断りました", &c[1]));
    }
    let c =
        re!(r"^too many connections from (\S+): (\d+) at once, the limit per client address; refused$").captures(l)?;
    Some(format!("{} からの接続が多すぎます: 同時に {}（クライアントのアドレスごとの上限）。断りました", &c[1], &c[2]))
}

fn tls_handshake(e: &Event, l: &str) -> Option<String> {
    let (v, c, s) = (e.field_str(Field::TlsVersion)?, e.field_str(Field::Cipher)?, e.field_str(Field::Subject)?);
    (l == format!("TLS established: {v} with cipher {c}, certificate CN={s}"))
        .then(|| format!("TLS を確立しました: {v}、暗号スイート {c}、証明書 CN={s}"))
}

/// `step N: ` and the rest of a MUA's line.
fn step_and(l: &str) -> Option<(&str, &str)> {
    let rest = l.strip_prefix("step ")?;
    let (n, rest) = rest.split_once(": ")?;
    n.bytes().all(|b| b.is_ascii_digit()).then_some((n, rest))
}

fn mua_result(l: &str) -> Option<String> {
    if let Some(what) = l.strip_suffix("; nothing sent") {
        return Some(format!("{}。何も送りません", step_head(what)?));
    }
    let (n, rest) = step_and(l)?;
    if let Some(err) = rest.strip_prefix("could not connect: ") {
        return Some(format!("ステップ {n}: 接続できませんでした: {err}"));
    }
    let c = re!(r"^(\d+) of (\d+) recipient\(s\) accepted by (\S+)((?:; <.*> refused: .*)?)$").captures(rest)?;
    let refused = re!(r"; <([^<>]*)> refused: ").replace_all(&c[4], "; <$1> は拒否されました: ");
    Some(format!("ステップ {n}: 宛先 {} 件のうち {} 件を {} が受け付けました{refused}", &c[2], &c[1], &c[3]))
}

fn mua_fetch(l: &str) -> Option<String> {
    let (n, rest) = step_and(l)?;
    let ja = if let Some(err) = rest.strip_prefix("could not connect: ") {
        format!("接続できませんでした: {err}")
    } else if let Some(c) = re!(r"^(POP3|IMAP) failed: (.+)$").captures(rest) {
        format!("{} に失敗しました: {}", &c[1], &c[2])
    } else if let Some(c) = re!(r"^POP3: downloaded (\d+) message\(s\), (deleted|left) on the server$").captures(rest) {
        let kept = if &c[2] == "deleted" { "サーバから削除しました" } else { "サーバに残しました" };
        format!("POP3: {} 通をダウンロードし、{kept}", &c[1])
    } else {
        let c = re!(r"^IMAP: (\d+) message\(s\) on the server, (\d+) of them unread before this session; all stay on the server$")
            .captures(rest)?;
        format!(
            "IMAP: サーバに {} 通、このセッションの前に未読だったのはそのうち {} 通。すべてサーバに残ります",
            &c[1], &c[2]
        )
    };
    Some(format!("ステップ {n}: {ja}"))
}

/// One message a client read: subject, sender and size, read again from the
/// message the event carries (a subject may hold quotes and ` from `).
fn mua_message(e: &Event, l: &str) -> Option<String> {
    let m = e.fields.get(Field::Message)?.as_str()?;
    let (n, _) = step_and(l)?;
    let hs = crate::base::message::headers(m.as_bytes());
    let shown = |v: &str| {
        if crate::base::rfc2047::has_encoded_words(v) { crate::base::rfc2047::decode(v) } else { v.to_string() }
    };
    let subject = crate::base::message::first(&hs, "Subject").map(shown);
    let from = crate::base::message::first(&hs, "From").map(shown).unwrap_or_else(|| "?".into());
    let en_subject = subject.clone().unwrap_or_else(|| "(no subject)".into());
    if l != format!("step {n}: read \"{en_subject}\" from {from} ({} octets)", m.len()) {
        return None;
    }
    let subject = subject.map(|s| format!("「{s}」")).unwrap_or_else(|| "（件名なし）".into());
    Some(format!("ステップ {n}: {subject} を読みました（差出人 {from}、{} オクテット）", m.len()))
}

fn deliver(e: &Event, l: &str) -> Option<String> {
    let (qid, rest) = qid_and(e, l)?;
    let c = re!(
        r"^<(.*)> (\S+) now holds (\d+) message\(s\)( \(quarantined by DMARC\))?; this one is (\d+) octets, UID (\d+)(?:; the mailbox of (.+) \((?:(\[[^\[\]]+\]) is this host's own address(, and a local part matches in any case)?|(a local part matches in any case))\))?$"
    )
    .captures(rest)?;
    let why = if c.get(4).is_some() { "（DMARC による隔離）" } else { "" };
    let folder = &c[2];
    let account = c
        .get(7)
        .map(|a| {
            let mut why = Vec::new();
            if let Some(l) = c.get(8) {
                why.push(format!("{} はこのホスト自身のアドレスです", l.as_str()));
            }
            if c.get(9).or(c.get(10)).is_some() {
                why.push("ローカル部は大文字・小文字を区別せずに照合します".to_string());
            }
            format!("。{} のメールボックスです（{}）", a.as_str(), why.join("。"))
        })
        .unwrap_or_default();
    Some(format!(
        "{qid}: <{}> の {folder} に配送しました{why}。{folder} には {} 通、この 1 通は {} オクテット、UID {}{account}",
        &c[1], &c[3], &c[5], &c[6]
    ))
}

fn bounce_discard(e: &Event, l: &str) -> Option<String> {
    let (qid, rest) = qid_and(e, l)?;
    if let Some(why) = rest.strip_prefix("no bounce: the message came from the null sender <>") {
        let why = match why {
            "" => "",
            "; discarded (Postfix: notify_classes has no 2bounce)" => {
                "。捨てます（Postfix: notify_classes に 2bounce がありません）"
            }
            "; discarded (it was itself a notice to the postmaster)" => {
                "。捨てます（それ自体が postmaster への知らせでした）"
            }
            _ => return None,
        };
        return Some(format!("{qid}: エラーメールは送りません: 空の差出人 <> からのメッセージです{why}"));
    }
    let c = re!(r"^no bounce for <(.*)>: the sender asked NOTIFY=(\S+)$").captures(rest)?;
    Some(format!("{qid}: <{}> についてのエラーメールは送りません: 差出人が NOTIFY={} を求めました", &c[1], &c[2]))
}

fn alias_expand(e: &Event, l: &str) -> Option<String> {
    let (qid, rest) = qid_and(e, l)?;
    let rcpt = e.field_str(Field::Rcpt)?;
    let rest = rest.strip_prefix('<')?.strip_prefix(rcpt)?.strip_prefix("> expands to ")?;
    // The addresses (`<a>, <b>`), then what DSN parameters they carry, if anything.
    let list_end = rest.rfind('>')? + 1;
    let (list, dsn) = rest.split_at(list_end);
    if !re!(r"^<[^<>]*>(?:, <[^<>]*>)*$").is_match(list) {
        return None;
    }
    let dsn = if dsn.is_empty() {
        String::new()
    } else if let Some(c) = re!(r"^ with (.*) \(RFC 3461 §5\.2\.7\.2\)$").captures(dsn) {
        format!("（{} を引き継ぎます。RFC 3461 §5.2.7.2）", c[1].trim_end())
    } else {
        let c = re!(
            r#"^; (it|each) gets (.*?)(; the sender asked SUCCESS: an "expanded" report)? \(RFC 3461 §5\.2\.7\.3\)$"#
        )
        .captures(dsn)?;
        let who = if &c[1] == "it" { "そのアドレス" } else { "どのアドレス" };
        let asked = if c.get(3).is_some() {
            "。差出人が SUCCESS を求めたので \"expanded\" の報告を返します"
        } else {
            ""
        };
        format!("。{who}にも {} を付けます{asked}（RFC 3461 §5.2.7.3）", c[2].trim_end())
    };
    Some(format!("{qid}: <{rcpt}> を {list} に展開しました{dsn}"))
}

/// What the list server decided, `LIST: …`.
fn list(e: &Event, l: &str) -> Option<String> {
    let name = e.field_str(Field::List)?;
    let rest = l.strip_prefix(name)?.strip_prefix(": ")?;
    let cap = |r: &Regex| r.captures(rest);
    let ja = match e.kind {
        Kind::ListSend => {
            let c = cap(re!(r"^(\S+) submitted as (\S+) to (\d+) recipient\(s\)$"))?;
            let what = match &c[1] {
                "distribute" => "配信する投稿",
                "reply" => "返事",
                "notice" => "通知",
                "forward" => "転送するメール",
                "article" => "過去の記事",
                "digest" => "ダイジェスト",
                _ => return None,
            };
            format!("{what}を {} としてキューに入れました（宛先 {} 件）", &c[2], &c[3])
        }
        Kind::ListDistribute => {
            let c = cap(re!(
                r#"^ARTICLE (\d+): "(.*)" archived; sent to (\d+) member\(s\), (\d+) get it in the next digest, (\d+) receive no mail$"#
            ))?;
            format!(
                "記事 {}「{}」を保存し、参加者 {} 人に配信しました（次のダイジェストで受け取る人 {} 人、メールを受け取らない人 {} 人）",
                &c[1], &c[2], &c[3], &c[4], &c[5]
            )
        }
        Kind::ListCommand => format!("コマンドを {} 行読みました", &cap(re!(r"^(\d+) command line\(s\) read$"))?[1]),
        Kind::ListBounce => {
            if rest == "a message from <> that names no failed recipient" {
                "<> からのメッセージですが、失敗した宛先が書かれていません".to_string()
            } else if let Some(c) = cap(re!(r"^delivery to (member|address) (\S+) failed \(([^()]*)\)$")) {
                let who = if &c[1] == "member" { "参加者" } else { "アドレス" };
                format!("{who} {} への配送が失敗しました（{}）", &c[2], &c[3])
            } else {
                let c = cap(re!(r"^(\S+) has bounced (\d+) time\(s\); delivery stops at (\d+)$"))?;
                format!("{} へのエラーは {} 回目です。{} 回で配信を止めます", &c[1], &c[2], &c[3])
            }
        }
        Kind::ListDisable => {
            let c = cap(re!(
                r"^(\S+) bounced (\d+) time\(s\): no more mail is sent there \(still a member; the administrator may remove it\)$"
            ))?;
            format!(
                "{} へのエラーが {} 回になりました。もうメールを送りません（参加者のままです。管理者が削除できます）",
                &c[1], &c[2]
            )
        }
        Kind::ListDigest => {
            let c = cap(re!(r"^digest issue (\d+) \(articles? ([0-9-]+)\) sent to (\d+) member\(s\)$"))?;
            format!("ダイジェスト第 {} 号（記事 {}）を参加者 {} 人に送りました", &c[1], &c[2], &c[3])
        }
        Kind::ListSubscribe => {
            let c =
                cap(re!(r"^join request from (\S+): (?:confirmation key (\S+) sent|(passed to the administrator))$"))?;
            match (c.get(2), c.get(3)) {
                (Some(k), _) => format!("{} から参加の申し込み: 確認キー {} を送りました", &c[1], k.as_str()),
                _ => format!("{} から参加の申し込み: 管理者に回しました", &c[1]),
            }
        }
        Kind::ListJoin => format!("{} が確認を済ませ、参加しました", &cap(re!(r"^(\S+) confirmed and joined$"))?[1]),
        Kind::ListUnsubscribe => format!("{} がリストを抜けました", &cap(re!(r"^(\S+) left the list$"))?[1]),
        Kind::ListChaddr => {
            let c = cap(re!(r"^(\S+) is now (\S+)$"))?;
            format!("{} のアドレスが {} になりました", &c[1], &c[2])
        }
        Kind::ListDelivery => {
            let c = cap(re!(r"^(\S+) now receives: (\S+)$"))?;
            format!("{} の受け取り方を {} に変えました", &c[1], &c[2])
        }
        Kind::ListHold => {
            let c = cap(re!(r"^held for a moderator as (\S+): (.+)$"))?;
            format!("モデレータのためにキー {} で保留しました: {}", &c[1], why(&c[2])?)
        }
        Kind::ListApprove | Kind::ListDecline => {
            let c = cap(re!(r"^held post (\S+) from (\S+) (approved|declined) by (\S+)$"))?;
            let did = if &c[3] == "approved" { "承認" } else { "却下" };
            format!("{} が、保留されていた {} からの投稿 {} を{did}しました", &c[4], &c[2], &c[1])
        }
        Kind::ListIgnore => {
            if rest == "command mail from <> or an automatic sender: not answered" {
                "<> または自動送信者からのコマンドメールです: 返事をしません".to_string()
            } else {
                format!("返事をせずに捨てました: {}", why(rest.strip_prefix("ignored without reply: ")?)?)
            }
        }
        Kind::ListSize | Kind::ListReject | Kind::ListContent => {
            format!("断りました: {}", why(rest.strip_prefix("rejected: ")?)?)
        }
        Kind::ListStrip => {
            let c = cap(re!(r"^removed (\d+) part\(s\): (.+)$"))?;
            format!("投稿から {} 個のパートを削除しました: {}", &c[1], &c[2])
        }
        Kind::ListLoop => (rest == "dropped: the message already carries this list's X-ML-Name (a mail loop)")
            .then(|| "捨てました: このリストの X-ML-Name: がすでに付いています（メールのループ）".to_string())?,
        Kind::ListForward => match rest {
            "mail for the administrator" => "管理者あてのメールを管理者に回しました".to_string(),
            "a message from the null sender <> (a bounce?) reached the posting address; passed to the administrator" => {
                "空の差出人 <> からのメッセージ（エラーメール？）が投稿用アドレスに来ました。管理者に回しました"
                    .to_string()
            }
            _ => return None,
        },
        _ => return None,
    };
    Some(format!("{name}: {ja}"))
}

/// Why the list server turned a post down (its English reason), as the
/// Japanese list texts word it.
fn why(en: &str) -> Option<String> {
    if let Some(c) =
        re!(r"^(\S+) may not post: (only members may post|only the moderators may post to this announcement list)$")
            .captures(en)
    {
        let who = if c[2].starts_with("only members") {
            "投稿できるのはメンバーだけです"
        } else {
            "このお知らせ用のリストに投稿できるのはモデレータだけです"
        };
        return Some(format!("{} からは投稿できません（{who}）", &c[1]));
    }
    let c: Captures =
        re!(r"^(\d+) octets is over the limit of (\d+)(; commands in it were not read)?$").captures(en)?;
    let not_read = if c.get(3).is_some() { "ため、コマンドは読んでいません" } else { "" };
    Some(format!("{} オクテットで、上限の {} オクテットを超えています{not_read}", &c[1], &c[2]))
}

#[cfg(test)]
mod tests {
    use super::super::{Event, Field, Kind, ev};

    fn at(kind: Kind, line: &str) -> Event {
        let t = chrono::DateTime::parse_from_rfc3339("2026-04-01T10:00:00+09:00").expect("a time");
        ev(t, "dept", kind).line(line)
    }
    fn ja(e: &Event) -> String {
        e.line_in(true).into_owned()
    }

    #[test]
    fn narration_is_japanese() {
        let cases = [
            (
                at(Kind::RunStart, "scenario relay-chain (5 hosts), virtual time starts 2026-04-01T10:00:00+09:00"),
                "シナリオ relay-chain を開始（ホスト 5 台）、仮想時間は 2026-04-01T10:00:00+09:00 から",
            ),
            (
                at(Kind::TcpConnect, "connect to dept [192.0.2.10]:25 from port 49152"),
                "dept [192.0.2.10]:25 に接続（送信元ポート 49152）",
            ),
            (at(Kind::TcpAccept, "connection from pc1 [192.0.2.23]:49152"), "pc1 [192.0.2.23]:49152 からの接続"),
            (at(Kind::TcpClose, "connection closed"), "接続を閉じました"),
            (
                at(Kind::TcpError, "connect to hub [192.0.2.20]:25: Connection timed out"),
                "hub [192.0.2.20]:25 に接続できません: Connection timed out",
            ),
            (
                at(Kind::MuaResult, "step 1: 1 of 1 recipient(s) accepted by dept"),
                "ステップ 1: 宛先 1 件のうち 1 件を dept が受け付けました",
            ),
            (
                at(Kind::MuaResult, "step 2: 0 of 1 recipient(s) accepted by mx; <a@b.example> refused: 550 5.7.1 Relaying denied"),
                "ステップ 2: 宛先 1 件のうち 0 件を mx が受け付けました; <a@b.example> は拒否されました: 550 5.7.1 Relaying denied",
            ),
            (at(Kind::SmtpData, "(message content: 12 lines, 320 octets)"), "（メッセージ本体: 12 行、320 オクテット）"),
            (
                at(Kind::Deliver, "63110001018500: <alice@example.com> INBOX now holds 1 message(s); this one is 952 octets, UID 1")
                    .field(Field::Qid, "63110001018500"),
                "63110001018500: <alice@example.com> の INBOX に配送しました。INBOX には 1 通、この 1 通は 952 オクテット、UID 1",
            ),
            (
                at(
                    Kind::Deliver,
                    "63110001018500: <Alice@example.com> INBOX now holds 1 message(s); this one is 952 octets, UID 1; the mailbox of alice@example.com (a local part matches in any case)",
                )
                .field(Field::Qid, "63110001018500"),
                "63110001018500: <Alice@example.com> の INBOX に配送しました。INBOX には 1 通、この 1 通は 952 オクテット、UID 1。alice@example.com のメールボックスです（ローカル部は大文字・小文字を区別せずに照合します）",
            ),
            (
                at(
                    Kind::Deliver,
                    "63110001018500: <\"X Y\"@example.com> INBOX now holds 1 message(s); this one is 952 octets, UID 1; the mailbox of \"x y\"@example.com (a local part matches in any case)",
                )
                .field(Field::Qid, "63110001018500"),
                "63110001018500: <\"X Y\"@example.com> の INBOX に配送しました。INBOX には 1 通、この 1 通は 952 オクテット、UID 1。\"x y\"@example.com のメールボックスです（ローカル部は大文字・小文字を区別せずに照合します）",
            ),
            (
                at(
                    Kind::Deliver,
                    "63110001018500: <taro@[192.0.2.25]> INBOX now holds 1 message(s); this one is 952 octets, UID 1; the mailbox of taro@example.ac.jp ([192.0.2.25] is this host's own address)",
                )
                .field(Field::Qid, "63110001018500"),
                "63110001018500: <taro@[192.0.2.25]> の INBOX に配送しました。INBOX には 1 通、この 1 通は 952 オクテット、UID 1。taro@example.ac.jp のメールボックスです（[192.0.2.25] はこのホスト自身のアドレスです）",
            ),
            (
                at(
                    Kind::Deliver,
                    "63110001018500: <Taro@[127.0.0.1]> INBOX now holds 1 message(s); this one is 952 octets, UID 1; the mailbox of taro@example.ac.jp ([127.0.0.1] is this host's own address, and a local part matches in any case)",
                )
                .field(Field::Qid, "63110001018500"),
                "63110001018500: <Taro@[127.0.0.1]> の INBOX に配送しました。INBOX には 1 通、この 1 通は 952 オクテット、UID 1。taro@example.ac.jp のメールボックスです（[127.0.0.1] はこのホスト自身のアドレスです。ローカル部は大文字・小文字を区別せずに照合します）",
            ),
            (
                at(
                    Kind::QueueRoute,
                    "E2F0DD828C: mail for [198.51.100.25] goes straight to 198.51.100.25: an address literal names the host itself, so there is no MX or A look-up",
                )
                .field(Field::Qid, "E2F0DD828C")
                .field(Field::Domain, "[198.51.100.25]")
                .field(Field::Ip, "198.51.100.25"),
                "E2F0DD828C: [198.51.100.25] 宛のメールは 198.51.100.25 へ直接送ります: アドレスリテラルはホストそのものを指すので、MX も A も引きません",
            ),
            (
                at(Kind::Relay, "63110001018500: <alice@example.com> handed to hub.example.ac.jp [192.0.2.20]")
                    .field(Field::Qid, "63110001018500"),
                "63110001018500: <alice@example.com> を hub.example.ac.jp [192.0.2.20] に中継しました",
            ),
            (
                at(Kind::QueueDone, "63110001018500: done, removed from the queue").field(Field::Qid, "63110001018500"),
                "63110001018500: すべての宛先の処理を終え、キューから削除しました",
            ),
            (
                at(
                    Kind::QueueDeferred,
                    "E2F0DD828C: <alice@example.com> deferred: connect to hub.example.ac.jp[192.0.2.20]:25: Connection timed out; next try in 5m",
                )
                .field(Field::Qid, "E2F0DD828C"),
                "E2F0DD828C: <alice@example.com> の配送を延期: connect to hub.example.ac.jp[192.0.2.20]:25: Connection timed out。次の試みは 5m 後",
            ),
            (
                at(Kind::Bounce, "63110001005904: <zoe@example.com> failed: 5.1.1 smtp; 550 5.1.1 <zoe@example.com>... User unknown")
                    .field(Field::Qid, "63110001005904"),
                "63110001005904: <zoe@example.com> への配送に失敗しました: 5.1.1 smtp; 550 5.1.1 <zoe@example.com>... User unknown",
            ),
            (
                at(Kind::TlsHandshake, "TLS established: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384, certificate CN=mx.example.net")
                    .field(Field::TlsVersion, "TLSv1.3")
                    .field(Field::Cipher, "TLS_AES_256_GCM_SHA384")
                    .field(Field::Subject, "mx.example.net"),
                "TLS を確立しました: TLSv1.3、暗号スイート TLS_AES_256_GCM_SHA384、証明書 CN=mx.example.net",
            ),
            (
                at(Kind::Summary, "accepted 3 recipient(s): 2 delivered here (2 of them to the list server), 1 relayed on, 0 bounced, 0 still queued")
                    .field(Field::Accepted, 3)
                    .field(Field::Delivered, 2)
                    .field(Field::Relayed, 1)
                    .field(Field::Bounced, 0)
                    .field(Field::Queued, 0),
                "受け付けた宛先 3 件: ここで配送 2 件（うちリストサーバへ 2 件）、中継 1 件、エラーメール 0 件、キューに残り 0 件",
            ),
            (
                at(Kind::ListSend, "ohanashi: distribute submitted as 63115004001435 to 2 recipient(s)").field(Field::List, "ohanashi"),
                "ohanashi: 配信する投稿を 63115004001435 としてキューに入れました（宛先 2 件）",
            ),
            (
                at(Kind::Step, "step 1: pc1 sends to alice@example.com via dept — the MUA submits")
                    .field(Field::Note, "the MUA submits")
                    .field(Field::NoteJa, "MUA が送信する"),
                "ステップ 1: pc1 が dept 経由で alice@example.com に送る — MUA が送信する",
            ),
            (at(Kind::Fault, "host mx1 goes down"), "ホスト mx1 が停止"),
            (at(Kind::RunEnd, "virtual time elapsed: 820ms"), "経過した仮想時間: 820ms"),
        ];
        for (e, want) in cases {
            assert_eq!(ja(&e), want, "{:?}", e.line);
        }
    }

    #[test]
    fn a_discarded_double_bounce_is_japanese() {
        for (why, want) in [
            ("", ""),
            (
                "; discarded (Postfix: notify_classes has no 2bounce)",
                "。捨てます（Postfix: notify_classes に 2bounce がありません）",
            ),
            (
                "; discarded (it was itself a notice to the postmaster)",
                "。捨てます（それ自体が postmaster への知らせでした）",
            ),
        ] {
            let e = at(
                Kind::BounceDiscard,
                &format!("593FE9B866: no bounce: the message came from the null sender <>{why}"),
            )
            .field(Field::Qid, "593FE9B866");
            assert_eq!(
                ja(&e),
                format!("593FE9B866: エラーメールは送りません: 空の差出人 <> からのメッセージです{want}")
            );
        }
        let e = at(Kind::BounceDiscard, "593FE9B866: no bounce: the message came from the null sender <>; who knows")
            .field(Field::Qid, "593FE9B866");
        assert!(matches!(e.line_in(true), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn what_the_hosts_wrote_stays() {
        for (k, l) in [
            (Kind::SmtpReply, "250 2.0.0 63110001018500 Message accepted for delivery"),
            (Kind::SmtpCmd, "MAIL FROM:<taro@cs.example.ac.jp> SIZE=320"),
            (Kind::DnsAnswer, "NOERROR example.com. IN MX: example.com. 3600 IN MX 10 mx.example.com."),
            (Kind::Log, "Apr  1 10:00:00 dept sendmail[18500]: 63110001018500: to=<alice@example.com>, stat=Sent"),
            (Kind::Pop3Reply, "+OK 2 messages"),
        ] {
            assert!(matches!(at(k, l).line_in(true), std::borrow::Cow::Borrowed(_)), "{k} translated");
        }
    }

    #[test]
    fn a_line_that_does_not_match_stays_english() {
        // A queue id that is not the event's, an unknown shape: left as written.
        let e = at(Kind::QueueDone, "AAAA: done, removed from the queue").field(Field::Qid, "BBBB");
        assert!(matches!(e.line_in(true), std::borrow::Cow::Borrowed(_)));
        let e = at(Kind::TcpConnect, "connect to dept somehow");
        assert!(matches!(e.line_in(true), std::borrow::Cow::Borrowed(_)));
        // A summary whose line does not agree with its fields.
        let e = at(Kind::Summary, "accepted 1 recipient(s): 1 delivered here, 0 relayed on, 0 bounced, 0 still queued")
            .field(Field::Accepted, 2)
            .field(Field::Delivered, 1)
            .field(Field::Relayed, 0)
            .field(Field::Bounced, 0)
            .field(Field::Queued, 0);
        assert!(matches!(e.line_in(true), std::borrow::Cow::Borrowed(_)));
        // A step's note alone in Japanese where its head is not one maillab writes.
        let e = at(Kind::Step, "step 9: something new — en").field(Field::Note, "en").field(Field::NoteJa, "日本語");
        assert_eq!(e.line_in(true), "step 9: something new — 日本語");
    }
}
