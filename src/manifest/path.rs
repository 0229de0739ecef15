//! Dotted paths into a manifest (`entities."Order Details".fields.Quantity`,
//! `entities.film.relations[0].references.entity`): how problems say where
//! they are, and how spans are looked up.

/// `parent.key`, quoting `key` the way TOML would when it is not bare.
pub fn key_path(parent: &str, key: &str) -> String {
    let key = super::save::key(key);
    if parent.is_empty() {
        key
    } else {
        format!("{parent}.{key}")
    }
}

/// `parent[index]`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// Splits a path into its segments, unquoting quoted keys; array indexes
/// become segments of their own (`[0]`).
pub fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    let mut current = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(escaped) = chars.next() {
                                current.push(escaped);
                            }
                        }
                        '"' => break,
                        _ => current.push(c),
                    }
                }
            }
            '.' => out.push(std::mem::take(&mut current)),
            '[' => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                let mut index = String::from("[");
                for c in chars.by_ref() {
                    index.push(c);
                    if c == ']' {
                        break;
                    }
                }
                out.push(index);
                if chars.peek() == Some(&'.') {
                    chars.next();
                }
            }
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The path one level up; `None` at the root.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        return path.rfind('[').map(|i| &path[..i]);
    }
    if path.ends_with('"') {
        // Find the opening quote of the last (quoted) segment.
        let bytes = path.as_bytes();
        let mut i = path.len() - 1;
        while i > 0 {
            i -= 1;
            if bytes[i] == b'"' && (i == 0 || bytes[i - 1] != b'\\') {
                return Some(path[..i].strip_suffix('.').unwrap_or(""));
            }
        }
        return Some("");
    }
    Some(path.rfind('.').map_or("", |i| &path[..i]))
}

/// The last segment, unquoted (`type` for `entities.a.fields.b.type`).
pub fn last(path: &str) -> String {
    segments(path).pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_quote_and_split_names_with_spaces() {
        let path = key_path(&key_path("entities", "Order Details"), "fields");
        assert_eq!(path, "entities.\"Order Details\".fields");
        assert_eq!(segments(&path), ["entities", "Order Details", "fields"]);
        assert_eq!(parent(&path), Some("entities.\"Order Details\""));
        assert_eq!(parent("entities.\"Order Details\""), Some("entities"));
        let relation = index_path("entities.a.relations", 2);
        assert_eq!(parent(&relation), Some("entities.a.relations"));
        assert_eq!(
            segments(&format!("{relation}.fields")),
            ["entities", "a", "relations", "[2]", "fields"]
        );
        assert_eq!(parent("manifest"), Some(""));
        assert_eq!(parent(""), None);
        assert_eq!(last("entities.a.fields.b.type"), "type");
    }
}
