"""s3dlio's ``generate_npz_bytes``: an ``.npz`` archive (what ``numpy.savez(f, x=..., y=...)``
writes, uncompressed) built in one buffer, ``x`` filled in place by mlstor's data generator."""
import io
import operator
import struct
import zlib

import numpy as np
from numpy.lib import format as npformat

import mlstor

from ._parquet import OwnedBytes

__all__ = ["generate_npz_bytes"]

_LOCAL = struct.Struct("<4sHHHHHIIIHH")             # local file header, 30 bytes
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")     # central directory entry, 46 bytes
_EOCD = struct.Struct("<4sHHHHIIH")                 # end of central directory, 22 bytes
_ZIP64_EXTRA = struct.Struct("<HHQQ")               # sizes in a local header, 20 bytes
_ZIP64_CD_EXTRA = struct.Struct("<HHQQQ")           # sizes and offset in a central entry, 28 bytes
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")         # zip64 end of central directory, 56 bytes
_ZIP64_LOCATOR = struct.Struct("<4sIQI")            # its locator, 20 bytes
_MAX32 = 0xFFFFFFFF


def _npy_header(descr, shape):
    out = io.BytesIO()
    npformat.write_array_header_1_0(out, {"descr": descr, "fortran_order": False, "shape": shape})
    return out.getvalue()


def generate_npz_bytes(shape, dtype="<f4", num_samples=1, *, _force_zip64=False):
    """An uncompressed ``.npz`` holding ``x`` (``shape``, ``dtype``, random bytes) and ``y``
    (``num_samples`` int64 zeros), as a buffer (``OwnedBytes``) that ``numpy.load`` reads.
    Laid out as s3dlio's (same headers, members and order); ZIP64 past 4 GiB."""
    if isinstance(shape, (str, bytes)):
        raise TypeError("shape must be a sequence of ints")
    shape = tuple(operator.index(d) for d in shape)
    num_samples = operator.index(num_samples)
    if any(d < 0 for d in shape) or num_samples < 0:
        raise OverflowError("shape and num_samples must not be negative")
    if not isinstance(dtype, str):
        raise TypeError(f"dtype must be a str, not {type(dtype).__name__}")
    dt = np.dtype(dtype)
    x_hdr = _npy_header(npformat.dtype_to_descr(dt), shape)
    y_hdr = _npy_header("<i8", (num_samples,))
    x_data = int(np.prod(shape, dtype=np.uint64)) * dt.itemsize
    members = [(b"x.npy", x_hdr, x_data), (b"y.npy", y_hdr, 8 * num_samples)]

    sizes = [len(h) + n for _, h, n in members]
    zip64 = _force_zip64 or sum(sizes) + 200 > _MAX32
    local_extra = _ZIP64_EXTRA.size if zip64 else 0
    offsets, pos = [], 0
    for (name, _, _), size in zip(members, sizes):
        offsets.append(pos)
        pos += _LOCAL.size + len(name) + local_extra + size
    cd_start = pos
    cd_extra = _ZIP64_CD_EXTRA.size if zip64 else 0
    cd_size = sum(_CENTRAL.size + len(name) + cd_extra for name, _, _ in members)
    tail = (_ZIP64_EOCD.size + _ZIP64_LOCATOR.size if zip64 else 0) + _EOCD.size
    out = OwnedBytes(cd_start + cd_size + tail)  # zeroed: y's data and unused fields
    view = memoryview(out)

    crcs = []
    for (name, hdr, nbytes), off, size in zip(members, offsets, sizes):
        data = off + _LOCAL.size + len(name) + local_extra
        view[data:data + len(hdr)] = hdr
        body = view[data + len(hdr):data + size]
        if name == b"x.npy" and nbytes:
            gen = mlstor.Generator(nbytes)
            while gen.fill_chunk(body[gen.position:]):
                pass
        crc = zlib.crc32(view[data:data + size])
        crcs.append(crc)
        small = _MAX32 if zip64 else size
        _LOCAL.pack_into(out, off, b"PK\x03\x04", 45 if zip64 else 20, 0, 0, 0, 0, crc, small, small,
                         len(name), local_extra)
        view[off + _LOCAL.size:off + _LOCAL.size + len(name)] = name
        if zip64:
            _ZIP64_EXTRA.pack_into(out, off + _LOCAL.size + len(name), 1, 16, size, size)

    pos = cd_start
    for (name, _, _), off, size, crc in zip(members, offsets, sizes, crcs):
        version = 45 if zip64 else 20
        small, small_off = (_MAX32, _MAX32) if zip64 else (size, off)
        _CENTRAL.pack_into(out, pos, b"PK\x01\x02", version, version, 0, 0, 0, 0, crc, small, small,
                           len(name), cd_extra, 0, 0, 0, 0, small_off)
        view[pos + _CENTRAL.size:pos + _CENTRAL.size + len(name)] = name
        if zip64:
            _ZIP64_CD_EXTRA.pack_into(out, pos + _CENTRAL.size + len(name), 1, 24, size, size, off)
        pos += _CENTRAL.size + len(name) + cd_extra

    n = len(members)
    if zip64:
        _ZIP64_EOCD.pack_into(out, pos, b"PK\x06\x06", _ZIP64_EOCD.size - 12, 45, 45, 0, 0, n, n,
                              cd_size, cd_start)
        _ZIP64_LOCATOR.pack_into(out, pos + _ZIP64_EOCD.size, b"PK\x06\x07", 0, pos, 1)
        pos += _ZIP64_EOCD.size + _ZIP64_LOCATOR.size
        _EOCD.pack_into(out, pos, b"PK\x05\x06", 0, 0, n, n, _MAX32, _MAX32, 0)
    else:
        _EOCD.pack_into(out, pos, b"PK\x05\x06", 0, 0, n, n, cd_size, cd_start, 0)
    return out
