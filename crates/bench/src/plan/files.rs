//! DLIO's dataset file layout, so that DLIO reads what mlstor generates and vice versa.
//!
//! Files are `<data_folder>/train/<prefix>_<i>_of_<n>.<format>` (and `valid/` for evaluation),
//! with `i` zero-padded to the digits of `n`. With more than one subfolder, file `i` goes to
//! subfolder `i mod subfolders`, zero-padded to the digits of the subfolder count. Rank `r` of
//! `size` handles the files `i` with `i mod size = r`.

use mlstor_formats::codec::Codec;
use mlstor_formats::parquet::{self, ColumnSpec};

use crate::config::schema::{Compression, Dataset, Format};

/// Training or evaluation files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Valid,
}

impl Split {
    pub fn folder(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
        }
    }
}

/// The relative paths (under the data folder) of every file of `split`, in DLIO's order.
pub fn dataset_files(d: &Dataset, split: Split) -> Vec<String> {
    let (n, subfolders) = match split {
        Split::Train => (d.num_files_train, d.num_subfolders_train),
        Split::Valid => (d.num_files_eval, d.num_subfolders_eval),
    };
    let nd_files = n.to_string().len();
    let nd_sub = subfolders.to_string().len();
    let ext = d.format.extension();
    (0..n)
        .map(|i| {
            let name = format!("{}_{i:0nd_files$}_of_{n}.{ext}", d.file_prefix);
            if subfolders > 1 {
                format!("{}/{:0nd_sub$}/{name}", split.folder(), i % subfolders)
            } else {
                format!("{}/{name}", split.folder())
            }
        })
        .collect()
}

/// The files `dataset.skip_listing` expects, named as DLIO 3.0.2 computes them instead of
/// listing (`<prefix>_<i>_of_<n>.<format>` as [`dataset_files`], but with `num_subfolders_*`
/// S > 0 under subfolder `i mod S` padded to the digits of S − 1), in index order. DLIO's
/// generator pads subfolders to the digits of S and uses them only when S > 1, so for S = 1,
/// 10, 100, … the two name the files differently, in DLIO 3.0.2 as here.
pub fn skip_listing_files(d: &Dataset, split: Split) -> Vec<String> {
    let (n, subfolders) = match split {
        Split::Train => (d.num_files_train, d.num_subfolders_train),
        Split::Valid => (d.num_files_eval, d.num_subfolders_eval),
    };
    let nd_files = n.to_string().len();
    let nd_sub = subfolders.saturating_sub(1).to_string().len();
    let ext = d.format.extension();
    (0..n)
        .map(|i| {
            let name = stored_name(d, &format!("{}_{i:0nd_files$}_of_{n}.{ext}", d.file_prefix));
            if subfolders > 0 {
                format!("{}/{:0nd_sub$}/{name}", split.folder(), i % subfolders)
            } else {
                format!("{}/{name}", split.folder())
            }
        })
        .collect()
}

/// The indices DLIO 3.0.2 spot-checks under `skip_listing` among `n` files: 0, every
/// `interval`-th, and the last, in order; none when `interval` ≤ 0.
pub fn listing_spot_checks(n: u64, interval: i64) -> Vec<u64> {
    if n == 0 || interval <= 0 {
        return Vec::new();
    }
    let mut v: Vec<u64> = (0..n).step_by(interval as usize).collect();
    if v.last() != Some(&(n - 1)) {
        v.push(n - 1);
    }
    v
}

/// The codec DLIO (through pandas) applies to whole CSV files for `dataset.compression`.
pub fn file_codec(d: &Dataset) -> Option<Codec> {
    if d.format != Format::Csv {
        return None;
    }
    match d.compression {
        Compression::Gzip => Some(Codec::Gzip),
        Compression::Bz2 => Some(Codec::Bz2),
        Compression::Zip => Some(Codec::Zip),
        Compression::Xz => Some(Codec::Xz),
        _ => None,
    }
}

/// A parquet dataset's columns: `dataset.parquet.columns`, else DLIO's legacy one.
pub fn parquet_columns(d: &Dataset) -> Vec<ColumnSpec> {
    if d.parquet.columns.is_empty() {
        return parquet::legacy_columns(d.record_length_bytes.max(1.0) as u64);
    }
    d.parquet
        .columns
        .iter()
        .map(|c| ColumnSpec::new(&c.name, &c.dtype, c.size as usize))
        .collect()
}

/// The columns a reader reads: those marked `read: true` when any is, else all (empty).
pub fn parquet_read_columns(d: &Dataset) -> Vec<String> {
    d.parquet
        .columns
        .iter()
        .filter(|c| c.read == Some(true))
        .map(|c| c.name.clone())
        .collect()
}

/// The parquet codec `dataset.compression` names.
pub fn parquet_codec(d: &Dataset) -> parquet::Codec {
    match d.compression {
        Compression::Snappy => parquet::Codec::Snappy,
        Compression::Gzip => parquet::Codec::Gzip,
        Compression::Lz4 => parquet::Codec::Lz4,
        Compression::Zstd => parquet::Codec::Zstd,
        _ => parquet::Codec::None,
    }
}

/// The name a file is stored under: DLIO appends the codec's suffix (`.gz`, ...) to
/// compressed CSV files.
pub fn stored_name(d: &Dataset, name: &str) -> String {
    match file_codec(d) {
        Some(c) => format!("{name}{}", c.suffix()),
        None => name.to_string(),
    }
}

/// The indices of the files among `count` that rank `rank` of `size` handles.
pub fn files_for_rank(count: usize, rank: usize, size: usize) -> impl Iterator<Item = usize> {
    (rank..count).step_by(size.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_listing_names_as_dlio_3_0_2() {
        let mut d = Dataset {
            num_files_train: 12,
            format: Format::Npz,
            ..Dataset::default()
        };
        let f = skip_listing_files(&d, Split::Train);
        assert_eq!(
            (f[0].as_str(), f[11].as_str()),
            ("train/img_00_of_12.npz", "train/img_11_of_12.npz")
        );
        assert_eq!(
            f,
            dataset_files(&d, Split::Train),
            "no subfolders: the generator's names"
        );
        d.num_subfolders_train = 3;
        let f = skip_listing_files(&d, Split::Train);
        assert_eq!(f[4], "train/1/img_04_of_12.npz");
        assert_eq!(f, dataset_files(&d, Split::Train));
        // DLIO 3.0.2's mismatch: 10 subfolders are padded to 1 digit here, 2 by the generator.
        d.num_subfolders_train = 10;
        assert_eq!(
            skip_listing_files(&d, Split::Train)[3],
            "train/3/img_03_of_12.npz"
        );
        assert_eq!(dataset_files(&d, Split::Train)[3], "train/03/img_03_of_12.npz");
        d.num_subfolders_train = 1;
        assert_eq!(
            skip_listing_files(&d, Split::Train)[3],
            "train/0/img_03_of_12.npz"
        );
        assert_eq!(dataset_files(&d, Split::Train)[3], "train/img_03_of_12.npz");
    }

    #[test]
    fn spot_checks_as_dlio_3_0_2() {
        assert_eq!(listing_spot_checks(2500, 1000), [0, 1000, 2000, 2499]);
        assert_eq!(listing_spot_checks(2001, 1000), [0, 1000, 2000]);
        assert_eq!(listing_spot_checks(1, 1000), [0]);
        assert!(listing_spot_checks(10, 0).is_empty());
        assert!(listing_spot_checks(0, 5).is_empty());
    }

    fn dataset(files: u64, sub: u64, format: Format) -> Dataset {
        Dataset {
            num_files_train: files,
            num_subfolders_train: sub,
            num_files_eval: 3,
            format,
            ..Dataset::default()
        }
    }

    #[test]
    fn names_follow_dlio() {
        let f = dataset_files(&dataset(168, 0, Format::Npz), Split::Train);
        assert_eq!(f.len(), 168);
        assert_eq!(f[0], "train/img_000_of_168.npz");
        assert_eq!(f[7], "train/img_007_of_168.npz");
        let v = dataset_files(&dataset(168, 0, Format::Tfrecord), Split::Valid);
        assert_eq!(
            v,
            [
                "valid/img_0_of_3.tfrecord",
                "valid/img_1_of_3.tfrecord",
                "valid/img_2_of_3.tfrecord"
            ]
        );
    }

    #[test]
    fn subfolders_follow_dlio() {
        let f = dataset_files(&dataset(168, 4, Format::Npz), Split::Train);
        assert_eq!(f[7], "train/3/img_007_of_168.npz");
        let f = dataset_files(&dataset(20, 12, Format::MmapIndexedBinary), Split::Train);
        assert_eq!(f[13], "train/01/img_13_of_20.mmap_indexed_binary");
        let one = dataset_files(&dataset(2, 1, Format::Npy), Split::Train);
        assert_eq!(
            one[1], "train/img_1_of_2.npy",
            "a single subfolder is no subfolder"
        );
    }

    #[test]
    fn ranks_split_files_round_robin() {
        let r1: Vec<usize> = files_for_rank(10, 1, 4).collect();
        assert_eq!(r1, [1, 5, 9]);
        let all: usize = (0..4).map(|r| files_for_rank(10, r, 4).count()).sum();
        assert_eq!(all, 10);
    }
}
