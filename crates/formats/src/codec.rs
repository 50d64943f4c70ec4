//! Whole-file compression as pandas applies it to DLIO's CSV files (`compression:` gzip,
//! bz2, zip, xz): the file gets the codec's suffix, and decompression is bounded so a
//! damaged or hostile file cannot expand without limit.

use std::io::{Read, Write};

use crate::{Error, Result};

/// A file-level codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Bz2,
    Zip,
    Xz,
}

impl Codec {
    /// The suffix pandas (and so DLIO) appends to the file name.
    pub fn suffix(self) -> &'static str {
        match self {
            Codec::Gzip => ".gz",
            Codec::Bz2 => ".bz2",
            Codec::Zip => ".zip",
            Codec::Xz => ".xz",
        }
    }

    /// `data` compressed; `name` is the archive member name for zip (pandas uses the file
    /// name without `.zip`).
    pub fn compress(self, data: &[u8], name: &str) -> Result<Vec<u8>> {
        let fail = |e: std::io::Error| Error::Corrupt {
            format: "compressed file",
            reason: e.to_string(),
        };
        match self {
            Codec::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                e.write_all(data).map_err(fail)?;
                e.finish().map_err(fail)
            }
            Codec::Bz2 => {
                let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
                e.write_all(data).map_err(fail)?;
                e.finish().map_err(fail)
            }
            Codec::Zip => {
                let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(zip::CompressionMethod::Deflated)
                    .large_file(data.len() as u64 >= u32::MAX as u64 - 4096);
                z.start_file(name, opts).map_err(|e| Error::Corrupt {
                    format: "zip",
                    reason: e.to_string(),
                })?;
                z.write_all(data).map_err(fail)?;
                Ok(z.finish()
                    .map_err(|e| Error::Corrupt {
                        format: "zip",
                        reason: e.to_string(),
                    })?
                    .into_inner())
            }
            Codec::Xz => {
                let mut out = Vec::new();
                lzma_rs::xz_compress(&mut std::io::Cursor::new(data), &mut out).map_err(fail)?;
                Ok(out)
            }
        }
    }

    /// `file` decompressed, refusing more than `limit` bytes of output.
    pub fn decompress(self, file: &[u8], limit: u64) -> Result<Vec<u8>> {
        let bad = |reason: String| Error::Corrupt {
            format: "compressed file",
            reason,
        };
        let read_bounded = |r: &mut dyn Read| -> Result<Vec<u8>> {
            let mut out = Vec::new();
            r.take(limit.saturating_add(1))
                .read_to_end(&mut out)
                .map_err(|e| bad(e.to_string()))?;
            if out.len() as u64 > limit {
                return Err(bad(format!("expands past {limit} bytes")));
            }
            Ok(out)
        };
        match self {
            Codec::Gzip => read_bounded(&mut flate2::read::GzDecoder::new(file)),
            Codec::Bz2 => read_bounded(&mut bzip2::read::BzDecoder::new(file)),
            Codec::Zip => {
                let mut z =
                    zip::ZipArchive::new(std::io::Cursor::new(file)).map_err(|e| bad(e.to_string()))?;
                let mut member = z.by_index(0).map_err(|e| bad(e.to_string()))?;
                read_bounded(&mut member)
            }
            Codec::Xz => {
                let mut out = Bounded {
                    out: Vec::new(),
                    limit,
                };
                lzma_rs::xz_decompress(&mut std::io::Cursor::new(file), &mut out)
                    .map_err(|e| bad(e.to_string()))?;
                Ok(out.out)
            }
        }
    }
}

/// A writer that refuses to grow past `limit` bytes.
struct Bounded {
    out: Vec<u8>,
    limit: u64,
}

impl Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() as u64 + buf.len() as u64 > self.limit {
            return Err(std::io::Error::other(format!(
                "expands past {} bytes",
                self.limit
            )));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_bounds() {
        let data = b",0,1\n0,1,2\n1,3,4\n".repeat(100);
        for c in [Codec::Gzip, Codec::Bz2, Codec::Zip, Codec::Xz] {
            let f = c.compress(&data, "x.csv").expect("compress");
            assert_eq!(c.decompress(&f, 1 << 20).expect("decompress"), data, "{c:?}");
            assert!(c.decompress(&f, 100).is_err(), "{c:?}: the limit holds");
            assert!(
                c.decompress(&f[..f.len() / 2], 1 << 20).is_err(),
                "{c:?}: truncated"
            );
        }
    }
}
