//! One file per subcommand; helpers they share live here.

pub mod bench;
pub mod cat;
pub mod config;
pub mod cp;
pub mod datagen;
pub mod generate;
pub mod ls;
pub mod rm;
pub mod run;
pub mod stat;

use anyhow::{Context, Result};

/// A command-line location as a URI: URIs pass through, local paths become `file://` URIs.
pub fn to_uri(arg: &str) -> Result<String> {
    if arg.contains("://") {
        return Ok(arg.to_string());
    }
    let path = std::path::Path::new(arg);
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .context("cannot read the current directory")?
            .join(path)
    };
    let mut s = abs
        .to_str()
        .with_context(|| format!("path {arg:?} is not UTF-8"))?
        .to_string();
    if arg.ends_with('/') && !s.ends_with('/') {
        s.push('/');
    }
    Ok(format!("file://{s}"))
}

/// Prints `value` as one line of JSON on stdout.
pub fn print_json(value: &serde_json::Value) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_become_file_uris() {
        assert_eq!(to_uri("s3://b/k").expect("uri"), "s3://b/k");
        assert_eq!(to_uri("/tmp/x").expect("abs"), "file:///tmp/x");
        assert_eq!(to_uri("/tmp/x/").expect("dir"), "file:///tmp/x/");
        assert!(to_uri("rel").expect("rel").starts_with("file:///"));
    }
}
