//! The order a rank reads samples in, epoch by epoch, and how its batches are split over
//! the loader's workers. Pure: no I/O, deterministic for a seed.
//!
//! **mlstor's order (the default)** does what the YAML says, the way the framework's own
//! loaders do it:
//! 1. the file list, permuted when `file_shuffle` is on;
//! 2. its samples file by file, shuffled when `sample_shuffle` is on: fully for index-based
//!    loaders (PyTorch's `DistributedSampler`, DALI), through a `shuffle_size` buffer for
//!    TensorFlow (`tf.data.Dataset.shuffle`);
//! 3. rank `r` takes the `r`-th run of `steps × batch_size` samples, so every sample is read
//!    at most once per epoch across ranks, exactly once when the sample count divides
//!    (drop-last semantics for the rest).
//!
//! `seed` shuffles reproducibly (with `seed + epoch` when `seed_change_epoch`), `random`
//! from a seed the caller draws once per run and shares between ranks.
//!
//! **DLIO's order (`dlio_compat`)** reproduces DLIO v2.0 exactly where it differs
//! (docs/dlio-compatibility.md): the PyTorch and DALI loaders read each rank's contiguous
//! sample range in order every epoch, whatever the shuffle settings; the TensorFlow loader
//! shuffles its file list cumulatively with NumPy's RNG (reproduced bit for bit), assigns
//! files by position so ranks overlap, and pads a worker's last batch; TFRecord streams one
//! record from each of `read_threads` files in turn, files sharded `i mod ranks`.
//!
//! In both, batch `k` of an epoch is built by worker `k mod read_threads`, as PyTorch's
//! DataLoader and DLIO's `tf.data` interleave do.

use crate::config::schema::{DataLoader, Format, Shuffle};
use crate::plan::numpy_rng::{NumpyRng, numpy_seed};

/// One sample: which file (index in the split's file list, in name order) and which sample
/// in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SampleRef {
    pub file: u32,
    pub sample: u32,
}

/// How the loader walks the dataset, after DLIO's `data_loader_sampler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampler {
    /// Index-based (PyTorch, DALI).
    Index,
    /// TensorFlow's generator over per-thread sample lists.
    Iterative,
    /// TensorFlow's native TFRecord pipeline.
    TfRecord,
    /// Parquet, as DLIO 3.0.2's iterable readers stream it: whole files to ranks in turn, a
    /// rank's files to its loader workers in turn, each worker reading its files' rows in
    /// order (row group by row group) in batches, the rest of its rows dropped; batch `k`
    /// from worker `k mod workers`.
    RowStream,
}

impl Sampler {
    pub fn of(loader: DataLoader, format: Format) -> Option<Sampler> {
        if format == Format::Parquet
            && matches!(
                loader,
                DataLoader::Pytorch | DataLoader::Dali | DataLoader::Tensorflow
            )
        {
            return Some(Sampler::RowStream);
        }
        match loader {
            DataLoader::Pytorch | DataLoader::Dali => Some(Sampler::Index),
            DataLoader::Tensorflow if format == Format::Tfrecord => Some(Sampler::TfRecord),
            DataLoader::Tensorflow => Some(Sampler::Iterative),
            DataLoader::NativeDali | DataLoader::Synthetic | DataLoader::Custom => None,
        }
    }
}

/// Everything that decides one split's order on one rank.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSpec {
    pub files: u64,
    pub samples_per_file: u64,
    pub batch_size: u64,
    pub rank: u64,
    pub ranks: u64,
    /// DLIO's `read_threads` (0 loads in the training loop itself: one worker).
    pub read_threads: u64,
    pub file_shuffle: Shuffle,
    pub sample_shuffle: Shuffle,
    pub shuffle_size: u64,
    pub seed: u64,
    pub seed_change_epoch: bool,
    /// The seed behind `random` shuffles: drawn once per run, the same on every rank.
    pub random_seed: u64,
    pub sampler: Sampler,
    pub dlio_compat: bool,
    /// Whether this is the evaluation split, and the other split's file count: DLIO shuffles
    /// both file lists from one NumPy stream, training first.
    pub is_eval: bool,
    pub other_files: u64,
}

/// Why an order cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OrderError {
    #[error(
        "{samples} samples over {ranks} ranks give each rank {per_rank}, fewer than {threads} read threads: DLIO \
         divides by zero here; lower reader.read_threads or add samples"
    )]
    FewerSamplesThanThreads {
        samples: u64,
        ranks: u64,
        per_rank: u64,
        threads: u64,
    },
    #[error(
        "rank {rank} holds {have} samples in DLIO's split but {steps} steps of {batch} need {need}: DLIO's ranks \
         would fall out of step; change num_files/batch_size or drop --dlio-compat"
    )]
    ShortRank {
        rank: u64,
        have: u64,
        steps: u64,
        batch: u64,
        need: u64,
    },
    #[error("rank {rank}'s TFRecord shard holds fewer samples than one batch of {batch}")]
    EmptyShard { rank: u64, batch: u64 },
}

/// Steps of an epoch streaming rows ([`Sampler::RowStream`]): every worker yields the same
/// number of whole batches, the fewest any worker's files hold.
pub fn row_stream_steps(
    files: u64,
    samples_per_file: u64,
    batch_size: u64,
    ranks: u64,
    read_threads: u64,
) -> u64 {
    let per_rank = files / ranks.max(1);
    let workers = read_threads.max(1);
    // The last worker holds the fewest files: floor(per_rank / workers).
    let rows = (per_rank / workers) * samples_per_file;
    workers * (rows / batch_size.max(1))
}

/// DLIO's steps per epoch: `floor(files · samples_per_file / batch_size / ranks)`.
pub fn steps_per_epoch(files: u64, samples_per_file: u64, batch_size: u64, ranks: u64) -> u64 {
    (files * samples_per_file) / batch_size.max(1) / ranks.max(1)
}

impl OrderSpec {
    fn total(&self) -> u64 {
        self.files * self.samples_per_file
    }

    fn workers(&self) -> usize {
        self.read_threads.max(1) as usize
    }

    /// The seed of `epoch`'s shuffles (`None` when `shuffle` is off).
    fn epoch_seed(&self, shuffle: Shuffle, epoch: u64) -> Option<u32> {
        let base = match shuffle {
            Shuffle::Off => return None,
            Shuffle::Seed => self.seed,
            Shuffle::Random => self.random_seed,
        };
        Some(numpy_seed(if self.seed_change_epoch {
            base + epoch
        } else {
            base
        }))
    }

    /// This rank's `steps` batches of `epoch` (1-based), in the order the training loop
    /// takes them; batch `k` is built by worker `k mod read_threads`.
    pub fn epoch_batches(&self, epoch: u64, steps: u64) -> Result<Vec<Vec<SampleRef>>, OrderError> {
        match (self.sampler, self.dlio_compat) {
            // DLIO 3.0.2's own order: the same with or without dlio_compat.
            (Sampler::RowStream, _) => Ok(self.row_stream(epoch, steps)),
            (_, false) => Ok(self.mlstor_order(epoch, steps)),
            (Sampler::Index, true) => self.dlio_index(steps),
            (Sampler::Iterative, true) => self.dlio_iterative(epoch, steps),
            (Sampler::TfRecord, true) => self.dlio_tfrecord(epoch, steps),
        }
    }

    /// Which worker builds batch `k`.
    pub fn worker_of(&self, k: usize) -> usize {
        k % self.workers()
    }

    fn mlstor_order(&self, epoch: u64, steps: u64) -> Vec<Vec<SampleRef>> {
        let mut files: Vec<u32> = (0..self.files as u32).collect();
        if let Some(s) = self.epoch_seed(self.file_shuffle, epoch) {
            NumpyRng::seed(s).shuffle(&mut files);
        }
        let per_file = self.samples_per_file as u32;
        let mut samples: Vec<SampleRef> = files
            .iter()
            .flat_map(|&file| (0..per_file).map(move |sample| SampleRef { file, sample }))
            .collect();
        if let Some(s) = self.epoch_seed(self.sample_shuffle, epoch) {
            // A different stream from the file shuffle's.
            let mut rng = NumpyRng::seed(s ^ 0x5eed_5a3e);
            match self.sampler {
                Sampler::Index => rng.shuffle(&mut samples),
                Sampler::Iterative | Sampler::TfRecord | Sampler::RowStream => {
                    samples = buffer_shuffle(samples, self.shuffle_size, &mut rng)
                }
            }
        }
        let b = self.batch_size.max(1) as usize;
        let per_rank = steps as usize * b;
        let start = (self.rank as usize * per_rank).min(samples.len());
        let end = (start + per_rank).min(samples.len());
        samples[start..end].chunks(b).map(<[SampleRef]>::to_vec).collect()
    }

    /// [`Sampler::RowStream`]'s batches: the file list (shuffled per epoch with
    /// `file_shuffle`), files `r, r+P, ...` of it to rank `r` (`floor(N/P)` each, as DLIO
    /// 3.0.2 shards), those to the workers in turn; each worker's rows in order, cut into
    /// batches; worker `k mod W`'s next batch is batch `k`.
    fn row_stream(&self, epoch: u64, steps: u64) -> Vec<Vec<SampleRef>> {
        let mut files: Vec<u32> = (0..self.files as u32).collect();
        if let Some(s) = self.epoch_seed(self.file_shuffle, epoch) {
            NumpyRng::seed(s).shuffle(&mut files);
        }
        let ranks = self.ranks.max(1) as usize;
        let per_rank = files.len() / ranks;
        let mine: Vec<u32> = files
            .iter()
            .skip(self.rank as usize)
            .step_by(ranks)
            .take(per_rank)
            .copied()
            .collect();
        let w = self.workers();
        let b = self.batch_size.max(1) as usize;
        let per_file = self.samples_per_file as u32;
        let streams: Vec<Vec<Vec<SampleRef>>> = (0..w)
            .map(|k| {
                let rows: Vec<SampleRef> = mine
                    .iter()
                    .skip(k)
                    .step_by(w)
                    .flat_map(|&file| (0..per_file).map(move |sample| SampleRef { file, sample }))
                    .collect();
                rows.chunks_exact(b).map(<[SampleRef]>::to_vec).collect()
            })
            .collect();
        let each = streams.iter().map(Vec::len).min().unwrap_or(0);
        (0..each * w)
            .map(|k| streams[k % w][k / w].clone())
            .take(steps as usize)
            .collect()
    }

    fn global(&self, g: u64) -> SampleRef {
        SampleRef {
            file: (g / self.samples_per_file) as u32,
            sample: (g % self.samples_per_file) as u32,
        }
    }

    /// DLIO's contiguous per-rank range: `[r·ceil(N/P), min((r+1)·ceil(N/P), N))`.
    fn dlio_range(&self) -> std::ops::Range<u64> {
        let per = self.total().div_ceil(self.ranks.max(1));
        let start = (self.rank * per).min(self.total());
        start..((self.rank + 1) * per).min(self.total())
    }

    fn check_short(&self, have: u64, steps: u64) -> Result<(), OrderError> {
        let need = steps * self.batch_size;
        if have < need {
            return Err(OrderError::ShortRank {
                rank: self.rank,
                have,
                steps,
                batch: self.batch_size,
                need,
            });
        }
        Ok(())
    }

    /// PyTorch / DALI in DLIO: the rank's range in order, every epoch (its sampler ignores
    /// both shuffles).
    fn dlio_index(&self, steps: u64) -> Result<Vec<Vec<SampleRef>>, OrderError> {
        let range = self.dlio_range();
        self.check_short(range.end - range.start, steps)?;
        let b = self.batch_size.max(1);
        Ok((0..steps)
            .map(|k| {
                let s = range.start + k * b;
                (s..s + b).map(|g| self.global(g)).collect()
            })
            .collect())
    }

    /// DLIO's file lists for `epoch` (1-based): `reconfigure(e)` seeds NumPy with
    /// `seed + e` and shuffles the training list, then the evaluation list, in place, every
    /// epoch since the first — so each epoch's order builds on the previous one's.
    pub fn dlio_file_lists(&self, train_files: u64, eval_files: u64, epoch: u64) -> (Vec<u32>, Vec<u32>) {
        let mut train: Vec<u32> = (0..train_files as u32).collect();
        let mut eval: Vec<u32> = (0..eval_files as u32).collect();
        for e in 1..=epoch {
            if let Some(s) = self.epoch_seed(self.file_shuffle, e) {
                let mut rng = NumpyRng::seed(s);
                rng.shuffle(&mut train);
                rng.shuffle(&mut eval);
            }
        }
        (train, eval)
    }

    /// This split's file list in DLIO's order for `epoch`.
    fn dlio_files(&self, epoch: u64) -> Vec<u32> {
        if self.is_eval {
            self.dlio_file_lists(self.other_files, self.files, epoch).1
        } else {
            self.dlio_file_lists(self.files, self.other_files, epoch).0
        }
    }

    /// TensorFlow (non-TFRecord) in DLIO: `build_sample_map_iter`.
    fn dlio_iterative(&self, epoch: u64, steps: u64) -> Result<Vec<Vec<SampleRef>>, OrderError> {
        let per_worker = self.dlio_worker_lists(epoch)?;
        // Each worker yields full batches, its last one padded (with no I/O); tf.data's
        // interleave takes one batch from each worker in turn.
        let b = self.batch_size.max(1) as usize;
        let mut queues: Vec<std::collections::VecDeque<Vec<SampleRef>>> = per_worker
            .iter()
            .map(|l| l.chunks(b).map(<[SampleRef]>::to_vec).collect())
            .collect();
        Ok(round_robin(&mut queues, steps as usize))
    }

    /// Each TensorFlow worker's samples of `epoch` in DLIO (its `file_map[thread]`).
    pub fn dlio_worker_lists(&self, epoch: u64) -> Result<Vec<Vec<SampleRef>>, OrderError> {
        let files = self.dlio_files(epoch);
        let n = self.total();
        if files.is_empty() || n == 0 {
            return Ok(Vec::new());
        }
        let threads = self.workers() as u64;
        let per_proc = n.div_ceil(self.ranks.max(1));
        let per_thread = per_proc / threads;
        if per_thread == 0 {
            return Err(OrderError::FewerSamplesThanThreads {
                samples: n,
                ranks: self.ranks,
                per_rank: per_proc,
                threads,
            });
        }
        let range = self.dlio_range();
        let mut list: Vec<u64> = range.collect();
        if let Some(s) = self.epoch_seed(self.sample_shuffle, epoch) {
            NumpyRng::seed(s).shuffle(&mut list);
        }
        let f = files.len() as u64;
        let files_per_rank = (f / self.ranks.max(1)) % f;
        let spf = self.samples_per_file;
        let mut per_worker: Vec<Vec<SampleRef>> = vec![Vec::new(); threads as usize];
        for (p, &g) in list.iter().enumerate() {
            let p = p as u64;
            let t = (p / per_thread) % threads;
            // DLIO sets the first sample's file from the rank, every later one from its
            // position alone: ranks overlap.
            let file_pos = if p == 0 {
                self.rank * files_per_rank
            } else {
                (p / spf) % f
            };
            per_worker[t as usize].push(SampleRef {
                file: files[file_pos as usize],
                sample: (g % spf) as u32,
            });
        }
        Ok(per_worker)
    }

    /// TensorFlow's TFRecord pipeline in DLIO: the file list (shuffled once, at the first
    /// epoch) sharded `i mod ranks`, `read_threads` files read one record each in turn,
    /// a `shuffle_size` buffer, batches; `repeat()` makes one stream over every epoch.
    fn dlio_tfrecord(&self, epoch: u64, steps: u64) -> Result<Vec<Vec<SampleRef>>, OrderError> {
        let files = self.dlio_files(1);
        let p = self.ranks.max(1) as usize;
        let shard_files = files.len() >= p;
        let mine: Vec<u32> = if shard_files {
            files
                .iter()
                .copied()
                .skip(self.rank as usize)
                .step_by(p)
                .collect()
        } else {
            files
        };
        let records = interleave_records(&mine, self.samples_per_file as u32, self.workers());
        let b = self.batch_size.max(1) as usize;
        let pass = |k: u64| -> Vec<Vec<SampleRef>> {
            let mut r = records.clone();
            if let Some(s) = self.epoch_seed(self.sample_shuffle, 0) {
                // tf.data reshuffles every pass of a seeded shuffle: derive one seed a pass.
                let mut rng = NumpyRng::seed(s.wrapping_add(k as u32));
                r = buffer_shuffle(r, self.shuffle_size, &mut rng);
            }
            if !shard_files {
                r = r.into_iter().skip(self.rank as usize).step_by(p).collect();
            }
            r.chunks_exact(b).map(<[SampleRef]>::to_vec).collect()
        };
        let per_pass = pass(0).len() as u64;
        if per_pass == 0 {
            return Err(OrderError::EmptyShard {
                rank: self.rank,
                batch: self.batch_size,
            });
        }
        let first = (epoch.max(1) - 1) * steps;
        let mut out = Vec::with_capacity(steps as usize);
        let mut k = first / per_pass;
        let mut cur = pass(k);
        let mut i = (first % per_pass) as usize;
        while out.len() < steps as usize {
            if i == cur.len() {
                k += 1;
                cur = pass(k);
                i = 0;
            }
            out.push(cur[i].clone());
            i += 1;
        }
        Ok(out)
    }
}

/// `tf.data.Dataset.shuffle(buffer)`: a buffer of `size` elements, each output drawn from
/// it at random and replaced by the next input.
pub fn buffer_shuffle<T>(input: Vec<T>, size: u64, rng: &mut NumpyRng) -> Vec<T> {
    let size = size.max(1) as usize;
    let mut out = Vec::with_capacity(input.len());
    let mut it = input.into_iter();
    let mut buf: Vec<T> = it.by_ref().take(size).collect();
    while !buf.is_empty() {
        let j = rng.interval(buf.len() as u64 - 1) as usize;
        match it.next() {
            Some(next) => out.push(std::mem::replace(&mut buf[j], next)),
            None => out.push(buf.swap_remove(j)),
        }
    }
    out
}

/// One item from each queue in turn, dropping exhausted queues, up to `limit` items.
fn round_robin<T>(queues: &mut [std::collections::VecDeque<T>], limit: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(limit);
    while out.len() < limit && queues.iter().any(|q| !q.is_empty()) {
        for q in queues.iter_mut() {
            if out.len() == limit {
                break;
            }
            if let Some(x) = q.pop_front() {
                out.push(x);
            }
        }
    }
    out
}

/// `TFRecordDataset(files, num_parallel_reads = cycle)`: `cycle` files open at once, one
/// record from each in turn; a finished file's slot goes to the next file.
fn interleave_records(files: &[u32], per_file: u32, cycle: usize) -> Vec<SampleRef> {
    let mut pending = files.iter().copied();
    let mut slots: Vec<Option<(u32, u32)>> = (0..cycle.max(1))
        .map(|_| pending.next().map(|f| (f, 0)))
        .collect();
    let mut out = Vec::with_capacity(files.len() * per_file as usize);
    while slots.iter().any(Option::is_some) {
        for slot in slots.iter_mut() {
            let Some((file, next)) = *slot else { continue };
            if next < per_file {
                out.push(SampleRef { file, sample: next });
            }
            *slot = if next + 1 < per_file {
                Some((file, next + 1))
            } else {
                pending.next().map(|f| (f, 0))
            };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn spec(files: u64, spf: u64, batch: u64, rank: u64, ranks: u64) -> OrderSpec {
        OrderSpec {
            files,
            samples_per_file: spf,
            batch_size: batch,
            rank,
            ranks,
            read_threads: 2,
            file_shuffle: Shuffle::Off,
            sample_shuffle: Shuffle::Off,
            shuffle_size: 1024,
            seed: 123,
            seed_change_epoch: true,
            random_seed: 99,
            sampler: Sampler::Index,
            dlio_compat: false,
            is_eval: false,
            other_files: 0,
        }
    }

    /// Every rank's samples of one epoch, counted.
    fn reads(base: &OrderSpec, epoch: u64) -> HashMap<SampleRef, usize> {
        let steps = steps_per_epoch(base.files, base.samples_per_file, base.batch_size, base.ranks);
        let mut seen = HashMap::new();
        for r in 0..base.ranks {
            let s = OrderSpec {
                rank: r,
                ..base.clone()
            };
            let batches = s.epoch_batches(epoch, steps).expect("order");
            assert_eq!(batches.len() as u64, steps, "rank {r}: one batch per step");
            for x in batches.into_iter().flatten() {
                *seen.entry(x).or_insert(0) += 1;
            }
        }
        seen
    }

    #[test]
    fn every_sample_once_per_epoch_across_ranks() {
        for sampler in [Sampler::Index, Sampler::Iterative, Sampler::TfRecord] {
            for (fs, ss) in [
                (Shuffle::Off, Shuffle::Off),
                (Shuffle::Seed, Shuffle::Off),
                (Shuffle::Seed, Shuffle::Seed),
                (Shuffle::Random, Shuffle::Random),
            ] {
                let mut s = spec(12, 5, 3, 0, 4); // 60 samples, 4 ranks, batch 3: 5 steps each
                s.sampler = sampler;
                s.file_shuffle = fs;
                s.sample_shuffle = ss;
                s.shuffle_size = 7;
                for epoch in 1..=3 {
                    let seen = reads(&s, epoch);
                    assert_eq!(seen.len(), 60, "{sampler:?} {fs:?} {ss:?}: all read");
                    assert!(seen.values().all(|&n| n == 1), "{sampler:?}: exactly once");
                }
            }
        }
    }

    #[test]
    fn drop_last_reads_each_sample_at_most_once() {
        let s = spec(10, 1, 3, 0, 3); // 10 samples, 3 ranks of 1 step of 3: 9 read
        let seen = reads(&s, 1);
        assert_eq!(seen.len(), 9);
        assert!(seen.values().all(|&n| n == 1));
    }

    #[test]
    fn shuffles_follow_the_settings() {
        let mut s = spec(8, 2, 4, 0, 1);
        let plain = s.epoch_batches(1, 4).expect("order");
        assert_eq!(plain[0][0], SampleRef { file: 0, sample: 0 });
        assert_eq!(plain[0][1], SampleRef { file: 0, sample: 1 });
        assert_eq!(
            s.epoch_batches(2, 4).expect("order"),
            plain,
            "off: same every epoch"
        );
        s.file_shuffle = Shuffle::Seed;
        let e1 = s.epoch_batches(1, 4).expect("order");
        assert_ne!(e1, plain, "files shuffled");
        assert_eq!(e1[0][0].file, e1[0][1].file, "samples of a file stay together");
        assert_eq!(s.epoch_batches(1, 4).expect("order"), e1, "seeded: reproducible");
        assert_ne!(s.epoch_batches(2, 4).expect("order"), e1, "seed changes by epoch");
        s.seed_change_epoch = false;
        assert_eq!(
            s.epoch_batches(2, 4).expect("order"),
            s.epoch_batches(1, 4).expect("order"),
            "same seed every epoch"
        );
        s.sample_shuffle = Shuffle::Seed;
        let mixed = s.epoch_batches(1, 4).expect("order");
        let split = mixed
            .iter()
            .flatten()
            .collect::<Vec<_>>()
            .windows(2)
            .any(|w| w[0].file != w[1].file);
        assert!(split, "samples shuffled across files");
        s.random_seed = 7;
        s.sample_shuffle = Shuffle::Random;
        let r7 = s.epoch_batches(1, 4).expect("order");
        s.random_seed = 8;
        assert_ne!(
            s.epoch_batches(1, 4).expect("order"),
            r7,
            "random follows the run's seed"
        );
    }

    #[test]
    fn shuffle_buffer_limits_how_far_samples_move() {
        let mut rng = NumpyRng::seed(1);
        let out = buffer_shuffle((0..1000u32).collect(), 2, &mut rng);
        for (pos, &v) in out.iter().enumerate() {
            assert!(
                v as usize <= pos + 1,
                "buffer 2: element {v} cannot come out at {pos}"
            );
        }
        let mut sorted = out.clone();
        sorted.sort();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn row_streams_keep_each_workers_rows_in_order() {
        let mut s = spec(12, 3, 4, 1, 2);
        s.sampler = Sampler::RowStream;
        s.read_threads = 2;
        // 12 files / 2 ranks: rank 1 has files 1,3,5,7,9,11; worker 0 takes 1,5,9, worker 1 3,7,11.
        let steps = row_stream_steps(12, 3, 4, 2, 2);
        assert_eq!(steps, 4, "each worker: 9 rows = 2 batches of 4 (1 row dropped)");
        let b = s.epoch_batches(1, steps).expect("batches");
        assert_eq!(b.len(), 4);
        let files = |k: usize| b[k].iter().map(|r| r.file).collect::<Vec<_>>();
        assert_eq!(files(0), [1, 1, 1, 5], "worker 0's first batch");
        assert_eq!(files(1), [3, 3, 3, 7], "worker 1's first batch");
        assert_eq!(files(2), [5, 5, 9, 9]);
        assert_eq!(b[0].iter().map(|r| r.sample).collect::<Vec<_>>(), [0, 1, 2, 0]);
        s.file_shuffle = Shuffle::Seed;
        let e1 = s.epoch_batches(1, steps).expect("e1");
        let e2 = s.epoch_batches(2, steps).expect("e2");
        assert_ne!(e1, e2, "files reshuffled every epoch");
        assert!(e1.iter().all(|batch| {
            batch
                .windows(2)
                .all(|p| p[0].file != p[1].file || p[0].sample + 1 == p[1].sample)
        }));
    }

    #[test]
    fn workers_take_batches_in_turn() {
        let s = spec(8, 1, 1, 0, 1);
        assert_eq!(
            (0..5).map(|k| s.worker_of(k)).collect::<Vec<_>>(),
            [0, 1, 0, 1, 0]
        );
        let one = OrderSpec { read_threads: 0, ..s };
        assert_eq!(one.worker_of(3), 0, "read_threads 0 loads in one place");
    }

    #[test]
    fn dlio_pytorch_ignores_shuffles_and_splits_contiguously() {
        let mut s = spec(8, 1, 2, 1, 2);
        s.dlio_compat = true;
        s.file_shuffle = Shuffle::Seed;
        s.sample_shuffle = Shuffle::Seed;
        let b = s.epoch_batches(1, 2).expect("order");
        let files: Vec<u32> = b.iter().flatten().map(|x| x.file).collect();
        assert_eq!(files, [4, 5, 6, 7], "rank 1 owns samples 4..8, in order");
        assert_eq!(s.epoch_batches(3, 2).expect("order"), b, "every epoch alike");
        let short = OrderSpec {
            files: 10,
            batch_size: 1,
            rank: 2,
            ranks: 3,
            ..s
        };
        assert!(matches!(
            short.epoch_batches(1, 3),
            Err(OrderError::ShortRank { have: 2, .. })
        ));
    }

    #[test]
    fn dlio_tensorflow_assigns_files_by_position() {
        let mut s = spec(4, 1, 1, 1, 2);
        s.sampler = Sampler::Iterative;
        s.dlio_compat = true;
        s.read_threads = 1;
        let b = s.epoch_batches(1, 2).expect("order");
        let files: Vec<u32> = b.iter().flatten().map(|x| x.file).collect();
        // rank 1: first sample from file 1·(4/2) = 2, the next from position 1 → file 1.
        assert_eq!(files, [2, 1]);
    }

    #[test]
    fn dlio_tfrecord_interleaves_threads_files_and_shards() {
        let mut s = spec(4, 3, 2, 0, 2);
        s.sampler = Sampler::TfRecord;
        s.dlio_compat = true;
        s.read_threads = 2;
        // rank 0 owns files 0 and 2; records alternate between them.
        let b = s.epoch_batches(1, 3).expect("order");
        let flat: Vec<(u32, u32)> = b.iter().flatten().map(|x| (x.file, x.sample)).collect();
        assert_eq!(flat, [(0, 0), (2, 0), (0, 1), (2, 1), (0, 2), (2, 2)]);
        // The stream continues across epochs (repeat()).
        assert_eq!(s.epoch_batches(2, 3).expect("order"), b);
        let r = interleave_records(&[0, 1, 2], 2, 2);
        let r: Vec<(u32, u32)> = r.iter().map(|x| (x.file, x.sample)).collect();
        assert_eq!(r, [(0, 0), (1, 0), (0, 1), (1, 1), (2, 0), (2, 1)]);
    }

    #[test]
    fn dlio_file_shuffle_is_cumulative() {
        let mut s = spec(6, 1, 1, 0, 1);
        s.file_shuffle = Shuffle::Seed;
        let (t1, _) = s.dlio_file_lists(6, 0, 1);
        let (t2, _) = s.dlio_file_lists(6, 0, 2);
        let mut again = t1.clone();
        NumpyRng::seed(125).shuffle(&mut again);
        assert_eq!(t2, again, "epoch 2 shuffles epoch 1's list with seed + 2");
    }
}
