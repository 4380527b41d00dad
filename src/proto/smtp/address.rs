//! Mail addresses (RFC 5321 §4.1.2) as the lab uses them: `local@domain`,
//! where the domain may be an address literal (§4.1.3): `taro@[192.0.2.25]`,
//! `taro@[IPv6:2001:db8::1]`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A mailbox `local@domain`. The local part keeps its case (RFC 5321 §2.4);
/// the domain is stored in lower case, since domains are not case-sensitive,
/// and an address literal in its one written form (see [`literal_text`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mailbox {
    pub local: String,
    pub domain: String,
}

impl fmt::Display for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Three writes, not `write!`'s argument list: an address is written
        // several times for every message.
        f.write_str(&self.local)?;
        f.write_str("@")?;
        f.write_str(&self.domain)
    }
}

impl Mailbox {
    /// The form used to look a user up: local part as written, domain lower-cased.
    pub fn key(&self) -> String {
        let mut s = String::with_capacity(self.local.len() + 1 + self.domain.len());
        self.push_to(&mut s);
        s
    }

    /// `local@domain` onto the end of `s` (as `Display` writes it, without `fmt`).
    pub fn push_to(&self, s: &mut String) {
        s.push_str(&self.local);
        s.push('@');
        s.push_str(&self.domain);
    }

    /// `<local@domain>`, as in a reply or a log line.
    pub fn bracketed(&self) -> String {
        let mut s = String::with_capacity(self.local.len() + self.domain.len() + 3);
        s.push('<');
        self.push_to(&mut s);
        s.push('>');
        s
    }
}

pub const MAX_LOCAL: usize = 64;
pub const MAX_DOMAIN: usize = 255;
pub const MAX_PATH: usize = 256;

/// A character of an atom: RFC 5322's atext, and any non-ASCII character
/// but a control or the replacement character of a broken UTF-8 sequence
/// (RFC 6531 §3.3 extends atext with UTF8-non-ascii).
fn atext(c: char) -> bool {
    if c.is_ascii() { ATEXT[c as usize] } else { utf8_char(c) }
}

/// RFC 5322's atext among the ASCII octets: letters, digits and ``!#$%&'*+-/=?^_`{|}~``.
const ATEXT: [bool; 128] = {
    let mut t = [false; 128];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric();
        i += 1;
    }
    let specials = b"!#$%&'*+-/=?^_`{|}~";
    let mut j = 0;
    while j < specials.len() {
        t[specials[j] as usize] = true;
        j += 1;
    }
    t
};

/// A dot-atom's characters (atext and dots), read octet by octet when ASCII.
fn dot_atom_text(s: &str) -> bool {
    if s.is_ascii() {
        s.bytes().all(|b| b == b'.' || ATEXT[usize::from(b)])
    } else {
        s.chars().all(|c| atext(c) || c == '.')
    }
}

/// Two dots in a row (a byte scan: a substring search costs more to set up
/// than a short address does to read).
fn double_dot(s: &str) -> bool {
    s.as_bytes().windows(2).any(|w| w == b"..")
}

fn utf8_char(c: char) -> bool {
    !c.is_ascii() && !c.is_control() && c != char::REPLACEMENT_CHARACTER
}

impl Mailbox {
    /// Only an SMTPUTF8 transaction (RFC 6531) may carry this address.
    pub fn needs_smtputf8(&self) -> bool {
        !self.local.is_ascii() || !self.domain.is_ascii()
    }

    /// The IP address the domain names when it is an address literal
    /// (`taro@[192.0.2.25]`); `None` for a domain name.
    pub fn literal(&self) -> Option<IpAddr> {
        literal_ip(&self.domain)
    }
}

impl Path {
    /// Only an SMTPUTF8 transaction (RFC 6531) may carry this path.
    pub fn needs_smtputf8(&self) -> bool {
        matches!(self, Path::Mailbox(m) if m.needs_smtputf8())
    }
}

/// Why an address, a path or a domain is refused. [`Display`](fmt::Display)
/// writes the English reason ([`AddressError::en`]), which SMTP replies carry
/// on the wire; a diagnostic for a person takes [`AddressError::ja`] in Japanese.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressError {
    DomainEmpty,
    DomainTooLong,
    /// The domain, which has an empty label.
    EmptyLabel(String),
    /// The domain, one of whose labels is too long.
    LabelTooLong(String),
    /// The domain, which holds a character not allowed in a name.
    DomainCharacter(String),
    /// The domain, a label of which starts or ends with a hyphen.
    LabelHyphen(String),
    /// The text, which has no `@`.
    NoAt(String),
    /// The address, with nothing before its `@`.
    EmptyLocal(String),
    /// The address, whose local part is too long.
    LocalTooLong(String),
    /// The address, whose local part has a character not allowed there.
    LocalCharacter(String),
    /// The address, and what is wrong with its domain.
    Domain(String, Box<AddressError>),
    /// The domain, which opens an address literal with `[` and does not close it.
    LiteralUnclosed(String),
    /// The literal, which is neither an IPv4 address nor a tagged one.
    LiteralNotIp(String),
    /// The literal, and how many numbers its IPv4 address has (not four).
    Ipv4Count(String, usize),
    /// The literal, and the part of its IPv4 address that is no number from 0 to 255.
    Ipv4Number(String, String),
    /// The literal, whose address after `IPv6:` is not an IPv6 address.
    Ipv6(String),
    /// The literal, an IPv6 address written without its `IPv6:` tag.
    Ipv6NoTag(String),
    /// The literal, and its tag (before the colon), which is not `IPv6`.
    LiteralTag(String, String),
    /// Nothing after `FROM:` or `TO:`.
    NoPath,
    /// A `<` without its `>`.
    NoClosingBracket,
    /// `<>` as a recipient (the null path is only a sender).
    NullRecipient,
    PathTooLong,
}

impl AddressError {
    /// The reason in English, as SMTP replies and English diagnostics give it.
    pub fn en(&self) -> String {
        match self {
            AddressError::DomainEmpty => "the domain is empty".into(),
            AddressError::DomainTooLong => format!("the domain is longer than {MAX_DOMAIN} octets"),
            AddressError::EmptyLabel(d) => {
                format!("`{d}` has an empty label (two dots in a row, or a dot at an end)")
            }
            AddressError::LabelTooLong(d) => format!("a label of `{d}` is longer than 63 characters"),
            AddressError::DomainCharacter(d) => format!("`{d}` may hold only letters, digits, hyphens and dots"),
            AddressError::LabelHyphen(d) => format!("a label of `{d}` starts or ends with a hyphen"),
            AddressError::NoAt(s) => format!("`{s}` is not a mail address: it has no `@`"),
            AddressError::EmptyLocal(s) => format!("`{s}` has nothing before the `@`"),
            AddressError::LocalTooLong(s) => format!("the local part of `{s}` is longer than {MAX_LOCAL} octets"),
            AddressError::LocalCharacter(s) => {
                format!("the local part of `{s}` has a character that is not allowed there")
            }
            AddressError::Domain(s, e) => format!("in `{s}`: {}", e.en()),
            AddressError::LiteralUnclosed(d) => format!("the address literal `{d}` has no closing `]`"),
            AddressError::LiteralNotIp(l) => format!(
                "the address literal `{l}` holds no IP address: an IPv4 address is four numbers from 0 to 255 with dots between them"
            ),
            AddressError::Ipv4Count(l, n) => {
                format!("the address literal `{l}` has {n} number(s); an IPv4 address has 4")
            }
            AddressError::Ipv4Number(l, p) if p.is_empty() => {
                format!("the address literal `{l}` has an empty number (two dots in a row, or a dot at an end)")
            }
            AddressError::Ipv4Number(l, p) => {
                format!("in the address literal `{l}`, `{p}` is not a number from 0 to 255 (of at most 3 digits)")
            }
            AddressError::Ipv6(l) => format!("the address literal `{l}` has no valid IPv6 address after `IPv6:`"),
            AddressError::Ipv6NoTag(l) => {
                format!("the address literal `{l}` is an IPv6 address without the tag `IPv6:` in front of it")
            }
            AddressError::LiteralTag(l, t) => {
                format!("the address literal `{l}` has the tag `{t}:`, but `IPv6:` is the only tag defined")
            }
            AddressError::NoPath => "no address is given".into(),
            AddressError::NoClosingBracket => "the address has no closing `>`".into(),
            AddressError::NullRecipient => "the recipient may not be <>".into(),
            AddressError::PathTooLong => format!("path longer than {MAX_PATH} octets"),
        }
    }

    /// The reason in Japanese, for a diagnostic shown to a person (never on the wire).
    pub fn ja(&self) -> String {
        match self {
            AddressError::DomainEmpty => "ドメインが空です".into(),
            AddressError::DomainTooLong => format!("ドメインが {MAX_DOMAIN} オクテットを超えています"),
            AddressError::EmptyLabel(d) => {
                format!("`{d}` に空のラベルがあります (ドットが 2 つ続いているか、端にドットがあります)")
            }
            AddressError::LabelTooLong(d) => format!("`{d}` に 63 文字を超えるラベルがあります"),
            AddressError::DomainCharacter(d) => {
                format!("`{d}` に使えるのは英字・数字・ハイフン・ドットだけです")
            }
            AddressError::LabelHyphen(d) => format!("`{d}` にハイフンで始まるか終わるラベルがあります"),
            AddressError::NoAt(s) => format!("`{s}` はメールアドレスではありません: `@` がありません"),
            AddressError::EmptyLocal(s) => format!("`{s}` は `@` の前 (ローカル部) が空です"),
            AddressError::LocalTooLong(s) => format!("`{s}` のローカル部が {MAX_LOCAL} オクテットを超えています"),
            AddressError::LocalCharacter(s) => format!("`{s}` のローカル部に使えない文字があります"),
            AddressError::Domain(s, e) => format!("`{s}` のドメイン: {}", e.ja()),
            AddressError::LiteralUnclosed(d) => format!("アドレスリテラル `{d}` を閉じる `]` がありません"),
            AddressError::LiteralNotIp(l) => format!(
                "アドレスリテラル `{l}` に IP アドレスがありません: IPv4 アドレスは 0 から 255 までの数 4 つをドットでつないだものです"
            ),
            AddressError::Ipv4Count(l, n) => {
                format!("アドレスリテラル `{l}` には数が {n} つあります。IPv4 アドレスの数は 4 つです")
            }
            AddressError::Ipv4Number(l, p) if p.is_empty() => {
                format!("アドレスリテラル `{l}` に空の数があります (ドットが 2 つ続いているか、端にドットがあります)")
            }
            AddressError::Ipv4Number(l, p) => {
                format!("アドレスリテラル `{l}` の `{p}` は 0 から 255 までの数 (3 桁まで) ではありません")
            }
            AddressError::Ipv6(l) => {
                format!("アドレスリテラル `{l}` の `IPv6:` の後ろが正しい IPv6 アドレスではありません")
            }
            AddressError::Ipv6NoTag(l) => {
                format!("アドレスリテラル `{l}` は IPv6 アドレスですが、前にタグ `IPv6:` がありません")
            }
            AddressError::LiteralTag(l, t) => {
                format!("アドレスリテラル `{l}` のタグは `{t}:` です。使えるタグは `IPv6:` だけです")
            }
            AddressError::NoPath => "アドレスがありません".into(),
            AddressError::NoClosingBracket => "アドレスを閉じる `>` がありません".into(),
            AddressError::NullRecipient => "受信者を <> にはできません".into(),
            AddressError::PathTooLong => format!("パスが {MAX_PATH} オクテットを超えています"),
        }
    }
}

impl AddressError {
    /// Is this about an address literal (the domain in brackets)? Then the
    /// way to mend it is to write the literal right, not a domain name.
    pub fn is_literal(&self) -> bool {
        match self {
            AddressError::Domain(_, e) => e.is_literal(),
            AddressError::LiteralUnclosed(_)
            | AddressError::LiteralNotIp(_)
            | AddressError::Ipv4Count(..)
            | AddressError::Ipv4Number(..)
            | AddressError::Ipv6(_)
            | AddressError::Ipv6NoTag(_)
            | AddressError::LiteralTag(..) => true,
            _ => false,
        }
    }
}

impl fmt::Display for AddressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en())
    }
}

impl std::error::Error for AddressError {}

fn is_dot_atom(s: &str) -> bool {
    !s.is_empty() && !s.starts_with('.') && !s.ends_with('.') && !double_dot(s) && dot_atom_text(s)
}

/// Check a domain name: dot-separated labels of letters, digits and hyphens.
pub fn check_domain(d: &str) -> Result<(), AddressError> {
    if d.is_empty() {
        return Err(AddressError::DomainEmpty);
    }
    if d.len() > MAX_DOMAIN {
        return Err(AddressError::DomainTooLong);
    }
    for label in d.split('.') {
        if label.is_empty() {
            return Err(AddressError::EmptyLabel(d.to_string()));
        }
        if label.len() > 63 {
            return Err(AddressError::LabelTooLong(d.to_string()));
        }
        // Internationalised domains go as A-labels (`xn--…`): the lab's DNS
        // knows no U-labels, so only local parts may be UTF-8 (RFC 6531).
        // Octets, not characters: a UTF-8 sequence's octets are none of these either.
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(AddressError::DomainCharacter(d.to_string()));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(AddressError::LabelHyphen(d.to_string()));
        }
    }
    Ok(())
}

/// Read an address literal, brackets and all (RFC 5321 §4.1.3):
/// `[192.0.2.25]` (`IPv4-address-literal`: four `Snum`s, numbers from 0 to
/// 255 of one to three digits) or `[IPv6:2001:db8::1]` (the tag in any
/// case, then an RFC 4291 address). A `General-address-literal` with any
/// other tag is refused, as Postfix's `valid_mailhost_literal()` refuses it:
/// no other tag has been standardised.
pub fn parse_literal(d: &str) -> Result<IpAddr, AddressError> {
    let inner = d.strip_prefix('[').unwrap_or(d);
    let Some(inner) = inner.strip_suffix(']') else {
        return Err(AddressError::LiteralUnclosed(d.to_string()));
    };
    if let Some((tag, addr)) = inner.split_once(':') {
        if tag.eq_ignore_ascii_case("IPv6") {
            return addr.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| AddressError::Ipv6(d.to_string()));
        }
        if tag.is_empty() || inner.parse::<Ipv6Addr>().is_ok() {
            return Err(AddressError::Ipv6NoTag(d.to_string()));
        }
        return Err(AddressError::LiteralTag(d.to_string(), tag.to_string()));
    }
    if inner.is_empty() || !inner.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(AddressError::LiteralNotIp(d.to_string()));
    }
    let parts: Vec<&str> = inner.split('.').collect();
    // An empty piece (`[192.0.2.25.]`, `[192..2.25]`) is a missing number,
    // not one number too many.
    if let Some(empty) = parts.iter().find(|p| p.is_empty()) {
        return Err(AddressError::Ipv4Number(d.to_string(), (*empty).to_string()));
    }
    if parts.len() != 4 {
        return Err(AddressError::Ipv4Count(d.to_string(), parts.len()));
    }
    let mut octets = [0u8; 4];
    for (o, p) in octets.iter_mut().zip(&parts) {
        match p.parse::<u8>() {
            Ok(n) if !p.is_empty() && p.len() <= 3 => *o = n,
            _ => return Err(AddressError::Ipv4Number(d.to_string(), p.to_string())),
        }
    }
    Ok(IpAddr::V4(Ipv4Addr::from(octets)))
}

/// The IP address of an address literal as [`parse_mailbox`] keeps it;
/// `None` for a domain name (which never starts with `[`).
pub fn literal_ip(domain: &str) -> Option<IpAddr> {
    if domain.starts_with('[') { parse_literal(domain).ok() } else { None }
}

/// An address literal in the one form the lab writes it: `[192.0.2.25]`,
/// `[IPv6:2001:db8::1]` (the tag as RFC 5321 spells it, the address in
/// RFC 5952's short form), whatever form it was written in.
pub fn literal_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => format!("[{v4}]"),
        IpAddr::V6(v6) => format!("[IPv6:{v6}]"),
    }
}

/// Parse `local@domain` (no angle brackets).
/// The inside of a quoted local part (RFC 5321 §4.1.2): printable US-ASCII
/// but `"` and `\` (`qtextSMTP`), or `\` before any printable character
/// (`quoted-pairSMTP`), as in `"x\\y"` or `"say \"hi\""`.
fn qcontent(inner: &str) -> bool {
    let mut b = inner.bytes();
    while let Some(c) = b.next() {
        match c {
            b'\\' => {
                if !b.next().is_some_and(|n| (32..=126).contains(&n)) {
                    return false;
                }
            }
            b'"' => return false,
            32..=126 => {}
            _ => return false,
        }
    }
    true
}

/// A quoted local part's inside with each quoted-pair `\x` made `x`.
fn unquote_pairs(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

pub fn parse_mailbox(s: &str) -> Result<Mailbox, AddressError> {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return Err(AddressError::NoAt(s.to_string()));
    };
    if local.is_empty() {
        return Err(AddressError::EmptyLocal(s.to_string()));
    }
    if local.len() > MAX_LOCAL {
        return Err(AddressError::LocalTooLong(s.to_string()));
    }
    let dot_atom = !local.starts_with('.') && !local.ends_with('.') && !double_dot(local) && dot_atom_text(local);
    let quoted =
        local.len() >= 2 && local.starts_with('"') && local.ends_with('"') && qcontent(&local[1..local.len() - 1]);
    if !dot_atom && !quoted {
        return Err(AddressError::LocalCharacter(s.to_string()));
    }
    // `Domain / address-literal` (RFC 5321 §4.1.2): a literal is kept in
    // its one form, so that `[192.0.2.025]` and `[192.0.2.25]` are one.
    let domain = if domain.starts_with('[') {
        parse_literal(domain).map(literal_text).map_err(|e| AddressError::Domain(s.to_string(), Box::new(e)))?
    } else {
        check_domain(domain).map_err(|e| AddressError::Domain(s.to_string(), Box::new(e)))?;
        domain.to_ascii_lowercase()
    };
    // `"taro"@example.com` is `taro@example.com`: quotes around a local part
    // that needs none are dropped, the form RFC 5321 §4.1.2 asks senders to
    // use and RFC 5322 §3.2.4 makes equivalent.
    // So is `"\a"@example.com`: a quoted-pair stands for its character.
    let local = match local.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
        Some(inner) => {
            let plain = unquote_pairs(inner);
            if is_dot_atom(&plain) { plain } else { local.to_string() }
        }
        None => local.to_string(),
    };
    Ok(Mailbox { local, domain })
}

/// A reverse-path or forward-path: `<>` (null, only for MAIL) or `<mailbox>`.
/// Source routes (`<@a,@b:user@c>`) are accepted and ignored, as RFC 5321 §4.1.1.3 allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Path {
    Null,
    Mailbox(Mailbox),
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Null => write!(f, "<>"),
            Path::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

impl Path {
    /// `<>` or `<local@domain>`: what [`Display`](fmt::Display) writes,
    /// made without the formatter (this runs for every MAIL FROM).
    pub fn bracketed(&self) -> String {
        let len = match self {
            Path::Null => 0,
            Path::Mailbox(m) => m.local.len() + 1 + m.domain.len(),
        };
        let mut s = String::with_capacity(len + 2);
        self.push_bracketed(&mut s);
        s
    }
    /// [`Path::bracketed`], appended to `s`.
    pub fn push_bracketed(&self, s: &mut String) {
        s.push('<');
        if let Path::Mailbox(m) = self {
            m.push_to(s);
        }
        s.push('>');
    }
}

/// Parse the argument of `RCPT TO:`: a path as `parse_path` reads it, or
/// the bare `<Postmaster>` (any case) that RFC 5321 §4.1.1.3 allows without
/// a domain, which means the postmaster of the server's own host:
/// `postmaster_domain`; written without brackets too (`RCPT TO:postmaster`),
/// as both servers take any path (see [`split_path`]). The local part keeps
/// the case it was written in.
pub fn parse_forward_path<'a>(arg: &'a str, postmaster_domain: &str) -> Result<(Path, &'a str), AddressError> {
    let (written, rest) = split_path(arg)?;
    let inner = written.strip_prefix('<').and_then(|w| w.strip_suffix('>')).unwrap_or(written);
    if inner.eq_ignore_ascii_case("postmaster") {
        let local = inner.to_string();
        return Ok((Path::Mailbox(Mailbox { local, domain: postmaster_domain.to_ascii_lowercase() }), rest));
    }
    parse_path(arg)
}

/// The path at the start of a `MAIL FROM:` or `RCPT TO:` argument as the
/// client wrote it, and the rest (ESMTP parameters): `<…>` up to the first
/// `>`, or a path written without angle brackets up to the first white space
/// outside quotes. RFC 5321 §4.1.2 writes a Path in angle brackets, but
/// neither server insists:
///
/// - Postfix: smtpd_token.c smtp_next_token() ends the argument at white
///   space (a quoted string or `<…>` kept whole); smtpd.c extract_addr()
///   takes it with or without brackets and refuses the bare form only with
///   `strict_rfc821_envelopes = yes` (default `no`, postconf(5)).
/// - sendmail: srvrsmtp.c hands the rest of the line to parseaddr.c
///   parseaddr(), whose prescan() ends an address at a space outside
///   `<…>` and quotes, brackets or not.
///
/// An empty argument is [`AddressError::NoPath`]; a `<` without `>`,
/// [`AddressError::NoClosingBracket`].
pub fn split_path(arg: &str) -> Result<(&str, &str), AddressError> {
    let arg = arg.trim_start();
    if arg.is_empty() {
        return Err(AddressError::NoPath);
    }
    let end = if arg.starts_with('<') {
        arg.find('>').ok_or(AddressError::NoClosingBracket)? + 1
    } else {
        let (mut quoted, mut escaped) = (false, false);
        arg.char_indices()
            .find(|&(_, c)| {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    quoted = !quoted;
                } else if !quoted && (c == ' ' || c == '\t') {
                    return true;
                }
                false
            })
            .map_or(arg.len(), |(i, _)| i)
    };
    Ok(arg.split_at(end))
}

/// Parse a path (see [`split_path`]: in angle brackets or without them);
/// returns the path and the rest of the argument (ESMTP parameters).
pub fn parse_path(arg: &str) -> Result<(Path, &str), AddressError> {
    let (written, rest) = split_path(arg)?;
    if written.len() > MAX_PATH {
        return Err(AddressError::PathTooLong);
    }
    let inner = match written.strip_prefix('<') {
        Some(w) => w.strip_suffix('>').unwrap_or(w),
        None => written,
    };
    if inner.is_empty() {
        return Ok((Path::Null, rest));
    }
    let mailbox = match inner.split_once(':') {
        Some((route, mb)) if route.starts_with('@') => mb,
        _ => inner,
    };
    Ok((Path::Mailbox(parse_mailbox(mailbox)?), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atext_is_rfc_5322_s() {
        for c in (0u32..0x3000).filter_map(char::from_u32) {
            let old = c.is_ascii_alphanumeric()
                || (c.is_ascii() && b"!#$%&'*+-/=?^_`{|}~".contains(&(c as u8)))
                || utf8_char(c);
            assert_eq!(atext(c), old, "{c:?}");
        }
        for s in ["a.b", "a b", "x+y=z", "ユーザ.x", "a\u{7f}", "\"q\"", ".", "a@b"] {
            assert_eq!(dot_atom_text(s), s.chars().all(|c| atext(c) || c == '.'), "{s:?}");
        }
    }

    #[test]
    fn bracketed_and_display_write_the_address() {
        for (l, d) in [("a", "b"), ("taro.yamada", "example.ac.jp"), ("\"x y\"", "[192.0.2.1]"), ("ユーザ", "例え.jp")]
        {
            let m = Mailbox { local: l.into(), domain: d.into() };
            assert_eq!(m.to_string(), format!("{l}@{d}"));
            assert_eq!(m.bracketed(), format!("<{l}@{d}>"));
            let mut s = String::from("x ");
            m.push_to(&mut s);
            assert_eq!(s, format!("x {l}@{d}"));
            let p = Path::Mailbox(m);
            assert_eq!(p.bracketed(), p.to_string());
        }
        assert_eq!(Path::Null.bracketed(), "<>");
        let mut s = String::from("x ");
        Path::Null.push_bracketed(&mut s);
        Path::Mailbox(Mailbox { local: "a".into(), domain: "b.example".into() }).push_bracketed(&mut s);
        assert_eq!(s, "x <><a@b.example>");
        assert_eq!(Mailbox { local: "Ab".into(), domain: "c.example".into() }.key(), "Ab@c.example");
        assert_eq!(Path::Null.bracketed(), Path::Null.to_string());
    }

    /// RFC 5321 §4.1.2: a quoted local part may hold quoted-pairs.
    #[test]
    fn quoted_local_parts_take_quoted_pairs() {
        for ok in
            [r#""x\\y"@example.ac.jp"#, r#""say \"hi\""@example.com"#, r#""a@b"@example.com"#, r#""x y"@example.com"#]
        {
            let m = parse_mailbox(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
            assert_eq!(m.to_string(), ok);
        }
        // A quoted-pair that needs no quoting is its character: `"\a"` is `a`.
        assert_eq!(parse_mailbox(r#""\a"@example.com"#).map(|m| m.local), Ok("a".to_string()));
        assert_eq!(parse_mailbox(r#""t\aro.x"@example.com"#).map(|m| m.local), Ok("taro.x".to_string()));
        for bad in [r#""x\"@example.com"#, r#""a"b"@example.com"#, "\"tab\there\"@example.com", r#""x\é"@example.com"#]
        {
            assert!(parse_mailbox(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mailbox_ok_and_domain_lowered() {
        let m = parse_mailbox("Hanako.Tokushima@Foo.COM").unwrap();
        assert_eq!(m.local, "Hanako.Tokushima");
        assert_eq!(m.domain, "foo.com");
        assert!(parse_mailbox("kouya_543@sist.ac.jp").is_ok());
        assert!(parse_mailbox("\"odd name\"@example.com").is_ok());
        // Needless quotes go; needed ones stay.
        assert_eq!(parse_mailbox("\"taro\"@example.jp").unwrap().local, "taro");
        assert_eq!(parse_mailbox("\"taro.y\"@example.jp").unwrap().to_string(), "taro.y@example.jp");
        assert_eq!(parse_mailbox("\"odd name\"@example.com").unwrap().local, "\"odd name\"");
        assert_eq!(parse_mailbox("\"a..b\"@example.com").unwrap().local, "\"a..b\"");
        assert_eq!(parse_mailbox("\"\"@example.com").unwrap().local, "\"\"");
    }

    #[test]
    fn utf8_local_parts() {
        let m = parse_mailbox("太郎@Example.JP").unwrap();
        assert_eq!((m.local.as_str(), m.domain.as_str()), ("太郎", "example.jp"));
        assert!(m.needs_smtputf8());
        assert!(!parse_mailbox("taro@example.jp").unwrap().needs_smtputf8());
        assert!(Path::Mailbox(m).needs_smtputf8());
        assert!(!Path::Null.needs_smtputf8());
        // A broken UTF-8 sequence (read as U+FFFD) or a control is no letter;
        // domains stay ASCII (A-labels).
        assert!(parse_mailbox("a\u{FFFD}b@example.jp").is_err());
        assert!(parse_mailbox("a\u{85}b@example.jp").is_err());
        assert!(parse_mailbox("taro@例え.jp").is_err());
        // 64 octets, not characters: 22 kanji are 66 octets.
        assert!(parse_mailbox(&format!("{}@example.jp", "太".repeat(22))).is_err());
    }

    #[test]
    fn bare_postmaster() {
        for (arg, local) in
            [("<postmaster>", "postmaster"), ("<Postmaster> ", "Postmaster"), (" <POSTMASTER>", "POSTMASTER")]
        {
            let (p, _) = parse_forward_path(arg, "MX.Example.NET").unwrap();
            assert_eq!(p, Path::Mailbox(Mailbox { local: local.into(), domain: "mx.example.net".into() }), "{arg}");
        }
        let (p, _) = parse_forward_path("<postmaster@example.com>", "mx.example.net").unwrap();
        assert_eq!(p.to_string(), "<postmaster@example.com>");
        assert!(parse_forward_path("<webmaster>", "mx.example.net").is_err());
        assert!(parse_forward_path("<postmaster", "mx.example.net").is_err());
    }

    #[test]
    fn mailbox_errors() {
        for bad in [
            "nobody",
            "@example.com",
            "a..b@example.com",
            ".a@example.com",
            "a@",
            "a@exa mple.com",
            "a@-x.com",
            "a@x..com",
            "a b@example.com",
        ] {
            assert!(parse_mailbox(bad).is_err(), "{bad} should be refused");
        }
        let long = format!("{}@example.com", "x".repeat(65));
        assert!(parse_mailbox(&long).is_err());
    }

    /// Each reason in English (as SMTP replies carry it) and in Japanese (for diagnostics).
    #[test]
    fn reasons_in_english_and_japanese() {
        let japanese = |s: &str| s.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'));
        let (long_local, long_label) = (format!("{}@example.com", "x".repeat(65)), format!("{}.com", "x".repeat(64)));
        let cases = [
            (parse_mailbox("nobody").err(), "`nobody` is not a mail address: it has no `@`"),
            (parse_mailbox("@example.com").err(), "`@example.com` has nothing before the `@`"),
            (parse_mailbox(&long_local).err(), &format!("the local part of `{long_local}` is longer than 64 octets")),
            (
                parse_mailbox("a b@example.com").err(),
                "the local part of `a b@example.com` has a character that is not allowed there",
            ),
            (parse_mailbox("a@").err(), "in `a@`: the domain is empty"),
            (check_domain(&"x.".repeat(130)).err(), "the domain is longer than 255 octets"),
            (check_domain("x..com").err(), "`x..com` has an empty label (two dots in a row, or a dot at an end)"),
            (check_domain(&long_label).err(), &format!("a label of `{long_label}` is longer than 63 characters")),
            (check_domain("exa mple.com").err(), "`exa mple.com` may hold only letters, digits, hyphens and dots"),
            (check_domain("-x.com").err(), "a label of `-x.com` starts or ends with a hyphen"),
            (parse_path("").err(), "no address is given"),
            (parse_path("<a@b.example").err(), "the address has no closing `>`"),
            (Some(AddressError::NullRecipient), "the recipient may not be <>"),
            (parse_path(&format!("<{}@b.example>", "a".repeat(260))).err(), "path longer than 256 octets"),
        ];
        for (e, en) in cases {
            let Some(e) = e else { panic!("`{en}` was not refused") };
            assert_eq!(e.to_string(), e.en());
            assert_eq!(e.en(), en);
            assert!(japanese(&e.ja()), "{}", e.ja());
        }
    }

    /// RFC 5321 §4.1.3: `Mailbox = Local-part "@" ( Domain / address-literal )`.
    #[test]
    fn address_literals() {
        let m = parse_mailbox("taro@[192.0.2.25]").unwrap();
        assert_eq!((m.local.as_str(), m.domain.as_str()), ("taro", "[192.0.2.25]"));
        assert_eq!(m.literal(), Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 25))));
        assert_eq!(m.to_string(), "taro@[192.0.2.25]");
        assert!(!m.needs_smtputf8());
        // One written form: the tag as RFC 5321 spells it, the address in
        // RFC 5952's short form, an IPv4 number without leading zeros.
        for (written, kept) in [
            ("a@[IPv6:2001:DB8:0:0:0:0:0:1]", "a@[IPv6:2001:db8::1]"),
            ("a@[ipv6:2001:db8::1]", "a@[IPv6:2001:db8::1]"),
            ("a@[IPv6:::ffff:192.0.2.1]", "a@[IPv6:::ffff:192.0.2.1]"),
            ("a@[192.0.2.025]", "a@[192.0.2.25]"),
            ("a@[0.0.0.0]", "a@[0.0.0.0]"),
        ] {
            assert_eq!(parse_mailbox(written).map(|m| m.to_string()), Ok(kept.to_string()), "{written}");
        }
        assert_eq!(
            parse_mailbox("a@[IPv6:2001:db8::1]").unwrap().literal(),
            Some(IpAddr::V6("2001:db8::1".parse().unwrap()))
        );
        // The local part's rules are the same as with a domain name.
        assert_eq!(parse_mailbox("\"x y\"@[192.0.2.1]").unwrap().to_string(), "\"x y\"@[192.0.2.1]");
        assert_eq!(parse_mailbox("\"taro\"@[192.0.2.1]").unwrap().local, "taro");
        assert!(parse_mailbox("a b@[192.0.2.1]").is_err());
        assert!(parse_mailbox("@[192.0.2.1]").is_err());
        // In a path, with parameters, after a source route.
        let (p, rest) = parse_path("<taro@[IPv6:2001:db8::1]> SIZE=10").unwrap();
        assert_eq!((p.to_string().as_str(), rest), ("<taro@[IPv6:2001:db8::1]>", " SIZE=10"));
        let (p, _) = parse_path("<@hub.example:joe@[192.0.2.9]>").unwrap();
        assert_eq!(p.to_string(), "<joe@[192.0.2.9]>");
        // A domain name is no literal.
        assert_eq!(literal_ip("example.com"), None);
        assert_eq!(parse_mailbox("a@example.com").unwrap().literal(), None);
        assert_eq!(literal_text(IpAddr::V4(Ipv4Addr::LOCALHOST)), "[127.0.0.1]");
    }

    #[test]
    fn malformed_address_literals() {
        for bad in [
            "a@[300.1.1.1]",
            "a@[IPv6:zz]",
            "a@[1.2.3]",
            "a@[192.0.2.25",
            "a@[1.2.3.4.5]",
            "a@[1..2.3]",
            "a@[1.2.3.]",
            "a@[0001.2.3.4]",
            "a@[]",
            "a@[example.com]",
            "a@[2001:db8::1]",
            "a@[x400:c=jp]",
            "a@[IPv6:2001:db8::1%eth0]",
            "a@[IPv6:192.0.2.1]",
            "a@[192.0.2.1]x",
        ] {
            let e = parse_mailbox(bad).err().unwrap_or_else(|| panic!("{bad} should be refused"));
            assert!(e.is_literal(), "{bad}: {e}");
        }
        assert!(!parse_mailbox("a@x..com").unwrap_err().is_literal());
    }

    /// Each reason in English (as SMTP replies carry it) and in Japanese (for diagnostics).
    #[test]
    fn literal_reasons_in_english_and_japanese() {
        let japanese = |s: &str| s.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'));
        for (bad, en) in [
            (
                "a@[300.1.1.1]",
                "in `a@[300.1.1.1]`: in the address literal `[300.1.1.1]`, `300` is not a number from 0 to 255 (of at most 3 digits)",
            ),
            ("a@[1.2.3]", "in `a@[1.2.3]`: the address literal `[1.2.3]` has 3 number(s); an IPv4 address has 4"),
            (
                "a@[1..2.3]",
                "in `a@[1..2.3]`: the address literal `[1..2.3]` has an empty number (two dots in a row, or a dot at an end)",
            ),
            (
                "a@[192.0.2.25.]",
                "in `a@[192.0.2.25.]`: the address literal `[192.0.2.25.]` has an empty number (two dots in a row, or a dot at an end)",
            ),
            ("a@[192.0.2.25", "in `a@[192.0.2.25`: the address literal `[192.0.2.25` has no closing `]`"),
            (
                "a@[IPv6:zz]",
                "in `a@[IPv6:zz]`: the address literal `[IPv6:zz]` has no valid IPv6 address after `IPv6:`",
            ),
            (
                "a@[2001:db8::1]",
                "in `a@[2001:db8::1]`: the address literal `[2001:db8::1]` is an IPv6 address without the tag `IPv6:` in front of it",
            ),
            (
                "a@[x400:c=jp]",
                "in `a@[x400:c=jp]`: the address literal `[x400:c=jp]` has the tag `x400:`, but `IPv6:` is the only tag defined",
            ),
            (
                "a@[mx.example]",
                "in `a@[mx.example]`: the address literal `[mx.example]` holds no IP address: an IPv4 address is four numbers from 0 to 255 with dots between them",
            ),
        ] {
            let e = parse_mailbox(bad).unwrap_err();
            assert_eq!(e.to_string(), en);
            assert!(japanese(&e.ja()), "{}", e.ja());
        }
    }

    #[test]
    fn paths() {
        assert_eq!(parse_path("<>").unwrap().0, Path::Null);
        let (p, rest) = parse_path("<a@b.example> SIZE=100").unwrap();
        assert_eq!(p.to_string(), "<a@b.example>");
        assert_eq!(rest, " SIZE=100");
        let (p, _) = parse_path("<@hub.example,@relay.example:joe@c.example>").unwrap();
        assert_eq!(p.to_string(), "<joe@c.example>");
        assert!(parse_path("<a@b.example").is_err());
    }

    /// A path without angle brackets is taken (Postfix's
    /// `strict_rfc821_envelopes = no`, sendmail's prescan()); it ends at
    /// white space outside quotes, as the servers' tokenisers end it.
    #[test]
    fn paths_without_angle_brackets() {
        for (arg, path, rest) in [
            ("x@example.org", "<x@example.org>", ""),
            ("  Taro@Example.AC.JP SIZE=10", "<Taro@example.ac.jp>", " SIZE=10"),
            ("a@b.example\tNOTIFY=NEVER", "<a@b.example>", "\tNOTIFY=NEVER"),
            ("\"x y\"@example.com BODY=8BITMIME", "<\"x y\"@example.com>", " BODY=8BITMIME"),
            ("\"a\\\" b\"@example.com", "<\"a\\\" b\"@example.com>", ""),
            ("@hub.example:joe@c.example", "<joe@c.example>", ""),
        ] {
            let (p, r) = parse_path(arg).unwrap_or_else(|e| panic!("{arg}: {e}"));
            assert_eq!((p.to_string().as_str(), r), (path, rest), "{arg}");
        }
        assert_eq!(split_path(" x@example.org SIZE=1"), Ok(("x@example.org", " SIZE=1")));
        assert_eq!(split_path(" <x@example.org SIZE=1"), Err(AddressError::NoClosingBracket));
        assert_eq!(split_path("  "), Err(AddressError::NoPath));
        assert_eq!(parse_path("nobody").err(), Some(AddressError::NoAt("nobody".into())));
        assert_eq!(parse_path(&format!("{}@b.example", "a".repeat(250))).err(), Some(AddressError::PathTooLong));
        for (arg, local) in [("postmaster", "postmaster"), ("PostMaster SIZE=1", "PostMaster")] {
            let (p, _) = parse_forward_path(arg, "mx.example.net").unwrap();
            assert_eq!(p, Path::Mailbox(Mailbox { local: local.into(), domain: "mx.example.net".into() }), "{arg}");
        }
    }
}
