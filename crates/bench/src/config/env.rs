//! `${VAR}` and `${VAR:-default}` substitution in workload text, before YAML parsing.

/// A variable that is not set and has no default, with the 1-based line it appears on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVar {
    pub var: String,
    pub line: usize,
}

/// Replaces `${NAME}` with `get(NAME)` and `${NAME:-default}` with it or `default`; `$$` is a
/// literal `$`. Anything else with a `$` is left alone.
pub fn substitute(text: &str, get: &dyn Fn(&str) -> Option<String>) -> Result<String, MissingVar> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let Some(body_end) = after.strip_prefix('{').and_then(|b| b.find('}').map(|e| (b, e))) else {
            out.push('$');
            rest = after;
            continue;
        };
        let (body, end) = body_end;
        let expr = &body[..end];
        let (name, default) = match expr.split_once(":-") {
            Some((n, d)) => (n.trim(), Some(d)),
            None => (expr.trim(), None),
        };
        match get(name)
            .filter(|v| !v.is_empty())
            .or_else(|| default.map(str::to_string))
        {
            Some(v) => out.push_str(&v),
            None => {
                let line = text[..text.len() - rest.len() + i].matches('\n').count() + 1;
                return Err(MissingVar {
                    var: name.to_string(),
                    line,
                });
            }
        }
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "AK" => Some("key123".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn substitutes_with_defaults() {
        let t = "a: ${AK}\nb: ${NOPE:-fallback}\nc: ${EMPTY:-d}\nd: $$HOME\ne: $plain";
        assert_eq!(
            substitute(t, &env).expect("ok"),
            "a: key123\nb: fallback\nc: d\nd: $HOME\ne: $plain"
        );
    }

    #[test]
    fn missing_variable_names_it_and_its_line() {
        let e = substitute("x: 1\ny: ${AWS_SECRET_ACCESS_KEY}\n", &env).expect_err("missing");
        assert_eq!(
            e,
            MissingVar {
                var: "AWS_SECRET_ACCESS_KEY".into(),
                line: 2
            }
        );
    }
}
