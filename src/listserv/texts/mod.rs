//! Every text the list writes for people to read, one table per language.
//!
//! [`Texts`] has one method per text and no default bodies, so a language
//! table ([`en::En`], [`ja::Ja`]) that lacks a text does not compile. The
//! list picks its table with [`for_lang`]. Trace notes are not here: they
//! stay English whatever the list's language (a refusal's reason is written
//! twice, with [`en::En`] for the trace and the list's table for the mail).
//! Command words, keys, addresses and the RFC 1153 digest's fixed lines are
//! the same in every language.

pub mod en;
pub mod ja;

use super::command::Usage;
use super::mime::Removed;
use super::{Delivery, DigestFormat, Kind, Lang, Subscribe};
use std::time::Duration;

/// The table of a language.
pub fn for_lang(lang: Lang) -> &'static dyn Texts {
    match lang {
        Lang::En => &en::En,
        Lang::Ja => &ja::Ja,
    }
}

/// The texts of one language. Arguments are filled in as they are: `ml` is
/// `NAME ML`, `post`, `ctl` and `admin` the list's three addresses.
pub trait Texts: Sync {
    // ── Pieces used in many texts ──────────────────────────────────────

    /// How long something lasts (`7d` / `7 日`).
    fn duration(&self, d: Duration) -> String;
    /// In place of the name of someone who asked to join without one.
    fn no_name(&self) -> &'static str;
    /// One part the list removed from a post, or turned the post down for.
    fn removed_part(&self, r: &Removed) -> String;
    /// The usage line of a command given the wrong arguments.
    fn usage(&self, u: Usage) -> &'static str;
    /// How a digest is sent, for the answer to `digest on`.
    fn digest_format(&self, f: DigestFormat) -> &'static str;

    // ── Why a post is turned down or held ──────────────────────────────

    fn why_may_not_post(&self, from: &str, kind: Kind) -> String;
    fn why_too_large(&self, size: usize, max: usize) -> String;
    fn why_command_mail_too_large(&self, size: usize, max: usize) -> String;
    fn why_attachments(&self, parts: &[Removed]) -> String;

    // ── Posts ──────────────────────────────────────────────────────────

    /// Above the list of parts taken out of a post before distribution.
    fn stripped_intro(&self) -> &'static str;
    /// To the poster of a refused post.
    fn not_distributed(&self, post: &str, why: &str, subject: &str, size: usize, ctl: &str) -> String;
    /// Subject of the mail telling a poster the post was not distributed (refused or rejected by a moderator).
    fn not_distributed_subject(&self, ml: &str) -> String;
    /// To the administrators about a refused post.
    fn refused_notice(&self, from: &str, subject: &str, why: &str) -> String;
    fn refused_notice_subject(&self, ml: &str) -> String;

    // ── Held posts ─────────────────────────────────────────────────────

    /// To the moderators: `quoted` is the beginning of the post, each line `> `-quoted.
    #[allow(clippy::too_many_arguments)]
    fn held_notice(
        &self,
        post: &str,
        from: &str,
        subject: &str,
        why: &str,
        ctl: &str,
        key: &str,
        quoted: &str,
    ) -> String;
    fn held_notice_subject(&self, subject: &str, ml: &str) -> String;
    /// To a member whose post waits for a moderator.
    fn held_reply(&self, post: &str, subject: &str) -> String;
    fn held_reply_subject(&self, ml: &str) -> String;
    /// To a member whose held post a moderator turned down.
    fn declined_reply(&self, subject: &str, post: &str, reason: &str) -> String;

    // ── Bounces ────────────────────────────────────────────────────────

    fn delivery_stopped(&self, addr: &str, n: u32, ctl: &str) -> String;
    fn delivery_stopped_subject(&self, addr: &str, ml: &str) -> String;

    // ── The report on command mail ─────────────────────────────────────

    fn report_subject(&self, ml: &str) -> String;
    /// The report's subject when it carries a confirmation key.
    fn confirm_request_subject(&self, ml: &str) -> String;
    fn no_commands(&self) -> &'static str;
    fn only_first_lines(&self, max: usize) -> String;
    fn rest_not_read(&self) -> &'static str;
    fn members_only(&self, from: &str) -> String;
    fn bad_arguments(&self, command: &str, usage: Usage) -> String;
    fn unknown_command(&self, word: &str) -> String;

    // ── help, guide ────────────────────────────────────────────────────

    fn help(&self, post: &str, ctl: &str) -> String;
    /// The default guide; `title` is empty or ends with ` — `.
    fn guide(&self, title: &str, post: &str, ctl: &str, admin: &str, kind: Kind, subscribe: Subscribe) -> String;

    // ── Membership ─────────────────────────────────────────────────────

    fn already_member(&self, addr: &str) -> String;
    /// `Refused: ADDR is not a member.`
    fn refused_not_member(&self, addr: &str) -> String;
    /// `Refused: ADDR is already a member.`
    fn refused_already_member(&self, addr: &str) -> String;
    fn left(&self, from: &str) -> String;
    fn nothing_to_leave(&self, from: &str) -> String;
    /// To the administrators, on an admin-only list.
    fn join_request_notice(&self, from: &str, who: &str, post: &str, ctl: &str) -> String;
    fn join_request_subject(&self, ml: &str) -> String;
    fn join_request_passed_on(&self) -> &'static str;
    fn confirm_request(&self, from: &str, post: &str, ctl: &str, key: &str, name: &str, expiry: &str) -> String;
    fn key_unknown(&self) -> &'static str;
    fn key_expired(&self) -> &'static str;
    fn key_for_another(&self, key: &str, to: &str, from: &str) -> String;
    fn new_member_notice(&self, from: &str, who: &str, post: &str, n: usize) -> String;
    fn new_member_subject(&self, ml: &str) -> String;
    /// `guide` is empty or the list's own guide after a newline.
    fn welcome_confirmed(&self, from: &str, post: &str, ctl: &str, guide: &str) -> String;
    fn confirmed_notice(&self, from: &str, who: &str, post: &str, ctl: &str) -> String;
    fn confirmed_notice_subject(&self, ml: &str) -> String;
    fn confirmed_waiting(&self) -> &'static str;
    fn chaddr_wrong_sender(&self, old: &str, from: &str) -> String;
    fn chaddr_done(&self, old: &str, new: &str) -> String;
    /// The answer to `digest on|off|nomail`: `every` as [`Texts::duration`] writes it.
    fn delivery_now(&self, d: Delivery, format: DigestFormat, every: &str) -> String;

    // ── Archive ────────────────────────────────────────────────────────

    fn member_list_head(&self, n: usize) -> String;
    fn archive_empty(&self) -> &'static str;
    fn index_head(&self, n: usize) -> String;
    fn article_sent(&self, n: u32) -> String;
    fn article_missing(&self, n: u32) -> String;
    /// The text part of the mail that carries an archived article.
    fn article_attached(&self, n: u32, post: &str) -> String;
    fn article_subject(&self, n: u32, ml: &str) -> String;

    // ── Moderation commands ────────────────────────────────────────────

    fn not_moderator(&self, from: &str) -> String;
    fn approved(&self, subject: &str, from: &str) -> String;
    /// `told`: whether the sender (a member) was told.
    fn rejected(&self, subject: &str, from: &str, told: bool) -> String;
    fn no_held(&self, key: &str) -> String;

    // ── Administrator commands ─────────────────────────────────────────

    fn no_remote_admin(&self) -> &'static str;
    fn not_admin(&self, from: &str) -> String;
    fn wrong_password(&self) -> &'static str;
    fn password_accepted(&self) -> &'static str;
    fn admin_help(&self) -> &'static str;
    fn admin_pass_first(&self) -> &'static str;
    /// To someone the administrator added; `guide` as in [`Texts::welcome_confirmed`].
    fn welcome_added(&self, address: &str, post: &str, ctl: &str, guide: &str) -> String;
    fn welcome_subject(&self, ml: &str) -> String;
    fn added(&self, address: &str, n: usize) -> String;
    fn removed(&self, address: &str, n: usize) -> String;
    fn not_member(&self, address: &str) -> String;
    fn already_moderator(&self, address: &str) -> String;
    fn now_moderator(&self, address: &str) -> String;
    fn admin_usage(&self, u: Usage) -> String;
    fn admin_unknown(&self, word: &str) -> String;

    // ── Digests (MIME; the RFC 1153 digest is fixed English) ───────────

    /// `article 3` / `articles 3-5`.
    fn digest_range(&self, first: u32, last: u32) -> String;
    /// The table of contents: `topics` is one CRLF-ended line per article.
    fn digest_contents(&self, name: &str, issue: u32, count: usize, range: &str, topics: &str) -> String;
    fn digest_subject(&self, name: &str, issue: u32, range: &str) -> String;
}
