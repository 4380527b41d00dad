//! Command mail: one command per body line, as fml reads mail to `LIST-ctl`.
//!
//! A line may start with `#` (the old fml 1.x style); lines quoted with `>`
//! are skipped, and `end` (or a `-- ` signature line) stops the reading.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Guide,
    Subscribe {
        name: String,
    },
    Confirm {
        key: String,
        name: String,
    },
    Unsubscribe,
    Members,
    Index,
    Get(Vec<u32>),
    Chaddr {
        old: String,
        new: String,
    },
    Digest(DigestArg),
    /// A moderator accepts a held post.
    Approve(String),
    /// A moderator turns a held post down.
    Reject(String),
    Admin(Admin),
    /// Stop reading (what follows is a signature or quoted text).
    End,
    /// A known command with wrong arguments: the usage to show.
    Usage {
        command: String,
        usage: Usage,
    },
    Unknown(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DigestArg {
    On,
    Off,
    NoMail,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admin {
    Pass(String),
    Add { address: String, name: String },
    Bye(String),
    Moderate(String),
    Help,
    Usage(Usage),
    Unknown(String),
}

/// At most this many articles per `get`, as fml limits a mail.
pub const MAX_GET: usize = 10;
/// Lines read from one command mail; the rest is ignored (and said so).
pub const MAX_COMMANDS: usize = 50;

/// A command given the wrong arguments: which usage line to show (the
/// lines themselves are texts, in [`super::texts`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    Get,
    Chaddr,
    Digest,
    Confirm,
    Approve,
    Reject,
    AdminAdd,
    AdminBye,
    AdminModerate,
    AdminPass,
}

fn looks_like_address(s: &str) -> bool {
    let s = s.trim_matches(|c| c == '<' || c == '>');
    crate::proto::smtp::address::parse_mailbox(s).is_ok()
}

fn bare(s: &str) -> String {
    s.trim_matches(|c| c == '<' || c == '>').to_string()
}

/// The command lines of a body: trimmed, `#` prefix removed, quoted and
/// empty lines skipped, stopping at a signature separator.
pub fn command_lines(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in body.lines() {
        if raw == "-- " || raw == "--" {
            break;
        }
        let l = raw.trim();
        if l.is_empty() || l.starts_with('>') {
            continue;
        }
        let l = l.strip_prefix('#').map(str::trim_start).unwrap_or(l);
        if l.is_empty() {
            continue;
        }
        out.push(l.to_string());
    }
    out
}

/// Parse one command line.
pub fn parse(line: &str) -> Command {
    let mut words = line.split_whitespace();
    let Some(first) = words.next() else { return Command::Unknown(String::new()) };
    let args: Vec<&str> = words.collect();
    let rest = args.join(" ");
    match first.to_ascii_lowercase().as_str() {
        "help" => Command::Help,
        "guide" | "info" => Command::Guide,
        "subscribe" | "join" => Command::Subscribe { name: rest },
        "confirm" => match args.first() {
            Some(k) if k.chars().all(|c| c.is_ascii_alphanumeric()) => {
                Command::Confirm { key: k.to_string(), name: args[1..].join(" ") }
            }
            _ => Command::Usage { command: "confirm".into(), usage: Usage::Confirm },
        },
        "unsubscribe" | "bye" | "leave" => Command::Unsubscribe,
        "members" | "member" => Command::Members,
        "index" => Command::Index,
        "get" | "send" => match parse_range(&args) {
            Some(ns) => Command::Get(ns),
            None => Command::Usage { command: "get".into(), usage: Usage::Get },
        },
        "chaddr" | "change-address" | "change" => match args.as_slice() {
            [o, n] if looks_like_address(o) && looks_like_address(n) => Command::Chaddr { old: bare(o), new: bare(n) },
            _ => Command::Usage { command: "chaddr".into(), usage: Usage::Chaddr },
        },
        "digest" => match args.first().map(|a| a.to_ascii_lowercase()).as_deref() {
            Some("on") if args.len() == 1 => Command::Digest(DigestArg::On),
            Some("off") if args.len() == 1 => Command::Digest(DigestArg::Off),
            Some("nomail") if args.len() == 1 => Command::Digest(DigestArg::NoMail),
            _ => Command::Usage { command: "digest".into(), usage: Usage::Digest },
        },
        "approve" => match args.as_slice() {
            [k] => Command::Approve(k.to_string()),
            _ => Command::Usage { command: "approve".into(), usage: Usage::Approve },
        },
        "reject" => match args.as_slice() {
            [k] => Command::Reject(k.to_string()),
            _ => Command::Usage { command: "reject".into(), usage: Usage::Reject },
        },
        "admin" | "approve-admin" => Command::Admin(parse_admin(&args)),
        "end" | "quit" | "exit" => Command::End,
        other => Command::Unknown(other.to_string()),
    }
}

fn parse_admin(args: &[&str]) -> Admin {
    let Some(sub) = args.first() else { return Admin::Help };
    let rest = &args[1..];
    match sub.to_ascii_lowercase().as_str() {
        "pass" | "password" => match rest {
            [p] => Admin::Pass(p.to_string()),
            _ => Admin::Usage(Usage::AdminPass),
        },
        "add" | "subscribe" => match rest {
            [a, name @ ..] if looks_like_address(a) => Admin::Add { address: bare(a), name: name.join(" ") },
            _ => Admin::Usage(Usage::AdminAdd),
        },
        "bye" | "unsubscribe" => match rest {
            [a] if looks_like_address(a) => Admin::Bye(bare(a)),
            _ => Admin::Usage(Usage::AdminBye),
        },
        "moderate" | "moderator" => match rest {
            [a] if looks_like_address(a) => Admin::Moderate(bare(a)),
            _ => Admin::Usage(Usage::AdminModerate),
        },
        "help" => Admin::Help,
        other => Admin::Unknown(other.to_string()),
    }
}

/// `3`, `3-5`, `3,5`: article numbers, at most [`MAX_GET`].
fn parse_range(args: &[&str]) -> Option<Vec<u32>> {
    if args.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    for part in args.join(",").split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                if a == 0 || b < a || (b - a) as usize >= MAX_GET {
                    return None;
                }
                out.extend(a..=b);
            }
            None => {
                let n: u32 = part.trim().parse().ok()?;
                if n == 0 {
                    return None;
                }
                out.push(n);
            }
        }
        if out.len() > MAX_GET {
            return None;
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_commands() {
        assert_eq!(parse("help"), Command::Help);
        assert_eq!(parse("GUIDE"), Command::Guide);
        assert_eq!(parse("info"), Command::Guide);
        assert_eq!(parse("subscribe Anne Shirley"), Command::Subscribe { name: "Anne Shirley".into() });
        assert_eq!(parse("subscribe"), Command::Subscribe { name: String::new() });
        assert_eq!(
            parse("confirm 84682771 Anne Shirley"),
            Command::Confirm { key: "84682771".into(), name: "Anne Shirley".into() }
        );
        assert!(matches!(parse("confirm"), Command::Usage { .. }));
        assert!(matches!(parse("confirm !!"), Command::Usage { .. }));
        assert_eq!(parse("bye"), Command::Unsubscribe);
        assert_eq!(parse("unsubscribe"), Command::Unsubscribe);
        assert_eq!(parse("members"), Command::Members);
        assert_eq!(parse("index"), Command::Index);
        assert_eq!(parse("end"), Command::End);
    }

    #[test]
    fn get_ranges() {
        assert_eq!(parse("get 12"), Command::Get(vec![12]));
        assert_eq!(parse("get 3-5"), Command::Get(vec![3, 4, 5]));
        assert_eq!(parse("get 1,4"), Command::Get(vec![1, 4]));
        assert_eq!(parse("send 2"), Command::Get(vec![2]));
        for bad in ["get", "get x", "get 0", "get 5-3", "get 1-100", "get 1-9999999999", "get 1,2,3,4,5,6,7,8,9,10,11"]
        {
            assert!(matches!(parse(bad), Command::Usage { .. }), "{bad}");
        }
    }

    #[test]
    fn chaddr_and_digest() {
        assert_eq!(
            parse("chaddr tora@pp.example <tora@new.example>"),
            Command::Chaddr { old: "tora@pp.example".into(), new: "tora@new.example".into() }
        );
        assert!(matches!(parse("chaddr tora@pp.example"), Command::Usage { .. }));
        assert!(matches!(parse("chaddr a b"), Command::Usage { .. }));
        assert_eq!(parse("digest on"), Command::Digest(DigestArg::On));
        assert_eq!(parse("digest OFF"), Command::Digest(DigestArg::Off));
        assert_eq!(parse("digest nomail"), Command::Digest(DigestArg::NoMail));
        assert!(matches!(parse("digest weekly"), Command::Usage { .. }));
        assert!(matches!(parse("digest"), Command::Usage { .. }));
    }

    #[test]
    fn moderation_and_admin() {
        assert_eq!(parse("approve 1234"), Command::Approve("1234".into()));
        assert!(matches!(parse("approve"), Command::Usage { .. }));
        assert_eq!(parse("reject 1234"), Command::Reject("1234".into()));
        assert_eq!(parse("admin pass s3cret"), Command::Admin(Admin::Pass("s3cret".into())));
        assert_eq!(
            parse("admin add anne@example.org Anne Shirley"),
            Command::Admin(Admin::Add { address: "anne@example.org".into(), name: "Anne Shirley".into() })
        );
        assert_eq!(parse("admin bye anne@example.org"), Command::Admin(Admin::Bye("anne@example.org".into())));
        assert_eq!(parse("admin moderate m@example.org"), Command::Admin(Admin::Moderate("m@example.org".into())));
        assert_eq!(parse("admin"), Command::Admin(Admin::Help));
        assert!(matches!(parse("admin add nobody"), Command::Admin(Admin::Usage(_))));
        assert!(matches!(parse("admin pass"), Command::Admin(Admin::Usage(_))));
        assert_eq!(parse("admin frobnicate"), Command::Admin(Admin::Unknown("frobnicate".into())));
    }

    #[test]
    fn unknown_words_are_reported() {
        assert_eq!(parse("hello there"), Command::Unknown("hello".into()));
        assert_eq!(parse("subscirbe me"), Command::Unknown("subscirbe".into()));
    }

    #[test]
    fn body_lines() {
        let body = "# guide\r\n\r\n> quoted help\r\n  subscribe Anne  \r\n#\r\n-- \r\nYamada Taro\r\nhelp\r\n";
        assert_eq!(command_lines(body), vec!["guide", "subscribe Anne"]);
        assert!(command_lines("").is_empty());
    }
}
