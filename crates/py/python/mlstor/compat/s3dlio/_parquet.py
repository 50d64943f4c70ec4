"""s3dlio's Parquet functions over mlstor: ``PyParquetIndex``, ``parquet_get_rg``,
``parquet_rg_row_offsets``, ``parquet_cache_clear``, ``parquet_cache_invalidate``,
``parquet_cache_len`` and ``generate_and_write_parquet_schema_streaming``.

A footer costs one ``stat`` and one ranged GET of the file's last ``footer_cap`` bytes, and is
kept in a process-wide cache (as s3dlio's ``parquet_file_cache``); a row group costs one ranged
GET of exactly its column chunks. Failures of I/O, of the file or of an index are
``RuntimeError`` subclasses, as s3dlio's are, that also derive from the matching Python class
(mlstor's ``NotFoundError``, ...; ``IndexError``; ``ValueError``). Any pyarrow reads the file
(every codec); ``parquet_get_rg`` returns :class:`OwnedBytes` for Arrow IPC and the
``mlstor.Buffer`` as read for raw bytes.
"""
import bisect
import concurrent.futures
import operator
import threading

import pyarrow as pa
import pyarrow.parquet as pq

import mlstor

from ._errors import OutOfRangeError, ParquetFormatError
from ._errors import invalid as _invalid
from ._errors import reraise as _reraise
from ._errors import s3dlio_errors as _s3dlio_errors

__all__ = [
    "OutOfRangeError", "OwnedBytes", "ParquetFormatError", "PyParquetIndex",
    "generate_and_write_parquet_schema_streaming", "parquet_cache_clear",
    "parquet_cache_invalidate", "parquet_cache_len", "parquet_get_rg", "parquet_rg_row_offsets",
]

DEFAULT_FOOTER_CAP = 4 * 1024 * 1024


class OwnedBytes(bytearray):
    """Bytes built in Python, with s3dlio ``BytesView``'s methods: buffer protocol, ``len``,
    ``bytes()``, ``.memoryview()`` (read-only) and ``.to_bytes()``."""

    __slots__ = ()

    def memoryview(self):
        return memoryview(self).toreadonly()

    def to_bytes(self):
        return bytes(self)

    def __repr__(self):
        return f"BytesView({len(self)} bytes)"


# ── footer cache (s3dlio's parquet_file_cache) ────────────────────────────────

class _FileMeta:
    __slots__ = ("size", "metadata", "row_offsets")

    def __init__(self, size, metadata):
        self.size = size
        self.metadata = metadata
        offsets = [0]
        for i in range(metadata.num_row_groups):
            offsets.append(offsets[-1] + metadata.row_group(i).num_rows)
        self.row_offsets = offsets


_cache = {}


def _fetch_meta(uri, footer_cap):
    size = mlstor.stat(uri).size
    n = min(int(footer_cap), size)
    tail = mlstor.get_range(uri, size - n, n) if n else b""
    if len(tail) < 8:
        raise ParquetFormatError(f"footer buffer too small ({len(tail)} bytes) for '{uri}'")
    if bytes(tail[-4:]) != b"PAR1":
        raise ParquetFormatError(f"'{uri}' is not a valid Parquet file (bad magic bytes)")
    meta_len = int.from_bytes(bytes(tail[-8:-4]), "little")
    if meta_len + 8 > size:
        raise ParquetFormatError(f"'{uri}': Parquet metadata length {meta_len} exceeds the file size {size}")
    if meta_len + 8 > len(tail):  # footer larger than footer_cap: fetch exactly the footer
        tail = mlstor.get_range(uri, size - meta_len - 8, meta_len + 8)
    footer = pa.py_buffer(tail).slice(len(tail) - meta_len - 8)
    try:
        metadata = pq.read_metadata(pa.BufferReader(footer))
    except (OSError, pa.ArrowException) as e:
        raise ParquetFormatError(f"'{uri}': cannot decode the Parquet footer: {e}") from e
    return _FileMeta(size, metadata)


def _file_meta(uri, footer_cap):
    meta = _cache.get(uri)
    if meta is None:
        with _s3dlio_errors():
            meta = _cache.setdefault(uri, _fetch_meta(uri, footer_cap))
    return meta


def parquet_rg_row_offsets(uri):
    """``[0, rows before row group 1, ..., total rows]`` for ``uri`` (footer cached)."""
    return list(_file_meta(uri, DEFAULT_FOOTER_CAP).row_offsets)


def parquet_cache_clear():
    """Forget every cached footer."""
    _cache.clear()


def parquet_cache_invalidate(uri):
    """Forget the cached footer of ``uri`` (after the file was rewritten)."""
    _cache.pop(uri, None)


def parquet_cache_len():
    """How many footers are cached."""
    return len(_cache)


# ── row-group byte ranges ─────────────────────────────────────────────────────

def _col_indices(col_indices):
    return None if col_indices is None else [operator.index(c) for c in col_indices]


def _rg_extent(uri, rg, rg_idx, cols):
    """``(offset, length)`` spanning the chunks of columns ``cols`` (None: all) of ``rg``."""
    n = rg.num_columns
    if n == 0:
        raise ParquetFormatError(f"'{uri}' rg[{rg_idx}]: row group has zero columns")
    if cols is not None and not cols:
        raise _invalid("col_indices is empty; must specify at least one column", uri)
    start, end = None, 0
    for c in range(n) if cols is None else cols:
        if not 0 <= c < n:
            raise OutOfRangeError(f"column index {c} out of range for '{uri}' (row group has {n} columns)")
        col = rg.column(c)
        s = col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset
        start = s if start is None else min(start, s)
        end = max(end, s + col.total_compressed_size)
    return start, end - start


def _check_rg(uri, meta, rg_idx):
    rg_idx = operator.index(rg_idx)
    n = meta.metadata.num_row_groups
    if not 0 <= rg_idx < n:
        raise OutOfRangeError(f"rg_idx {rg_idx} out of range for '{uri}' ({n} row groups)")
    return rg_idx


class _RangeFile:
    """A read-only file of ``size`` bytes whose ``[offset, offset + len(data))`` is in memory;
    reads elsewhere become ranged GETs (pyarrow reads only the chunks of one row group)."""

    def __init__(self, uri, size, offset, data):
        self.uri, self.size, self.offset = uri, size, offset
        self.data = memoryview(data)
        self.pos = 0
        self.closed = False

    def readable(self):
        return True

    def seekable(self):
        return True

    def writable(self):
        return False

    def tell(self):
        return self.pos

    def seek(self, pos, whence=0):
        self.pos = (pos, self.pos + pos, self.size + pos)[whence]
        return self.pos

    def read(self, n=-1):
        start = self.pos
        end = self.size if n is None or n < 0 else min(self.size, start + n)
        if end <= start:
            return b""
        self.pos = end
        lo = start - self.offset
        if 0 <= lo and end - self.offset <= len(self.data):
            return self.data[lo:end - self.offset]
        with _s3dlio_errors():
            return mlstor.get_range(self.uri, start, end - start)

    def close(self):
        self.closed = True


def _ipc_stream(batch):
    """``batch`` as an Arrow IPC stream (schema, one batch, end) in one exact-size buffer."""
    mock = pa.MockOutputStream()
    with pa.ipc.new_stream(mock, batch.schema) as w:
        w.write_batch(batch)
    out = OwnedBytes(mock.size())
    with pa.ipc.new_stream(pa.FixedSizeBufferWriter(pa.py_buffer(out)), batch.schema) as w:
        w.write_batch(batch)
    return out


def _read_rg_table(uri, meta, rg_idx, cols):
    md = meta.metadata
    rg = md.row_group(rg_idx)
    if cols is not None and not cols:  # no columns: the rows only
        return pa.table([pa.nulls(rg.num_rows)], names=["_"]).drop_columns(["_"])
    offset, length = _rg_extent(uri, rg, rg_idx, cols)
    with _s3dlio_errors():
        data = mlstor.get_range(uri, offset, length)
    source = pa.PythonFile(_RangeFile(uri, meta.size, offset, data), mode="r")
    pf = pq.ParquetFile(source, metadata=md, pre_buffer=False)
    return pf.reader.read_row_group(rg_idx, column_indices=None if cols is None else sorted(set(cols)))


def _one_batch(table):
    """``table`` as one record batch, as s3dlio decodes a row group."""
    batches = table.combine_chunks().to_batches()
    if len(batches) == 1:
        return batches[0]
    return pa.RecordBatch.from_arrays([c.combine_chunks() for c in table.columns], schema=table.schema)


def parquet_get_rg(uri, rg_idx, col_indices=None, footer_cap=DEFAULT_FOOTER_CAP, decode="arrow"):
    """Row group ``rg_idx`` of ``uri``: with ``decode="arrow"`` an Arrow IPC stream holding one
    record batch (columns ``col_indices``, leaf indices, or all); otherwise the raw bytes of
    its column chunks (an ``mlstor.Buffer``)."""
    cols = _col_indices(col_indices)
    meta = _file_meta(uri, footer_cap)
    rg_idx = _check_rg(uri, meta, rg_idx)
    if str(decode).lower() == "arrow":
        return _ipc_stream(_one_batch(_read_rg_table(uri, meta, rg_idx, cols)))
    offset, length = _rg_extent(uri, meta.metadata.row_group(rg_idx), rg_idx, cols)
    with _s3dlio_errors():
        return mlstor.get_range(uri, offset, length)


# ── PyParquetIndex ────────────────────────────────────────────────────────────

class _FileEntry:
    __slots__ = ("ranges", "row_offsets", "last_epoch")

    def __init__(self, ranges, row_offsets):
        self.ranges = ranges
        self.row_offsets = row_offsets
        self.last_epoch = [0] * len(ranges)  # 0: never fetched


class PyParquetIndex:
    """Epoch-aware index of row-group byte ranges: ``(uri, rg_idx) -> (offset, length)`` and
    sample -> row group for every indexed file, kept across epochs."""

    def __init__(self, col_indices=None, footer_cap=DEFAULT_FOOTER_CAP):
        self.col_indices = _col_indices(col_indices)
        self.footer_cap = operator.index(footer_cap)
        self._files = {}
        self._lock = threading.Lock()

    def __repr__(self):
        return (f"PyParquetIndex(files={self.file_count()}, rgs={len(self)}, "
                f"col_indices={self.col_indices}, footer_cap={self.footer_cap})")

    def __len__(self):
        """Row groups indexed, over all files."""
        return sum(len(f.ranges) for f in list(self._files.values()))

    def ensure_indexed(self, uris, epoch=1, batch_size=16):
        """Index every URI of ``uris`` not yet indexed, fetching ``batch_size`` footers at a
        time concurrently."""
        if isinstance(uris, str):
            raise TypeError("uris must be a list of URIs, not a str")
        todo = [u for u in uris if u not in self._files]
        step = max(1, operator.index(batch_size))
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(step, max(1, len(todo)))) as pool:
            for i in range(0, len(todo), step):
                chunk = todo[i:i + step]
                futures = [pool.submit(_file_meta, u, self.footer_cap) for u in chunk]
                for uri, fut in zip(chunk, futures):
                    self._insert(uri, fut.result())

    def _insert(self, uri, meta):
        md = meta.metadata
        ranges = [_rg_extent(uri, md.row_group(i), i, self.col_indices) for i in range(md.num_row_groups)]
        with self._lock:
            self._files.setdefault(uri, _FileEntry(ranges, meta.row_offsets))

    def _entry(self, uri):
        f = self._files.get(uri)
        if f is None:
            raise OutOfRangeError(f"URI not indexed: {uri}")
        return f

    def is_indexed(self, uri):
        return uri in self._files

    def file_count(self):
        return len(self._files)

    def file_rg_count(self, uri):
        """Row groups of ``uri``, or None if it is not indexed."""
        f = self._files.get(uri)
        return None if f is None else len(f.ranges)

    def rg_for_sample(self, uri, sample_idx):
        """The row group holding row ``sample_idx`` of ``uri`` (the last one past the end)."""
        offsets = self._entry(uri).row_offsets
        if len(offsets) < 2:
            raise OutOfRangeError(f"No row groups for URI: {uri}")
        return max(0, bisect.bisect_right(offsets, operator.index(sample_idx), 0, len(offsets) - 1) - 1)

    def rg_range(self, uri, rg_idx):
        """``(byte_offset, byte_length)`` of row group ``rg_idx`` of ``uri``."""
        ranges = self._entry(uri).ranges
        rg_idx = operator.index(rg_idx)
        if not 0 <= rg_idx < len(ranges):
            raise OutOfRangeError(f"RG ({uri}, {rg_idx}) not in index")
        return ranges[rg_idx]

    def rg_lookup(self, uri, sample_idx):
        """``(rg_idx, byte_offset, byte_length)`` for row ``sample_idx`` of ``uri``."""
        rg = self.rg_for_sample(uri, sample_idx)
        return (rg, *self.rg_range(uri, rg))

    def _epochs(self, uri, rg_idx):
        f = self._files.get(uri)
        if f is None or not 0 <= rg_idx < len(f.last_epoch):
            return None
        return f.last_epoch

    def was_fetched(self, uri, rg_idx, epoch):
        """True if ``(uri, rg_idx)`` was marked fetched in epoch ``epoch`` (or later)."""
        e = self._epochs(uri, rg_idx)
        return e is not None and e[rg_idx] >= epoch

    def mark_fetched(self, uri, rg_idx, epoch):
        """Record that ``(uri, rg_idx)`` was fetched in epoch ``epoch``."""
        e = self._epochs(uri, rg_idx)
        if e is not None:
            e[rg_idx] = epoch

    def check_and_mark(self, uri, rg_idx, epoch):
        """``was_fetched``, then ``mark_fetched`` if it was not, atomically."""
        e = self._epochs(uri, rg_idx)
        if e is None:
            return False
        with self._lock:
            if e[rg_idx] >= epoch:
                return True
            e[rg_idx] = epoch
            return False

    def invalidate_uri(self, uri):
        """Forget ``uri`` here and its cached footer (after the file was rewritten)."""
        with self._lock:
            self._files.pop(uri, None)
        parquet_cache_invalidate(uri)

    def clear(self):
        """Forget every file."""
        with self._lock:
            self._files.clear()


# ── generation ────────────────────────────────────────────────────────────────

_ELEMENT = pa.field("element", pa.float32(), nullable=False)


def _column_type(width):
    return pa.float32() if width == 1 else pa.list_(_ELEMENT, width)


def generate_and_write_parquet_schema_streaming(uri, columns, rows_per_rg, num_row_groups):
    """Write a Parquet file of ``num_row_groups`` row groups of ``rows_per_rg`` random rows,
    one column per ``(name, floats_per_row)`` of ``columns`` (float32, or a fixed-size list of
    float32), uncompressed and without statistics or dictionaries like s3dlio's. Row groups are
    generated one at a time and streamed to ``uri`` (multipart on object stores); a failure
    leaves no object."""
    columns = [(str(name), operator.index(width)) for name, width in columns]
    rows, groups = operator.index(rows_per_rg), operator.index(num_row_groups)
    if rows < 0 or groups < 0 or any(w < 0 for _, w in columns):
        raise OverflowError("rows_per_rg, num_row_groups and column widths must not be negative")
    schema = pa.schema([pa.field(name, _column_type(w), nullable=False) for name, w in columns])
    object_id = 0
    with _s3dlio_errors(), mlstor.open(uri, "wb") as sink:
        with pq.ParquetWriter(sink, schema, version="1.0", compression="none",
                              use_dictionary=False, write_statistics=False) as writer:
            for _ in range(groups if rows else 0):
                arrays = []
                for _, width in columns:
                    n = rows * width
                    values = pa.Array.from_buffers(pa.float32(), n, [None, pa.py_buffer(
                        mlstor.generate(4 * n, object_id=object_id))])
                    object_id += 1
                    arrays.append(values if width == 1 else
                                  pa.FixedSizeListArray.from_arrays(values, type=_column_type(width)))
                writer.write_batch(pa.record_batch(arrays, schema=schema), row_group_size=rows)
