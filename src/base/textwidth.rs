//! How wide a text is drawn in maillab's SVG pictures (the network picture
//! and the sequence diagrams, both at font size 11 in Helvetica or Arial):
//! 6.2 px a character, a wide one (kana, kanji, full-width forms) 11 px, so
//! a Japanese label gets the room it takes. ASCII is measured as it always
//! was, so English pictures keep their bytes.

/// How wide `text` is drawn at font size 11, in px.
pub fn width(text: &str) -> f64 {
    let wide = text.chars().filter(|c| is_wide(*c)).count();
    6.2 * (text.chars().count() - wide) as f64 + 11.0 * wide as f64
}

/// The longest start of `text` no wider than `max` px.
pub fn fit(text: &str, max: f64) -> &str {
    let (mut narrow, mut wide) = (0usize, 0usize);
    for (i, c) in text.char_indices() {
        if is_wide(c) {
            wide += 1
        } else {
            narrow += 1
        }
        if 6.2 * narrow as f64 + 11.0 * wide as f64 > max {
            return &text[..i];
        }
    }
    text
}

/// Characters drawn about one em wide: CJK punctuation, kana, kanji, full-width forms.
pub fn is_wide(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{ff00}'..='\u{ff60}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_more_room() {
        assert_eq!(width("latency 40ms"), 6.2 * 12.0);
        assert_eq!(width("遅延 40ms"), 11.0 * 2.0 + 6.2 * 5.0);
        // 70 Latin characters fit the width of 70, the 71st does not.
        let latin = "x".repeat(80);
        assert_eq!(fit(&latin, 70.0 * 6.2), "x".repeat(70));
        // Kanji are cut by width, not by count: 39 of them are 429 px.
        let kanji = "接".repeat(80);
        assert_eq!(fit(&kanji, 70.0 * 6.2), "接".repeat(39));
        assert_eq!(fit("SMTP セッション", 70.0 * 6.2), "SMTP セッション");
    }
}
