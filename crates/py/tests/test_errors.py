"""Exceptions: classes per kind, URI and cause chain, pickling, no secrets in messages."""
import os
import pickle

import pytest

import mlstor
from conftest import need_servers


def test_classes_and_builtins():
    assert issubclass(mlstor.NotFoundError, FileNotFoundError)
    assert issubclass(mlstor.PermissionError, PermissionError)
    assert issubclass(mlstor.InvalidUriError, ValueError)
    for c in (mlstor.NotFoundError, mlstor.PermissionError, mlstor.RangeError, mlstor.TransientError):
        assert issubclass(c, mlstor.StorageError) and issubclass(c, OSError)


def test_pickles_with_uri_and_causes():
    try:
        mlstor.get("memory://err/missing")
    except mlstor.NotFoundError as e:
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is mlstor.NotFoundError and back.uri == e.uri and str(back) == str(e)


def test_cause_chain_from_a_local_file(tmpdir_path):
    with pytest.raises(mlstor.NotFoundError) as e:
        mlstor.get(f"file://{tmpdir_path}/nope.bin")
    assert e.value.causes and "No such file" in str(e.value), str(e.value)
    assert str(e.value).endswith(e.value.causes[-1])


def test_wrong_credentials_are_a_permission_error_without_the_secret():
    need_servers()
    secret = "definitely-wrong-secret-4711"
    s = mlstor.Store(f"s3://{os.environ['MLSTOR_TEST_BUCKET']}", access_key_id="mlstoraccess",
                     secret_access_key=secret, max_attempts=1)
    with pytest.raises(mlstor.PermissionError) as e:
        s.get("anything")
    text = str(e.value) + repr(e.value) + repr(s)
    assert "s3://" in text and secret not in text
    assert "127.0.0.1" in str(e.value)  # names the endpoint


def test_unreachable_endpoint_is_transient_after_retries():
    s = mlstor.Store("s3://b", endpoint="http://127.0.0.1:9", access_key_id="a", secret_access_key="b",
                     max_attempts=2, initial_backoff=0.01, connect_timeout=1, env=False)
    with pytest.raises(mlstor.TransientError) as e:
        s.get("k")
    assert "2 attempt" in str(e.value) and e.value.uri == "s3://b/k"
