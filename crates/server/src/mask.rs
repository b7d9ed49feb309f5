//! Masking personal data in free text before it is shown to the public (GB/T 35273 display
//! restriction: masking happens on the server).
//!
//! Open311 lists and the public board (公开案件) are public: a resident's description or address,
//! or a staff note, may carry a phone number,
//! an ID number or an e-mail address. Long digit runs are masked in the middle (phones as
//! `138****1234`, ID and card numbers keep their first 6 and last 4) and e-mail addresses keep
//! only the first letter of the mailbox. Names cannot be recognised reliably in free text; the
//! public answers never carry the reporter's name, which is not stored at all.

use yiwang_domain::codes::AreaCode;

use crate::AppState;

/// Free text as the public may see it: personal data masked, the codes of our own areas and
/// grids left as they are.
pub fn public_text(app: &AppState, text: &str) -> String {
    let loaded = app.0.engine.loaded();
    personal_except(text, |run| {
        AreaCode::parse("code", run)
            .is_ok_and(|c| loaded.jurisdiction.area(&c).is_some() || loaded.jurisdiction.grid(&c).is_some())
    })
}

/// `text` with phone, ID and card numbers and e-mail addresses masked, except the digit runs
/// that `public` says are public (the codes of the deployment's own areas and grids, which every
/// answer shows anyway).
pub fn personal_except(text: &str, public: impl Fn(&str) -> bool) -> String {
    mask_emails(&mask_numbers(text, &public))
}

#[cfg(test)]
fn personal(text: &str) -> String {
    personal_except(text, |_| false)
}

fn digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

/// Runs of 7 or more digits, possibly split by single spaces or hyphens (`138 1234 5678`,
/// `010-12345678`), and an ID number's final `X`.
fn mask_numbers(text: &str, public: &dyn Fn(&str) -> bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !digit(chars[i]) {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, with single separators between digits.
        let start = i;
        let mut end = i;
        let mut digits = 0;
        while end < chars.len() {
            if digit(chars[end]) {
                digits += 1;
                end += 1;
            } else if matches!(chars[end], ' ' | '-') && end + 1 < chars.len() && digit(chars[end + 1]) {
                end += 1;
            } else {
                break;
            }
        }
        if digits == 17 && end < chars.len() && matches!(chars[end], 'X' | 'x') {
            digits += 1;
            end += 1;
        }
        let run: String = chars[start..end].iter().filter(|c| c.is_ascii_alphanumeric()).collect();
        let (first, last) = match digits {
            _ if public(&run) => (digits, 0),
            n if n >= 15 => (6, 4),
            n if n >= 11 => (3, 4),
            n if n >= 7 => (2, 2),
            _ => (digits, 0),
        };
        let mut seen = 0;
        for &c in &chars[start..end] {
            if digit(c) || matches!(c, 'X' | 'x') {
                out.push(if seen < first || seen >= digits - last { c } else { '*' });
                seen += 1;
            } else {
                out.push(c);
            }
        }
        i = end;
    }
    out
}

fn mailbox_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '*')
}

fn domain_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

fn mask_emails(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = out.len();
            while start > 0 && mailbox_char(out[start - 1]) {
                start -= 1;
            }
            let mut end = i + 1;
            while end < chars.len() && domain_char(chars[end]) {
                end += 1;
            }
            let domain: String = chars[i + 1..end].iter().collect();
            let domain = domain.trim_end_matches(['.', '-']);
            if start < out.len() && domain.contains('.') && !domain.starts_with('.') {
                out.truncate(start + 1);
                out.extend("***".chars());
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::{personal, personal_except};

    #[test]
    fn phones_ids_and_mail_are_masked() {
        assert_eq!(personal("请联系13812345678张先生"), "请联系138****5678张先生");
        assert_eq!(personal("电话 138 1234 5678。"), "电话 138 **** 5678。");
        assert_eq!(personal("座机010-12345678"), "座机010-****5678");
        assert_eq!(personal("身份证11010119900307123X"), "身份证110101********123X");
        assert_eq!(personal("身份证110101199003071234，"), "身份证110101********1234，");
        assert_eq!(personal("全角１３８１２３４５６７８"), "全角１３８****５６７８");
        assert_eq!(personal("门牌 1234567"), "门牌 12***67");
        assert_eq!(personal("写信给 zhang.san@example.com 即可"), "写信给 z***@example.com 即可");
    }

    #[test]
    fn public_codes_stay() {
        let grid = |s: &str| s == "110101014001007";
        assert_eq!(personal_except("110101014001007附近", grid), "110101014001007附近");
        assert_eq!(personal_except("110101014001008附近", grid), "110101*****1008附近");
    }

    #[test]
    fn ordinary_text_is_untouched() {
        for s in ["东华门街道 3 号楼 2 单元", "2026 年 11 月 21 日", "a@b", "价格 12-34 元", "邮箱@某处", ""]
        {
            assert_eq!(personal(s), s);
        }
    }
}
