//! The Japanese texts, as fml answers on a Japanese list.

use super::Texts;
use crate::listserv::command::Usage;
use crate::listserv::duration::format_duration;
use crate::listserv::mime::Removed;
use crate::listserv::{Delivery, DigestFormat, Kind, Subscribe};
use std::time::Duration;

pub struct Ja;

impl Texts for Ja {
    /// `7 日`, `1 時間 30 分`.
    fn duration(&self, d: Duration) -> String {
        let s = d.as_secs();
        if s == 0 {
            return format_duration(d);
        }
        let mut out = Vec::new();
        let mut rest = s;
        for (unit, size) in [("日", 86_400u64), ("時間", 3600), ("分", 60), ("秒", 1)] {
            if rest >= size {
                out.push(format!("{} {unit}", rest / size));
                rest %= size;
            }
        }
        out.join(" ")
    }
    fn no_name(&self) -> &'static str {
        "名前なし"
    }
    fn removed_part(&self, r: &Removed) -> String {
        format!("{} ({}, {} オクテット)", r.name, r.content_type, r.octets)
    }
    /// The syntax is the same in every language; only the notes in parentheses are translated.
    fn usage(&self, u: Usage) -> &'static str {
        match u {
            Usage::Get => "get N   (get N-M も可。一度に 10 件まで)",
            Usage::Chaddr => "chaddr OLD-ADDRESS NEW-ADDRESS",
            Usage::Digest => "digest on | digest off | digest nomail",
            Usage::Confirm => "confirm KEY YOUR NAME   (参加確認のお願いのメールにある行をそのまま写してください)",
            Usage::Approve => "approve KEY   (KEY は保留の通知に書かれている鍵)",
            Usage::Reject => "reject KEY   (KEY は保留の通知に書かれている鍵)",
            Usage::AdminAdd => "admin add ADDRESS [NAME]",
            Usage::AdminBye => "admin bye ADDRESS",
            Usage::AdminModerate => "admin moderate ADDRESS",
            Usage::AdminPass => "admin pass PASSWORD",
        }
    }
    fn digest_format(&self, f: DigestFormat) -> &'static str {
        match f {
            DigestFormat::Mime => "MIME 形式のダイジェスト",
            DigestFormat::Rfc1153 => "RFC 1153 形式のテキストのダイジェスト",
        }
    }

    fn why_may_not_post(&self, from: &str, kind: Kind) -> String {
        let who = match kind {
            Kind::Participatory => "投稿できるのはメンバーだけです",
            Kind::Moderated => "このお知らせ用のリストに投稿できるのはモデレータだけです",
        };
        format!("{from} からは投稿できません（{who}）")
    }
    fn why_too_large(&self, size: usize, max: usize) -> String {
        format!("{size} オクテットで、上限の {max} オクテットを超えています")
    }
    fn why_command_mail_too_large(&self, size: usize, max: usize) -> String {
        format!("{size} オクテットで、上限の {max} オクテットを超えているため、コマンドは読んでいません")
    }
    fn why_attachments(&self, parts: &[Removed]) -> String {
        let list: Vec<String> = parts.iter().map(|r| self.removed_part(r)).collect();
        format!("このリストには添付ファイルを送れません: {}", list.join(", "))
    }

    fn stripped_intro(&self) -> &'static str {
        "[リストが配信の前に次のパートを削除しました:]"
    }
    fn not_distributed(&self, post: &str, why: &str, subject: &str, size: usize, ctl: &str) -> String {
        format!(
            "{post} 宛てのあなたのメールは配信されませんでした。\n\n理由: {why}\n\n  件名: {subject}\n  大きさ: {size} オクテット\n\n\
             使い方を知りたいときは、本文に「help」とだけ書いたメールを {ctl} に送ってください。\n"
        )
    }
    fn not_distributed_subject(&self, ml: &str) -> String {
        format!("投稿は配信されませんでした ({ml})")
    }
    fn refused_notice(&self, from: &str, subject: &str, why: &str) -> String {
        format!("リストがメールの配信を断りました。\n\n  差出人: {from}\n  件名: {subject}\n  理由: {why}\n")
    }
    fn refused_notice_subject(&self, ml: &str) -> String {
        format!("配信を断った投稿 ({ml})")
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
            "{post} への投稿が、あなたの判断を待っています。\n\n  差出人: {from}\n  件名: {subject}\n  保留の理由: {why}\n\n\
             配信するには、次の行を本文に書いたメールを {ctl} に送ってください:\n\napprove {key}\n\n\
             配信しないときは、次の行を送ってください:\n\nreject {key}\n\n投稿の始めの部分:\n\n{quoted}"
        )
    }
    fn held_notice_subject(&self, subject: &str, ml: &str) -> String {
        format!("承認待ちの投稿:「{subject}」({ml})")
    }
    fn held_reply(&self, post: &str, subject: &str) -> String {
        format!(
            "{post} へのあなたの投稿「{subject}」は、モデレータの承認を待っています。\n配信しないことになったときは、リストからお知らせします。\n"
        )
    }
    fn held_reply_subject(&self, ml: &str) -> String {
        format!("投稿はモデレータの承認待ちです ({ml})")
    }
    fn declined_reply(&self, subject: &str, post: &str, reason: &str) -> String {
        format!(
            "{post} へのあなたの投稿「{subject}」は、モデレータの判断で配信しないことになりました。\n（保留の理由: {reason}）\n"
        )
    }

    fn delivery_stopped(&self, addr: &str, n: u32, ctl: &str) -> String {
        format!(
            "{addr} 宛てのメールが {n} 回エラーで戻ってきたので、リストはこのアドレスに配信するのをやめました。\n\
             アドレスはメンバーのままです。削除するには、次の内容を {ctl} に送ってください:\n\nadmin pass PASSWORD\nadmin bye {addr}\n"
        )
    }
    fn delivery_stopped_subject(&self, addr: &str, ml: &str) -> String {
        format!("{addr} への配信を止めました ({ml})")
    }

    fn report_subject(&self, ml: &str) -> String {
        format!("コマンドの処理結果 ({ml})")
    }
    fn confirm_request_subject(&self, ml: &str) -> String {
        format!("参加確認のお願い ({ml})")
    }
    fn no_commands(&self) -> &'static str {
        "メールにコマンドが書かれていませんでした。コマンドの一覧は「help」を送ると届きます。\n"
    }
    fn only_first_lines(&self, max: usize) -> String {
        format!("\n（読むのは最初の {max} 行までです。残りは読みませんでした）\n")
    }
    fn rest_not_read(&self) -> &'static str {
        "   （ここから後は読みません）\n"
    }
    fn members_only(&self, from: &str) -> String {
        format!(
            "お断りします: このコマンドはメンバー専用で、{from} はメンバーではありません。\n参加するには「subscribe YOUR NAME」を送ってください。"
        )
    }
    fn bad_arguments(&self, command: &str, usage: Usage) -> String {
        format!("「{command}」の引数が違います。使い方: {}", self.usage(usage))
    }
    fn unknown_command(&self, word: &str) -> String {
        format!(
            "「{word}」というコマンドはありません。コマンドは 1 行に 1 つずつ書きます。一覧は「help」を送ると届きます。"
        )
    }

    fn help(&self, post: &str, ctl: &str) -> String {
        format!(
            "{post} のコマンド: {ctl} 宛てのメールの本文に、1 行に 1 つずつ書いてください。\n\n\
             help                   この説明\n\
             guide                  リストの案内と参加の方法\n\
             subscribe YOUR NAME    参加を申し込む（確認用の鍵が届きます）\n\
             confirm KEY YOUR NAME  届いた鍵で参加の手続きを終える\n\
             unsubscribe            リストから退会する\n\
             members                メンバーの一覧（メンバーのみ）\n\
             index                  アーカイブの記事の一覧（メンバーのみ）\n\
             get N                  アーカイブの記事 N を取り寄せる。get 3-5 も可（メンバーのみ）\n\
             chaddr OLD NEW         登録アドレスを NEW に変える（OLD から送ること）\n\
             digest on|off|nomail   ダイジェストで / 1 通ずつ / 配信なしで受け取る\n\
             approve KEY, reject KEY   保留中の投稿を配信する / しない（モデレータ）\n\
             admin pass PASSWORD    続けて admin add, admin bye, admin moderate（管理者）\n\
             end                    ここで読むのをやめる（署名の前に書きます）\n"
        )
    }
    fn guide(&self, title: &str, post: &str, ctl: &str, admin: &str, kind: Kind, subscribe: Subscribe) -> String {
        let what = match kind {
            Kind::Participatory => "参加型のリストです。メンバーは誰でも投稿でき、投稿はメンバー全員に届きます。",
            Kind::Moderated => "お知らせ用のリストです。投稿するのはモデレータだけで、メンバーは受け取るだけです。",
        };
        let join = match subscribe {
            Subscribe::Confirm => "参加するには「subscribe YOUR NAME」を送ってください。確認用の鍵が届きます。",
            Subscribe::ConfirmThenApprove => {
                "参加するには「subscribe YOUR NAME」を送り、届いた鍵で確認してください。そのあと管理者が手作業で登録します。"
            }
            Subscribe::AdminOnly => {
                "メンバーは管理者が登録します。「subscribe」を送ると、参加の申し込みが管理者に伝わります。"
            }
        };
        format!(
            "{title}{post}\n\n{what}\n  投稿用アドレス:        {post}\n  コマンド受付アドレス:  {ctl}（「help」を送るとコマンドの一覧が届きます）\n  管理者アドレス:        {admin}\n\n{join}\n"
        )
    }

    fn already_member(&self, addr: &str) -> String {
        format!("{addr} はすでにメンバーです。")
    }
    fn refused_not_member(&self, addr: &str) -> String {
        format!("お断りします: {addr} はメンバーではありません。")
    }
    fn refused_already_member(&self, addr: &str) -> String {
        format!("お断りします: {addr} はすでにメンバーです。")
    }
    fn left(&self, from: &str) -> String {
        format!("{from} はリストから退会しました。これまでありがとうございました。")
    }
    fn nothing_to_leave(&self, from: &str) -> String {
        format!("{from} はメンバーではないので、退会の手続きはいりません。")
    }
    fn join_request_notice(&self, from: &str, who: &str, post: &str, ctl: &str) -> String {
        format!(
            "{from}（{who}）から {post} に参加したいという申し込みがありました。\n\
             登録するには、次の内容を {ctl} に送ってください:\n\nadmin pass PASSWORD\nadmin add {from}\n"
        )
    }
    fn join_request_subject(&self, ml: &str) -> String {
        format!("参加の申し込み ({ml})")
    }
    fn join_request_passed_on(&self) -> &'static str {
        "このリストでは管理者が手作業でメンバーを登録します。参加の申し込みを管理者に伝えました。"
    }
    fn confirm_request(&self, from: &str, post: &str, ctl: &str, key: &str, name: &str, expiry: &str) -> String {
        format!(
            "{from} から {post} への参加の申し込みがありました。\n\
             ご本人の確認のため、次の行を本文に入れて、このメールに返信してください（返信先は {ctl} です）:\n\n\
             confirm {key} {name}\n\n\
             この鍵の有効期間は {expiry}です。申し込んだ覚えがなければ、何もしないでください。"
        )
    }
    fn key_unknown(&self) -> &'static str {
        "その鍵は見つかりません（打ち間違い、使用済み、または期限切れです）。新しい鍵は「subscribe YOUR NAME」を送ると届きます。"
    }
    fn key_expired(&self) -> &'static str {
        "その鍵は有効期間が過ぎています。「subscribe YOUR NAME」を送って、初めからやり直してください。"
    }
    fn key_for_another(&self, key: &str, to: &str, from: &str) -> String {
        format!("お断りします: 鍵 {key} は {from} ではなく {to} に送ったものです。そのアドレスから確認してください。")
    }
    fn new_member_notice(&self, from: &str, who: &str, post: &str, n: usize) -> String {
        format!("{from}（{who}）が確認を済ませて {post} に参加しました。メンバーは {n} 人になりました。\n")
    }
    fn new_member_subject(&self, ml: &str) -> String {
        format!("新しいメンバー ({ml})")
    }
    fn welcome_confirmed(&self, from: &str, post: &str, ctl: &str, guide: &str) -> String {
        format!(
            "ようこそ！{from} は {post} のメンバーになりました。\n\
             投稿は {post} 宛てに送ってください。コマンドの一覧は {ctl} に「help」を送ると届きます。\n{guide}"
        )
    }
    fn confirmed_notice(&self, from: &str, who: &str, post: &str, ctl: &str) -> String {
        format!(
            "{from}（{who}）が {post} への参加の申し込みを確認しました。\n\
             登録するには、次の内容を {ctl} に送ってください:\n\nadmin pass PASSWORD\nadmin add {from}\n"
        )
    }
    fn confirmed_notice_subject(&self, ml: &str) -> String {
        format!("承認待ちの参加の申し込み ({ml})")
    }
    fn confirmed_waiting(&self) -> &'static str {
        "ありがとうございます。アドレスの確認ができました。新しいメンバーは管理者が一人ずつ確かめて登録します。登録されると歓迎のメールが届きます。"
    }
    fn chaddr_wrong_sender(&self, old: &str, from: &str) -> String {
        format!("お断りします: chaddr は古いアドレス ({old}) から送ってください。このメールは {from} から届きました。")
    }
    fn chaddr_done(&self, old: &str, new: &str) -> String {
        format!("変更しました: これからは {old} ではなく {new} に配信します。")
    }
    fn delivery_now(&self, d: Delivery, format: DigestFormat, every: &str) -> String {
        match d {
            Delivery::Digest => format!(
                "これからは投稿を 1 通ずつではなく、{every}ごとに、{}でお届けします。",
                self.digest_format(format)
            ),
            Delivery::Each => "これからは投稿を 1 通ずつ、配信のたびにお届けします。".into(),
            Delivery::NoMail => {
                "これからは投稿をお送りしません。メンバーのままなので、投稿することも、index と get で記事を読むこともできます。".into()
            }
        }
    }

    fn member_list_head(&self, n: usize) -> String {
        format!("メンバーは {n} 人です:\n")
    }
    fn archive_empty(&self) -> &'static str {
        "アーカイブは空です。まだ投稿がありません。"
    }
    fn index_head(&self, n: usize) -> String {
        format!("アーカイブには {n} 件の記事があります。取り寄せるには「get N」を送ってください:\n")
    }
    fn article_sent(&self, n: u32) -> String {
        format!("記事 {n} を別のメールでお送りします。\n")
    }
    fn article_missing(&self, n: u32) -> String {
        format!("記事 {n} はアーカイブにありません。\n")
    }
    fn article_attached(&self, n: u32, post: &str) -> String {
        format!("{post} の記事 {n} を、配信されたときのままの形で添付します。")
    }
    fn article_subject(&self, n: u32, ml: &str) -> String {
        format!("記事 {n} ({ml})")
    }

    fn not_moderator(&self, from: &str) -> String {
        format!("お断りします: 保留中の投稿を判断できるのはモデレータだけで、{from} はモデレータではありません。")
    }
    fn approved(&self, subject: &str, from: &str) -> String {
        format!("承認しました: {from} からの「{subject}」を配信しました。")
    }
    fn rejected(&self, subject: &str, from: &str, told: bool) -> String {
        let tell = if told {
            "送信者にはそのことを知らせました"
        } else {
            "送信者はメンバーではないので知らせていません（アドレスが偽物かもしれないため）"
        };
        format!("却下しました: {from} からの「{subject}」は配信しません。{tell}。")
    }
    fn no_held(&self, key: &str) -> String {
        format!("鍵 {key} の保留中の投稿はありません（判断済みか、鍵の打ち間違いです）。")
    }

    fn no_remote_admin(&self) -> &'static str {
        "お断りします: このリストはメールによる遠隔管理をしていません。"
    }
    fn not_admin(&self, from: &str) -> String {
        format!("お断りします: {from} はこのリストの管理者ではありません。")
    }
    fn wrong_password(&self) -> &'static str {
        "お断りします: パスワードが違います。このメールの admin コマンドは実行しません。"
    }
    fn password_accepted(&self) -> &'static str {
        "パスワードを確認しました。このメールの残りの admin コマンドを実行します。"
    }
    fn admin_help(&self) -> &'static str {
        "管理者用のコマンド（管理者のアドレスから、「admin pass PASSWORD」の行の後に書きます）:\n  \
         admin add ADDRESS [NAME]   メンバーを登録する\n  admin bye ADDRESS          メンバーを削除する\n  \
         admin moderate ADDRESS     メンバーをモデレータにする"
    }
    fn admin_pass_first(&self) -> &'static str {
        "お断りします: メールの初めに「admin pass PASSWORD」の行を書いてください（管理者のアドレスから送ること）。"
    }
    fn welcome_added(&self, address: &str, post: &str, ctl: &str, guide: &str) -> String {
        format!(
            "ようこそ！管理者が {address} を {post} のメンバーに登録しました。\n\
             投稿は {post} 宛てに送ってください。コマンドの一覧は {ctl} に「help」を送ると届きます。\n{guide}"
        )
    }
    fn welcome_subject(&self, ml: &str) -> String {
        format!("{ml} へようこそ")
    }
    fn added(&self, address: &str, n: usize) -> String {
        format!("{address} を登録しました。メンバーは {n} 人になりました。")
    }
    fn removed(&self, address: &str, n: usize) -> String {
        format!("{address} を削除しました。メンバーは {n} 人になりました。")
    }
    fn not_member(&self, address: &str) -> String {
        format!("{address} はメンバーではありません。")
    }
    fn already_moderator(&self, address: &str) -> String {
        format!("{address} はすでにモデレータです。")
    }
    fn now_moderator(&self, address: &str) -> String {
        format!("{address} をモデレータにしました。")
    }
    fn admin_usage(&self, u: Usage) -> String {
        format!("使い方: {}", self.usage(u))
    }
    fn admin_unknown(&self, word: &str) -> String {
        format!("「{word}」という admin コマンドはありません。一覧は「admin help」を送ると届きます。")
    }

    fn digest_range(&self, first: u32, last: u32) -> String {
        if first == last { format!("記事 {first}") } else { format!("記事 {first}-{last}") }
    }
    fn digest_contents(&self, name: &str, issue: u32, count: usize, range: &str, topics: &str) -> String {
        format!("{name} ダイジェスト 第 {issue} 号: {count} 件（{range}）\r\n\r\n目次:\r\n{topics}")
    }
    fn digest_subject(&self, name: &str, issue: u32, range: &str) -> String {
        format!("{name} ダイジェスト 第 {issue} 号 ({range})")
    }
}
