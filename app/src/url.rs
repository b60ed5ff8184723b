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
        format!("{path}?{}", query.join("&"))
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
    fn empty_values_are_left_out() {
        assert_eq!(
            with_query("/f", &[("q", ""), ("kind", "street")]),
            "/f?kind=street"
        );
        assert_eq!(with_query("/f", &[("q", "")]), "/f");
    }
}
