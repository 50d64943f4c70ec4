//! The op-log: every storage request of a rank, one tab-separated line each (like `warp
//! --full` and s3dlio's op-log), zstd-compressed when the file name ends in `.zst`.
//!
//! ```text
//! # mlstor op-log 1
//! # rank  0
//! # start_unix_ns  1764750000000000000
//! idx  rank  op  key  bytes  endpoint  attempt  error  start_ns  first_byte_ns  end_ns  duration_ns  phase
//! 0  0  get_into  train/img_0_of_8.npz  1049088  file:///data  1    1520  -  98210  96690  train e1 b1
//! ```
//!
//! (columns separated by tabs). Times are nanoseconds since the run's start (`start_unix_ns` in Unix time); `-` marks a
//! first byte the backend could not tell; `error` is empty for a success. Tabs, newlines and
//! backslashes inside keys and errors are escaped (`\t`, `\n`, `\\`).
//!
//! Writing costs the requests little: records are queued in batches of 1024 that a thread
//! of its own formats and compresses (one hand-over per batch, not per record; the requests
//! wait only if that thread falls 64 batches behind). With no op-log nothing of this runs.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mlstor_store::{Op, OpRecord};

use super::error::RecordsError;
use super::tag::Tag;

const HEADER: &str = "idx\trank\top\tkey\tbytes\tendpoint\tattempt\terror\tstart_ns\tfirst_byte_ns\tend_ns\tduration_ns\tphase";

/// One line of an op-log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub idx: u64,
    pub rank: usize,
    pub op: Op,
    pub key: String,
    pub bytes: u64,
    pub endpoint: String,
    pub attempt: u32,
    pub error: Option<String>,
    pub start_ns: u64,
    pub first_byte_ns: Option<u64>,
    pub end_ns: u64,
    pub tag: Tag,
}

/// Records per hand-over to the writer thread.
const BATCH: usize = 1024;

#[derive(Debug)]
struct Queue {
    batch: Vec<LogRecord>,
    tx: Option<SyncSender<Vec<LogRecord>>>,
}

/// Writes a rank's records on a thread of its own.
#[derive(Debug)]
pub struct OpLogWriter {
    path: PathBuf,
    t0: Instant,
    /// The batch being filled, and the channel to the writer thread (`None` once finished).
    queue: Mutex<Queue>,
    thread: Mutex<Option<JoinHandle<std::io::Result<u64>>>>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> RecordsError + '_ {
    move |source| RecordsError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn since(t0: Instant, t: Instant) -> u64 {
    t.saturating_duration_since(t0).as_nanos() as u64
}

impl OpLogWriter {
    /// Creates (truncates) `path` for rank `rank`; times count from `t0`.
    pub fn create(path: &Path, rank: usize, t0: Instant) -> Result<OpLogWriter, RecordsError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io_err(path))?;
        }
        let file = File::create(path).map_err(io_err(path))?;
        let unix0 = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            .saturating_sub(t0.elapsed().as_nanos() as u64);
        let zst = path.extension().is_some_and(|e| e == "zst");
        let (tx, rx) = sync_channel(64);
        let thread = std::thread::Builder::new()
            .name("mlstor-oplog".into())
            .spawn(move || write_all(file, zst, rank, unix0, rx))
            .map_err(io_err(path))?;
        Ok(OpLogWriter {
            path: path.to_path_buf(),
            t0,
            queue: Mutex::new(Queue {
                batch: Vec::with_capacity(BATCH),
                tx: Some(tx),
            }),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Queues one record (dropped silently only after [`finish`](Self::finish)).
    pub fn write(&self, r: &OpRecord<'_>) {
        let line = LogRecord {
            idx: 0,
            rank: 0,
            op: r.op,
            key: r.key.to_string(),
            bytes: r.bytes,
            endpoint: r.endpoint.to_string(),
            attempt: r.attempt,
            error: r.error.map(|e| format!("{e:#}")),
            start_ns: since(self.t0, r.start),
            first_byte_ns: r.first_byte.map(|f| since(self.t0, f)),
            end_ns: since(self.t0, r.end),
            tag: Tag::from_code(r.tag),
        };
        let full = {
            let mut q = lock(&self.queue);
            if q.tx.is_none() {
                return;
            }
            q.batch.push(line);
            if q.batch.len() < BATCH {
                return;
            }
            let batch = std::mem::replace(&mut q.batch, Vec::with_capacity(BATCH));
            q.tx.clone().map(|tx| (tx, batch))
        };
        if let Some((tx, batch)) = full {
            let _ = tx.send(batch);
        }
    }

    /// Closes the log: waits until every queued record is written; returns the count.
    pub fn finish(&self) -> Result<u64, RecordsError> {
        {
            let mut q = lock(&self.queue);
            let rest = std::mem::take(&mut q.batch);
            if let Some(tx) = q.tx.take()
                && !rest.is_empty()
            {
                let _ = tx.send(rest);
            }
        }
        let Some(t) = lock(&self.thread).take() else {
            return Ok(0);
        };
        let joined = t
            .join()
            .map_err(|_| std::io::Error::other("the op-log writer thread panicked"));
        joined.and_then(|r| r).map_err(io_err(&self.path))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Drop for OpLogWriter {
    /// A run that fails still leaves a complete, readable log of what it did.
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

fn write_all(
    file: File,
    zst: bool,
    rank: usize,
    unix0: u64,
    rx: Receiver<Vec<LogRecord>>,
) -> std::io::Result<u64> {
    let buffered = BufWriter::with_capacity(1 << 20, file);
    let mut out: Box<dyn Write> = if zst {
        Box::new(zstd::stream::write::Encoder::new(buffered, 1)?.auto_finish())
    } else {
        Box::new(buffered)
    };
    writeln!(
        out,
        "# mlstor op-log 1\n# rank\t{rank}\n# start_unix_ns\t{unix0}\n{HEADER}"
    )?;
    let mut idx = 0u64;
    for r in rx.into_iter().flatten() {
        let first = r.first_byte_ns.map_or_else(|| "-".to_string(), |f| f.to_string());
        writeln!(
            out,
            "{idx}\t{rank}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{first}\t{}\t{}\t{}",
            r.op.as_str(),
            escape(&r.key),
            r.bytes,
            escape(&r.endpoint),
            r.attempt,
            r.error.as_deref().map(escape).unwrap_or_default(),
            r.start_ns,
            r.end_ns,
            r.end_ns.saturating_sub(r.start_ns),
            r.tag.name(),
        )?;
        idx += 1;
    }
    out.flush()?;
    drop(out);
    Ok(idx)
}

/// Reads an op-log line by line (compressed or not: zstd's magic number decides).
pub struct OpLogReader {
    path: String,
    lines: std::io::Lines<Box<dyn BufRead>>,
    line: u64,
    /// The run's start in Unix time, from the header.
    pub start_unix_ns: u64,
}

impl OpLogReader {
    pub fn open(path: &Path) -> Result<OpLogReader, RecordsError> {
        let mut f = File::open(path).map_err(io_err(path))?;
        let mut magic = [0u8; 4];
        let n = f.read(&mut magic).map_err(io_err(path))?;
        let head = std::io::Cursor::new(magic[..n].to_vec()).chain(f);
        let reader: Box<dyn BufRead> = if magic == [0x28, 0xb5, 0x2f, 0xfd] {
            Box::new(BufReader::new(
                zstd::stream::read::Decoder::new(head).map_err(io_err(path))?,
            ))
        } else {
            Box::new(BufReader::new(head))
        };
        let mut r = OpLogReader {
            path: path.display().to_string(),
            lines: reader.lines(),
            line: 0,
            start_unix_ns: 0,
        };
        // The header: comment lines, then the column names.
        loop {
            let Some(l) = r.next_line()? else {
                return Err(r.bad("no header: not an mlstor op-log"));
            };
            if let Some(v) = l.strip_prefix("# start_unix_ns\t") {
                r.start_unix_ns = v.trim().parse().unwrap_or(0);
            } else if l.starts_with('#') {
                continue;
            } else if l == HEADER {
                return Ok(r);
            } else {
                return Err(r.bad("no header: not an mlstor op-log"));
            }
        }
    }

    fn bad(&self, reason: &str) -> RecordsError {
        RecordsError::Parse {
            path: self.path.clone(),
            line: self.line,
            reason: reason.to_string(),
        }
    }

    fn next_line(&mut self) -> Result<Option<String>, RecordsError> {
        self.line += 1;
        match self.lines.next() {
            None => Ok(None),
            Some(Ok(l)) => Ok(Some(l)),
            Some(Err(source)) => Err(RecordsError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn parse(&self, l: &str) -> Result<LogRecord, RecordsError> {
        let f: Vec<&str> = l.split('\t').collect();
        if f.len() != 13 {
            return Err(self.bad(&format!("{} fields where 13 are expected", f.len())));
        }
        let num = |i: usize, what: &str| -> Result<u64, RecordsError> {
            f[i].parse()
                .map_err(|_| self.bad(&format!("{what} {:?} is not a number", f[i])))
        };
        Ok(LogRecord {
            idx: num(0, "idx")?,
            rank: num(1, "rank")? as usize,
            op: f[2].parse().map_err(|e: String| self.bad(&e))?,
            key: unescape(f[3]),
            bytes: num(4, "bytes")?,
            endpoint: unescape(f[5]),
            attempt: num(6, "attempt")? as u32,
            error: (!f[7].is_empty()).then(|| unescape(f[7])),
            start_ns: num(8, "start_ns")?,
            first_byte_ns: if f[9] == "-" {
                None
            } else {
                Some(num(9, "first_byte_ns")?)
            },
            end_ns: num(10, "end_ns")?,
            tag: parse_tag(f[12]),
        })
    }
}

/// A phase name back to its tag (unknown names count as setup).
fn parse_tag(s: &str) -> Tag {
    let num = |p: &str| p.trim_start_matches(['e', 'b', 's']).parse::<u64>().unwrap_or(0);
    let parts: Vec<&str> = s.split(' ').collect();
    match parts.as_slice() {
        ["generate"] => Tag::Generate,
        ["load"] => Tag::Load,
        ["train", e, b] => Tag::Train {
            epoch: num(e),
            block: num(b),
        },
        ["eval", e] => Tag::Eval { epoch: num(e) },
        ["save", e, i] => Tag::Save {
            epoch: num(e),
            step: num(i),
        },
        ["restore", e, i] => Tag::Restore {
            epoch: num(e),
            step: num(i),
        },
        _ => Tag::Setup,
    }
}

impl Iterator for OpLogReader {
    type Item = Result<LogRecord, RecordsError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let l = match self.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            };
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            return Some(self.parse(&l));
        }
    }
}

/// The op-log file of rank `rank` of `ranks` for a user's `path`: the path itself for a
/// single rank, else `<name>.rank<r>` before the extensions (`ops.tsv.zst` ->
/// `ops.rank1.tsv.zst`).
pub fn rank_path(path: &Path, rank: usize, ranks: usize) -> PathBuf {
    if ranks <= 1 {
        return path.to_path_buf();
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, ext) = match name.split_once('.') {
        Some((s, e)) => (s.to_string(), format!(".{e}")),
        None => (name.clone(), String::new()),
    };
    path.with_file_name(format!("{stem}.rank{rank}{ext}"))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;
    use mlstor_store::{StoreExt, StoreOptions, store_for_uri};

    use super::*;
    use crate::records::Recorder;

    async fn log_some(path: &Path) -> u64 {
        let rec = Arc::new(Recorder::new().with_log(path, 3, Instant::now()).expect("log"));
        let opts = StoreOptions {
            sink: Some(rec.clone()),
            ..Default::default()
        };
        let store = store_for_uri("memory://oplog-test", &opts).expect("store");
        store
            .put("a\tb", Bytes::from_static(b"12345"))
            .await
            .expect("put");
        Tag::Eval { epoch: 2 }
            .scope(async { store.get("a\tb").await.expect("get") })
            .await;
        assert!(store.get("missing").await.is_err());
        rec.finish().expect("finish").expect("a log")
    }

    #[tokio::test]
    async fn writes_every_record_and_reads_back() {
        for name in ["ops.tsv", "ops.tsv.zst"] {
            let d = tempfile::tempdir().expect("tmp");
            let path = d.path().join(name);
            assert_eq!(log_some(&path).await, 3);
            let r = OpLogReader::open(&path).expect("open");
            assert!(r.start_unix_ns > 0);
            let all: Vec<LogRecord> = r.collect::<Result<_, _>>().expect("records");
            assert_eq!(all.len(), 3);
            assert_eq!(
                (all[0].op, all[0].key.as_str(), all[0].bytes),
                (Op::Put, "a\tb", 5)
            );
            assert_eq!(
                (all[1].op, all[1].tag, all[1].rank),
                (Op::Get, Tag::Eval { epoch: 2 }, 3)
            );
            assert!(all[1].end_ns >= all[1].start_ns && all[1].idx == 1);
            assert!(all[2].error.as_deref().is_some_and(|e| e.contains("missing")));
            assert!(all.iter().all(|r| r.endpoint == "memory://oplog-test"));
        }
    }

    #[test]
    fn bad_files_are_named() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("x.tsv");
        std::fs::write(&p, "hello\n").expect("write");
        let e = OpLogReader::open(&p).err().expect("not a log").to_string();
        assert!(e.contains("x.tsv") && e.contains("not an mlstor op-log"), "{e}");
        std::fs::write(&p, format!("{HEADER}\n1\t2\n")).expect("write");
        let e = OpLogReader::open(&p).expect("header").next().expect("a line");
        assert!(e.expect_err("short").to_string().contains("line 2"));
        assert!(OpLogReader::open(&d.path().join("none")).is_err());
    }

    #[test]
    fn per_rank_names() {
        let p = Path::new("/x/ops.tsv.zst");
        assert_eq!(rank_path(p, 0, 1), p);
        assert_eq!(rank_path(p, 1, 2), Path::new("/x/ops.rank1.tsv.zst"));
        assert_eq!(rank_path(Path::new("log"), 2, 4), Path::new("log.rank2"));
        assert_eq!(parse_tag("restore e1 s12"), Tag::Restore { epoch: 1, step: 12 });
        assert_eq!(unescape(&escape("a\\b\tc\nd")), "a\\b\tc\nd");
    }
}
