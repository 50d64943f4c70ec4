//! The files of one split as the loader sees them: their keys and sizes, listed before
//! any epoch starts (as DLIO lists its data folder), and, for formats read by byte range,
//! each file's sample index, loaded on first use.

use std::sync::{Arc, OnceLock};

use futures::TryStreamExt;
use mlstor_formats::{indexed_binary, parquet, tfrecord};
use mlstor_store::{ListEntry, ListMode, Store, StoreExt};

use super::error::LoaderError;
use crate::config::schema::{Format, Workload};
use crate::execute::parquet::{ReadError, StoreReader};
use crate::plan::Plan;
use crate::plan::files::{Split, dataset_files, listing_spot_checks, skip_listing_files, stored_name};

/// How a format's samples are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The whole file is read and decoded (npz, npy, hdf5, csv, images), as DLIO's readers
    /// open it.
    WholeFile,
    /// Each sample is a byte range found through an index (TFRecord's DALI index,
    /// indexed binary's offset and size files).
    Ranged,
    /// Samples are rows of row groups: the footer once per file, then each row group's
    /// column chunks as byte ranges (parquet).
    RowGroups,
    /// Nothing is read: DLIO 3.0.2's `synthetic` format lists its files and yields batches
    /// without reading them.
    Nothing,
}

impl Access {
    pub fn of(format: Format) -> Access {
        match format {
            Format::Tfrecord | Format::IndexedBinary | Format::MmapIndexedBinary => Access::Ranged,
            Format::Parquet => Access::RowGroups,
            Format::Synthetic => Access::Nothing,
            _ => Access::WholeFile,
        }
    }
}

/// `(offset, length)` of each sample of a file.
pub type SampleRanges = Arc<Vec<(u64, u64)>>;

/// One split's files.
#[derive(Debug)]
pub struct SplitFiles {
    pub split: Split,
    /// Keys under the data folder, in DLIO's (name) order.
    pub keys: Vec<String>,
    /// Sizes from the listing; under `skip_listing`, learnt on first read (see [`Self::size`]).
    sizes: Vec<OnceLock<u64>>,
    /// The generator's index of the first file (evaluation files follow the training ones).
    first_index: u64,
    /// Each file's `<i>` from its name, when it has one.
    generated_index: Vec<Option<u64>>,
    pub format: Format,
    /// Per file: `(offset, length)` of every sample, for [`Access::Ranged`] formats.
    ranges: Vec<OnceLock<SampleRanges>>,
    /// Per file: its parquet layout (footer), for [`Access::RowGroups`].
    layouts: Vec<OnceLock<Arc<parquet::Layout>>>,
}

impl SplitFiles {
    /// Lists the split's folder as DLIO does: every file with the format's extension, in
    /// DLIO 3.0.2's order (by full path, so subfolder first; DLIO v2.0's, by file name
    /// across subfolders, under `dlio_compat`), the first `num_files_*` of them; fewer is an
    /// error. So any dataset in DLIO's layout trains, a larger one as a subset.
    /// With `dataset.skip_listing`, the names are computed instead, as DLIO 3.0.2 does, and
    /// rank 0 spot-checks every `listing_validation_interval`-th with a HEAD.
    pub async fn open(
        store: &dyn Store,
        plan: &Plan,
        split: Split,
        rank: usize,
    ) -> Result<SplitFiles, LoaderError> {
        let w = &plan.workload;
        let wanted = match split {
            Split::Train => w.dataset.num_files_train,
            Split::Valid => w.dataset.num_files_eval,
        } as usize;
        if w.dataset.skip_listing {
            let keys = skip_listing_files(&w.dataset, split);
            if rank == 0 {
                spot_check(store, w, split, &keys).await?;
            }
            let sizes = keys.iter().map(|_| OnceLock::new()).collect();
            return Ok(SplitFiles::new(w, split, keys, sizes));
        }
        let suffix = stored_name(&w.dataset, &format!(".{}", w.dataset.format.extension()));
        let mut listed: Vec<(String, u64)> = Vec::new();
        if wanted > 0 {
            let mut list = store.list(&format!("{}/", split.folder()), ListMode::Recursive);
            while let Some(e) = list.try_next().await? {
                if let ListEntry::Object(m) = e
                    && m.key.ends_with(&suffix)
                {
                    listed.push((m.key, m.size));
                }
            }
        }
        if plan.dlio_compat {
            let base = |k: &str| k.rsplit('/').next().unwrap_or(k).to_string();
            listed.sort_by(|a, b| base(&a.0).cmp(&base(&b.0)).then_with(|| a.0.cmp(&b.0)));
        } else {
            listed.sort_by(|a, b| a.0.cmp(&b.0));
        }
        if listed.len() < wanted {
            let example = dataset_files(&w.dataset, split)
                .into_iter()
                .next()
                .unwrap_or_default();
            return Err(LoaderError::MissingFiles {
                uri: format!("{}/{}", store.root().trim_end_matches('/'), split.folder()),
                split: split.folder(),
                found: listed.len(),
                expected: wanted,
                example: stored_name(&w.dataset, &example),
            });
        }
        listed.truncate(wanted);
        let (keys, sizes): (Vec<String>, Vec<u64>) = listed.into_iter().unzip();
        let sizes = sizes.into_iter().map(OnceLock::from).collect();
        Ok(SplitFiles::new(w, split, keys, sizes))
    }

    fn new(w: &Workload, split: Split, keys: Vec<String>, sizes: Vec<OnceLock<u64>>) -> SplitFiles {
        // The generator numbered files by name (`<prefix>_<i>_of_<n>`); evaluation files
        // follow the training ones.
        let first_index = match split {
            Split::Train => 0,
            Split::Valid => w.dataset.num_files_train,
        };
        SplitFiles {
            split,
            ranges: (0..keys.len()).map(|_| OnceLock::new()).collect(),
            layouts: (0..keys.len()).map(|_| OnceLock::new()).collect(),
            generated_index: keys.iter().map(|k| name_index(k)).collect(),
            sizes,
            keys,
            first_index,
            format: w.dataset.format,
        }
    }

    /// File `f`'s size, when the listing gave it or a read learnt it.
    pub fn known_size(&self, f: usize) -> Option<u64> {
        self.sizes[f].get().copied()
    }

    /// Records file `f`'s size (learnt by reading it whole).
    pub fn learn_size(&self, f: usize, size: u64) {
        let _ = self.sizes[f].set(size);
    }

    /// File `f`'s size: from the listing, else a HEAD (once; `skip_listing` datasets, for
    /// the formats read by range).
    pub async fn size(&self, store: &dyn Store, f: usize) -> Result<u64, LoaderError> {
        if let Some(s) = self.known_size(f) {
            return Ok(s);
        }
        let m = store.head(&self.keys[f]).await?;
        Ok(*self.sizes[f].get_or_init(|| m.size))
    }

    /// The generator's index of file `f` (for `--verify`): the `<i>` of its
    /// `<prefix>_<i>_of_<n>` name, after the training files for evaluation files.
    pub fn generated_index(&self, f: usize) -> u64 {
        self.first_index + self.generated_index[f].unwrap_or(f as u64)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// File `f`'s parquet layout, reading its footer on first use (two ranged reads: the
    /// last 8 bytes, then the metadata, through [`StoreReader`]).
    pub async fn parquet_layout(
        &self,
        store: &Arc<dyn Store>,
        f: usize,
    ) -> Result<Arc<parquet::Layout>, LoaderError> {
        if let Some(l) = self.layouts[f].get() {
            return Ok(l.clone());
        }
        let key = &self.keys[f];
        let size = self.size(store.as_ref(), f).await?;
        let bad = |e: mlstor_formats::Error| LoaderError::Decode {
            uri: format!("{}/{key}", store.root().trim_end_matches('/')),
            sample: 0,
            source: e,
        };
        let read = StoreReader::new(store.clone(), key.clone(), size).footer().await;
        let (md, len) = read.map_err(|e| match e {
            ReadError::Store(e) => LoaderError::Store(e),
            ReadError::Format(e) => bad(e),
        })?;
        let layout = parquet::layout(md, size, len).map_err(bad)?;
        Ok(self.layouts[f].get_or_init(|| Arc::new(layout)).clone())
    }

    /// Where the samples of file `f` lie (ranged formats), reading its index on first use.
    pub async fn ranges(&self, store: &dyn Store, f: usize) -> Result<SampleRanges, LoaderError> {
        if let Some(r) = self.ranges[f].get() {
            return Ok(r.clone());
        }
        let key = &self.keys[f];
        let bad = |uri: String, reason: String| LoaderError::Index { uri, reason };
        let ranges = match self.format {
            Format::Tfrecord => {
                let name = key.rsplit('/').next().unwrap_or(key);
                let idx_key = format!("index/{}/{name}.idx", self.split.folder());
                let uri = format!("{}/{idx_key}", store.root().trim_end_matches('/'));
                let text = store.get(&idx_key).await.map_err(|e| match e {
                    mlstor_store::Error::NotFound { .. } => bad(
                        uri.clone(),
                        "missing: TFRecord files are read by record through their DALI index \
                         (mlstor generate and DLIO both write it)"
                            .into(),
                    ),
                    other => LoaderError::Store(other),
                })?;
                let text =
                    std::str::from_utf8(&text).map_err(|_| bad(uri.clone(), "not UTF-8 text".into()))?;
                tfrecord::parse_index(text).map_err(|e| bad(uri, e.to_string()))?
            }
            _ => {
                let off = store.get(&format!("{key}.off.idx")).await?;
                let sz = store.get(&format!("{key}.sz.idx")).await?;
                let n = (off.len() / 8) as u64;
                (0..n)
                    .map(|i| indexed_binary::locate(&off, &sz, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        bad(
                            format!("{}/{key}.off.idx", store.root().trim_end_matches('/')),
                            e.to_string(),
                        )
                    })?
            }
        };
        let size = self.size(store, f).await?;
        if let Some(&(o, l)) = ranges.iter().find(|(o, l)| o.saturating_add(*l) > size) {
            return Err(bad(
                format!("{}/{key}", store.root().trim_end_matches('/')),
                format!(
                    "its index places a sample at {o}..{} past the file's {size} bytes",
                    o + l
                ),
            ));
        }
        Ok(self.ranges[f].get_or_init(|| Arc::new(ranges)).clone())
    }
}

/// The `<i>` of a `<prefix>_<i>_of_<n>.<ext>` file name.
/// DLIO 3.0.2's spot checks of `skip_listing` names: a HEAD of file 0, every
/// `listing_validation_interval`-th and the last; any missing is an error naming them, and
/// why when DLIO's own generator names such a dataset differently.
async fn spot_check(
    store: &dyn Store,
    w: &Workload,
    split: Split,
    keys: &[String],
) -> Result<(), LoaderError> {
    let checks = listing_spot_checks(keys.len() as u64, w.dataset.listing_validation_interval);
    let mut missing = Vec::new();
    for &i in &checks {
        let key = &keys[i as usize];
        match store.head(key).await {
            Ok(_) => {}
            Err(mlstor_store::Error::NotFound { .. }) => missing.push(key.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let s = match split {
        Split::Train => w.dataset.num_subfolders_train,
        Split::Valid => w.dataset.num_subfolders_eval,
    };
    let hint = if skip_listing_files(&w.dataset, split)
        != dataset_files(&w.dataset, split)
            .iter()
            .map(|n| stored_name(&w.dataset, n))
            .collect::<Vec<_>>()
    {
        format!(
            "; with {s} subfolder(s), DLIO 3.0.2's skip_listing names them differently from its generator \
             (and mlstor's): list the folder instead (dataset.skip_listing: False)"
        )
    } else {
        String::new()
    };
    Err(LoaderError::SkipListing {
        uri: format!("{}/{}", store.root().trim_end_matches('/'), split.folder()),
        checked: checks.len(),
        missing,
        hint,
    })
}

fn name_index(key: &str) -> Option<u64> {
    let name = key.rsplit('/').next()?;
    let (head, _) = name.split_once("_of_")?;
    head.rsplit('_').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generator_index_from_names() {
        assert_eq!(name_index("train/3/img_0007_of_168.npz"), Some(7));
        assert_eq!(name_index("valid/img_2_of_3.csv.gz"), Some(2));
        assert_eq!(name_index("train/other.npz"), None);
    }
}
