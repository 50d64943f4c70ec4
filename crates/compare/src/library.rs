//! The libraries `mlstor compare` knows: how each is driven, which schemes it speaks, and how
//! to install it.

/// How a library's worker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runner {
    /// mlstor's Rust store, in a child `mlstor compare-worker` process.
    Native,
    /// The Python worker (`worker.py`) with the library's adapter.
    Python,
}

/// One library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Library {
    /// The name on the command line and in the table.
    pub name: &'static str,
    pub runner: Runner,
    /// The Python module whose import tells that the library is installed.
    pub module: &'static str,
    /// What `mlstor compare --install NAME` runs pip with (empty: cannot be pip-installed).
    pub pip: &'static [&'static str],
    /// URI schemes it is compared on.
    pub schemes: &'static [&'static str],
    /// How it is used, for the table's notes.
    pub usage: &'static str,
}

/// Every library, in the order tables list them.
pub const ALL: &[Library] = &[
    Library {
        name: "mlstor",
        runner: Runner::Native,
        module: "",
        pip: &[],
        schemes: &["s3", "az", "gs", "file"],
        usage: "mlstor's Rust store (put / get), T tasks",
    },
    Library {
        name: "mlstor-py",
        runner: Runner::Python,
        module: "mlstor",
        pip: &[],
        schemes: &["s3", "az", "gs", "file"],
        usage: "mlstor Python API: Store.put / Store.get, T threads",
    },
    Library {
        name: "s3dlio",
        runner: Runner::Python,
        module: "s3dlio",
        pip: &["s3dlio"],
        schemes: &["s3", "az", "gs", "file"],
        usage: "s3dlio.put_bytes / s3dlio.get, T threads",
    },
    Library {
        name: "s3torchconnector",
        runner: Runner::Python,
        module: "s3torchconnectorclient",
        pip: &["s3torchconnectorclient"],
        schemes: &["s3"],
        usage: "s3torchconnectorclient's MountpointS3Client (what S3Client wraps), 8 MiB parts, T threads",
    },
    Library {
        name: "minio",
        runner: Runner::Python,
        module: "minio",
        pip: &["minio"],
        schemes: &["s3"],
        usage: "minio put_object (16 MiB parts, 8 parallel uploads) / get_object, T threads",
    },
    Library {
        name: "boto3",
        runner: Runner::Python,
        module: "boto3",
        pip: &["boto3"],
        schemes: &["s3"],
        usage: "boto3 transfer manager (upload_fileobj / download_fileobj, default TransferConfig), T threads",
    },
    Library {
        name: "obstore",
        runner: Runner::Python,
        module: "obstore",
        pip: &["obstore"],
        schemes: &["s3"],
        usage: "obstore.put / obstore.get().bytes(), T threads",
    },
    Library {
        name: "azstoragetorch",
        runner: Runner::Python,
        module: "azstoragetorch.io",
        pip: &["azstoragetorch"],
        schemes: &["az"],
        usage: "azstoragetorch BlobIO (SAS URL) write / read, T threads",
    },
];

/// `--compare-libraries`: the seed's two-way comparison, with mlstor in s3dlio's seat.
pub const LEGACY_PAIR: [&str; 2] = ["mlstor", "s3torchconnector"];

/// The library called `name`.
pub fn find(name: &str) -> Option<&'static Library> {
    ALL.iter().find(|l| l.name.eq_ignore_ascii_case(name))
}

impl Library {
    /// The command that installs it, for "skipped" lines.
    pub fn install_hint(&self) -> String {
        match (self.runner, self.pip) {
            (Runner::Native, _) => "built into mlstor".into(),
            (_, []) => "pip install ./crates/py (from mlstor's source tree; needs maturin)".into(),
            (_, pkgs) => format!(
                "mlstor compare --install {} (or: pip install {})",
                self.name,
                pkgs.join(" ")
            ),
        }
    }

    pub fn speaks(&self, scheme: &str) -> bool {
        self.schemes.contains(&scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found_case_blind() {
        for l in ALL {
            assert_eq!(ALL.iter().filter(|m| m.name == l.name).count(), 1, "{}", l.name);
            assert_eq!(find(&l.name.to_uppercase()), Some(l));
        }
        assert!(find("nope").is_none());
        assert!(LEGACY_PAIR.iter().all(|n| find(n).is_some()));
        assert!(
            find("minio")
                .expect("minio")
                .install_hint()
                .contains("pip install minio")
        );
    }
}
