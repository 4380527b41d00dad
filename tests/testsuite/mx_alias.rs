//! An MX that names an alias (`@ MX 10 mail.example.com.` with `mail CNAME
//! mx`): RFC 2181 §10.3 says it must not, and `maillab check` warns, but
//! the mail still goes through, as with Postfix and sendmail. Postfix's
//! dns_lookup() follows the CNAME without a log line (only `aliased to`
//! under -v) and, with `smtp_cname_overrides_servername = no` (its default
//! since 2.11; smtp.h SMTP_HNAME), names the server by the MX's name;
//! sendmail's getmxrr() takes the MX names as given and its host look-up
//! follows the alias the same way.

use crate::common::{SEND_TARO_TO_ALICE, lines_of, relay_and_mx, run_passing};
use maillab::trace::Kind;

fn scenario(flavour: &str) -> String {
    relay_and_mx("mx-alias", flavour).replace(
        r#"example.com: ["@ MX 10 mx.example.com.", "mx A 198.51.100.25"]"#,
        r#"example.com: ["@ MX 10 mail.example.com.", "mail CNAME mx", "mx A 198.51.100.25"]"#,
    ) + SEND_TARO_TO_ALICE
}

#[test]
fn an_mx_naming_an_alias_is_warned_about_and_still_delivers() {
    for flavour in ["postfix", "sendmail"] {
        let yaml = scenario(flavour);
        assert!(yaml.contains("mail CNAME mx"), "the zone line was replaced");
        let sc = maillab::scenario::load_str(&yaml, "mx-alias.yaml").expect("loads, with a warning");
        let [w] = sc.warnings.as_slice() else { panic!("{flavour}: {:?}", sc.warnings) };
        assert!(w.message.starts_with("the MX names `mail.example.com.`, which is an alias"), "{w}");
        let r = run_passing(&yaml, &format!("mx-alias-{flavour}"));
        // The A question for the MX's name is answered with the CNAME and the address behind it.
        let answers = lines_of(&r, Kind::DnsAnswer, "ns");
        assert!(
            answers
                .iter()
                .any(|l| l.contains("mail.example.com. IN A: mail.example.com. 3600 IN CNAME mx.example.com.")
                    && l.contains("mx.example.com. 3600 IN A 198.51.100.25")),
            "{flavour}: {answers:#?}"
        );
        // The relay names the server by the MX's name and logs nothing about the alias.
        let log = lines_of(&r, Kind::Log, "mail");
        assert!(log.iter().any(|l| l.contains("relay=mail.example.com")), "{flavour}: {log:#?}");
        assert!(!log.iter().any(|l| l.to_lowercase().contains("cname") || l.contains("alias")), "{flavour}: {log:#?}");
    }
}
