//! An MTA's settings: flavour, local domains, relay rules, routes (smarthost,
//! resolver), size limit, queue, AUTH, POP-before-SMTP and aliases.

use super::super::raw::{RawHost, RawQueue, RawRelay, S};
use super::{Checker, DEFAULT_DISK_SPACE, DEFAULT_MAX_MESSAGE_SIZE, MTA_ROLES, parse_cidr};
use crate::base::diag::tr;
use crate::proto::smtp::Flavour;
use crate::proto::smtp::address::parse_mailbox;
use crate::scenario::{AuthMode, Cidr, MtaConfig, QueueConfig, Role};
use std::collections::BTreeMap;
use std::time::Duration;

/// Who may relay: client networks, client domains (by reverse DNS), destination domains.
type RelayRules = (Vec<Cidr>, Vec<String>, Vec<String>);

impl Checker {
    /// The MTA of a relay, hub, mx, mailstore or list host. `None` when a
    /// route names a host that cannot be used (the rest is not checked then).
    pub(super) fn mta_config(
        &mut self,
        h: &RawHost,
        role: Role,
        all: &[RawHost],
        names: &BTreeMap<String, usize>,
        dns_hosts: &[usize],
    ) -> Option<MtaConfig> {
        let flavour = self.flavour(&h.flavour);
        let domains: Vec<String> = h.domains.iter().filter_map(|d| self.domain(d)).collect();
        if role.is_final() && h.domains.is_empty() {
            self.err(
                &h.role,
                tr(
                    "an mx host needs the domains it receives mail for",
                    "mx ホストには、メールを受け取るドメインが必要です",
                ),
                tr("add e.g. `domains: [example.com]`", "例えば `domains: [example.com]` を加えてください"),
            );
        }
        let (relay_networks, relay_client_domains, relay_to_domains) = self.relay_rules(&h.allow_relay);
        let smarthost = self.smarthost(h, all, names)?;
        let resolver = match &h.resolver {
            Some(s) => Some(self.host_ref(names, all, s, &[Role::Dns], "the resolver")?),
            None => match dns_hosts {
                [one] => Some(*one),
                _ => None,
            },
        };
        self.route(h, role, smarthost.is_some() || resolver.is_some(), dns_hosts);
        let dnsbl: Vec<String> = h.dnsbl.iter().filter_map(|d| self.domain(d)).collect();
        let access = h
            .access
            .iter()
            .filter_map(|l| match crate::scenario::access::parse_line(&l.value) {
                Ok(e) => Some(e),
                Err((message, hint)) => {
                    self.err(l, message, hint);
                    None
                }
            })
            .collect();
        if let (Some(first), None) = (h.dnsbl.first(), resolver) {
            self.err(
                first,
                tr(
                    "a DNSBL is asked through DNS, but this host has no DNS server to ask",
                    "DNSBL は DNS で問い合わせますが、このホストには問い合わせる DNS サーバーがありません",
                ),
                tr(
                    "add a host with role dns that serves the list's zone, or say which with `resolver: NAME`",
                    "そのリストのゾーンを持つ役割 dns のホストを加えるか、`resolver: NAME` でどれかを指定してください",
                ),
            );
        }
        let max_message_size = h.max_message_size.as_ref().map(|s| s.value).unwrap_or(DEFAULT_MAX_MESSAGE_SIZE);
        let disk_space = h.disk_space.as_ref().map(|s| s.value).unwrap_or(DEFAULT_DISK_SPACE);
        // Where a warning points: at `disk_space`, or at `max_message_size`
        // when the disk is the default one (1 GiB is too small for Postfix
        // with a size limit above about 715 MB).
        let at = match (&h.disk_space, &h.max_message_size) {
            (Some(d), _) => Some((d, true)),
            (None, Some(m)) => Some((m, false)),
            (None, None) => None,
        };
        if let Some((at, written)) = at
            && disk_space > 0
            && flavour.persona().storage_short(disk_space, max_message_size, 0)
        {
            let (en, ja) =
                if written { ("", "") } else { (" (the default disk_space)", "（disk_space の既定値）") };
            self.warn(
                at,
                tr(
                    format!(
                        "with {disk_space} octets of disk_space{en} this {} host refuses every MAIL (452: insufficient storage)",
                        flavour.name()
                    ),
                    format!(
                        "disk_space が {disk_space} オクテット{ja}では、この {} ホストはすべての MAIL を拒否します (452: 空き容量不足)",
                        flavour.name()
                    ),
                ),
                tr(
                    "give it more disk_space: Postfix wants more than 1.5 times max_message_size free, sendmail 100 blocks of 4,096 octets (leave it if the lesson is about a full disk)",
                    "disk_space を増やしてください: Postfix は max_message_size の 1.5 倍を超える空き、sendmail は 4,096 オクテットのブロック 100 個の空きを求めます (ディスクが一杯の状況を教えるのなら、このままで構いません)",
                ),
            );
        }
        let queue = h.queue.as_ref().map(|q| self.queue(q)).unwrap_or_default();
        let auth = self.auth_mode(&h.auth);
        let pop_before_smtp = self.pop_before_smtp(h, role);
        let aliases = self.aliases(h);
        let lists = self.lists(h, role, &domains, &aliases);
        let dkim = h.dkim.as_ref().and_then(|d| {
            let domain = self.domain(&d.domain)?;
            let s = &d.selector.value;
            let label = |l: &str| {
                !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            };
            if !s.split('.').all(label) {
                self.err(
                    &d.selector,
                    tr(format!("`{s}` is not a DKIM selector"), format!("`{s}` は DKIM のセレクタではありません")),
                    tr(
                        "use letters, digits and `-`, like `mail` or `2026a`",
                        "`mail` や `2026a` のように英字・数字・`-` を使ってください",
                    ),
                );
                return None;
            }
            Some(crate::scenario::DkimSign { domain, selector: s.to_ascii_lowercase() })
        });
        let check_auth = h.check_auth.as_ref().is_some_and(|s| s.value);
        if let (Some(c), None) = (h.check_auth.as_ref().filter(|c| c.value), resolver) {
            self.err(
                c,
                tr(
                    "SPF, DKIM and DMARC are checked through DNS, but this host has no DNS server to ask",
                    "SPF・DKIM・DMARC は DNS で確かめますが、このホストには問い合わせる DNS サーバーがありません",
                ),
                tr(
                    "add a host with role dns, or say which with `resolver: NAME`",
                    "役割 dns のホストを加えるか、`resolver: NAME` でどれかを指定してください",
                ),
            );
        }
        Some(MtaConfig {
            flavour,
            domains,
            relay_networks,
            relay_client_domains,
            relay_to_domains,
            dnsbl,
            access,
            smarthost,
            resolver,
            max_message_size,
            disk_space,
            queue,
            auth,
            show_secrets: h.show_secrets.unwrap_or(false),
            submission: h.submission.as_ref().is_some_and(|s| s.value),
            tls: self.tls_mode(&h.tls),
            chunking: h.chunking.as_ref().is_some_and(|s| s.value),
            offer_dsn: h.offer_dsn.as_ref().is_none_or(|s| s.value),
            helo_required: h.helo_required.as_ref().is_some_and(|s| s.value),
            pop_before_smtp,
            aliases,
            lists,
            dkim,
            check_auth,
        })
    }

    fn flavour(&mut self, flavour: &Option<S<String>>) -> Flavour {
        match flavour.as_ref().map(|f| f.value.as_str()) {
            None | Some("sendmail") => Flavour::Sendmail,
            Some("postfix") => Flavour::Postfix,
            Some(other) => {
                if let Some(f) = flavour {
                    self.err(
                        f,
                        tr(
                            format!("unknown MTA flavour `{other}`"),
                            format!("`{other}` という MTA の種類 (flavour) はありません"),
                        ),
                        tr("use sendmail or postfix", "sendmail か postfix を使ってください"),
                    );
                }
                Flavour::Sendmail
            }
        }
    }

    fn relay_rules(&mut self, relay: &Option<RawRelay>) -> RelayRules {
        let (mut nets, mut cds, mut tds) = (Vec::new(), Vec::new(), Vec::new());
        if let Some(r) = relay {
            for n in &r.networks {
                match parse_cidr(&n.value) {
                    Ok(c) => nets.push(c),
                    Err(e) => self.err(
                        n,
                        e,
                        tr("write a network as 192.0.2.0/24", "ネットワークは 192.0.2.0/24 のように書いてください"),
                    ),
                }
            }
            cds = r.client_domains.iter().filter_map(|d| self.domain(d)).collect();
            tds = r.to_domains.iter().filter_map(|d| self.domain(d)).collect();
        }
        (nets, cds, tds)
    }

    /// `Some(None)`: no smarthost; `None`: a smarthost that cannot be used.
    fn smarthost(&mut self, h: &RawHost, all: &[RawHost], names: &BTreeMap<String, usize>) -> Option<Option<usize>> {
        let Some(s) = &h.smarthost else {
            return Some(None);
        };
        let i = self.host_ref(names, all, s, MTA_ROLES, "a smarthost")?;
        if all[i].name.value == h.name.value {
            self.err(
                s,
                tr("a host cannot be its own smarthost", "ホストは自分自身を smarthost にできません"),
                tr("name the hub it forwards to", "転送先の hub を書いてください"),
            );
            return None;
        }
        Some(Some(i))
    }

    /// An MX that only receives may do without DNS; a relay or hub forwards, so it needs a route.
    /// A list host sends too: its distributions and answers.
    fn route(&mut self, h: &RawHost, role: Role, has_route: bool, dns_hosts: &[usize]) {
        if !has_route && (!role.is_final() || role == Role::List) {
            let hint = if dns_hosts.is_empty() {
                tr(
                    "add a host with role dns (and its zones), or give this host a `smarthost:`",
                    "役割 dns のホスト (とそのゾーン) を加えるか、このホストに `smarthost:` を付けてください",
                )
            } else {
                tr(
                    "there are several dns hosts: say which with `resolver: NAME`",
                    "dns ホストが複数あります: `resolver: NAME` でどれかを指定してください",
                )
            };
            self.err(
                &h.role,
                tr(
                    format!("host `{}` sends mail by DNS MX look-up but has no DNS server to ask", h.name.value),
                    format!(
                        "ホスト `{}` は DNS の MX 検索でメールを送りますが、問い合わせる DNS サーバーがありません",
                        h.name.value
                    ),
                ),
                hint,
            );
        }
    }

    fn queue(&mut self, q: &RawQueue) -> QueueConfig {
        let mut d = |x: &Option<S<String>>| x.as_ref().and_then(|v| self.duration(v));
        let queue = QueueConfig {
            retry: d(&q.retry),
            max_backoff: d(&q.max_backoff),
            lifetime: d(&q.lifetime),
            warn_after: d(&q.warn_after),
        };
        if let (Some(r), Some(m)) = (queue.retry, queue.max_backoff)
            && m < r
            && let Some(at) = &q.max_backoff
        {
            self.err(
                at,
                tr("max_backoff is shorter than retry", "max_backoff が retry より短くなっています"),
                tr(
                    "the first wait is `retry`; later waits double up to `max_backoff`",
                    "最初の待ち時間は `retry` で、その後は `max_backoff` まで倍になっていきます",
                ),
            );
        }
        if queue.retry.is_some_and(|r| r.is_zero())
            && let Some(at) = &q.retry
        {
            self.err(
                at,
                tr("a retry interval of zero would retry without pause", "再送間隔が 0 だと休みなく再送します"),
                tr("use at least a few seconds, e.g. 5m", "少なくとも数秒にしてください (例: 5m)"),
            );
        }
        queue
    }

    fn auth_mode(&mut self, auth: &Option<S<String>>) -> AuthMode {
        match auth.as_ref().map(|a| a.value.as_str()) {
            None | Some("off") => AuthMode::Off,
            Some("offered") => AuthMode::Offered,
            Some("required") => AuthMode::Required,
            Some(other) => {
                if let Some(a) = auth {
                    self.err(
                        a,
                        tr(format!("unknown auth mode `{other}`"), format!("`{other}` という auth の設定はありません")),
                        tr("use off, offered or required", "off・offered・required のどれかを使ってください"),
                    );
                }
                AuthMode::Off
            }
        }
    }

    fn tls_mode(&mut self, tls: &Option<S<String>>) -> crate::proto::tls::TlsMode {
        use crate::proto::tls::TlsMode;
        match tls.as_ref().map(|a| a.value.as_str()) {
            None | Some("off") => TlsMode::Off,
            Some("offered") => TlsMode::Offered,
            Some("required") => TlsMode::Required,
            Some(other) => {
                if let Some(a) = tls {
                    self.err(
                        a,
                        tr(format!("unknown tls mode `{other}`"), format!("`{other}` という tls の設定はありません")),
                        tr("use off, offered or required", "off・offered・required のどれかを使ってください"),
                    );
                }
                TlsMode::Off
            }
        }
    }

    fn pop_before_smtp(&mut self, h: &RawHost, role: Role) -> Option<Duration> {
        let p = h.allow_relay.as_ref().and_then(|r| r.pop_before_smtp.as_ref())?;
        if role != Role::Mailstore {
            self.err(
                p,
                tr(
                    "POP-before-SMTP needs the POP3/IMAP server on the same host",
                    "POP-before-SMTP には同じホストに POP3/IMAP サーバーが必要です",
                ),
                tr(
                    "give this host the role mailstore, so that its own logins open the relay",
                    "このホストの役割を mailstore にして、自分へのログインで中継が開くようにしてください",
                ),
            );
        }
        self.duration(p)
    }

    /// `aliases:`: local name -> full addresses or other aliases of the host.
    fn aliases(&mut self, h: &RawHost) -> BTreeMap<String, Vec<String>> {
        let mut aliases = BTreeMap::new();
        for (name, targets) in &h.aliases {
            if name.is_empty()
                || name.contains('@')
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c))
            {
                self.err(
                    targets,
                    tr(
                        format!("alias name `{name}` must be a local part (no @)"),
                        format!("別名 `{name}` はローカルパートでなければなりません (@ は書けません)"),
                    ),
                    tr(
                        "write e.g. `ohanashi: [yamada@example.com]`",
                        "例えば `ohanashi: [yamada@example.com]` と書いてください",
                    ),
                );
                continue;
            }
            let list = self.alias_targets(h, targets);
            if list.is_empty() {
                self.err(
                    targets,
                    tr(format!("alias `{name}` has no targets"), format!("別名 `{name}` に転送先がありません")),
                    tr("list at least one address", "アドレスを 1 つ以上書いてください"),
                );
            }
            aliases.insert(name.to_ascii_lowercase(), list);
        }
        if !h.aliases.is_empty() && h.domains.is_empty() {
            self.err(
                &h.role,
                tr(
                    "aliases need the local domains they apply to",
                    "別名 (aliases) には、それが適用されるローカルドメインが必要です",
                ),
                tr("add `domains:` to this host", "このホストに `domains:` を加えてください"),
            );
        }
        aliases
    }

    fn alias_targets(&mut self, h: &RawHost, targets: &S<Vec<S<String>>>) -> Vec<String> {
        let mut list = Vec::new();
        for t in &targets.value {
            if t.value.contains('@') {
                if self.mailbox(t) {
                    list.push(parse_mailbox(&t.value).map(|m| m.key()).unwrap_or_default());
                }
            } else if h.aliases.contains_key(&t.value) {
                list.push(t.value.clone());
            } else {
                self.err(
                    t,
                    tr(
                        format!("`{}` is neither a mail address nor another alias of this host", t.value),
                        format!("`{}` はメールアドレスでも、このホストの別名でもありません", t.value),
                    ),
                    tr(
                        "write a full address (user@domain) or the name of an alias defined here",
                        "完全なアドレス (user@domain) か、ここで定義した別名を書いてください",
                    ),
                );
            }
        }
        list
    }
}
