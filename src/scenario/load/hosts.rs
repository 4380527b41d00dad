//! Hosts: names and addresses, which settings fit which role, and the
//! settings every host has (hostname, external server).

use super::super::raw::{RawHost, S};
use super::{Checker, role_of};
use crate::base::diag::{nearest, tr};
use crate::scenario::{Host, Role};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddrV4};

impl Checker {
    /// Every host's name, address and role, before any reference is followed.
    pub(super) fn host_names(&mut self, hosts: &[RawHost]) -> BTreeMap<String, usize> {
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut addrs: BTreeMap<Ipv4Addr, String> = BTreeMap::new();
        for (i, h) in hosts.iter().enumerate() {
            let n = &h.name.value;
            if n.is_empty() || !n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                self.err(
                    &h.name,
                    tr(format!("`{n}` is not a usable host name"), format!("`{n}` はホスト名に使えません")),
                    tr(
                        "use letters, digits, `-` and `_` only, e.g. dept-relay",
                        "英字・数字・`-`・`_` だけを使ってください (例: dept-relay)",
                    ),
                );
            }
            if names.insert(n.clone(), i).is_some() {
                self.err(
                    &h.name,
                    tr(format!("a second host is named `{n}`"), format!("`{n}` という名前のホストが 2 つあります")),
                    tr("host names must be unique", "ホスト名は重複できません"),
                );
            }
            match h.address.value.parse::<Ipv4Addr>() {
                Ok(a) => {
                    if let Some(other) = addrs.insert(a, n.clone()) {
                        self.err(
                            &h.address,
                            tr(
                                format!("address {a} is already used by host `{other}`"),
                                format!("アドレス {a} はすでにホスト `{other}` が使っています"),
                            ),
                            tr("give every host its own address", "ホストごとに別のアドレスを付けてください"),
                        );
                    }
                }
                Err(_) => self.err(
                    &h.address,
                    tr(
                        format!("`{}` is not an IPv4 address", h.address.value),
                        format!("`{}` は IPv4 アドレスではありません", h.address.value),
                    ),
                    tr(
                        "write four numbers 0-255 with dots, e.g. 192.0.2.10",
                        "0〜255 の数 4 つをドットで区切って書いてください (例: 192.0.2.10)",
                    ),
                ),
            }
            if role_of(h).is_none() {
                let all: Vec<&str> = Role::ALL.iter().map(|(n, _)| *n).collect();
                let r = &h.role.value;
                let hint = match nearest(r, all.iter().copied()) {
                    Some(k) => tr(
                        format!("did you mean `{k}`? (roles are: {})", all.join(", ")),
                        format!("`{k}` の書き間違いではありませんか? (役割: {})", all.join(", ")),
                    ),
                    None => tr(format!("roles are: {}", all.join(", ")), format!("役割: {}", all.join(", "))),
                };
                self.err(&h.role, tr(format!("unknown role `{r}`"), format!("`{r}` という役割はありません")), hint);
            }
        }
        names
    }

    /// One host, once its name, address and role are known to be good.
    pub(super) fn host(
        &mut self,
        h: &RawHost,
        all: &[RawHost],
        names: &BTreeMap<String, usize>,
        dns_hosts: &[usize],
    ) -> Option<Host> {
        let role = role_of(h)?;
        let address = h.address.value.parse::<Ipv4Addr>().ok()?;
        let hostname = match &h.hostname {
            Some(n) => self.domain(n)?,
            None => h.name.value.to_ascii_lowercase(),
        };
        self.settings_fit_role(h, role);
        let mta = if role.is_mta() { Some(self.mta_config(h, role, all, names, dns_hosts)?) } else { None };
        let dns = if role == Role::Dns { Some(self.dns_config(h)) } else { None };
        let external = self.external(&h.external, role);
        Some(Host { name: h.name.value.clone(), address, hostname, role, mta, dns, external })
    }

    /// MTA settings on a host that runs no MTA, zones on a host that is not a DNS server.
    fn settings_fit_role(&mut self, h: &RawHost, role: Role) {
        let mta_only = |c: &mut Checker, present: bool, at: Option<&S<String>>, key: &str| {
            if present && !role.is_mta() {
                let message = tr(
                    format!(
                        "`{key}` is a setting of relay, hub, mx, mailstore and list hosts, not of a {}",
                        role.name()
                    ),
                    format!(
                        "`{key}` は relay・hub・mx・mailstore・list ホストの設定で、{} には書けません",
                        role.name()
                    ),
                );
                let hint = tr("remove it, or change the role", "削除するか、役割を変えてください");
                match at {
                    Some(at) => c.err(at, message, hint),
                    None => c.err(&h.role, message, hint),
                }
            }
        };
        mta_only(self, h.flavour.is_some(), h.flavour.as_ref(), "flavour");
        mta_only(self, !h.domains.is_empty(), h.domains.first(), "domains");
        mta_only(self, h.allow_relay.is_some(), None, "allow_relay");
        mta_only(self, h.smarthost.is_some(), h.smarthost.as_ref(), "smarthost");
        mta_only(self, h.resolver.is_some(), h.resolver.as_ref(), "resolver");
        mta_only(self, h.queue.is_some(), None, "queue");
        mta_only(self, !h.aliases.is_empty(), None, "aliases");
        mta_only(self, h.auth.is_some(), h.auth.as_ref(), "auth");
        mta_only(self, h.show_secrets.is_some(), None, "show_secrets");
        mta_only(self, h.tls.is_some(), h.tls.as_ref(), "tls");
        mta_only(self, h.chunking.is_some(), None, "chunking");
        mta_only(self, h.offer_dsn.is_some(), None, "offer_dsn");
        mta_only(self, h.helo_required.is_some(), None, "helo_required");
        mta_only(self, h.dkim.is_some(), h.dkim.as_ref().map(|d| &d.domain), "dkim");
        mta_only(self, h.check_auth.is_some(), None, "check_auth");
        if let Some(sub) = &h.submission
            && !role.is_mta()
        {
            self.err(
                sub,
                tr(
                    format!(
                        "`submission` is a setting of relay, hub, mx, mailstore and list hosts, not of a {}",
                        role.name()
                    ),
                    format!(
                        "`submission` は relay・hub・mx・mailstore・list ホストの設定で、{} には書けません",
                        role.name()
                    ),
                ),
                tr("remove it, or change the role", "削除するか、役割を変えてください"),
            );
        }
        mta_only(self, h.max_message_size.is_some(), None, "max_message_size");
        mta_only(self, h.disk_space.is_some(), None, "disk_space");
        if role != Role::Dns && (!h.zones.is_empty() || h.reverse_dns.is_some()) {
            self.err(
                &h.role,
                tr(
                    format!("`zones` and `reverse_dns` are settings of a dns host, not of a {}", role.name()),
                    format!("`zones` と `reverse_dns` は dns ホストの設定で、{} には書けません", role.name()),
                ),
                tr("move the zones to the dns host", "ゾーンは dns ホストに移してください"),
            );
        }
    }

    /// `external:`, the real server a host stands for in `maillab serve`.
    fn external(&mut self, external: &Option<S<String>>, role: Role) -> Option<SocketAddrV4> {
        let x = external.as_ref()?;
        match x.value.parse::<SocketAddrV4>() {
            Ok(_) if role == Role::Mua => {
                self.err(
                    x,
                    tr("a mua host cannot be external", "mua ホストは external にできません"),
                    tr(
                        "external hosts stand for servers: relay, hub, mx, mailstore or dns",
                        "external にできるのはサーバー (relay・hub・mx・mailstore・dns) です",
                    ),
                );
                None
            }
            Ok(a) => Some(a),
            Err(_) => {
                self.err(
                    x,
                    tr(
                        format!("`{}` is not an address:port", x.value),
                        format!("`{}` は アドレス:ポート の形ではありません", x.value),
                    ),
                    tr(
                        "write the real server's IPv4 address and port, e.g. 10.1.2.3:2525",
                        "実際のサーバーの IPv4 アドレスとポートを書いてください (例: 10.1.2.3:2525)",
                    ),
                );
                None
            }
        }
    }
}
