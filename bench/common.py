"""Helpers shared by the bench/*.py scripts (not a script itself).

The scripts put their own directory first on sys.path and `from common import ...`, so
`python bench/x.py` works from any working directory (and so do their child processes).
"""
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1 << 20
GIB = 1 << 30


# ----------------------------------------------------------------------------- CPU time
def rusage_self():
    """user + sys CPU seconds of this process (all its threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rusage_children():
    """user + sys CPU seconds of this process's waited-for children."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ----------------------------------------------------------------------------- the mlstor binary
def mlstor_bin():
    """$MLSTOR_BIN, else <repo>/target/release/mlstor."""
    return os.environ.get("MLSTOR_BIN") or os.path.join(ROOT, "target", "release", "mlstor")


def is_executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def obj_name(i):
    """The name mlstor bench gives object i under its prefix."""
    return f"obj-{i:06d}"


# ----------------------------------------------------------------------------- harness
def start_watchdog(timeout):
    """After `timeout` seconds print "watchdog timeout" and exit 3 at once."""
    signal.signal(signal.SIGALRM, lambda *_: (print("watchdog timeout", flush=True), os._exit(3)))
    signal.alarm(timeout)


def prewarm_ram(gib, timeout, hugepages=False):
    """Touch `gib` GiB of RAM once in a throw-away child (first touch of never-used guest RAM is
    slow on VMs and would otherwise land on whichever contender allocates first).  With
    hugepages, the mappings ask for transparent huge pages (MADV_HUGEPAGE).  -> seconds taken."""
    t0 = time.perf_counter()
    code = ("import mmap\n"
            f"n = {int(gib * GIB)}; step = 1 << 30\n"
            "keep = []; blk = b'\\1' * (1 << 24)\n"
            "while n > 0:\n"
            "    m = mmap.mmap(-1, min(step, n)); keep.append(m); n -= len(m)\n"
            + ("    if hasattr(m, 'madvise') and hasattr(mmap, 'MADV_HUGEPAGE'): m.madvise(mmap.MADV_HUGEPAGE)\n"
               if hugepages else "")
            + "    for off in range(0, len(m), len(blk)): m[off:off + len(blk)] = blk[:len(m) - off]\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=timeout)
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------- child processes
def run_timed(cmd, timeout, env=None, stdout=subprocess.PIPE, preexec_fn=None):
    """Run cmd -> (CompletedProcess, wall seconds, getrusage(RUSAGE_CHILDREN) CPU delta)."""
    c0, t0 = rusage_children(), time.perf_counter()
    p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout, env=env,
                       preexec_fn=preexec_fn)
    return p, time.perf_counter() - t0, rusage_children() - c0


def check_rc(p, what=""):
    """RuntimeError "<what>rc=N: <stderr tail>" unless p exited 0."""
    if p.returncode != 0:
        raise RuntimeError(f"{what}rc={p.returncode}: {p.stderr.decode(errors='replace')[-400:]}")


def parse_json_line(out, show_tail=False):
    """The last line of stdout bytes `out` that starts with "{", parsed; ValueError if none
    (with the last 300 characters of stdout in the message when show_tail)."""
    text = out.decode(errors="replace")
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON object on stdout" + (": " + text[-300:] if show_tail else ""))


def mlstor_json(p, what=""):
    """The JSON line of an mlstor run that exited 0; RuntimeError with both output tails if none."""
    try:
        return parse_json_line(p.stdout)
    except ValueError:
        raise RuntimeError(f"{what}no JSON on stdout (rc=0); stdout {p.stdout.decode(errors='replace')[-200:]!r} "
                           f"stderr {p.stderr.decode(errors='replace')[-200:]!r}") from None


# ----------------------------------------------------------------------------- repeats and summary
def measure(key, fn, results, errors, ok_line, error_line):
    """One round-robin measurement: r = fn() goes to results[key] and ok_line(r) is printed; an
    exception stops key for the later repeats (errors[key] = "Type: message", error_line(it)
    printed).  A key that already failed is skipped."""
    if key in errors:
        return
    try:
        r = fn()
        results[key].append(r)
        print(ok_line(r), flush=True)
    except Exception as e:  # noqa: BLE001
        errors[key] = f"{type(e).__name__}: {str(e)[:300]}"
        print(error_line(errors[key]), flush=True)


def gbps_stats(runs):
    """median / min / max of the runs' "gbps"."""
    g = [r["gbps"] for r in runs]
    return {"median_gbps": statistics.median(g), "min_gbps": min(g), "max_gbps": max(g)}


def print_table_header(*cols):
    """A markdown table's header and separator lines."""
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))


def ratio_goal(goals, label, num, den, target, num_name, den_name, nd, extra=""):
    """Print and record (in goals) the goal num / den >= target; n/a when one side is missing.
    nd = decimals of the GB/s figures."""
    if num is None or den is None:
        missing = num_name if num is None else den_name
        line = f"{label}: n/a ({missing} not measured)  goal >= {target}"
        verdict = None
    else:
        ratio = num / den
        verdict = ratio >= target
        line = (f"{label}: {ratio:.2f}x ({num:.{nd}f} / {den:.{nd}f} GB/s)  goal >= {target}  "
                f"{'PASS' if verdict else 'MISS'}{extra}")
    print(line)
    goals.append({"goal": label, "target": target, "line": line, "pass": verdict})
