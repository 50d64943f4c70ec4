//! What a comparison runs: which libraries, which operations, how many objects of what size,
//! at what concurrency, where.

use std::path::PathBuf;

use crate::CompareError;
use crate::library::{self, Library};

/// Write, read, or both (read what the same library wrote).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Write,
    Read,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Write => "write",
            Op::Read => "read",
        }
    }
}

/// The bucket (or container, or folder) the objects go to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// `s3`, `az`, `gs` or `file`.
    pub scheme: String,
    /// Bucket or container name; for `file`, the folder's absolute path without its leading `/`.
    pub bucket: String,
}

impl Target {
    /// `--bucket NAME` (S3) or a URI: `s3://b`, `az://container`, `gs://b`, `file:///dir`.
    pub fn parse(arg: &str) -> Result<Target, CompareError> {
        let bad = |why: &str| CompareError::Spec(format!("--bucket {arg:?}: {why}"));
        let (scheme, rest) = match arg.split_once("://") {
            Some((s, r)) => (s.to_ascii_lowercase(), r),
            None => ("s3".to_string(), arg),
        };
        if !["s3", "az", "gs", "file"].contains(&scheme.as_str()) {
            return Err(bad("the scheme must be s3://, az://, gs:// or file://"));
        }
        let bucket = rest.trim_matches('/');
        if bucket.is_empty() {
            return Err(bad("no bucket name"));
        }
        if scheme != "file" && bucket.contains('/') {
            return Err(bad(
                "a bucket name has no '/' (use --prefix for a folder inside it)",
            ));
        }
        if scheme == "file" && !rest.starts_with('/') {
            return Err(bad("a file:// folder must be absolute (file:///path)"));
        }
        Ok(Target {
            scheme,
            bucket: bucket.to_string(),
        })
    }

    /// The root URI (`s3://b`, `file:///dir`).
    pub fn uri(&self) -> String {
        if self.scheme == "file" {
            format!("file:///{}", self.bucket)
        } else {
            format!("{}://{}", self.scheme, self.bucket)
        }
    }
}

/// One comparison.
#[derive(Debug, Clone)]
pub struct Spec {
    pub libraries: Vec<&'static Library>,
    pub ops: Vec<Op>,
    pub files: usize,
    pub size: usize,
    pub threads: usize,
    pub target: Target,
    /// A folder inside the bucket for this tool's runs (each run makes its own below it).
    pub prefix: String,
    pub endpoints: Vec<String>,
    pub region: String,
    pub repeat: usize,
    /// Untimed warm-up objects per library and op.
    pub warmup: usize,
    /// The Python that runs the Python libraries' workers.
    pub python: PathBuf,
    /// `--adapter NAME=FILE.py`: extra libraries from plugin files.
    pub plugins: Vec<(String, PathBuf)>,
    /// Leave the objects in place at the end.
    pub keep: bool,
    /// Bytes of object data a worker may hold at once (writes go in batches of this size).
    pub batch_bytes: usize,
}

impl Spec {
    pub fn check(&self) -> Result<(), CompareError> {
        let err = |s: String| Err(CompareError::Spec(s));
        if self.libraries.is_empty() && self.plugins.is_empty() {
            return err(
                "no library to run: --library, --compare, --compare-all or --compare-libraries".into(),
            );
        }
        if self.files == 0 || self.size == 0 || self.threads == 0 || self.repeat == 0 {
            return err("--files, --size, --threads and --repeat must be at least 1".into());
        }
        if self.ops.is_empty() {
            return err("--op must be write, read or both".into());
        }
        if self.prefix.contains("..") {
            return err(format!("--prefix {:?} may not contain '..'", self.prefix));
        }
        Ok(())
    }

    /// Objects one write batch holds (at least one, at most all).
    pub fn batch_objects(&self) -> usize {
        (self.batch_bytes / self.size).clamp(1, self.files)
    }

    /// The names `--compare-all` means: every library that speaks the target's scheme.
    pub fn all_for(scheme: &str) -> Vec<&'static Library> {
        library::ALL.iter().filter(|l| l.speaks(scheme)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("bench").expect("plain");
        assert_eq!((t.scheme.as_str(), t.uri().as_str()), ("s3", "s3://bench"));
        assert_eq!(Target::parse("az://c/").expect("az").uri(), "az://c");
        assert_eq!(
            Target::parse("file:///tmp/x").expect("file").uri(),
            "file:///tmp/x"
        );
        for bad in ["ftp://x", "s3://", "s3://b/p", "file://rel/x"] {
            let e = Target::parse(bad).expect_err(bad).to_string();
            assert!(e.contains(bad), "{e}");
        }
    }
}
