//! clap's usage errors (a missing argument, an unknown option or
//! subcommand, a value that is not allowed) in Japanese, from the error's
//! kind and context, for a Japanese command line; the kinds not worded here
//! stay as clap writes them.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// The error in Japanese, if its kind is one of those a user meets.
pub fn render(e: &clap::Error) -> Option<String> {
    let get = |k: ContextKind| e.get(k).map(text);
    let arg = get(ContextKind::InvalidArg).unwrap_or_default();
    let mut out = match e.kind() {
        ErrorKind::MissingRequiredArgument => {
            format!("エラー: 必要な引数が指定されていません:\n  {}", arg.replace(", ", "\n  "))
        }
        ErrorKind::MissingSubcommand => "エラー: サブコマンドを指定してください".to_string(),
        ErrorKind::InvalidSubcommand => {
            format!("エラー: サブコマンド '{}' はありません", get(ContextKind::InvalidSubcommand).unwrap_or_default())
        }
        ErrorKind::UnknownArgument => format!("エラー: 引数 '{arg}' は使えません"),
        ErrorKind::InvalidValue => {
            let value = get(ContextKind::InvalidValue).unwrap_or_default();
            let mut s = if value.is_empty() {
                format!("エラー: {arg} に値が必要です")
            } else {
                format!("エラー: '{value}' は {arg} の値として使えません")
            };
            if let Some(valid) = get(ContextKind::ValidValue) {
                s.push_str(&format!("\n  使える値: {valid}"));
            }
            s
        }
        ErrorKind::ValueValidation => {
            format!("エラー: {arg} の値 '{}' が正しくありません", get(ContextKind::InvalidValue).unwrap_or_default())
        }
        ErrorKind::ArgumentConflict => {
            let prior = get(ContextKind::PriorArg).unwrap_or_default();
            format!("エラー: {arg} は {prior} と一緒には使えません")
        }
        ErrorKind::TooManyValues | ErrorKind::WrongNumberOfValues | ErrorKind::TooFewValues => {
            format!("エラー: {arg} の値の数が合いません")
        }
        _ => return None,
    };
    for k in [ContextKind::SuggestedSubcommand, ContextKind::SuggestedArg, ContextKind::SuggestedValue] {
        if let Some(s) = get(k) {
            out.push_str(&format!("\n\n  ヒント: もしかして '{s}' ですか？"));
        }
    }
    if let Some(usage) = get(ContextKind::Usage) {
        out.push_str(&format!("\n\n{}", usage.replacen("Usage:", "使い方:", 1).trim_end()));
    }
    out.push_str("\n\n詳しくは '--help' を付けて実行してください。\n");
    Some(out)
}

fn text(v: &ContextValue) -> String {
    match v {
        ContextValue::String(s) => s.clone(),
        ContextValue::Strings(v) => v.join(", "),
        ContextValue::StyledStr(s) => s.to_string(),
        ContextValue::StyledStrs(v) => v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
        ContextValue::Number(n) => n.to_string(),
        ContextValue::Bool(b) => b.to_string(),
        // `None`, and any kind a later clap adds.
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::command;
    use maillab::lesson::Lang;

    fn err(args: &[&str]) -> clap::Error {
        match command(Lang::Ja).try_get_matches_from(args) {
            Err(e) => e,
            Ok(_) => panic!("{args:?} parsed"),
        }
    }

    #[test]
    fn usage_errors_are_worded_in_japanese() {
        let missing = render(&err(&["maillab", "run"])).expect("worded");
        assert!(missing.starts_with("エラー: 必要な引数が指定されていません:\n  <FILE>"), "{missing}");
        assert!(missing.contains("使い方:") && !missing.contains("Usage:"), "{missing}");
        let sub = render(&err(&["maillab", "rnu"])).expect("worded");
        assert!(sub.contains("サブコマンド 'rnu' はありません"), "{sub}");
        let opt = render(&err(&["maillab", "run", "x.yaml", "--formt", "json"])).expect("worded");
        assert!(opt.contains("引数 '--formt' は使えません") && opt.contains("'--format'"), "{opt}");
        let value = render(&err(&["maillab", "run", "x.yaml", "--format", "xml"])).expect("worded");
        assert!(
            value.contains("'xml' は --format <FORMAT> の値として使えません") && value.contains("使える値"),
            "{value}"
        );
        for s in [missing, sub, opt, value] {
            assert!(!s.contains("error:") && !s.contains("For more information"), "{s}");
        }
    }
}
