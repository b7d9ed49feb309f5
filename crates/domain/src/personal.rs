//! Personal data (个人信息): masking for display, and the checks on what people type in.
//!
//! GB/T 35273 restricts what is shown on screen: a phone number, an ID number or a name appears
//! masked unless the viewer's role needs it for the task at hand, and the masking happens on the
//! server, so a client never holds what it must not show. The common masks are kept here:
//! phone `138****1234`, ID number first 6 and last 4 digits, name `张*` / `欧阳**`.
//!
//! The checks refuse with the field named in both languages: a mainland mobile number, a
//! resident ID number (GB 11643: 18 characters, ISO 7064 MOD 11-2 check digit, a real birth
//! date), and the password policy of 等保 level 3 (length and character classes, and never the
//! user's own login or phone).

use chrono::{Datelike, NaiveDate};

use crate::Refusal;

/// Masks a phone number: the first 3 and last 4 digits stay (`138****1234`). Anything shorter
/// than 8 characters is masked whole.
pub fn mask_phone(phone: &str) -> String {
    keep_ends(phone, 3, 4, 8)
}

/// Masks an ID number: the first 6 (the area code) and last 4 characters stay
/// (`110105********002X`). Anything shorter than 11 characters is masked whole.
pub fn mask_id_number(id: &str) -> String {
    keep_ends(id, 6, 4, 11)
}

fn keep_ends(s: &str, head: usize, tail: usize, shortest: usize) -> String {
    let chars: Vec<char> = s.trim().chars().collect();
    if chars.len() < shortest {
        return "*".repeat(chars.len().max(1));
    }
    let n = chars.len();
    chars.iter().enumerate().map(|(i, &c)| if i < head || i >= n - tail { c } else { '*' }).collect()
}

/// Two-character surnames (复姓) that a mask keeps whole.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "司空", "夏侯",
    "令狐", "独孤", "南宫", "西门", "轩辕", "端木", "呼延", "万俟", "闻人", "澹台", "公羊", "赫连", "申屠", "钟离",
];

/// Masks a name: the surname stays, every other character becomes `*` (`张*`, `张**`,
/// `欧阳**`). A name in Latin letters keeps the first letter of each word (`J*** S****`).
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        return String::new();
    }
    if name.chars().any(|c| c.is_ascii_alphabetic()) {
        return name
            .split_whitespace()
            .map(|w| w.chars().enumerate().map(|(i, c)| if i == 0 { c } else { '*' }).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ");
    }
    let chars: Vec<char> = name.chars().collect();
    if chars.len() == 1 {
        return "*".into();
    }
    let surname = if chars.len() > 2 && COMPOUND_SURNAMES.iter().any(|s| name.starts_with(s)) { 2 } else { 1 };
    chars.iter().enumerate().map(|(i, &c)| if i < surname { c } else { '*' }).collect()
}

/// A mainland China mobile number: 11 digits starting `13`–`19`. Spaces and hyphens are ignored,
/// and a `+86` or `86` prefix is accepted. Returns the 11 digits.
pub fn check_phone(field: &str, input: &str) -> Result<String, Refusal> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = match digits.strip_prefix("+86") {
        Some(rest) => rest,
        None if digits.len() == 13 => digits.strip_prefix("86").unwrap_or(&digits),
        None => &digits,
    };
    if digits.is_empty() {
        return Err(Refusal::bad_field(field, "请填写手机号码", "a mobile phone number is required"));
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(Refusal::bad_field(field, "手机号码只能包含数字", "a mobile phone number has digits only"));
    }
    if digits.len() != 11 {
        return Err(Refusal::bad_field(
            field,
            format!("手机号码应为 11 位，实际为 {} 位", digits.len()),
            format!("a mobile phone number has 11 digits, not {}", digits.len()),
        ));
    }
    let b = digits.as_bytes();
    if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
        return Err(Refusal::bad_field(
            field,
            "不是中国大陆手机号码（应以 13–19 开头）",
            "not a mainland China mobile number (it starts with 13 to 19)",
        ));
    }
    Ok(digits.to_owned())
}

/// Weights of the first 17 digits in ISO 7064 MOD 11-2 (2^(17−i) mod 11).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The GB 11643 check character of the first 17 digits: `0`–`9` or `X`.
pub fn id_check_digit(first17: &[u8; 17]) -> char {
    let sum: u32 = first17.iter().zip(ID_WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    match (12 - sum % 11) % 11 {
        10 => 'X',
        v => char::from_digit(v, 10).expect("a digit"),
    }
}

/// Province-level codes in use (GB/T 2260, plus 71 Taiwan, 81 Hong Kong, 82 Macao), the first
/// two digits of an ID number.
const PROVINCES: &[u8] = &[
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63,
    64, 65, 71, 81, 82,
];

/// The earliest birth year accepted: the standard's own example (440524188001010014) was born
/// in 1880; anything earlier is a typo.
const OLDEST_BIRTH_YEAR: i32 = 1880;

/// Checks a resident ID number (居民身份证号码, GB 11643): 17 digits and a check character,
/// a province that exists, a birth date that is a real day between 1880 and `today`, and the
/// ISO 7064 MOD 11-2 check digit. Returns it with a lowercase `x` made uppercase.
pub fn check_id_number(field: &str, input: &str, today: NaiveDate) -> Result<String, Refusal> {
    let id = input.trim().to_ascii_uppercase();
    if id.is_empty() {
        return Err(Refusal::bad_field(field, "请填写身份证号码", "an ID number is required"));
    }
    let bytes = id.as_bytes();
    if bytes.len() != 18 {
        return Err(Refusal::bad_field(
            field,
            format!("身份证号码应为 18 位，实际为 {} 位", id.chars().count()),
            format!("an ID number has 18 characters, not {}", id.chars().count()),
        ));
    }
    if !bytes[..17].iter().all(u8::is_ascii_digit) || !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
        return Err(Refusal::bad_field(
            field,
            "身份证号码应为 17 位数字加一位数字或 X",
            "an ID number is 17 digits followed by a digit or X",
        ));
    }
    let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
    if !PROVINCES.contains(&province) {
        return Err(Refusal::bad_field(
            field,
            format!("身份证号码的地区代码 {} 不存在", &id[..6]),
            format!("the area code {} of the ID number does not exist", &id[..6]),
        ));
    }
    let birth = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").ok();
    match birth {
        Some(b) if b.year() >= OLDEST_BIRTH_YEAR && b <= today => {}
        _ => {
            return Err(Refusal::bad_field(
                field,
                format!("身份证号码中的出生日期 {} 不是有效日期", &id[6..14]),
                format!("the birth date {} in the ID number is not a plausible date", &id[6..14]),
            ));
        }
    }
    let first17: &[u8; 17] = bytes[..17].try_into().expect("17 bytes");
    let expected = id_check_digit(first17);
    if char::from(bytes[17]) != expected {
        return Err(Refusal::bad_field(
            field,
            "身份证号码校验位不符，请检查是否输错",
            "the check digit of the ID number does not match: please check for a typo",
        ));
    }
    Ok(id)
}

/// The password policy (密码策略): at least [`PasswordPolicy::min_len`] characters, at least
/// three of the four classes (lowercase, uppercase, digits, symbols), at most 128 characters, and
/// none of the user's own identifiers (login, phone) inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordPolicy {
    pub min_len: usize,
    pub min_classes: usize,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_len: 10, min_classes: 3 }
    }
}

/// Longest password accepted: hashing is deliberately slow, so an unbounded input is a cheap
/// way to tie up the server.
pub const MAX_PASSWORD: usize = 128;

impl PasswordPolicy {
    /// Checks `password`; `personal` are the user's own identifiers (login, phone), none of which
    /// may appear in it (compared ignoring case; identifiers shorter than 4 are ignored). The
    /// refusal says exactly what is missing.
    pub fn check(&self, field: &str, password: &str, personal: &[&str]) -> Result<(), Refusal> {
        let len = password.chars().count();
        if len < self.min_len {
            return Err(Refusal::new(
                "weak_password",
                format!("{field}：密码太短（{len} 个字符），至少需要 {} 个字符", self.min_len),
                format!("{field}: the password is too short ({len} characters); it needs at least {}", self.min_len),
            ));
        }
        if len > MAX_PASSWORD {
            return Err(Refusal::new(
                "weak_password",
                format!("{field}：密码太长，最多 {MAX_PASSWORD} 个字符"),
                format!("{field}: the password is too long; at most {MAX_PASSWORD} characters"),
            ));
        }
        let classes = [
            (password.chars().any(|c| c.is_lowercase()), "小写字母", "lowercase letters"),
            (password.chars().any(|c| c.is_uppercase()), "大写字母", "uppercase letters"),
            (password.chars().any(|c| c.is_ascii_digit()), "数字", "digits"),
            (password.chars().any(|c| !c.is_alphanumeric()), "符号", "symbols"),
        ];
        let present = classes.iter().filter(|c| c.0).count();
        if present < self.min_classes {
            let need = self.min_classes - present;
            let missing: Vec<_> = classes.iter().filter(|c| !c.0).collect();
            let zh: Vec<&str> = missing.iter().map(|c| c.1).collect();
            let en: Vec<&str> = missing.iter().map(|c| c.2).collect();
            return Err(Refusal::new(
                "weak_password",
                format!(
                    "{field}：密码只用了 {present} 类字符，至少需要 {} 类；请再加入 {need} 类：{}",
                    self.min_classes,
                    zh.join("、")
                ),
                format!(
                    "{field}: the password uses {present} kind(s) of characters and needs {}; add {need} more of: {}",
                    self.min_classes,
                    en.join(", ")
                ),
            ));
        }
        let lower = password.to_lowercase();
        for p in personal.iter().map(|p| p.trim()).filter(|p| p.chars().count() >= 4) {
            if lower.contains(&p.to_lowercase()) {
                return Err(Refusal::new(
                    "weak_password",
                    format!("{field}：密码不能包含您的登录名或手机号"),
                    format!("{field}: the password must not contain your login name or phone number"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 17).unwrap()
    }

    #[test]
    fn masks() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("010-6512345"), "010****2345");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_id_number("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id_number("110105491231002"), "110105*****1002");
        assert_eq!(mask_id_number("1234"), "****");
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("欧阳娜娜"), "欧阳**");
        assert_eq!(mask_name("欧阳"), "欧*");
        assert_eq!(mask_name("王"), "*");
        assert_eq!(mask_name(" John Smith "), "J*** S****");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn phones() {
        assert_eq!(check_phone("phone", "13812341234").unwrap(), "13812341234");
        assert_eq!(check_phone("phone", "+86 138-1234-1234").unwrap(), "13812341234");
        assert_eq!(check_phone("phone", "8619912341234").unwrap(), "19912341234");
        let e = check_phone("phone", "1381234123").unwrap_err();
        assert!(e.zh.contains("phone") && e.zh.contains("10 位") && e.en.contains("not 10"), "{e}");
        assert!(check_phone("phone", "12812341234").unwrap_err().en.contains("13 to 19"));
        assert!(check_phone("phone", "1381234123a").unwrap_err().en.contains("digits only"));
        assert!(check_phone("phone", "").unwrap_err().en.contains("required"));
        assert!(check_phone("phone", "02160001234").is_err(), "a landline is not a mobile number");
    }

    #[test]
    fn check_digits_of_real_format_examples() {
        // The standard's own example, and others computed by hand: S = Σ aᵢWᵢ, check = (12 − S mod 11) mod 11.
        for (first17, check) in [
            ("11010519491231002", 'X'),
            ("44052418800101001", '4'),
            ("31011519900307231", '1'),
            ("51010720000229512", '9'),
            ("65010219851111004", '8'),
        ] {
            assert_eq!(id_check_digit(first17.as_bytes().try_into().unwrap()), check, "{first17}");
            let id = format!("{first17}{check}");
            assert_eq!(check_id_number("id_number", &id, today()).unwrap(), id);
        }
        assert_eq!(check_id_number("id_number", "11010519491231002x", today()).unwrap(), "11010519491231002X");
    }

    #[test]
    fn id_numbers_are_refused_naming_the_field_and_the_fault() {
        let refuse = |s: &str| check_id_number("id_number", s, today()).unwrap_err();
        let e = refuse("110105194912310021");
        assert!(e.zh.contains("id_number") && e.zh.contains("校验位") && e.en.contains("check digit"), "{e}");
        assert!(refuse("11010519491231002").en.contains("not 17"));
        assert!(refuse("1101051949123100AX").en.contains("17 digits"));
        // Province 99 does not exist.
        assert!(refuse("990105194912310023").en.contains("area code 990105"));
        // 2026-02-29 is not a day; 2027 is after today; 1879 is implausible.
        assert!(refuse("110105202602290010").en.contains("birth date 20260229"));
        assert!(refuse("110105202701010010").en.contains("birth date"));
        assert!(refuse("110105187901010010").en.contains("birth date"));
        assert!(refuse("").en.contains("required"));
    }

    #[test]
    fn password_policy_says_what_is_missing() {
        let p = PasswordPolicy::default();
        let e = p.check("password", "Ab1!", &[]).unwrap_err();
        assert_eq!(e.code, "weak_password");
        assert!(e.en.contains("too short (4 characters)") && e.en.contains("at least 10"), "{e}");
        assert!(e.zh.contains("至少需要 10 个字符"), "{e}");

        let e = p.check("password", "abcdefghij12", &[]).unwrap_err();
        assert!(e.en.contains("uses 2 kind(s)") && e.en.contains("add 1 more of: uppercase letters, symbols"), "{e}");
        assert!(e.zh.contains("大写字母、符号"), "{e}");

        let e = p.check("password", "abcdefghijkl", &[]).unwrap_err();
        assert!(e.en.contains("add 2 more of: uppercase letters, digits, symbols"), "{e}");

        assert!(p.check("password", "Correct-horse7", &[]).is_ok());
        assert!(p.check("password", "correct horse 7", &[]).is_ok(), "lowercase, symbol (space), digit");
        assert!(p.check("password", "密码很长Password1", &[]).is_ok());

        let e = p.check("password", "Pw-13812341234", &["13812341234"]).unwrap_err();
        assert!(e.en.contains("must not contain your login name or phone"), "{e}");
        let e = p.check("password", "My-OP-login-7", &["op-login"]).unwrap_err();
        assert!(e.en.contains("must not contain"), "case does not hide the login: {e}");
        assert!(p.check("password", "Correct-op-1x", &["op"]).is_ok(), "too short an id to forbid");

        let long = format!("Aa1!{}", "x".repeat(MAX_PASSWORD));
        assert!(p.check("password", &long, &[]).unwrap_err().en.contains("too long"));
    }
}
