//! Credentials out of text that reaches people: errors, logs.

/// `scheme://user:password@host` in a message becomes `scheme://***@host`: credentials in an
/// endpoint URL never reach the terminal.
pub fn userinfo(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // The authority ends at the first '/', unless a password holds one: then it ends at
        // the '@' that comes before any white space or quote (and a ':' before it).
        let word = tail
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ')')
            .unwrap_or(tail.len());
        let slash = tail[..word].find('/').unwrap_or(word);
        let end = match tail[..word].rfind('@') {
            Some(at) if at > slash && tail[..at].contains(':') => {
                tail[at..word].find('/').map_or(word, |i| at + i)
            }
            _ => slash,
        };
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str("***");
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    bare_userinfo(&out)
}

/// `user:password@host` without a scheme (as HTTP stacks log a connection's authority):
/// the part before `@` of a token holding `:` becomes `***`.
fn bare_userinfo(message: &str) -> String {
    let stop = |c: char| c.is_whitespace() || "(\"',/[]{}<>;=".contains(c);
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find('@') {
        let (head, tail) = rest.split_at(at);
        let start = head
            .rfind(stop)
            .map_or(0, |i| i + head[i..].chars().next().map_or(1, char::len_utf8));
        let token = &head[start..];
        out.push_str(&head[..start]);
        if token.contains(':') && token != "***" {
            out.push_str("***");
        } else {
            out.push_str(token);
        }
        out.push('@');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::userinfo;

    #[test]
    fn credentials_in_urls_are_redacted() {
        assert_eq!(
            userinfo("GET http://user:pa55@127.0.0.1:1/bucket?x failed; s3://b/k"),
            "GET http://***@127.0.0.1:1/bucket?x failed; s3://b/k"
        );
        assert_eq!(userinfo("at https://a@b.c"), "at https://***@b.c");
        assert_eq!(userinfo("no url here"), "no url here");
        assert_eq!(
            userinfo(r#"idle connection: ("http", u:s3cret@127.0.0.1:1)"#),
            r#"idle connection: ("http", ***@127.0.0.1:1)"#
        );
        assert_eq!(userinfo("mail me@example.com"), "mail me@example.com");
        assert_eq!(
            userinfo("endpoint \"http://AKIA:ab/cd@127.0.0.1:9/b\" bad"),
            "endpoint \"http://***@127.0.0.1:9/b\" bad"
        );
        assert_eq!(userinfo("http://h:80/p/q x"), "http://h:80/p/q x");
    }
}
