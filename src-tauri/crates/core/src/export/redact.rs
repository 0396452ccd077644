//! PII redaction for the audit log: e-mail addresses, phone numbers, IP addresses and
//! API-key-like strings become placeholders.

use std::sync::LazyLock;

use regex::Regex;

static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}",
        r"|\b(?:sk|pk|rk|ghp|gho|ghs|xox[abprs]|hf|glpat|AKIA)[-_]?[A-Za-z0-9_-]{12,}",
        r"|\b[A-Za-z0-9_-]*(?:[0-9][A-Za-z_-]*[A-Za-z]|[A-Za-z][A-Za-z_-]*[0-9])[A-Za-z0-9_-]{30,}\b",
    ))
    .expect("regex")
});
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
        .expect("regex")
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b")
        .expect("regex")
});
/// Candidates for IPv6 addresses (two colons or more); each is checked by parsing it.
static IPV6: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)[0-9a-f]*:[0-9a-f]*:[0-9a-f:]*").expect("regex"));
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}\b|\+\d{8,15}\b",
    )
    .expect("regex")
});

/// `text` with personal data and secrets replaced by `[email]`, `[phone]`, `[ip]` and `[secret]`.
pub fn redact(text: &str) -> String {
    let text = SECRET.replace_all(text, "[secret]");
    let text = EMAIL.replace_all(&text, "[email]");
    let text = IPV4.replace_all(&text, "[ip]");
    let text = IPV6.replace_all(&text, |caps: &regex::Captures<'_>| {
        let s = &caps[0];
        if s.parse::<std::net::Ipv6Addr>().is_ok() {
            "[ip]".to_owned()
        } else {
            s.to_owned()
        }
    });
    PHONE
        .replace_all(&text, |caps: &regex::Captures<'_>| {
            let s = &caps[0];
            let digits = s.chars().filter(char::is_ascii_digit).count();
            // Dates and version numbers have few digits; phone numbers 7 or more.
            if digits >= 7 && !looks_like_date(s) {
                "[phone]".to_owned()
            } else {
                s.to_owned()
            }
        })
        .into_owned()
}

fn looks_like_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['-', '.', '/', ' ']).collect();
    parts.len() == 3 && parts[0].len() == 4 && parts[1].len() == 2 && parts[2].len() == 2
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn personal_data_and_secrets_are_replaced() {
        let cases = [
            ("mail ada@example.org now", "mail [email] now"),
            ("call +44 20 7946 0958 today", "call [phone] today"),
            ("call (555) 123-4567", "call [phone]"),
            ("server 192.168.1.20 is up", "server [ip] is up"),
            ("v6 2001:db8:85a3::8a2e:370:7334 here", "v6 [ip] here"),
            ("key sk-proj-abcdefghijklmnop1234567890", "key [secret]"),
            (
                "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def",
                "Authorization: [secret]",
            ),
            (
                "token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
                "token [secret]",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(redact(input), want, "{input}");
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        for text in [
            "Meet on 2027-03-14 at 10:30.",
            "The log says 10:30:15 and then 23:59:59.",
            "Version 1.2.3 fixed it; 3 of 4 tests pass.",
            "The answer is 42 and pi is 3.14159.",
            "snake_case_identifier and CamelCase",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
