"""mlstor.compat.s3dlio's Parquet index and row-group reads, NPZ and Parquet generation and the
byte loader, checked by the same tests against the real s3dlio 0.10 (the `dlio` fixture runs each
test on both): return types and values, argument names and defaults, errors. Then the call
sequences DLIO 3.0.2 makes, and mlstor's version over every backend."""
import asyncio
import bisect
import inspect
import io
import os
import threading
import types
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import mlstor
from conftest import IN_CI

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ROWS, RG_ROWS = 100, 30  # row groups of 30, 30, 30, 10 rows


def real_s3dlio():
    try:
        import s3dlio
    except ImportError:
        msg = "the real s3dlio is not installed (scripts/test.sh installs it in target/test-venv)"
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return s3dlio


def mlstor_s3dlio():
    from mlstor.compat.s3dlio import _generate, _loader, _parquet
    names = {n: getattr(m, n) for m in (_generate, _loader, _parquet) for n in m.__all__}
    return types.SimpleNamespace(__name__="mlstor.compat.s3dlio", **names)


@pytest.fixture(params=["s3dlio", "mlstor"])
def dlio(request):
    return real_s3dlio() if request.param == "s3dlio" else mlstor_s3dlio()


def is_real(mod):
    return mod.__name__ == "s3dlio"


@pytest.fixture
def table():
    """Every kind of column: plain, dictionary-encoded, list, struct (two leaves)."""
    return pa.table({
        "a": np.arange(ROWS, dtype=np.int64),
        "b": np.arange(ROWS, dtype=np.float32) * 0.5,
        "s": [f"s{i % 7}" for i in range(ROWS)],
        "l": pa.array([[i, i + 1] for i in range(ROWS)], pa.list_(pa.int32())),
        "st": pa.array([{"x": i, "y": str(i)} for i in range(ROWS)]),
    })


@pytest.fixture
def pfile(tmpdir_path, table):
    """(path, file:// URI) of `table` as Parquet. Uncompressed: s3dlio's arrow decoding is built
    without any codec."""
    path = f"{tmpdir_path}/t.parquet"
    pq.write_table(table, path, row_group_size=RG_ROWS, compression="none")
    return path, f"file://{path}"


def extent(md, rg, cols=None):
    """(offset, length) spanning the column chunks `cols` of row group `rg`, from pyarrow."""
    r = md.row_group(rg)
    spans = []
    for c in range(r.num_columns) if cols is None else cols:
        col = r.column(c)
        start = col.dictionary_page_offset if col.has_dictionary_page else col.data_page_offset
        spans.append((start, start + col.total_compressed_size))
    lo, hi = min(s for s, _ in spans), max(e for _, e in spans)
    return lo, hi - lo


def ipc_table(bv):
    return pa.ipc.open_stream(pa.py_buffer(bytes(bv))).read_all()


def check_bytes_view(bv):
    """What s3dlio's BytesView offers: buffer protocol, len, bytes(), memoryview(), to_bytes()."""
    data = bytes(bv)
    assert len(bv) == len(data) == memoryview(bv).nbytes
    mv = bv.memoryview()
    assert isinstance(mv, memoryview) and mv.readonly and mv.tobytes() == data
    assert bv.to_bytes() == data and isinstance(bv.to_bytes(), bytes)
    return data


def raises_runtime(fn, *words):
    """s3dlio raises RuntimeError for every failure; mlstor's classes are RuntimeErrors too."""
    with pytest.raises(RuntimeError) as e:
        fn()
    for w in words:
        assert w in str(e.value), (w, str(e.value))
    return e.value


# ── names and signatures ──────────────────────────────────────────────────────

def public_params(obj):
    return [(p.name, p.default) for p in inspect.signature(obj).parameters.values()
            if p.name != "self" and not p.name.startswith("_")]


def test_names_and_signatures_match():
    real, ours = real_s3dlio(), mlstor_s3dlio()
    functions = ["parquet_get_rg", "parquet_rg_row_offsets", "parquet_cache_clear", "parquet_cache_invalidate",
                 "parquet_cache_len", "generate_npz_bytes", "generate_and_write_parquet_schema_streaming",
                 "PyParquetIndex", "PyDataset", "PyBytesAsyncDataLoader"]
    for name in functions:
        assert public_params(getattr(ours, name)) == public_params(getattr(real, name)), name
    methods = {
        "PyParquetIndex": ["check_and_mark", "clear", "ensure_indexed", "file_count", "file_rg_count",
                           "invalidate_uri", "is_indexed", "mark_fetched", "rg_for_sample", "rg_lookup",
                           "rg_range", "was_fetched", "__len__"],
        "PyDataset": ["from_uris", "get_item", "keys", "uris", "__len__"],
        "PyBytesAsyncDataLoader": ["items", "__iter__"],
    }
    for cls, names in methods.items():
        for m in names:
            ours_m, real_m = getattr(getattr(ours, cls), m), getattr(getattr(real, cls), m)
            assert public_params(ours_m) == public_params(real_m), (cls, m)
    assert public_params(ours.parquet_get_rg) == [
        ("uri", inspect.Parameter.empty), ("rg_idx", inspect.Parameter.empty), ("col_indices", None),
        ("footer_cap", 4194304), ("decode", "arrow")]


# ── parquet_get_rg ────────────────────────────────────────────────────────────

@pytest.mark.parametrize("cols", [None, [0], [2, 0], [0, 0], [3], [4], [5], []])
def test_parquet_get_rg_arrow_is_the_row_group_as_ipc(dlio, pfile, cols):
    path, uri = pfile
    reader = pq.ParquetFile(path).reader
    for rg in range(4):
        bv = dlio.parquet_get_rg(uri, rg, cols, 4 * 1024 * 1024, "arrow")  # DLIO's positional form
        check_bytes_view(bv)
        got = ipc_table(bv)
        want = reader.read_row_group(rg, column_indices=None if cols is None else sorted(set(cols)))
        assert got.num_rows == (RG_ROWS if rg < 3 else ROWS - 3 * RG_ROWS)
        assert got.schema.names == want.schema.names and got.equals(want)
        batch = pa.ipc.open_stream(pa.py_buffer(bytes(bv))).read_next_batch()  # DLIO's decode
        assert batch.num_rows == got.num_rows
    assert ipc_table(dlio.parquet_get_rg(uri, 1)).equals(reader.read_row_group(1))  # the defaults


@pytest.mark.parametrize("cols", [None, [1], [1, 3]])
def test_parquet_get_rg_raw_is_exactly_the_column_chunks(dlio, pfile, cols):
    path, uri = pfile
    md = pq.read_metadata(path)
    with open(path, "rb") as f:
        whole = f.read()
    for rg in range(4):
        off, n = extent(md, rg, cols)
        for decode in ("raw", "none"):  # anything but "arrow" is raw
            got = check_bytes_view(dlio.parquet_get_rg(uri, rg, cols, decode=decode))
            assert got == whole[off:off + n]


def test_parquet_get_rg_errors(dlio, pfile, tmpdir_path):
    path, uri = pfile
    raises_runtime(lambda: dlio.parquet_get_rg(uri, 4), "rg_idx 4 out of range", path)
    with pytest.raises((OverflowError, IndexError)):  # s3dlio: OverflowError, mlstor: OutOfRangeError
        dlio.parquet_get_rg(uri, -1)
    raises_runtime(lambda: dlio.parquet_get_rg(uri, 0, [7], decode="raw"), "out of range")
    raises_runtime(lambda: dlio.parquet_get_rg(uri, 0, [], decode="raw"), "col_indices is empty")
    missing = f"{tmpdir_path}/missing.parquet"
    raises_runtime(lambda: dlio.parquet_get_rg(f"file://{missing}", 0), missing)
    with open(f"{tmpdir_path}/bad.parquet", "wb") as f:
        f.write(b"hello, not parquet at all")
    raises_runtime(lambda: dlio.parquet_get_rg(f"file://{tmpdir_path}/bad.parquet", 0), "not a valid Parquet file")
    with pytest.raises(TypeError):
        dlio.parquet_get_rg(uri, "0")


def test_row_offsets_and_footer_cache(dlio, pfile, tmpdir_path, table):
    path, uri = pfile
    assert dlio.parquet_rg_row_offsets(uri) == [0, 30, 60, 90, 100]
    n = dlio.parquet_cache_len()
    assert n >= 1
    pq.write_table(table.slice(0, 40), path, row_group_size=20, compression="none")  # rewritten
    assert dlio.parquet_rg_row_offsets(uri) == [0, 30, 60, 90, 100]  # still cached
    assert dlio.parquet_cache_invalidate(uri) is None and dlio.parquet_cache_len() == n - 1
    assert dlio.parquet_rg_row_offsets(uri) == [0, 20, 40]
    raises_runtime(lambda: dlio.parquet_rg_row_offsets(f"file://{tmpdir_path}/nope.parquet"), "nope.parquet")
    assert dlio.parquet_cache_clear() is None and dlio.parquet_cache_len() == 0


def test_footer_larger_than_footer_cap(dlio, pfile):
    _, uri = pfile
    if is_real(dlio):  # s3dlio refuses; mlstor fetches the rest of the footer with a second GET
        raises_runtime(lambda: dlio.parquet_get_rg(uri, 0, footer_cap=64), "footer_cap")
    else:
        assert ipc_table(dlio.parquet_get_rg(uri, 0, footer_cap=64)).num_rows == RG_ROWS


# ── PyParquetIndex ────────────────────────────────────────────────────────────

@pytest.mark.parametrize("cols", [None, [1, 3]])
def test_index_ranges_and_lookups(dlio, pfile, cols):
    path, uri = pfile
    md = pq.read_metadata(path)
    idx = dlio.PyParquetIndex(col_indices=cols, footer_cap=1 << 20)
    assert (len(idx), idx.file_count(), idx.is_indexed(uri), idx.file_rg_count(uri)) == (0, 0, False, None)
    assert idx.ensure_indexed([uri], epoch=1, batch_size=16) is None
    assert (len(idx), idx.file_count(), idx.is_indexed(uri), idx.file_rg_count(uri)) == (4, 1, True, 4)
    assert repr(idx).startswith("PyParquetIndex(files=1, rgs=4, col_indices=")
    for rg in range(4):
        assert idx.rg_range(uri, rg) == extent(md, rg, cols)
    starts = [0, 30, 60, 90]
    for s in range(-3, ROWS + 4):
        rg = max(0, bisect.bisect_right(starts, s) - 1)  # before the start: 0; past the end: the last
        assert idx.rg_for_sample(uri, s) == rg
        assert idx.rg_lookup(uri, s) == (rg, *extent(md, rg, cols))
    assert idx.ensure_indexed([uri]) is None and len(idx) == 4  # already indexed: nothing to do


def test_index_errors(dlio, pfile, tmpdir_path):
    _, uri = pfile
    idx = dlio.PyParquetIndex()
    other = f"file://{tmpdir_path}/never.parquet"
    raises_runtime(lambda: idx.rg_range(other, 0), "URI not indexed", other)
    raises_runtime(lambda: idx.rg_lookup(other, 0), "URI not indexed")
    raises_runtime(lambda: idx.rg_for_sample(other, 0), "URI not indexed")
    idx.ensure_indexed([uri])
    raises_runtime(lambda: idx.rg_range(uri, 4), "not in index")
    with pytest.raises(TypeError):
        idx.ensure_indexed(uri)  # a str is not a list of URIs
    missing = f"{tmpdir_path}/missing.parquet"
    idx2 = dlio.PyParquetIndex()
    raises_runtime(lambda: idx2.ensure_indexed([uri, f"file://{missing}"]), missing)
    assert idx2.is_indexed(uri) and idx2.file_count() == 1  # those before the failure are kept


def test_index_epochs(dlio, pfile):
    _, uri = pfile
    idx = dlio.PyParquetIndex()
    idx.ensure_indexed([uri], epoch=3)
    assert not idx.was_fetched(uri, 0, 1)  # indexing does not mark anything
    assert idx.was_fetched(uri, 0, 0)  # never fetched is epoch 0, and was_fetched is ">="
    assert idx.check_and_mark(uri, 0, 1) is False and idx.was_fetched(uri, 0, 1)
    assert idx.check_and_mark(uri, 0, 1) is True
    assert not idx.was_fetched(uri, 0, 2) and idx.check_and_mark(uri, 0, 2) is False
    assert idx.was_fetched(uri, 0, 1)  # epoch 2 >= 1
    assert idx.mark_fetched(uri, 1, 5) is None and idx.was_fetched(uri, 1, 5) and not idx.was_fetched(uri, 1, 6)
    assert idx.was_fetched(uri, 1, 4)
    # unknown row groups and URIs: never fetched, marking does nothing
    assert not idx.was_fetched(uri, 9, 1) and idx.mark_fetched(uri, 9, 1) is None
    assert idx.check_and_mark(uri, 9, 1) is False and idx.check_and_mark(uri, 9, 1) is False
    assert not idx.was_fetched("file:///nope", 0, 1) and idx.check_and_mark("file:///nope", 0, 1) is False
    assert idx.invalidate_uri(uri) is None and not idx.is_indexed(uri) and len(idx) == 0
    assert idx.invalidate_uri("file:///nope") is None
    idx.ensure_indexed([uri])
    assert not idx.was_fetched(uri, 0, 1)  # re-indexed: fresh epochs
    assert idx.clear() is None and (idx.file_count(), len(idx), idx.file_rg_count(uri)) == (0, 0, None)


def test_index_many_files_in_batches(dlio, tmpdir_path, table):
    uris = []
    for i in range(7):
        path = f"{tmpdir_path}/f{i}.parquet"
        pq.write_table(table.slice(0, 10 * (i + 1)), path, row_group_size=10, compression="none")
        uris.append(f"file://{path}")
    idx = dlio.PyParquetIndex()
    idx.ensure_indexed(uris[:3], epoch=1, batch_size=2)
    idx.ensure_indexed(uris, epoch=1, batch_size=3)
    assert [idx.file_rg_count(u) for u in uris] == list(range(1, 8)) and len(idx) == 28


# ── generate_npz_bytes ────────────────────────────────────────────────────────

@pytest.mark.parametrize("shape,dtype,n", [([4, 3, 2], "<f4", 5), ([6], "<f8", 1), ([2, 2], "|u1", 3),
                                           ([3, 2], "<i8", 0), ([], "<f4", 1), ([0, 3], "<f4", 1)])
def test_generate_npz_bytes(dlio, shape, dtype, n):
    bv = dlio.generate_npz_bytes(shape=shape, dtype=dtype, num_samples=n)  # DLIO's keyword form
    data = check_bytes_view(bv)
    z = np.load(io.BytesIO(data))
    assert z.files == ["x", "y"]
    assert z["x"].shape == tuple(shape) and z["x"].dtype == np.dtype(dtype)
    assert z["y"].shape == (n,) and z["y"].dtype == np.int64 and not z["y"].any()
    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert [(i.filename, i.compress_type) for i in infos] == [("x.npy", 0), ("y.npy", 0)]  # stored
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None  # CRCs are right


def test_generate_npz_defaults_and_errors(dlio):
    z = np.load(io.BytesIO(bytes(dlio.generate_npz_bytes([3]))))
    assert z["x"].dtype == np.float32 and z["y"].shape == (1,)
    with pytest.raises(OverflowError):
        dlio.generate_npz_bytes([2], "<f4", -1)
    with pytest.raises(OverflowError):
        dlio.generate_npz_bytes([-1])
    with pytest.raises(TypeError):
        dlio.generate_npz_bytes("abc")
    with pytest.raises(TypeError):
        dlio.generate_npz_bytes([2], 123)


@pytest.mark.parametrize("shape,dtype,n", [([4, 3, 2], "<f4", 5), ([2, 2], "|u1", 3), ([7], ">i4", 0)])
def test_npz_layout_is_s3dlios(shape, dtype, n):
    """Byte for byte the same archive, but for x's random data and its CRC."""
    real = bytes(real_s3dlio().generate_npz_bytes(shape, dtype, n))
    ours = bytes(mlstor_s3dlio().generate_npz_bytes(shape, dtype, n))
    assert len(real) == len(ours)
    x = zipfile.ZipFile(io.BytesIO(real)).getinfo("x.npy")
    data_end = 30 + len("x.npy") + x.file_size  # local header, name, npy header and data
    data_start = data_end - int(np.prod(shape)) * np.dtype(dtype).itemsize
    central_x = real.index(b"PK\x01\x02")
    crc_fields = set(range(14, 18)) | set(range(central_x + 16, central_x + 20))
    diff = [i for i in range(len(real)) if real[i] != ours[i] and not data_start <= i < data_end]
    assert set(diff) <= crc_fields


def test_npz_zip64():
    from mlstor.compat.s3dlio._generate import generate_npz_bytes
    data = bytes(generate_npz_bytes([5, 4], "<f4", 3, _force_zip64=True))
    zf = zipfile.ZipFile(io.BytesIO(data))
    assert zf.testzip() is None and all(i.extract_version == 45 for i in zf.infolist())
    z = np.load(io.BytesIO(data))
    assert z["x"].shape == (5, 4) and z["y"].shape == (3,)


# ── Parquet generation ────────────────────────────────────────────────────────

COLUMNS = [("t5", 3), ("ts", 1), ("clip", 7)]


def write_parquet(dlio, uri, columns, rows, groups):
    """s3dlio's streaming writer takes s3:// only; its whole-file twin writes the same file."""
    if is_real(dlio):
        return dlio.generate_and_write_parquet_schema(uri, columns, rows, groups)
    return dlio.generate_and_write_parquet_schema_streaming(uri, columns, rows, groups)


def test_generated_parquet_layout(dlio, tmpdir_path):
    path = f"{tmpdir_path}/gen.parquet"
    assert write_parquet(dlio, f"file://{path}", COLUMNS, 50, 4) is None
    pf = pq.ParquetFile(path)
    element = pa.field("element", pa.float32(), nullable=False)
    assert pf.schema_arrow == pa.schema([
        pa.field("t5", pa.list_(element, 3), nullable=False), pa.field("ts", pa.float32(), nullable=False),
        pa.field("clip", pa.list_(element, 7), nullable=False)])
    md = pf.metadata
    assert (md.num_row_groups, md.num_rows, md.format_version) == (4, 200, "1.0")
    assert list(md.metadata) == [b"ARROW:schema"]
    for rg in range(4):
        assert md.row_group(rg).num_rows == 50
        for c in range(3):
            col = md.row_group(rg).column(c)
            assert (col.compression, col.is_stats_set, col.has_dictionary_page) == ("UNCOMPRESSED", False, False)
    flat = pf.read().column("clip").combine_chunks().flatten()
    assert len(flat) == 50 * 4 * 7
    # read back through the module's own row-group reader
    got = ipc_table(dlio.parquet_get_rg(f"file://{path}", 2, [1]))
    want = pf.read_row_group(2, columns=["ts"])
    assert np.array_equal(np.asarray(got.column(0)).view(np.uint32), np.asarray(want.column(0)).view(np.uint32))


def test_streaming_generation_needs_s3_in_s3dlio(dlio, tmpdir_path):
    uri = f"file://{tmpdir_path}/stream.parquet"
    if is_real(dlio):
        raises_runtime(lambda: dlio.generate_and_write_parquet_schema_streaming(uri, COLUMNS, 5, 2), "s3://")
    else:
        dlio.generate_and_write_parquet_schema_streaming(uri, COLUMNS, 5, 2)
        assert pq.read_metadata(f"{tmpdir_path}/stream.parquet").num_rows == 10


def test_streaming_generation_edges_and_failures(tmpdir_path):
    gen = mlstor_s3dlio().generate_and_write_parquet_schema_streaming
    gen(f"file://{tmpdir_path}/empty.parquet", COLUMNS, 5, 0)
    assert pq.read_metadata(f"{tmpdir_path}/empty.parquet").num_row_groups == 0
    with pytest.raises(OverflowError):
        gen(f"file://{tmpdir_path}/bad.parquet", [("a", -1)], 5, 2)
    with pytest.raises(TypeError):
        gen(f"file://{tmpdir_path}/bad.parquet", [("a", "wide")], 5, 2)
    assert not os.path.exists(f"{tmpdir_path}/bad.parquet")


# ── PyDataset / PyBytesAsyncDataLoader ────────────────────────────────────────

@pytest.fixture
def objects(tmpdir_path):
    """{uri: bytes} for files under <tmp>/ds/, one of them nested."""
    os.makedirs(f"{tmpdir_path}/ds/sub")
    out = {}
    for name, n in [("f0.bin", 1), ("f1.bin", 11), ("f2.bin", 21), ("sub/n.bin", 3)]:
        data = os.urandom(n)
        with open(f"{tmpdir_path}/ds/{name}", "wb") as f:
            f.write(data)
        out[f"file://{tmpdir_path}/ds/{name}"] = data
    return out


def test_dataset_from_prefix(dlio, objects, tmpdir_path):
    prefix = f"file://{tmpdir_path}/ds/"
    for uri in (prefix, prefix.rstrip("/")):
        ds = dlio.PyDataset(uri)
        assert len(ds) == 4 and ds.keys() == ["f0.bin", "f1.bin", "f2.bin", "sub/n.bin"]
        assert ds.uris() == sorted(objects)
    one = dlio.PyDataset(prefix + "f1.bin")
    assert (one.keys(), one.uris()) == (["f1.bin"], [prefix + "f1.bin"])
    assert dlio.PyDataset(prefix + "sub", {"reader_mode": "sequential"}).keys() == ["n.bin"]
    raises_runtime(lambda: dlio.PyDataset(f"file://{tmpdir_path}/nope/"), f"{tmpdir_path}/nope")


def test_dataset_from_uris_and_get_item(dlio, objects, tmpdir_path):
    uris = sorted(objects)[::-1] + [sorted(objects)[0]]
    ds = dlio.PyDataset.from_uris(uris, opts={"ignored": 1})
    assert len(ds) == 5 and ds.keys() == uris and ds.uris() == uris

    async def main():
        got = [await ds.get_item(i) for i in range(len(ds))]
        assert [check_bytes_view(b) for b in got] == [objects[u] for u in uris]
        with pytest.raises(RuntimeError, match="(?i)index.*out of"):
            await ds.get_item(5)
        missing = f"{tmpdir_path}/missing.bin"
        with pytest.raises(RuntimeError, match=missing):
            await dlio.PyDataset.from_uris([f"file://{missing}"]).get_item(0)

    asyncio.run(main())
    raises_runtime(lambda: ds.get_item(0), "no running event loop")
    raises_runtime(lambda: dlio.PyDataset.from_uris([]), "non-empty")
    with pytest.raises(TypeError):
        dlio.PyDataset.from_uris(uris[0])


@pytest.mark.parametrize("opts", [None, {"prefetch": 2}, {"prefetch": 64, "skip_head": True}])
def test_loader_yields_every_object(dlio, objects, opts):
    uris = sorted(objects) * 2
    loader = dlio.PyBytesAsyncDataLoader(dlio.PyDataset.from_uris(uris), opts)
    for _ in range(2):  # each iteration reads the dataset again
        got = [check_bytes_view(b) for b in loader]
        assert sorted(got) == sorted(objects[u] for u in uris)  # completion order in s3dlio
    items = list(loader.items())
    assert sorted((i.uri, bytes(i)) for i in items) == sorted((u, objects[u]) for u in uris)
    for i in items:
        assert len(i) == i.byte_count == len(objects[i.uri]) and check_bytes_view(i.data) == objects[i.uri]
        assert repr(i) == f'PyObjectItem(uri="{i.uri}", byte_count={i.byte_count})'


def test_loader_collect_batch(dlio, objects):
    uris = sorted(objects)
    it = dlio.PyBytesAsyncDataLoader(dlio.PyDataset.from_uris(uris), {"prefetch": 3}).items()
    assert it.collect_batch(0) == []
    first = it.collect_batch(3)
    rest = it.collect_batch(10)
    assert (len(first), len(rest)) == (3, 1) and it.collect_batch(5) == []
    assert sorted(i.uri for i in first + rest) == uris


def test_loader_items_of_a_prefix_carry_keys(dlio, objects, tmpdir_path):
    ds = dlio.PyDataset(f"file://{tmpdir_path}/ds/")
    got = sorted(i.uri for i in dlio.PyBytesAsyncDataLoader(ds, {"prefetch": 4}).items())
    assert got == ["f0.bin", "f1.bin", "f2.bin", "sub/n.bin"]


def test_loader_errors(dlio, objects, tmpdir_path):
    missing = f"{tmpdir_path}/missing.bin"
    ds = dlio.PyDataset.from_uris([sorted(objects)[0], f"file://{missing}"])
    raises_runtime(lambda: list(dlio.PyBytesAsyncDataLoader(ds)), missing)
    raises_runtime(lambda: list(dlio.PyBytesAsyncDataLoader(ds).items()), missing)
    raises_runtime(lambda: dlio.PyBytesAsyncDataLoader(ds, {"prefetch": 2}).items().collect_batch(5), missing)
    with pytest.raises(TypeError):
        dlio.PyBytesAsyncDataLoader(sorted(objects))


# ── DLIO 3.0.2's call sequences ───────────────────────────────────────────────

def test_dlio_parquet_reader_flow(dlio, tmpdir_path, table):
    """reader/parquet_reader_s3dlio{,_arrow}.py: index, bisect tables by probing rg_lookup,
    then row groups fetched from a thread pool with parquet_get_rg / get_range."""
    uris = []
    for i in range(3):
        path = f"{tmpdir_path}/train_{i}.parquet"
        pq.write_table(table, path, row_group_size=RG_ROWS, compression="none")
        uris.append(f"file://{path}")
    idx = dlio.PyParquetIndex(col_indices=None, footer_cap=4 * 1024 * 1024)
    idx.ensure_indexed(uris, epoch=1, batch_size=16)
    for uri in uris:
        num_rgs = idx.file_rg_count(uri) or 0
        rows_per_rg_est = ROWS // num_rgs
        probe_rg, _, _ = idx.rg_lookup(uri, rows_per_rg_est)
        boundaries = [0] * num_rgs
        for rg_i in range(1, num_rgs):
            lo, hi = (rg_i - 1) * rows_per_rg_est, min(ROWS - 1, (rg_i + 1) * rows_per_rg_est)
            while lo < hi:
                mid = (lo + hi) // 2
                got, _, _ = idx.rg_lookup(uri, mid)
                lo, hi = (mid + 1, hi) if got < rg_i else (lo, mid)
            boundaries[rg_i] = lo
        assert (probe_rg, boundaries) == (0, [0, 30, 60, 90])
        _, raw_len = idx.rg_range(uri, 0)
        assert raw_len > 0
    plan = [(u, rg) for u in uris for rg in range(idx.file_rg_count(u))]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(dlio.parquet_get_rg, u, rg, None, 4 * 1024 * 1024, "arrow") for u, rg in plan]
        rows = [pa.ipc.open_stream(pa.py_buffer(bytes(f.result()))).read_next_batch().num_rows for f in futures]
    assert rows == [30, 30, 30, 10] * 3
    # epoch 2: nothing new to fetch
    idx.ensure_indexed(uris, epoch=2, batch_size=16)
    assert idx.file_count() == 3


def test_dlio_npz_generator_flow(dlio, tmpdir_path):
    """data_generator/npz_generator.py: generate_npz_bytes(shape=, dtype=, num_samples=), then
    written to a local file or handed to put/multipart as a buffer."""
    shape, num_samples = [8, 8, 4], 4
    view = dlio.generate_npz_bytes(shape=shape, dtype=np.dtype(np.float32).str, num_samples=num_samples)
    with open(f"{tmpdir_path}/img.npz", "wb") as f:
        f.write(view)
    remote = f"memory://npz-flow-{os.getpid()}/img.npz"
    mlstor.put(remote, view)
    with open(f"{tmpdir_path}/img.npz", "rb") as f:
        local = f.read()
    assert local == bytes(mlstor.get(remote)) == bytes(view)
    z = np.load(io.BytesIO(local))
    assert z["x"].shape == (8, 8, 4) and z["y"].shape == (4,)
    mlstor.delete(remote)


def test_dlio_sliding_window_flow(dlio, objects):
    """reader/_s3_iterable_mixin.py: from_uris, loader with prefetch/skip_head, items() drained
    with collect_batch until an empty list."""
    uris = sorted(objects)
    uri_to_key = {u: u.rsplit("/", 1)[-1] for u in uris}
    loader = dlio.PyBytesAsyncDataLoader(dlio.PyDataset.from_uris(uris), {"prefetch": 64, "skip_head": True})
    item_iter = loader.items()
    seen = {}
    while batch := item_iter.collect_batch(2):
        for item in batch:
            seen[uri_to_key.get(item.uri, item.uri)] = len(item)
    assert seen == {uri_to_key[u]: len(objects[u]) for u in uris}


# ── mlstor's version over every backend ───────────────────────────────────────

def test_every_backend(root, table):
    """The mlstor implementation through mlstor URIs only: file, direct, memory and the clouds."""
    m = mlstor_s3dlio()
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, row_group_size=RG_ROWS, compression="snappy")
    data = sink.getvalue()
    uri = root + "t.parquet"
    mlstor.put(uri, data)
    md = pq.read_metadata(pa.BufferReader(data))
    idx = m.PyParquetIndex(col_indices=[0, 2])
    idx.ensure_indexed([uri])
    assert [idx.rg_range(uri, rg) for rg in range(4)] == [extent(md, rg, [0, 2]) for rg in range(4)]
    reader = pq.ParquetFile(pa.BufferReader(data)).reader
    for rg in range(4):
        want = reader.read_row_group(rg, column_indices=[0, 2])
        assert ipc_table(m.parquet_get_rg(uri, rg, [0, 2])).equals(want)
        off, n = extent(md, rg)
        raw = m.parquet_get_rg(uri, rg, decode="raw")
        assert isinstance(raw, mlstor.Buffer) and raw == data.to_pybytes()[off:off + n]
    m.parquet_cache_invalidate(uri)

    gen = root + "gen.parquet"
    m.generate_and_write_parquet_schema_streaming(gen, COLUMNS, 20, 3)
    assert pq.read_metadata(pa.BufferReader(mlstor.get(gen))).num_rows == 60
    assert ipc_table(m.parquet_get_rg(gen, 2)).num_rows == 20
    m.parquet_cache_invalidate(gen)

    mlstor.put(root + "x.npz", m.generate_npz_bytes([16, 16], "<f4", 2))
    assert np.load(io.BytesIO(bytes(mlstor.get(root + "x.npz"))))["x"].shape == (16, 16)

    ds = m.PyDataset(root)
    assert ds.keys() == ["gen.parquet", "t.parquet", "x.npz"]
    by_uri = {i.uri: len(i) for i in m.PyBytesAsyncDataLoader(ds, {"prefetch": 8}).items()}
    assert by_uri == {k: mlstor.stat(root + k).size for k in ds.keys()}
    assert sorted(len(b) for b in m.PyBytesAsyncDataLoader(m.PyDataset.from_uris(ds.uris()))) == \
        sorted(by_uri.values())


def test_index_is_thread_safe():
    """check_and_mark from many threads: each (uri, rg) is claimed exactly once per epoch."""
    m = mlstor_s3dlio()
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table({"a": np.arange(1000)}), sink, row_group_size=10)
    uri = f"memory://idx-threads-{os.getpid()}/t.parquet"
    mlstor.put(uri, sink.getvalue())
    idx = m.PyParquetIndex()
    idx.ensure_indexed([uri])
    claimed, lock = [], threading.Lock()

    def worker():
        for rg in range(100):
            if not idx.check_and_mark(uri, rg, 1):
                with lock:
                    claimed.append(rg)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == list(range(100))
    mlstor.delete(uri)
