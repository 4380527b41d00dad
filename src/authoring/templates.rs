//! Starting files written by `maillab new`. Each passes `maillab check` as
//! it is, and its comments say what every part is for.

pub const SCENARIO: &str = r#"# A maillab scenario. Run it with:   maillab run scenarios/NAME.yaml
# Check it after each edit with:    maillab check scenarios/NAME.yaml
# The book's "Scenario format" chapter lists every key.
version: 1
name: NAME
title:
  en: "A message from a PC to another domain's mailbox"
  ja: "PC から別ドメインのメールボックスへ"
start: 2026-04-01T10:00:00+09:00   # virtual time starts here; runs are repeatable
seed: 1                            # the one random seed (queue ids, DNS ids, MX order)

hosts:
  # A mail client (MUA). It only sends (steps below say when).
  - name: pc
    role: mua
    address: 192.0.2.23
    hostname: pc.example.ac.jp

  # The department relay: relays for its own network, forwards by DNS MX.
  - name: relay
    role: relay
    address: 192.0.2.10
    hostname: relay.example.ac.jp
    flavour: sendmail              # or postfix: other reply texts and log lines
    allow_relay:
      networks: [192.0.2.0/24]

  # The DNS server, with the zones as zone-file lines.
  - name: ns
    role: dns
    address: 192.0.2.53
    hostname: ns.example.ac.jp
    zones:
      example.com:
        - "@  MX 10 mx.example.com."
        - "mx A  198.51.100.25"

  # The MX of example.com; its users' mailboxes live here.
  - name: mx
    role: mx
    address: 198.51.100.25
    hostname: mx.example.com
    domains: [example.com]

users:
  - address: alice@example.com

steps:
  - send:
      from_host: pc
      via: relay
      from: taro@example.ac.jp
      to: [alice@example.com]
      subject: Hello
      body: |
        Hello Alice!

expect:
  - reply: { step: 1, code: 250, command: DATA }
  - delivered: { to: alice@example.com, count: 1 }
  - received_chain: { to: alice@example.com, hops: [mx, relay] }
"#;

pub const LESSON: &str = r#"# A maillab lesson. Try it with:   maillab lesson run lessons/NAME.yaml
# Check it after each edit with:  maillab check lessons/NAME.yaml
# Every text is given in English (en) and Japanese (ja).
lesson: 1
name: NAME
title:
  en: "Following a message"
  ja: "メールの経路をたどる"
summary:
  en: "Run a scenario and read its trace."
  ja: "シナリオを実行してトレースを読みます。"
scenario: relay-chain        # a file of scenarios/ (without .yaml)
pass_mark: 60                # percent of the points
attempts: 2                  # tries at each question before the answer is shown

sections:
  - text:
      en: "The PC hands the message to its department relay by SMTP."
      ja: "PC は SMTP で部門の Relay サーバにメールを渡します。"
    run_to_step: 1           # show the trace up to the end of step 1
    look_at:
      en: "the S: lines: each is the server's reply, with a three-digit code"
      ja: "S: の行。サーバの応答で、3桁のコードが付いています"
    checkpoints:
      # An answer computed from the trace: it stays right if the scenario changes.
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
          answer: SMTP       # case, width, quotes and the lecture's synonyms do not matter
          accept: [Simple Mail Transfer Protocol]   # more answers; /regex/ for a pattern
        hint:                # shown after a wrong answer, before the next try
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
          answer: 3
"#;
