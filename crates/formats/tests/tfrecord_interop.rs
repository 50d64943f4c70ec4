//! An independent reader checks mlstor's TFRecord files: a pure-Python CRC-32C checks every
//! record's framing, DALI's `tfrecord2idx` algorithm rebuilt in Python must give mlstor's
//! index byte for byte, and the `image` payloads must be the samples written. Needs
//! `MLSTOR_TEST_PYTHON` (scripts/test.sh sets it); skipped without it, except in CI.
use std::process::Command;

use mlstor_formats::tfrecord;

#[test]
fn python_checks_framing_crcs_and_dali_index() {
    let py = match std::env::var("MLSTOR_TEST_PYTHON") {
        Ok(p) => p,
        Err(_) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("MLSTOR_TEST_PYTHON is not set (CI=true)")
        }
        Err(_) => return eprintln!("SKIPPED: MLSTOR_TEST_PYTHON is not set; scripts/test.sh sets it"),
    };
    let d = tempfile::tempdir().expect("tempdir");
    let samples: Vec<Vec<u8>> = (0..5u8).map(|i| vec![i; 1000 + i as usize * 333]).collect();
    let mut file = Vec::new();
    for s in &samples {
        tfrecord::write_record(&mut file, &tfrecord::example(s, 181));
    }
    std::fs::write(d.path().join("f.tfrecord"), &file).expect("write");
    std::fs::write(
        d.path().join("f.tfrecord.idx"),
        tfrecord::index(&file).expect("index"),
    )
    .expect("write");
    let script = r#"
import struct, sys
d = sys.argv[1]
T = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
def masked(b):
    c = crc32c(b)
    return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xFFFFFFFF
def varint(b, i):
    v = s = 0
    while True:
        x = b[i]; i += 1; v |= (x & 0x7f) << s; s += 7
        if x < 0x80: return v, i
def fields(b):
    i, out = 0, []
    while i < len(b):
        tag, i = varint(b, i)
        assert tag & 7 == 2, tag
        n, i = varint(b, i)
        out.append((tag >> 3, b[i:i+n])); i += n
    return out
data = open(d + "/f.tfrecord", "rb").read()
idx, images, pos = [], [], 0
with open(d + "/f.tfrecord", "rb") as f:   # DALI tfrecord2idx
    while True:
        current = f.tell()
        byte_len = f.read(8)
        if len(byte_len) == 0: break
        f.read(4)
        proto_len = struct.unpack("q", byte_len)[0]
        f.read(proto_len); f.read(4)
        idx.append("%d %d\n" % (current, f.tell() - current))
while pos < len(data):
    ln = data[pos:pos+8]; (n,) = struct.unpack("<Q", ln)
    assert struct.unpack("<I", data[pos+8:pos+12])[0] == masked(ln), "length crc"
    payload = data[pos+12:pos+12+n]
    assert struct.unpack("<I", data[pos+12+n:pos+16+n])[0] == masked(payload), "payload crc"
    feats = {}
    for num, body in fields(payload):
        for num2, entry in fields(body):
            e = dict(fields(entry))
            feats[e[1].decode()] = e[2]
    (kind, lst), = fields(feats["image"])
    assert kind == 1
    images.append(dict(fields(lst))[1])
    pos += 16 + n
assert "".join(idx) == open(d + "/f.tfrecord.idx").read(), "index differs from tfrecord2idx"
print(",".join("%d:%d" % (img[0] if img else -1, len(img)) for img in images))
"#;
    let out = Command::new(&py)
        .arg("-c")
        .arg(script)
        .arg(d.path())
        .output()
        .expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let want: Vec<String> = samples.iter().map(|s| format!("{}:{}", s[0], s.len())).collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want.join(","));
}
