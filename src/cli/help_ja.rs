//! `--help` in Japanese: the one table of Japanese texts for every command and
//! argument of the command line, and [`localise`], which puts them (and clap's
//! own words: "Usage:", the headings, the help and version flags, the `help`
//! subcommand) into the `Command` that clap's derive built. The English texts
//! stay in the doc comments of `cli/mod.rs`; a test fails when a command or an
//! argument there has no line here.

use clap::{Arg, ArgAction, Command};

/// Every command by its path (`""` is `maillab` itself, `"lesson run"`):
/// `about`, and `long_about` (`--help`; `-h` shows `about`).
const COMMANDS: &[(&str, &str, Option<&str>)] = &[
    ("", "電子メールの仕組みを学ぶ実験室: SMTP の中継サーバ、ハブ、MX ホスト、DNS を仮想時間で動かします", None),
    (
        "run",
        "シナリオを仮想時間で実行し、トレースと期待値の結果を表示します。",
        Some(
            "シナリオを仮想時間で実行し、トレースと期待値の結果を表示します。\n\n\
             終了ステータス: すべての期待値が成り立てば 0、一つでも成り立たなければ 1、ファイルやコマンドラインが正しくなければ 2。",
        ),
    ),
    (
        "serve",
        "シナリオのすべてのホストを本物のソケットで起動します。ホストごとに別のループバックアドレスを使います。",
        Some(
            "シナリオのすべてのホストを本物のソケットで起動します。ホストごとに別のループバックアドレスを使います。\n\n\
             telnet や nc（`nc -C` を使ってください。DATA を終えるのは CRLF.CRLF だけです）、Python の \
             smtplib/poplib/imaplib、curl、swaks、メールクライアントから接続できます。シナリオのステップは実行しません。\n\
             Ctrl-C（または SIGTERM、SIGHUP）でホストを止め、ホストとともに消えるメール（キューの宛先と\
             メールボックスのメッセージ。実験室はメールをメモリにしか置きません）を報告します。",
        ),
    ),
    (
        "web",
        "実験室を Web ブラウザで開きます: 実行を一歩ずつ前後にたどり、各ホストの中を見られます。",
        Some(
            "実験室を Web ブラウザで開きます: 実行を一歩ずつ前後にたどり、各ホストの中を見られます。\n\n\
             シナリオ（またはレッスンのシナリオ。ページにチェックポイントが付きます）を仮想時間で実行し、ページと\
             その JSON API を 127.0.0.1 で提供します。アドレス（`maillab web: http://127.0.0.1:PORT/`）を表示し、\
             Ctrl-C を押すまで動き続けます。インターネットからは何も取ってきません。",
        ),
    ),
    (
        "graph",
        "シナリオのネットワークを描きます: 役割ごとのホスト、だれがだれに転送するか、MX レコード、DNS。",
        Some(
            "シナリオのネットワークを描きます: 役割ごとのホスト、だれがだれに転送するか、MX レコード、DNS。\n\n\
             図の言葉（回線の遅延、本物のサーバが演じるホストの印）は --lang の言語になります。ホスト名、役割、\
             プロトコル、MX レコードはシナリオに書いたとおりです。",
        ),
    ),
    ("lesson", "レッスンに取り組みます: 説明を読み、トレースを見て、チェックポイントの問題に答えます。", None),
    ("lesson list", "レッスンの一覧を表示します（組み込みのもの、またはここにある lessons/ フォルダのもの）。", None),
    (
        "lesson run",
        "ターミナルでレッスンに取り組みます。答えは保存されるので、途中から再開できます。",
        Some(
            "ターミナルでレッスンに取り組みます。答えは保存されるので、途中から再開できます。\n\n\
             間違えるとヒントが出て、もう一度答えられます（何回まで答えられるかはレッスンが決めます）。",
        ),
    ),
    (
        "lesson exam-copy",
        "教員向け: 試験用に、答えを除いたレッスンのコピーを書き出します。",
        Some(
            "教員向け: 試験用に、答えを除いたレッスンのコピーを書き出します。\n\n\
             短答、数値、選択の問題の答えを、YAML のどの書き方でも除き、accept:、explain:、hint: とすべてのコメントも取り除きます。\
             トレースについての問題の答えは、実行から計算されます。",
        ),
    ),
    (
        "lesson grade",
        "答えのファイル（チェックポイントID: 答え）を、問題を出さずに採点します。",
        Some(
            "答えのファイル（チェックポイントID: 答え）を、問題を出さずに採点します。\n\n\
             終了ステータス: 合格点に達すれば 0、達しなければ 1、入力が正しくなければ 2。",
        ),
    ),
    ("class", "教員向け: クラス全員の試験の提出ファイルを採点します。", None),
    (
        "class grade",
        "フォルダの中のすべての提出ファイル（*.submission.json）を、答えを含むレッスンで採点します。",
        Some(
            "フォルダの中のすべての提出ファイル（*.submission.json）を、答えを含むレッスンで採点します。\n\n\
             Moodle の評定のインポート用の CSV（列 \"ID number\"、レッスンごとに 1 列、パーセント）と、\
             その隣に問題ごとのまとめ（間違いの多い順）を書き出します。",
        ),
    ),
    ("schema", "シナリオまたはレッスンの書式の JSON Schema を表示します（YAML を補完・検査するエディタ用）。", None),
    (
        "new",
        "新しいシナリオ、または新しいレッスンとその解答ファイルの、コメントつきのひな形を書き出します。",
        Some(
            "新しいシナリオ、または新しいレッスンとその解答ファイルの、コメントつきのひな形を書き出します。\n\n\
             コメントは --lang の（指定がなければロケールの）言語で書きます。YAML の中身はどちらの言語でも同じです。\n\
             レッスンの解答ファイル NAME.answers.yaml はレッスンの隣に書き、レッスンのシナリオでの正解が入っています。\n\
             すでにあるファイルは上書きしません。終了ステータス: 書き出せば 0、そうでなければ 2。",
        ),
    ),
    (
        "check",
        "シナリオ、レッスン、解答ファイルを検査し、問題をすべて FILE:LINE:COLUMN の形で報告します。",
        Some(
            "シナリオ、レッスン、解答ファイルを検査し、問題をすべて FILE:LINE:COLUMN の形で報告します。\n\n\
             レッスンの解答ファイル（NAME.answers.yaml）は、隣にあるレッスン NAME.yaml と照らし合わせます。\n\
             終了ステータス: すべてのファイルが正しければ 0、そうでなければ 2。",
        ),
    ),
];

/// Text after the top-level help (the English one is `after_help` in `cli/mod.rs`).
const AFTER_HELP: &str = "まずは:  maillab run scenarios/relay-chain.yaml\n本（book/ja/）で、すべてのコマンドとシナリオの書式を説明しています。";

/// Every argument by its command's path and its id: `help`, and `long_help` (`--help`).
const ARGS: &[(&str, &str, &str, Option<&str>)] = &[
    (
        "",
        "lang",
        "表示の言語: en または ja（既定はロケールから。LC_ALL、LC_MESSAGES、LANG の順に見て、ja で始まれば日本語）。ヘルプもこの言語になります。",
        None,
    ),
    ("run", "file", "シナリオファイル（YAML）。", None),
    ("run", "format", "出力の形式。", None),
    ("run", "no_messages", "トレースの後に、配送されたメッセージのヘッダ部を表示しません（text 形式）。", None),
    ("run", "maillog", "このホストのログの行（maillog）だけを表示します。", None),
    ("run", "seq", "トレースの代わりに、実行のシーケンス図を --lang の言語で表示します。", None),
    ("run", "zoom", "--seq と一緒に: プロトコルの 1 行ごとに 1 本の矢印か、接続ごとに 1 本か。", None),
    (
        "run",
        "html",
        "1 ファイルで完結する HTML レポート（ネットワーク、シーケンス図、イベント、メッセージ）も、--lang の言語で書き出します。",
        None,
    ),
    ("run", "pcap", "実行の通信を、Wireshark/tshark で開ける pcap ファイルにも書き出します。", None),
    (
        "run",
        "student",
        "variants: を持つシナリオで、この学生の版を実行します（同じ ID なら同じネットワークとトレース）。",
        None,
    ),
    ("serve", "file", "シナリオファイル（YAML）。", None),
    ("serve", "format", "ライブのトレースの形式。", None),
    (
        "serve",
        "ready_file",
        "すべての待ち受けが始まったら、接続先の表とクライアントの設定を JSON でここに書き出します。",
        None,
    ),
    (
        "serve",
        "ports",
        "サービスの本物のポート。例: `--port smtp=2526`（既定: smtp=2525 pop3=1110 imap=1143 dns=5353 http=8080 \
         submission=5587 submissions=4465 imaps=9993 pop3s=9995）。0 にすると、ホストごとにシステムが空いている\
         ポートを選びます（表と ready ファイルに表示されます）。",
        None,
    ),
    (
        "serve",
        "listen",
        "ホストを一つ、ループバックではなく本物のアドレスで待ち受けさせます。例: `--listen mx=10.1.2.3`\
         （クラスメートの実験室から届くように。警告が表示されます）。",
        None,
    ),
    (
        "serve",
        "web",
        "ホストのイベントをブラウザの実験室でもライブで表示します（そのアドレスを最初に表示します）。",
        None,
    ),
    (
        "serve",
        "web_port",
        "--web のときのブラウザの実験室のポート（既定の 0 では、システムが空いているポートを選びます）。",
        None,
    ),
    (
        "serve",
        "max_sessions",
        "ホストの各サービスが同時に受け付けるセッションの数（Postfix の default_process_limit に当たります）。\
         それを超える接続は断ります（SMTP 421 4.7.0、POP3 -ERR [SYS/TEMP]、IMAP * BYE、DNS は切断）。",
        None,
    ),
    (
        "serve",
        "max_per_client",
        "一つのクライアントアドレスが一つのサービスに同時に開けるセッションの数（Postfix の \
         smtpd_client_connection_count_limit に当たります）。超えた接続は同じように断ります。",
        None,
    ),
    (
        "serve",
        "limit_exempt",
        "--max-per-client を当てないクライアントのネットワーク（ADDR/BITS か一つのアドレス）。Postfix の \
         smtpd_client_event_limit_exceptions に当たり、何度でも指定できます。既定はなし。Postfix の既定は \
         $mynetworks（Postfix 3.0 以降はサーバ自身のアドレスで、ループバックも含む）ですが、serve の\
         クライアントはほとんどループバックから来るので、それを除くと上限が効かなくなります。Postfix と\
         同じにするには --limit-exempt 127.0.0.0/8 を指定します。",
        None,
    ),
    (
        "serve",
        "idle_timeout",
        "SMTP・POP3・IMAP のサーバが、クライアントの次の完全な行を待つ秒数。過ぎると切断します（SMTP は \
         421、IMAP は * BYE、POP3 は黙って閉じる）。行を終えないバイトは数えません（Postfix の \
         smtpd_per_record_deadline と同じ）。既定は各プロトコルのもの（SMTP 300 は Postfix の \
         smtpd_timeout、POP3 600、IMAP 1800）。",
        None,
    ),
    (
        "serve",
        "threads",
        "セッションを動かすスレッドの数。セッションは始まったスレッドで最後まで動きます。\
         既定の 0 では、マシンのコア数より一つ少なく（最低一つ）します（serve のクライアントはふつう同じ\
         マシンで動くため。2 コアでは、セッションのスレッドを二つにすると smtp-source の 20 セッションが\
         かえって遅くなりました。bench/RESULTS.md を参照）。",
        None,
    ),
    ("web", "file", "シナリオファイル（YAML）。--lesson のときは不要です。", None),
    (
        "web",
        "lesson",
        "ページでレッスンに取り組みます（lessons/ の中の名前かパス）。答えは `maillab lesson run` と同じ場所に保存されます。",
        None,
    ),
    (
        "web",
        "student",
        "--lesson と一緒に: 学生番号。学生ごとにネットワークが違うレッスンのためのものです（`maillab lesson run \
         --student` と同じ）。答えと一緒に記憶されるので、次からは省略できます。",
        None,
    ),
    ("web", "port", "待ち受けるポート。0（既定）では、システムが空いているポートを選びます。", None),
    (
        "web",
        "bind",
        "待ち受けるアドレス。ループバック以外では、ネットワーク上の他人も実験室を使えます（警告が表示されます）。",
        None,
    ),
    ("web", "open", "ページを既定のブラウザでも開きます（xdg-open または open）。失敗しても警告だけです。", None),
    ("graph", "file", "シナリオファイル（YAML）。", None),
    ("graph", "format", "dot（Graphviz）、mermaid、または svg（Graphviz なしで描きます）。", None),
    ("lesson run", "name", "レッスンの名前（lessons/ の中のファイル）またはパス。", None),
    (
        "lesson run",
        "restart",
        "この言語での答えを消して、最初からやり直します（先に確認します。もう一方の言語の答えは残ります）。",
        None,
    ),
    (
        "lesson run",
        "redo",
        "このチェックポイントにもう一度答えます（「Q (id)」に表示される id）。何度でも指定できます。",
        None,
    ),
    (
        "lesson run",
        "student",
        "学生番号: シナリオに版 (variants) があるレッスンでは、自分専用のネットワークと答えになります（進み具合と一緒に記憶されます）。",
        None,
    ),
    (
        "lesson run",
        "exam",
        "試験モード: 各問題に一度だけ答え、正誤は表示しません。提出用ファイルを書き出します（--student が必要です）。",
        None,
    ),
    (
        "lesson run",
        "submission",
        "--exam と一緒に: 提出用ファイルの書き出し先（既定: このフォルダの NAME-ID.submission.json）。",
        None,
    ),
    (
        "lesson run",
        "no_pager",
        "長いトレースの抜粋を、1 ページずつではなく一度に表示します（ページ送りは、入力と出力がどちらも端末のときだけ使います）。",
        None,
    ),
    ("lesson exam-copy", "name", "レッスンの名前（lessons/ の中のファイル）またはパス。", None),
    ("lesson exam-copy", "out", "コピーを（NAME.yaml として）書き出すフォルダ。", None),
    ("lesson grade", "name", "レッスンの名前（lessons/ の中のファイル）またはパス。", None),
    ("lesson grade", "answers", "チェックポイントID から答えへの対応を書いた YAML ファイル。", None),
    ("lesson grade", "format", "出力の形式。", None),
    ("lesson grade", "student", "この学生の版のシナリオで採点します。", None),
    ("class grade", "submissions", "提出ファイルのフォルダ。", None),
    ("class grade", "keys", "答えを含む完全なレッスンのフォルダ（例: lessons/）。", None),
    (
        "class grade",
        "out",
        "評定の CSV。問題ごとのまとめは、同じ名前の末尾を -questions.csv にしたファイルに書き出します。",
        None,
    ),
    ("schema", "what", "どちらの書式か: scenario（シナリオ）または lesson（レッスン）。", None),
    ("new", "what", "作るもの: scenario（シナリオ）または lesson（レッスン）。", None),
    (
        "new",
        "name",
        "名前（文字、数字、-、_、.）。scenarios/ または lessons/ に NAME.yaml を書き出します（.yaml で終わるパスも指定できます）。",
        None,
    ),
    ("check", "files", "一つ以上のシナリオ、レッスン、解答ファイル。", None),
];

/// The possible values that have an explanation, by argument id and value.
const VALUES: &[(&str, &str, &str)] = &[
    ("format", "text", "人が読む行（端末では、NO_COLOR が設定されていなければ色付き）"),
    ("format", "json", "トレースのイベントごとに一つの JSON オブジェクト"),
];

/// clap's own words.
const USAGE: &str = "使い方:";
const HEADING_ARGS: &str = "引数";
const HEADING_OPTIONS: &str = "オプション";
const HEADING_COMMANDS: &str = "コマンド";
const HELP_FLAG: &str = "ヘルプを表示します（-h は要約、--help は詳しい説明）";
const VERSION_FLAG: &str = "バージョンを表示します";
const HELP_COMMAND: &str = "このコマンドの、または指定したサブコマンドのヘルプを表示します";
const HELP_COMMAND_ARG: &str = "ヘルプを表示するサブコマンド";

/// The name of the `help` subcommand that [`localise`] adds (clap's own one is turned off).
pub const HELP: &str = "help";

fn command_text(path: &str) -> Option<(&'static str, Option<&'static str>)> {
    COMMANDS.iter().find(|(p, ..)| *p == path).map(|(_, a, l)| (*a, *l))
}

fn arg_text(path: &str, id: &str) -> Option<(&'static str, Option<&'static str>)> {
    ARGS.iter().find(|(p, i, ..)| *p == path && *i == id).map(|(_, _, h, l)| (*h, *l))
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_string() } else { format!("{path} {name}") }
}

/// The Japanese help of `cmd` (clap's derive of [`super::Cli`]) and all its subcommands.
pub fn localise(cmd: Command) -> Command {
    localise_at(cmd, "").after_help(AFTER_HELP)
}

fn localise_at(mut cmd: Command, path: &str) -> Command {
    let template = format!("{{before-help}}{{about-with-newline}}\n{USAGE} {{usage}}\n\n{{all-args}}{{after-help}}");
    if let Some((about, long)) = command_text(path) {
        cmd = cmd.about(about).long_about(long);
    }
    // Under the Japanese heading clap sorts arguments by display order, then
    // by name; the positional ones keep their order (`new <WHAT> <NAME>`).
    let mut position = 0;
    cmd = cmd.mut_args(|a| {
        let a = if a.is_positional() {
            position += 1;
            a.display_order(position)
        } else {
            a
        };
        localise_arg(a, path)
    });
    let names: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for n in &names {
        let sub_path = join(path, n);
        cmd = cmd.mut_subcommand(n, |s| localise_at(s, &sub_path));
    }
    if !names.is_empty() {
        cmd = cmd.disable_help_subcommand(true).subcommand_help_heading(HEADING_COMMANDS).subcommand(
            Command::new(HELP).about(HELP_COMMAND).help_template(template.clone()).disable_help_flag(true).arg(
                Arg::new("command")
                    .action(ArgAction::Append)
                    .num_args(..)
                    .value_name("COMMAND")
                    .help(HELP_COMMAND_ARG)
                    .help_heading(HEADING_ARGS),
            ),
        );
    }
    cmd = cmd.help_template(template).disable_help_flag(true).arg(
        Arg::new("help").short('h').long("help").action(ArgAction::Help).help(HELP_FLAG).help_heading(HEADING_OPTIONS),
    );
    if path.is_empty() {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(VERSION_FLAG)
                .help_heading(HEADING_OPTIONS),
        );
    }
    cmd
}

/// An argument's Japanese help, under a Japanese heading; clap's
/// `[default: …]` and `[possible values: …]` written by hand, in Japanese.
fn localise_arg(a: Arg, path: &str) -> Arg {
    let id = a.get_id().as_str().to_string();
    let (help, long) = arg_text(path, &id).map(|(h, l)| (h.to_string(), l.map(str::to_string))).unwrap_or_default();
    let mut extra = String::new();
    let defaults: Vec<String> =
        a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect::<Vec<_>>();
    if !defaults.is_empty() && !a.is_hide_default_value_set() && a.get_action().takes_values() {
        extra.push_str(&format!(" [既定: {}]", defaults.join(" ")));
    }
    let values = a.get_possible_values();
    let mut explained = String::new();
    if !values.is_empty() && a.get_action().takes_values() {
        let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
        extra.push_str(&format!(" [値: {}]", names.join(", ")));
        for v in &values {
            if let Some((.., t)) = VALUES.iter().find(|(i, n, _)| *i == id && *n == v.get_name()) {
                explained.push_str(&format!("\n  - {}: {t}", v.get_name()));
            }
        }
    }
    let long = match (long, explained.is_empty()) {
        (Some(l), true) => Some(format!("{l}{extra}")),
        (Some(l), false) => Some(format!("{l}{extra}\n\n値:{explained}")),
        (None, true) => None,
        (None, false) => Some(format!("{help}{extra}\n\n値:{explained}")),
    };
    let heading = if a.is_positional() { HEADING_ARGS } else { HEADING_OPTIONS };
    let a = match long {
        Some(l) => a.long_help(l),
        None => a.long_help(clap::builder::Resettable::Reset),
    };
    let takes_values = a.get_action().takes_values();
    a.help(format!("{help}{extra}"))
        .hide_default_value(takes_values)
        .hide_possible_values(takes_values)
        .help_heading(heading)
}

/// `maillab help [COMMAND…]` (also `maillab lesson help …`) with the Japanese
/// help: the arguments that ask for the same help with `--help`, or None when
/// the command line is not a `help` subcommand.
pub fn help_request(m: &clap::ArgMatches) -> Option<Vec<String>> {
    let mut path = Vec::new();
    let mut m = m;
    loop {
        match m.subcommand() {
            Some((HELP, h)) => {
                path.extend(h.get_many::<String>("command").into_iter().flatten().cloned());
                path.push("--help".into());
                return Some(path);
            }
            Some((name, sub)) => {
                path.push(name.to_string());
                m = sub;
            }
            None => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn has_japanese(s: &str) -> bool {
        s.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
    }

    /// Every command and argument of a built command tree, with its path.
    fn walk(cmd: &Command, path: &str, out: &mut Vec<(String, Option<String>, String)>) {
        let about = cmd.get_about().map(|s| s.to_string()).unwrap_or_default();
        out.push((path.to_string(), None, about));
        for a in cmd.get_arguments() {
            let help = a.get_help().map(|s| s.to_string()).unwrap_or_default();
            out.push((path.to_string(), Some(a.get_id().to_string()), help));
        }
        for s in cmd.get_subcommands() {
            walk(s, &join(path, s.get_name()), out);
        }
    }

    #[test]
    fn every_command_and_argument_has_a_japanese_text() {
        let mut en = super::super::Cli::command();
        en.build();
        let mut all = Vec::new();
        walk(&en, "", &mut all);
        let mut missing = Vec::new();
        for (path, arg, _) in &all {
            match arg.as_deref() {
                // clap's own flags and help subcommand: localise replaces them.
                Some("help" | "version") => {}
                Some(id) => {
                    // A global argument is answered by the top level's line.
                    if arg_text(path, id).is_none() && arg_text("", id).is_none() {
                        missing.push(format!("argument `{id}` of `maillab {path}`"));
                    }
                }
                None if path == HELP || path.ends_with(" help") || path.contains("help ") => {}
                None => {
                    if command_text(path).is_none() {
                        missing.push(format!("command `maillab {path}`"));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "no Japanese text in src/cli/help_ja.rs for: {missing:#?}");
        // And no line of the table names something that is not there any more.
        for (p, ..) in COMMANDS {
            assert!(all.iter().any(|(q, a, _)| q == p && a.is_none()), "help_ja.rs: no command `{p}`");
        }
        for (p, id, ..) in ARGS {
            assert!(
                all.iter().any(|(q, a, _)| q == p && a.as_deref() == Some(*id)),
                "help_ja.rs: no argument `{id}` in `maillab {p}`"
            );
        }
    }

    #[test]
    fn the_localised_tree_is_japanese_throughout() {
        let mut ja = localise(super::super::Cli::command());
        ja.build();
        let mut all = Vec::new();
        walk(&ja, "", &mut all);
        for (path, arg, text) in &all {
            assert!(has_japanese(text), "`maillab {path}` {arg:?} has no Japanese help: {text:?}");
        }
        let mut ja = localise(super::super::Cli::command());
        let help = ja.render_long_help().to_string();
        for en in ["Usage:", "Options:", "Commands:", "Arguments:", "Print help", "Print version", "Print this"] {
            assert!(!help.contains(en), "{en} in:\n{help}");
        }
        let run = ja.find_subcommand_mut("run").expect("run").render_long_help().to_string();
        for en in ["Usage:", "Options:", "Arguments:", "[default:", "possible values", "Possible values"] {
            assert!(!run.contains(en), "{en} in:\n{run}");
        }
        assert!(run.contains("使い方:") && run.contains("引数:") && run.contains("オプション:"), "{run}");
        assert!(run.contains("[既定: text]") && run.contains("- json: "), "{run}");
    }
}
