//! The `.env` file `--object` reads, as mlpstorage reads it (python-dotenv's format:
//! `KEY=VALUE`, optional `export `, quotes, `#` comments).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// The file's variables; a line that is not `KEY=VALUE` is an error naming the line.
pub fn read(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "--object reads the endpoint, credentials and BUCKET from {}: cannot read it",
            path.display()
        )
    })?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

pub fn parse(text: &str) -> Result<BTreeMap<String, String>> {
    let mut vars = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((k, v)) = line.split_once('=') else {
            bail!("line {}: expected KEY=VALUE", i + 1);
        };
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("line {}: {k:?} is not a variable name", i + 1);
        }
        let v = v.trim();
        // A quoted value ends at its closing quote (a comment may follow); a bare one at " #".
        let quoted = ['"', '\''].iter().find_map(|q| {
            let rest = v.strip_prefix(*q)?;
            let end = rest.find(*q)?;
            Some(rest[..end].to_string())
        });
        let v = quoted.unwrap_or_else(|| v.split(" #").next().unwrap_or(v).trim().to_string());
        vars.insert(k.to_string(), v);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines() {
        let v = parse("# c\nexport AWS_ENDPOINT_URL=http://127.0.0.1:9000\nBUCKET='b1'\nAWS_SECRET_ACCESS_KEY=\"s e\" \nSTORAGE_LIBRARY=s3dlio # lib\n").expect("parse");
        assert_eq!(v["AWS_ENDPOINT_URL"], "http://127.0.0.1:9000");
        assert_eq!(v["BUCKET"], "b1");
        assert_eq!(v["AWS_SECRET_ACCESS_KEY"], "s e");
        assert_eq!(v["STORAGE_LIBRARY"], "s3dlio");
        let v = parse("AWS_SECRET_ACCESS_KEY=\"sk\" # prod\n").expect("comment");
        assert_eq!(v["AWS_SECRET_ACCESS_KEY"], "sk");
        let e = parse("BUCKET\n").expect_err("no =");
        assert!(e.to_string().contains("line 1"));
    }
}
