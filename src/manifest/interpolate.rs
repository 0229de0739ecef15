//! `${VAR}` references in manifest strings, resolved from the environment and
//! `.env` only when a value is used, so secrets never reach `baas.toml`.
//!
//! Syntax: `${NAME}`, or `${NAME:-fallback}` for a value used when `NAME` is
//! unset or empty. `$$` is a literal `$`.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpolationError {
    #[error("`${{` at byte {0} is not closed by `}}`")]
    Unclosed(usize),
    #[error("`{0}` is not a valid variable name (use letters, digits and `_`)")]
    BadName(String),
    #[error("environment variable `{0}` is not set")]
    Unset(String),
}

/// Checks the syntax of every reference in `text`.
pub fn check(text: &str) -> Result<(), InterpolationError> {
    resolve(text, |_| Some("set".to_owned())).map(|_| ())
}

/// Names of the variables `text` refers to, in order.
pub fn variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let _ = resolve(text, |name| {
        names.push(name.to_owned());
        Some("set".to_owned())
    });
    names
}

/// Replaces every `${NAME}` with `lookup(NAME)`.
pub fn resolve(
    text: &str,
    mut lookup: impl FnMut(&str) -> Option<String>,
) -> Result<String, InterpolationError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(after) = after.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let Some(body) = after.strip_prefix('{') else {
            out.push('$');
            rest = after;
            continue;
        };
        let offset = text.len() - rest.len() + dollar;
        let close = body.find('}').ok_or(InterpolationError::Unclosed(offset))?;
        let reference = &body[..close];
        let (name, fallback) = match reference.split_once(":-") {
            Some((name, fallback)) => (name, Some(fallback)),
            None => (reference, None),
        };
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(InterpolationError::BadName(name.to_owned()));
        }
        match (lookup(name).filter(|v| !v.is_empty()), fallback) {
            (Some(value), _) => out.push_str(&value),
            (None, Some(fallback)) => out.push_str(fallback),
            (None, None) => return Err(InterpolationError::Unset(name.to_owned())),
        }
        rest = &body[close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "DATABASE_URL" => Some("postgres://u:p@h/db".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn resolves_references_fallbacks_and_escapes() {
        assert_eq!(
            resolve("${DATABASE_URL}", env).unwrap(),
            "postgres://u:p@h/db"
        );
        assert_eq!(
            resolve("x${EMPTY:-dflt}y", env).unwrap(),
            "xdfltY".replace('Y', "y")
        );
        assert_eq!(resolve("cost $$5 and $x", env).unwrap(), "cost $5 and $x");
        assert_eq!(
            resolve("${MISSING}", env),
            Err(InterpolationError::Unset("MISSING".into()))
        );
        assert_eq!(
            resolve("a ${OPEN", env),
            Err(InterpolationError::Unclosed(2))
        );
        assert_eq!(
            resolve("${1X}", env),
            Err(InterpolationError::BadName("1X".into()))
        );
        assert_eq!(variables("${A}/${B:-x}"), ["A", "B"]);
    }
}
