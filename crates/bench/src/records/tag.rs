//! What the run was doing when a request was made.

/// What the run was doing when a request was made; carried by the request's task
/// ([`mlstor_store::record::tagged`]) into its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// Listing, index files, anything outside a phase.
    Setup,
    Generate,
    /// Training block `block` (1-based) of `epoch`.
    Train {
        epoch: u64,
        block: u64,
    },
    Eval {
        epoch: u64,
    },
    /// The save, and a restore, of checkpoint `global_epoch{epoch}_step{step}`.
    Save {
        epoch: u64,
        step: u64,
    },
    Restore {
        epoch: u64,
        step: u64,
    },
    /// `mlstor bench`'s timed requests.
    Load,
}

const FIELD: u64 = (1 << 28) - 1;

impl Tag {
    /// The number carried in records (0 for [`Tag::Setup`], the default of untagged work).
    pub fn code(self) -> u64 {
        let (kind, a, b) = match self {
            Tag::Setup => (0, 0, 0),
            Tag::Generate => (1, 0, 0),
            Tag::Train { epoch, block } => (2, epoch, block),
            Tag::Eval { epoch } => (3, epoch, 0),
            Tag::Save { epoch, step } => (4, epoch, step),
            Tag::Restore { epoch, step } => (5, epoch, step),
            Tag::Load => (6, 0, 0),
        };
        kind << 56 | (a & FIELD) << 28 | (b & FIELD)
    }

    pub fn from_code(code: u64) -> Tag {
        let (a, b) = ((code >> 28) & FIELD, code & FIELD);
        match code >> 56 {
            1 => Tag::Generate,
            2 => Tag::Train { epoch: a, block: b },
            3 => Tag::Eval { epoch: a },
            4 => Tag::Save { epoch: a, step: b },
            5 => Tag::Restore { epoch: a, step: b },
            6 => Tag::Load,
            _ => Tag::Setup,
        }
    }

    /// A short name for logs and reports (`train e1 b2`, `save e1 s3`, ...).
    pub fn name(self) -> String {
        match self {
            Tag::Setup => "setup".into(),
            Tag::Generate => "generate".into(),
            Tag::Train { epoch, block } => format!("train e{epoch} b{block}"),
            Tag::Eval { epoch } => format!("eval e{epoch}"),
            Tag::Save { epoch, step } => format!("save e{epoch} s{step}"),
            Tag::Restore { epoch, step } => format!("restore e{epoch} s{step}"),
            Tag::Load => "load".into(),
        }
    }

    /// Runs `f` with this tag in the records of its requests.
    pub async fn scope<F: Future>(self, f: F) -> F::Output {
        mlstor_store::record::tagged(self.code(), f).await
    }
}
