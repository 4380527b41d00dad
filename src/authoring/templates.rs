//! Starting files written by `maillab new`. Each passes `maillab check` as
//! it is, and its comments say what every part is for, in the reader's
//! language.
//!
//! Each template is written once, with its comments in both languages side
//! by side, so that the English and the Japanese file cannot differ in
//! anything but their comments: a line `#[en] …` or `#[ja] …` is a comment
//! line in that language, and a line that ends in `#[en] … #[ja] …` carries
//! a comment in each. [`render`] keeps the comments of one language; the
//! placeholders `{{NAME}}` (the name, as a YAML string), `{{FILE}}` (the
//! file written) and `{{ANSWERS}}` (a lesson's answer key) are filled in
//! afterwards.

use crate::base::diag::Lang;

/// `maillab new scenario NAME`.
pub const SCENARIO: &str = r#"#[en] A maillab scenario. Run it with:   maillab run {{FILE}}
#[en] Check it after each edit with:    maillab check {{FILE}}
#[en] The book's "Scenario format" chapter lists every key.
#[ja] maillab のシナリオです。実行するには:  maillab run {{FILE}}
#[ja] 編集するたびに検査してください:      maillab check {{FILE}}
#[ja] キーはすべて、本の「シナリオの書式」の章にあります。
version: 1
name: {{NAME}}
title:
  en: "A message from a PC to another domain's mailbox"
  ja: "PC から別ドメインのメールボックスへ"
start: 2026-04-01T10:00:00+09:00   #[en] virtual time starts here; runs are repeatable #[ja] 仮想時間はここから始まります。何度実行しても同じ結果です
seed: 1                            #[en] the one random seed (queue ids, DNS ids, MX order) #[ja] ただ一つの乱数の種（キュー ID、DNS の ID、MX を試す順）

hosts:
  #[en] A mail client (MUA). It only sends (steps below say when).
  #[ja] メールクライアント（MUA）。送信するだけです（いつ送るかは下の steps で決めます）。
  - name: pc
    role: mua
    address: 192.0.2.23
    hostname: pc.example.ac.jp

  #[en] The department relay: relays for its own network, forwards by DNS MX.
  #[ja] 部門の中継サーバ（Relay）: 自分のネットワークからのメールを中継し、DNS の MX を引いて転送します。
  - name: relay
    role: relay
    address: 192.0.2.10
    hostname: relay.example.ac.jp
    flavour: sendmail              #[en] or postfix: other reply texts and log lines #[ja] postfix にすると、応答の文面とログの行が変わります
    allow_relay:
      networks: [192.0.2.0/24]

  #[en] The DNS server, with the zones as zone-file lines.
  #[ja] DNS サーバ。ゾーンはゾーンファイルの行で書きます。
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.ac.jp
    zones:
      example.com:
        - "@  MX 10 mx.example.com."
        - "mx A  198.51.100.25"

  #[en] The MX of example.com; its users' mailboxes live here.
  #[ja] example.com の MX。このドメインの利用者のメールボックスはここにあります。
  - name: mx
    role: mx
    address: 198.51.100.25
    hostname: mx.example.com
    domains: [example.com]

users:
  - address: alice@example.com

#[en] What happens, in order; expectations name a step by its number (from 1).
#[ja] 起きることを順に書きます。期待値はステップを番号（1 から）で指します。
steps:
  - send:
      from_host: pc
      via: relay
      from: taro@example.ac.jp
      to: [alice@example.com]
      subject: Hello
      body: |
        Hello Alice!

#[en] What must be true after the run: each gives a PASS or a FAIL line.
#[ja] 実行の後で成り立つべきこと。それぞれが PASS か FAIL の行になります。
expect:
  - reply: { step: 1, code: 250, command: DATA }
  - delivered: { to: alice@example.com, count: 1 }
  - received_chain: { to: alice@example.com, hops: [mx, relay] }
"#;

/// `maillab new lesson NAME`.
pub const LESSON: &str = r#"#[en] A maillab lesson. Try it with:   maillab lesson run {{FILE}}
#[en] Check it after each edit with:  maillab check {{FILE}} {{ANSWERS}}
#[en] Grade its answer key with:      maillab lesson grade {{FILE}} --answers {{ANSWERS}}
#[en] Every text is given in English (en) and Japanese (ja).
#[ja] maillab のレッスンです。試すには:  maillab lesson run {{FILE}}
#[ja] 編集するたびに検査してください:  maillab check {{FILE}} {{ANSWERS}}
#[ja] 解答ファイルを採点するには:      maillab lesson grade {{FILE}} --answers {{ANSWERS}}
#[ja] 文はすべて英語 (en) と日本語 (ja) の両方で書きます。
lesson: 1
name: {{NAME}}
title:
  en: "Following a message"
  ja: "メールの経路をたどる"
summary:
  en: "Run a scenario and read its trace."
  ja: "シナリオを実行してトレースを読みます。"
scenario: relay-chain        #[en] a file of scenarios/ (without .yaml) #[ja] scenarios/ のファイルの名前（.yaml を除く）
pass_mark: 60                #[en] percent of the points #[ja] 合格に必要な得点の割合（%）
attempts: 2                  #[en] tries at each question before the answer is shown #[ja] 答えを見せるまでに、各問題に答えられる回数

sections:
  - text:
      en: "The PC hands the message to its department relay by SMTP."
      ja: "PC は SMTP で部門の Relay サーバにメールを渡します。"
    run_to_step: 1           #[en] show the trace up to the end of step 1 #[ja] ステップ 1 の終わりまでのトレースを見せます
    look_at:
      en: "the S: lines: each is the server's reply, with a three-digit code"
      ja: "S: の行。サーバの応答で、3桁のコードが付いています"
    checkpoints:
      #[en] An answer computed from the trace: it stays right if the scenario changes.
      #[ja] トレースから計算する答え。シナリオを変えても正しいままです。
      - id: data-code
        question:
          en: "Which reply code did the relay give at the end of DATA?"
          ja: "DATA の終わりに Relay が返した応答コードは何ですか？"
        from_trace:
          reply_code: { step: 1, command: DATA }
        explain:
          en: "250 means the relay has taken responsibility for the message."
          ja: "250 は、Relay がメールの配送に責任を持ったことを意味します。"
      - id: protocol
        question:
          en: "What is the name of the protocol that sends mail?"
          ja: "メールを送信するためのプロトコルの名前は？"
        short:
          answer: SMTP       #[en] case, width, quotes and the lecture's synonyms do not matter #[ja] 大文字と小文字、全角と半角、かっこや引用符、講義の同義語の違いは問いません
          accept: [Simple Mail Transfer Protocol]   #[en] more answers; /regex/ for a pattern #[ja] ほかに正解とする答え。/正規表現/ でパターンも書けます
        hint:                #[en] shown after a wrong answer, before the next try #[ja] 間違えたとき、次に答える前に見せます
          en: "It is the protocol of the C: and S: lines above."
          ja: "上の C: と S: の行のプロトコルです。"
      - id: hops
        question:
          en: "How many Received: fields does the delivered message carry?"
          ja: "届いたメールには Received: ヘッダがいくつありますか？"
        from_trace:
          received_count: { to: alice@example.com }
      - id: role
        question:
          en: "Which host receives all mail for its own domain?"
          ja: "自分のドメイン宛てのメールをすべて受け取るホストは？"
        choice:
          options:
            - { en: "the MUA", ja: "MUA" }
            - { en: "the hub", ja: "Hub ホスト" }
            - { en: "the MX", ja: "MX" }
          answer: 3          #[en] the number of the right option, from 1 #[ja] 正しい選択肢の番号（1 から）
"#;

/// The answer key written beside [`LESSON`]: right for its scenario as it is
/// (a test grades it).
pub const LESSON_ANSWERS: &str = r#"#[en] Answer key of {{FILE}} (checkpoint id: answer), right for its scenario relay-chain.
#[en] Add a line for each checkpoint you add. Grade it with:
#[en]   maillab lesson grade {{FILE}} --answers {{ANSWERS}}
#[ja] {{FILE}} の解答ファイル（チェックポイントID: 答え）。シナリオ relay-chain での正解です。
#[ja] チェックポイントを加えたら、ここにも 1 行ずつ加えてください。採点するには:
#[ja]   maillab lesson grade {{FILE}} --answers {{ANSWERS}}
data-code: 250               #[en] from the trace: another scenario may need another answer #[ja] トレースから。シナリオを変えると答えも変わることがあります
protocol: SMTP
hops: 3                      #[en] from the trace: another scenario may need another answer #[ja] トレースから。シナリオを変えると答えも変わることがあります
role: 3
"#;

const EN: &str = "#[en]";
const JA: &str = "#[ja]";

/// A template with the comments of `lang` only, the placeholders left in.
pub fn render(template: &str, lang: Lang) -> String {
    let (mine, other) = match lang {
        Lang::En => (EN, JA),
        Lang::Ja => (JA, EN),
    };
    let mut out = String::with_capacity(template.len());
    for line in template.lines() {
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        if let Some(text) = body.strip_prefix(mine) {
            out.push_str(indent);
            out.push('#');
            out.push_str(text);
        } else if body.starts_with(other) {
            continue;
        } else if let Some(at) = line.find(&format!(" {EN} ")) {
            let (yaml, comments) = line.split_at(at + 1);
            let comments = &comments[EN.len()..];
            let (en, ja) = comments.split_once(&format!(" {JA} ")).unwrap_or((comments, ""));
            out.push_str(yaml);
            out.push_str("# ");
            out.push_str(if lang == Lang::Ja { ja.trim() } else { en.trim() });
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// `s` with each `{{KEY}}` of `values` replaced, in one pass (a value is
/// never searched for placeholders).
fn fill(s: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        match values
            .iter()
            .find(|(k, _)| rest.strip_prefix("{{").and_then(|r| r.strip_prefix(k)).is_some_and(|r| r.starts_with("}}")))
        {
            Some((k, v)) => {
                out.push_str(v);
                rest = &rest[k.len() + 4..];
            }
            None => {
                out.push_str("{{");
                rest = &rest[2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A name as a YAML value that reads back as the same string (`null`,
/// `true` or `2024` written plain would not be one).
fn yaml_name(name: &str) -> String {
    let plain = name.chars().next().is_some_and(char::is_alphabetic)
        && !matches!(name.to_lowercase().as_str(), "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n");
    if plain { name.to_string() } else { format!("{name:?}") }
}

/// The scenario `name`, to be written to `file`.
pub fn scenario(name: &str, file: &str, lang: Lang) -> String {
    fill(&render(SCENARIO, lang), &[("NAME", &yaml_name(name)), ("FILE", file)])
}

/// The lesson `name`, to be written to `file`, its answer key to `answers`.
pub fn lesson(name: &str, file: &str, answers: &str, lang: Lang) -> String {
    fill(&render(LESSON, lang), &[("NAME", &yaml_name(name)), ("FILE", file), ("ANSWERS", answers)])
}

/// The answer key of [`lesson`], to be written to `answers`.
pub fn lesson_answers(file: &str, answers: &str, lang: Lang) -> String {
    fill(&render(LESSON_ANSWERS, lang), &[("FILE", file), ("ANSWERS", answers)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_japanese(s: &str) -> bool {
        s.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
    }

    /// A file's comments: whole comment lines, and what follows ` # ` at the
    /// end of a line.
    fn comments(text: &str) -> Vec<String> {
        text.lines()
            .filter_map(|l| {
                let t = l.trim_start();
                if t.starts_with('#') { Some(t.to_string()) } else { l.find(" # ").map(|i| l[i + 1..].to_string()) }
            })
            .collect()
    }

    /// Each version, with every comment removed.
    fn without_comments(text: &str) -> String {
        let mut out = String::new();
        for l in text.lines() {
            if l.trim_start().starts_with('#') {
                continue;
            }
            let l = l.find(" # ").map_or(l, |i| &l[..i]);
            out.push_str(l.trim_end());
            out.push('\n');
        }
        out
    }

    fn versions() -> Vec<(&'static str, String, String)> {
        let all = |lang| {
            [
                ("scenario", scenario("my-first", "scenarios/my-first.yaml", lang)),
                ("lesson", lesson("my-first", "lessons/my-first.yaml", "lessons/my-first.answers.yaml", lang)),
                ("answers", lesson_answers("lessons/my-first.yaml", "lessons/my-first.answers.yaml", lang)),
            ]
        };
        all(Lang::En).into_iter().zip(all(Lang::Ja)).map(|((what, en), (_, ja))| (what, en, ja)).collect()
    }

    #[test]
    fn the_two_languages_differ_only_in_their_comments() {
        for (what, en, ja) in versions() {
            assert!(!en.contains("#[") && !ja.contains("#[") && !en.contains("{{") && !ja.contains("{{"), "{what}");
            assert_eq!(without_comments(&en), without_comments(&ja), "{what}: the YAML differs");
            let v = |s: &str| serde_saphyr::from_str::<serde_json::Value>(s).expect("the template is YAML");
            assert_eq!(v(&en), v(&ja), "{what}: the YAML differs");
            let (ce, cj) = (comments(&en), comments(&ja));
            assert!(ce.len() >= 3 && cj.len() >= 3, "{what}: {ce:?} {cj:?}");
            for c in &ce {
                assert!(!has_japanese(c), "{what}: an English comment in Japanese: {c}");
            }
            // Every Japanese comment is Japanese (a command line goes with a Japanese line).
            for c in cj.iter().filter(|c| !c.trim_start_matches('#').trim().starts_with("maillab ")) {
                assert!(has_japanese(c), "{what}: a Japanese comment in English: {c}");
            }
        }
    }

    #[test]
    fn both_languages_load() {
        for lang in [Lang::En, Lang::Ja] {
            let s = scenario("my-first", "scenarios/my-first.yaml", lang);
            if let Err(d) = crate::scenario::load_str(&s, "scenarios/my-first.yaml") {
                panic!("the scenario template does not load:\n{d}");
            }
            let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/lessons/my-first.yaml"));
            let l = lesson("my-first", "lessons/my-first.yaml", "lessons/my-first.answers.yaml", lang);
            if let Err(d) = crate::lesson::load_str(&l, path) {
                panic!("the lesson template does not load:\n{d}");
            }
        }
    }

    #[test]
    fn names_that_yaml_reads_as_something_else_are_quoted() {
        assert_eq!(yaml_name("my-first"), "my-first");
        assert_eq!(yaml_name("null"), "\"null\"");
        assert_eq!(yaml_name("2024"), "\"2024\"");
        assert_eq!(fill("a {{X}} {{Y}} {{", &[("X", "{{Y}}"), ("Y", "y")]), "a {{Y}} y {{");
    }
}
