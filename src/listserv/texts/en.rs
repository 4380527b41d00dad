//! The English texts (the default).

use super::Texts;
use crate::listserv::command::Usage;
use crate::listserv::duration::format_duration;
use crate::listserv::mime::Removed;
use crate::listserv::{Delivery, DigestFormat, Kind, Subscribe};
use std::time::Duration;

pub struct En;

impl Texts for En {
    fn duration(&self, d: Duration) -> String {
        format_duration(d)
    }
    fn no_name(&self) -> &'static str {
        "no name given"
    }
    fn removed_part(&self, r: &Removed) -> String {
        r.to_string()
    }
    fn usage(&self, u: Usage) -> &'static str {
        match u {
            Usage::Get => "get N   (or get N-M, at most 10 articles)",
            Usage::Chaddr => "chaddr OLD-ADDRESS NEW-ADDRESS",
            Usage::Digest => "digest on | digest off | digest nomail",
            Usage::Confirm => "confirm KEY YOUR NAME   (copy the line from the confirmation request)",
            Usage::Approve => "approve KEY   (the key in the notice about the held post)",
            Usage::Reject => "reject KEY   (the key in the notice about the held post)",
            Usage::AdminAdd => "admin add ADDRESS [NAME]",
            Usage::AdminBye => "admin bye ADDRESS",
            Usage::AdminModerate => "admin moderate ADDRESS",
            Usage::AdminPass => "admin pass PASSWORD",
        }
    }
    fn digest_format(&self, f: DigestFormat) -> &'static str {
        match f {
            DigestFormat::Mime => "a MIME digest",
            DigestFormat::Rfc1153 => "an RFC 1153 text digest",
        }
    }

    fn why_may_not_post(&self, from: &str, kind: Kind) -> String {
        let who = match kind {
            Kind::Participatory => "only members may post",
            Kind::Moderated => "only the moderators may post to this announcement list",
        };
        format!("{from} may not post: {who}")
    }
    fn why_too_large(&self, size: usize, max: usize) -> String {
        format!("{size} octets is over the limit of {max}")
    }
    fn why_command_mail_too_large(&self, size: usize, max: usize) -> String {
        format!("{size} octets is over the limit of {max}; commands in it were not read")
    }
    fn why_attachments(&self, parts: &[Removed]) -> String {
        let list: Vec<String> = parts.iter().map(|r| self.removed_part(r)).collect();
        format!("attachments are not allowed on this list: {}", list.join(", "))
    }

    fn stripped_intro(&self) -> &'static str {
        "[The list removed these parts before distribution:]"
    }
    fn not_distributed(&self, post: &str, why: &str, subject: &str, size: usize, ctl: &str) -> String {
        format!(
            "Your message to {post} was not distributed.\n\nReason: {why}\n\n  Subject: {subject}\n  Size: {size} octets\n\n\
             For help, send a mail with the single word \"help\" in the body to {ctl}.\n"
        )
    }
    fn not_distributed_subject(&self, ml: &str) -> String {
        format!("Your post was not distributed ({ml})")
    }
    fn refused_notice(&self, from: &str, subject: &str, why: &str) -> String {
        format!("The list turned a message down.\n\n  From: {from}\n  Subject: {subject}\n  Reason: {why}\n")
    }
    fn refused_notice_subject(&self, ml: &str) -> String {
        format!("Post refused ({ml})")
    }

    fn held_notice(
        &self,
        post: &str,
        from: &str,
        subject: &str,
        why: &str,
        ctl: &str,
        key: &str,
        quoted: &str,
    ) -> String {
        format!(
            "A post to {post} is waiting for your decision.\n\n  From: {from}\n  Subject: {subject}\n  Why it was held: {why}\n\n\
             To distribute it, send this line in the body of a mail to {ctl}:\n\napprove {key}\n\n\
             To turn it down instead, send:\n\nreject {key}\n\nThe post begins:\n\n{quoted}"
        )
    }
    fn held_notice_subject(&self, subject: &str, ml: &str) -> String {
        format!("Post held for approval: \"{subject}\" ({ml})")
    }
    fn held_reply(&self, post: &str, subject: &str) -> String {
        format!(
            "Your message \"{subject}\" to {post} is waiting for a moderator.\nYou will hear from the list if it is turned down.\n"
        )
    }
    fn held_reply_subject(&self, ml: &str) -> String {
        format!("Your post is waiting for a moderator ({ml})")
    }
    fn declined_reply(&self, subject: &str, post: &str, reason: &str) -> String {
        format!(
            "A moderator decided not to distribute your message \"{subject}\" to {post}.\n(It was held because {reason}.)\n"
        )
    }

    fn delivery_stopped(&self, addr: &str, n: u32, ctl: &str) -> String {
        format!(
            "Mail to {addr} has bounced {n} time(s), so the list no longer sends there.\n\
             The address is still a member. To remove it, send to {ctl}:\n\nadmin pass PASSWORD\nadmin bye {addr}\n"
        )
    }
    fn delivery_stopped_subject(&self, addr: &str, ml: &str) -> String {
        format!("Delivery stopped for {addr} ({ml})")
    }

    fn report_subject(&self, ml: &str) -> String {
        format!("Command results ({ml})")
    }
    fn confirm_request_subject(&self, ml: &str) -> String {
        format!("Subscribe confirmation request ({ml})")
    }
    fn no_commands(&self) -> &'static str {
        "Your mail had no commands in it. Send \"help\" for the list of commands.\n"
    }
    fn only_first_lines(&self, max: usize) -> String {
        format!("\n(only the first {max} lines are read; the rest was ignored)\n")
    }
    fn rest_not_read(&self) -> &'static str {
        "   (the rest of the mail is not read)\n"
    }
    fn members_only(&self, from: &str) -> String {
        format!("Refused: this command is for members, and {from} is not one.\nTo join, send \"subscribe YOUR NAME\".")
    }
    fn bad_arguments(&self, command: &str, usage: Usage) -> String {
        format!("\"{command}\" needs other arguments. Usage: {}", self.usage(usage))
    }
    fn unknown_command(&self, word: &str) -> String {
        format!("Unknown command \"{word}\". Commands are read one per line; send \"help\" for the list of them.")
    }

    fn help(&self, post: &str, ctl: &str) -> String {
        format!(
            "Commands for {post}: write them in the body of a mail to {ctl}, one per line.\n\n\
             help                   this text\n\
             guide                  what the list is and how to join\n\
             subscribe YOUR NAME    ask to join (you get a key to confirm)\n\
             confirm KEY YOUR NAME  finish joining with the key you were sent\n\
             unsubscribe            leave the list\n\
             members                who is on the list (members only)\n\
             index                  the archived articles (members only)\n\
             get N                  article N from the archive, also get 3-5 (members only)\n\
             chaddr OLD NEW         move your membership to a new address (send from OLD)\n\
             digest on|off|nomail   get a digest / each post / no mail\n\
             approve KEY, reject KEY   decide on a held post (moderators)\n\
             admin pass PASSWORD    then admin add, admin bye, admin moderate (administrators)\n\
             end                    stop reading (put it before your signature)\n"
        )
    }
    fn guide(&self, title: &str, post: &str, ctl: &str, admin: &str, kind: Kind, subscribe: Subscribe) -> String {
        let what = match kind {
            Kind::Participatory => "Every member may post; a post is sent to all members.",
            Kind::Moderated => "This is an announcement list: only its moderators post, members receive.",
        };
        let join = match subscribe {
            Subscribe::Confirm => "To join, send \"subscribe YOUR NAME\"; you will be sent a key to confirm.",
            Subscribe::ConfirmThenApprove => {
                "To join, send \"subscribe YOUR NAME\" and confirm with the key you are sent; the administrator then adds you by hand."
            }
            Subscribe::AdminOnly => "Members are added by the administrator; \"subscribe\" passes your request on.",
        };
        format!(
            "{title}{post}\n\n{what}\n  posting address:  {post}\n  command address:  {ctl} (send \"help\" there)\n  administrator:    {admin}\n\n{join}\n"
        )
    }

    fn already_member(&self, addr: &str) -> String {
        format!("{addr} is already a member.")
    }
    fn refused_not_member(&self, addr: &str) -> String {
        format!("Refused: {addr} is not a member.")
    }
    fn refused_already_member(&self, addr: &str) -> String {
        format!("Refused: {addr} is already a member.")
    }
    fn left(&self, from: &str) -> String {
        format!("{from} has left the list. Goodbye!")
    }
    fn nothing_to_leave(&self, from: &str) -> String {
        format!("{from} is not a member, so there is nothing to leave.")
    }
    fn join_request_notice(&self, from: &str, who: &str, post: &str, ctl: &str) -> String {
        format!(
            "{from} ({who}) asks to join {post}.\nTo add them, send to {ctl}:\n\nadmin pass PASSWORD\nadmin add {from}\n"
        )
    }
    fn join_request_subject(&self, ml: &str) -> String {
        format!("Join request ({ml})")
    }
    fn join_request_passed_on(&self) -> &'static str {
        "This list adds members by hand: your request has gone to the administrator."
    }
    fn confirm_request(&self, from: &str, post: &str, ctl: &str, key: &str, name: &str, expiry: &str) -> String {
        format!(
            "Please confirm that {from} wants to join {post}.\n\
             Reply to this mail (to {ctl}) with this line in the body:\n\nconfirm {key} {name}\n\n\
             The key is good for {expiry}. If you did not ask to join, do nothing."
        )
    }
    fn key_unknown(&self) -> &'static str {
        "That key is unknown (mistyped, already used, or expired). Send \"subscribe YOUR NAME\" to get a new one."
    }
    fn key_expired(&self) -> &'static str {
        "That key has expired. Send \"subscribe YOUR NAME\" to start again."
    }
    fn key_for_another(&self, key: &str, to: &str, from: &str) -> String {
        format!("Refused: key {key} was sent to {to}, not to {from}. Confirm from that address.")
    }
    fn new_member_notice(&self, from: &str, who: &str, post: &str, n: usize) -> String {
        format!("{from} ({who}) joined {post} after confirming; the list now has {n} member(s).\n")
    }
    fn new_member_subject(&self, ml: &str) -> String {
        format!("New member ({ml})")
    }
    fn welcome_confirmed(&self, from: &str, post: &str, ctl: &str, guide: &str) -> String {
        format!(
            "Welcome! {from} is now a member of {post}.\nPost by writing to {post}; send \"help\" to {ctl} for the commands.\n{guide}"
        )
    }
    fn confirmed_notice(&self, from: &str, who: &str, post: &str, ctl: &str) -> String {
        format!(
            "{from} ({who}) confirmed a request to join {post}.\nTo let them in, send to {ctl}:\n\nadmin pass PASSWORD\nadmin add {from}\n"
        )
    }
    fn confirmed_notice_subject(&self, ml: &str) -> String {
        format!("Join request to approve ({ml})")
    }
    fn confirmed_waiting(&self) -> &'static str {
        "Thank you: your address is confirmed. The administrator checks every new member by hand; you will get a welcome mail when you are added."
    }
    fn chaddr_wrong_sender(&self, old: &str, from: &str) -> String {
        format!("Refused: send chaddr from the old address ({old}); this mail came from {from}.")
    }
    fn chaddr_done(&self, old: &str, new: &str) -> String {
        format!("Done: the list now sends to {new} instead of {old}.")
    }
    fn delivery_now(&self, d: Delivery, format: DigestFormat, every: &str) -> String {
        match d {
            Delivery::Digest => {
                format!("From now on you get {} every {every} instead of each post.", self.digest_format(format))
            }
            Delivery::Each => "From now on you get each post as it is sent.".into(),
            Delivery::NoMail => {
                "From now on the list sends you no posts; you stay a member (you may post, and read with index/get)."
                    .into()
            }
        }
    }

    fn member_list_head(&self, n: usize) -> String {
        format!("{n} member(s):\n")
    }
    fn archive_empty(&self) -> &'static str {
        "The archive is empty: nothing has been posted yet."
    }
    fn index_head(&self, n: usize) -> String {
        format!("{n} article(s) in the archive; ask for one with \"get N\":\n")
    }
    fn article_sent(&self, n: u32) -> String {
        format!("Article {n} is sent to you in a separate mail.\n")
    }
    fn article_missing(&self, n: u32) -> String {
        format!("Article {n} is not in the archive.\n")
    }
    fn article_attached(&self, n: u32, post: &str) -> String {
        format!("Article {n} of {post}, as it was distributed, is attached.")
    }
    fn article_subject(&self, n: u32, ml: &str) -> String {
        format!("Article {n} ({ml})")
    }

    fn not_moderator(&self, from: &str) -> String {
        format!("Refused: only a moderator may decide on held posts, and {from} is not one.")
    }
    fn approved(&self, subject: &str, from: &str) -> String {
        format!("Approved: \"{subject}\" from {from} is distributed.")
    }
    fn rejected(&self, subject: &str, from: &str, told: bool) -> String {
        let tell = if told {
            "the sender is told"
        } else {
            "the sender is not a member and is not told (it may be a forged address)"
        };
        format!("Rejected: \"{subject}\" from {from} is not distributed; {tell}.")
    }
    fn no_held(&self, key: &str) -> String {
        format!("No held post has the key {key} (already decided, or mistyped).")
    }

    fn no_remote_admin(&self) -> &'static str {
        "Refused: this list has no remote administration."
    }
    fn not_admin(&self, from: &str) -> String {
        format!("Refused: {from} is not an administrator of this list.")
    }
    fn wrong_password(&self) -> &'static str {
        "Refused: wrong password. Admin commands in this mail will not run."
    }
    fn password_accepted(&self) -> &'static str {
        "Password accepted: admin commands in the rest of this mail will run."
    }
    fn admin_help(&self) -> &'static str {
        "Administrator commands (after \"admin pass PASSWORD\", from an administrator's address):\n  \
         admin add ADDRESS [NAME]   add a member\n  admin bye ADDRESS          remove a member\n  \
         admin moderate ADDRESS     make a member a moderator"
    }
    fn admin_pass_first(&self) -> &'static str {
        "Refused: start the mail with \"admin pass PASSWORD\" (from an administrator's address)."
    }
    fn welcome_added(&self, address: &str, post: &str, ctl: &str, guide: &str) -> String {
        format!(
            "Welcome! The administrator has added {address} to {post}.\nPost by writing to {post}; send \"help\" to {ctl} for the commands.\n{guide}"
        )
    }
    fn welcome_subject(&self, ml: &str) -> String {
        format!("Welcome to the {ml}")
    }
    fn added(&self, address: &str, n: usize) -> String {
        format!("Added {address}; the list now has {n} member(s).")
    }
    fn removed(&self, address: &str, n: usize) -> String {
        format!("Removed {address}; the list now has {n} member(s).")
    }
    fn not_member(&self, address: &str) -> String {
        format!("{address} is not a member.")
    }
    fn already_moderator(&self, address: &str) -> String {
        format!("{address} is already a moderator.")
    }
    fn now_moderator(&self, address: &str) -> String {
        format!("{address} is now a moderator.")
    }
    fn admin_usage(&self, u: Usage) -> String {
        format!("Usage: {}", self.usage(u))
    }
    fn admin_unknown(&self, word: &str) -> String {
        format!("Unknown admin command \"{word}\"; send \"admin help\".")
    }

    fn digest_range(&self, first: u32, last: u32) -> String {
        if first == last { format!("article {first}") } else { format!("articles {first}-{last}") }
    }
    fn digest_contents(&self, name: &str, issue: u32, count: usize, range: &str, topics: &str) -> String {
        format!("{name} digest, issue {issue}: {count} article(s), {range}\r\n\r\nTopics:\r\n{topics}")
    }
    fn digest_subject(&self, name: &str, issue: u32, range: &str) -> String {
        format!("{name} digest, issue {issue} ({range})")
    }
}
