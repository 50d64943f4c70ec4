"""mlstor.generate / Generator: the bytes of the Rust crate mlstor-datagen."""
import os
import subprocess

import numpy as np
import pytest

import mlstor
from conftest import IN_CI

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def mlstor_bin():
    for p in (os.environ.get("MLSTOR_BIN"), f"{ROOT}/target/debug/mlstor", f"{ROOT}/target/release/mlstor"):
        if p and os.access(p, os.X_OK):
            return p
    msg = "the mlstor binary is not built (cargo build -p mlstor); it is the reference for the bytes"
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.mark.parametrize("dedup,compress,seed,object_id", [(1, 1, None, 0), (2, 3, 42, 7), (1.5, 4, 9, 0)])
def test_same_bytes_as_the_rust_crate(tmpdir_path, dedup, compress, seed, object_id):
    size = (3 << 20) + 4097
    args = [mlstor_bin(), "datagen", "--size", str(size), "--dedup", str(dedup), "--compress", str(compress),
            "--object-id", str(object_id), "--out", f"file://{tmpdir_path}/gen.bin"]
    if seed is not None:
        args += ["--seed", str(seed)]
    subprocess.run(args, check=True, capture_output=True, timeout=120)
    with open(f"{tmpdir_path}/gen.bin", "rb") as f:
        expected = f.read()
    kw = {} if seed is None else {"seed": seed}
    got = mlstor.generate(size, dedup=dedup, compress=compress, object_id=object_id, threads=2, **kw)
    assert len(got) == size and got == expected


def test_generator_streams_the_same_bytes():
    size = (5 << 20) + 17
    whole = mlstor.generate(size, dedup=2, compress=2, seed=5)
    g = mlstor.Generator(size, dedup=2, compress=2, seed=5, threads=2)
    out = np.empty(size, dtype=np.uint8)
    buf = bytearray(1 << 20 | 3)  # not block-aligned: chunks straddle blocks
    pos = 0
    while True:
        n = g.fill_chunk(buf)
        if n == 0:
            break
        out[pos:pos + n] = np.frombuffer(buf, np.uint8, n)
        pos += n
    assert pos == size and g.is_complete() and out.tobytes() == whole
    g.reset()
    assert g.position == 0 and bytes(g.next_chunk()) == bytes(whole[: g.chunk_size])


def test_ratios_and_determinism():
    a = mlstor.generate(4 << 20, seed=1)
    assert a == mlstor.generate(4 << 20, seed=1) and a != mlstor.generate(4 << 20, seed=2)
    d = np.frombuffer(mlstor.generate(4 << 20, dedup=4, seed=1), np.uint8).reshape(4, 1 << 20)
    assert len({row.tobytes() for row in d}) == 1  # one unique 1 MiB block in four
    import zlib
    c = bytes(mlstor.generate(4 << 20, compress=4, seed=1))
    assert 3.0 < len(c) / len(zlib.compress(c, 1)) < 5.0


def test_bad_parameters():
    with pytest.raises(ValueError, match="dedup"):
        mlstor.generate(10, dedup=0.5)
    with pytest.raises(ValueError, match="compress"):
        mlstor.Generator(10, compress=1000)
