//! Digests: the posts of a period bundled into one message for the members
//! who chose them, as MIME (RFC 2046 multipart/digest) or RFC 1153 text.

use super::compose::cte_8bit;
use super::texts::Texts;
use super::{Article, Cx, Delivery, DigestFormat, List, NoteKind, Out, OutMail, mime};

impl List {
    /// The digest of the posts since the last one, for the members who chose it.
    pub fn digest(&mut self, cx: &Cx) -> Vec<Out> {
        let to: Vec<String> =
            self.members.iter().filter(|m| m.delivery == Delivery::Digest).map(|m| m.address.clone()).collect();
        if self.digest_queue.is_empty() || to.is_empty() {
            return Vec::new();
        }
        let ns = std::mem::take(&mut self.digest_queue);
        let arts: Vec<Article> = self.archive.iter().filter(|a| ns.contains(&a.n)).cloned().collect();
        self.digest_issue += 1;
        let issue = self.digest_issue;
        let first = ns.first().copied().unwrap_or(0);
        let last = ns.last().copied().unwrap_or(0);
        // `range` in English for the trace; `shown` in the list's language for the digest itself.
        let t = self.texts();
        let range = super::texts::en::En.digest_range(first, last);
        let shown = t.digest_range(first, last);
        let name = self.cfg.name.clone();
        let mut topics = String::new();
        for a in &arts {
            topics.push_str(&format!("  {:5}. {} ({})\r\n", a.n, a.subject, a.from));
        }
        let count = arts.len();
        let (subject, content) = match self.cfg.digest_format {
            DigestFormat::Mime => {
                let b = format!("=_digest_{issue}_outer");
                let d = format!("=_digest_{issue}_parts");
                let toc = t.digest_contents(&name, issue, count, &shown, &topics);
                let mut c = format!(
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n\
                     --{b}\r\nContent-Type: text/plain; charset=UTF-8\r\n{}\r\n{toc}\
                     \r\n--{b}\r\nContent-Type: multipart/digest; boundary=\"{d}\"\r\n\r\n",
                    cte_8bit(&toc)
                );
                for a in &arts {
                    // In multipart/digest each part is message/rfc822 unless it says otherwise (RFC 2046 §5.1.5).
                    c.push_str(&format!("--{d}\r\n\r\n{}\r\n", String::from_utf8_lossy(&a.data).trim_end()));
                }
                c.push_str(&format!("--{d}--\r\n\r\n--{b}--\r\n"));
                (t.digest_subject(&name, issue, &shown), c)
            }
            DigestFormat::Rfc1153 => {
                let mut c = String::from("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n");
                c.push_str(&format!(
                    "{name} Digest\t\t{}\t\tVolume 1 : Issue {issue}\r\n\r\nToday's Topics:\r\n\r\n",
                    cx.now.format("%a, %e %b %Y")
                ));
                for a in &arts {
                    c.push_str(&format!("    {}\r\n", a.subject));
                }
                c.push_str(&format!("\r\n{}\r\n\r\n", "-".repeat(70)));
                for a in &arts {
                    let hs = crate::base::message::headers(&a.data);
                    for f in ["Date", "From", "Subject", "Message-ID"] {
                        if let Some(v) = crate::base::message::first(&hs, f) {
                            c.push_str(&format!("{f}: {v}\r\n"));
                        }
                    }
                    c.push_str("\r\n");
                    for l in mime::body_text(&a.data).lines() {
                        c.push_str(l);
                        c.push_str("\r\n");
                    }
                    c.push_str(&format!("\r\n{}\r\n\r\n", "-".repeat(30)));
                }
                let end = format!("End of {name} Digest V1 Issue #{issue}");
                c.push_str(&format!("{end}\r\n{}\r\n", "*".repeat(end.len())));
                (format!("{name} Digest V1 #{issue}"), c)
            }
        };
        let post = self.cfg.post_address();
        let data = self.compose(cx, "auto-generated", &post, &subject, &content);
        vec![
            Self::note(
                NoteKind::Digest,
                format!("digest issue {issue} ({range}) sent to {} member(s)", to.len()),
                &self.cfg.admin_address(),
            ),
            Out::Mail(OutMail { what: "digest", from: Some(self.cfg.admin_address()), to, data }),
        ]
    }
}
