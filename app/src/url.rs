//! URL query strings the way people read them: RFC 3986 unreserved characters stay as they
//! are (`kind=camera_garage`, not `camera%5Fgarage`), everything else is percent-encoded.

/// Percent-encodes one query component (a key or a value).
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes what may not stand raw in a URL (non-ASCII, spaces, controls, `"<>\\^`{|}`),
/// leaving its structure (`/ ? & = %`) alone: for a decoded local path going back into a
/// `Location` header.
pub fn encode_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic()
            && !matches!(
                b,
                b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}'
            )
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The one check for a redirect target taken from a request (`next`, `return_to`): `Some`
/// only for a path on this origin that every browser reads as such. Refused: anything not
/// starting with a single `/` (schemes, `//host`, relative paths), backslashes (browsers
/// read `/\host` as `//host`), control characters and whitespace anywhere (browsers drop tab
/// and line feed, so `/\t/evil.example` becomes `//evil.example`; a line feed would also break
/// the `Location` header), percent-encoded slashes, backslashes and control characters, and
/// anything over 2,000 bytes. Rule: shared/security.md, "Redirects"; table of bypasses in the
/// tests below.
pub fn local_path(target: &str) -> Option<&str> {
    let bytes = target.as_bytes();
    if target.len() > 2_000 || bytes.first() != Some(&b'/') || bytes.get(1) == Some(&b'/') {
        return None;
    }
    if target
        .chars()
        .any(|c| c == '\\' || c.is_control() || c.is_whitespace())
    {
        return None;
    }
    // Encoded control characters (%00-%1F, %7F) anywhere; %2F and %5C in the path (in the
    // query they are a search for "/" and harmless), in any case.
    let lower = target.to_ascii_lowercase();
    let path_end = lower.find(['?', '#']).unwrap_or(lower.len());
    let encoded_bad = lower.match_indices('%').any(|(i, _)| {
        let hex = lower.get(i + 1..i + 3).unwrap_or("");
        hex == "7f"
            || hex.starts_with('0')
            || hex.starts_with('1')
            || (i < path_end && matches!(hex, "2f" | "5c"))
    });
    (!encoded_bad).then_some(target)
}

/// `path?k=v&…` from the pairs whose value is not empty; just `path` when none is.
pub fn with_query(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        // A path that already has a query gets the pairs appended to it.
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_characters_stay_readable_and_the_rest_is_encoded() {
        assert_eq!(encode_component("camera_garage"), "camera_garage");
        assert_eq!(
            encode_component("Malmö & co/1"),
            "Malm%C3%B6%20%26%20co%2F1"
        );
    }

    #[test]
    fn a_decoded_path_is_made_safe_for_a_location_header() {
        assert_eq!(
            encode_unsafe("/facilities?city=Malmö&q=a b"),
            "/facilities?city=Malm%C3%B6&q=a%20b"
        );
    }

    #[test]
    fn only_plain_local_paths_pass_as_redirect_targets() {
        for ok in [
            "/",
            "/members",
            "/invite/abc123",
            "/facilities?city=Malmö&q=a",
            "/history?month=2026-11#top",
            "/a/b%20c",
            "/members?q=a%2Fb",
            "/members?q=%5C",
        ] {
            assert_eq!(local_path(ok), Some(ok), "{ok:?}");
        }
        for bad in [
            "",
            "members",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " /x",
            "/x y",
            "/\u{0}/evil.example",
            "/\u{85}/evil.example",
            "/\u{3000}/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5C/evil.example",
            "/%5c%5cevil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D%0ASet-Cookie:x=1",
            "/%00",
            "/members?q=%0A",
            "/%7f",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "data:text/html,x",
            "HTTPS://evil.example",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(2_000))), None);
    }

    #[test]
    fn empty_values_are_left_out() {
        assert_eq!(
            with_query("/f", &[("q", ""), ("kind", "street")]),
            "/f?kind=street"
        );
        assert_eq!(with_query("/f", &[("q", "")]), "/f");
        assert_eq!(with_query("/f?page=2", &[("q", "a")]), "/f?page=2&q=a");
    }
}
