"""The bridge every blocking call goes through: its fixed cost per call, and Ctrl-C (any
Python signal handler) interrupting a long call."""
import signal
import time

import pytest

import mlstor


def test_a_small_call_costs_far_less_than_a_millisecond():
    # A timer due at once used to be armed on every call; tokio fires such timers on its next
    # millisecond tick, so every call took >= 1 ms (sequential 128 KiB reads at ~0.1 GB/s).
    uri = "memory://calls/x"
    mlstor.put(uri, b"x" * 4096)
    for _ in range(20):
        mlstor.get(uri)  # warm up the runtime and the store cache
    n = 300
    t0 = time.perf_counter()
    for _ in range(n):
        mlstor.get(uri)
    per_call = (time.perf_counter() - t0) / n
    assert per_call < 500e-6, f"{per_call * 1e6:.0f} us per get of a 4 KiB memory:// object"


class Interrupted(Exception):
    pass


def test_a_signal_handler_interrupts_a_long_call():
    # A store whose endpoint refuses connections, retried for ~4-8 s: the call is long without
    # moving any data.
    s = mlstor.Store("s3://nobucket", endpoint="http://127.0.0.1:9", region="us-east-1", access_key_id="k",
                     secret_access_key="s", allow_http=True, env=False, max_attempts=40, initial_backoff=0.2,
                     max_backoff=0.2, connect_timeout=1.0)

    def on_alarm(signum, frame):
        raise Interrupted()

    old = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        t0 = time.perf_counter()
        with pytest.raises(Interrupted):
            s.get("k")
        took = time.perf_counter() - t0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    # The handler runs at the bridge's next 100 ms check, long before the retries end.
    assert took < 1.5, f"the call returned {took:.2f} s after the start (signal at 0.3 s)"
