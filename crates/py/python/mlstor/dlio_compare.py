"""The same DLIO workload once per storage library, side by side (``mlstor compare --dlio``).

``python -m mlstor.dlio_compare WORKLOAD [--libraries s3dlio,s3torchconnector,minio,mlstor]
[--repeat N] [--np N] [--json FILE] [--no-generate] [DLIO overrides...]``

WORKLOAD is a DLIO workload YAML file or the name of one DLIO ships. The dataset is generated
once (through mlstor, unless ``--no-generate``), then DLIO trains on it once per library and
repeat, the libraries taking turns (the order rotates each repeat): ``s3dlio``,
``s3torchconnector`` and ``minio`` are the real packages (plain DLIO with
``storage_library`` set), ``mlstor`` is DLIO through ``python -m mlstor.dlio``. Reported per
library: the samples DLIO stepped through per second of epoch time, DLIO's own samples/s and
I/O MB/s (summary.json), AU, epoch time, wall time and the client CPU of the whole DLIO process
tree (user+sys, from the kernel; DLIO's start-up is in it), per GB read; the verdict compares the
first with the best other library's. A run that fails is reported as failed, never
ranked.
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

KNOWN = ("s3dlio", "s3torchconnector", "minio", "mlstor")
_KEY = "++workload.storage.storage_options.storage_library"


def _config_dir(workload, tmp):
    """(config folder, workload name) for DLIO: a YAML file is copied into a fresh folder."""
    conf = os.path.join(tmp, "conf")
    os.makedirs(os.path.join(conf, "workload"))
    if os.path.isfile(workload):
        name = os.path.splitext(os.path.basename(workload))[0]
        shutil.copyfile(workload, os.path.join(conf, "workload", name + ".yaml"))
    else:
        name = workload
    with open(os.path.join(conf, "config.yaml"), "w", encoding="utf-8") as f:
        f.write("defaults:\n  - _self_\n  - workload: " + name + "\n"
                "  - override hydra/job_logging: disabled\n"
                "  - override hydra/hydra_logging: disabled\n")
    # a shipped workload's name: DLIO's own configs folder is searched too
    return conf, name


def _command(lib, conf, name, out, np_ranks, extra):
    module = "mlstor.dlio" if lib == "mlstor" else "dlio_benchmark.main"
    storage = "s3dlio" if lib == "mlstor" else lib
    cmd = [sys.executable, "-m", module, f"--config-dir={conf}", f"workload={name}",
           f"++hydra.run.dir={out}", f"{_KEY}={storage}", *extra]
    if np_ranks > 1:
        cmd = ["mpirun", "-np", str(np_ranks), "--oversubscribe"] + cmd
    return cmd


def _run(cmd, env, log):
    """Runs ``cmd``; (exit status, wall seconds, user+sys CPU seconds of its process tree)."""
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.monotonic() - start, usage.ru_utime + usage.ru_stime


def _workload_config(out):
    """The workload DLIO ran (hydra's saved config), or {}."""
    try:
        import yaml

        with open(os.path.join(out, ".hydra", "config.yaml"), encoding="utf-8") as f:
            return (yaml.safe_load(f) or {}).get("workload", {}) or {}
    except (ImportError, OSError, ValueError):
        return {}


def _figures(out):
    """One run's figures. DLIO's own samples/s leaves out its first steps, and a reader that
    fetches ahead in the first step (the s3torchconnector path prefetches whole chunks) looks
    faster than it is; so the samples DLIO really stepped through (steps x batch x ranks) are
    also divided by the epochs' wall time, and that is what the verdict ranks."""
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        s = json.load(f)
    m = s["metric"]
    with open(os.path.join(out, "0_per_epoch_stats.json"), encoding="utf-8") as f:
        per = json.load(f)
    with open(os.path.join(out, "0_output.json"), encoding="utf-8") as f:
        o = json.load(f)
    # each epoch's wall time from its start and end stamps: DLIO's own "duration" field is
    # rounded to 10 ms and leaves part of the epoch out (2.54 s from start to end was "1.95")
    epochs = []
    for k in sorted((k for k in per if k.isdigit()), key=int):
        if "start" in per[k] and "end" in per[k]:
            start, end = (datetime.datetime.fromisoformat(per[k][x]) for x in ("start", "end"))
            epochs.append((end - start).total_seconds())
    steps = sum(len(v) for k in o if k.isdigit() for v in o[k].get("load", {}).values())
    w = _workload_config(out)
    batch = (w.get("reader") or {}).get("batch_size")
    record = (w.get("dataset") or {}).get("record_length_bytes")
    ranks = s.get("num_accelerators") or 1
    samples = steps * batch * ranks if batch else None
    return {
        "samples_per_s": (samples / sum(epochs)) if samples and epochs else None,
        "dlio_samples_per_s": m.get("train_throughput_mean_samples_per_second"),
        "dlio_samples_per_s_epochs": m.get("train_throughput_samples_per_second"),
        "io_MB_per_s": m.get("train_io_mean_MB_per_second"),
        "au_percent": m.get("train_au_mean_percentage"),
        "epoch_s": epochs,
        "steps": steps,
        "samples": samples,
        "GB_read": (samples * record / 1e9) if samples and record else None,
    }


def _redact(arg):
    """An override with its value masked when its key names a secret."""
    key, sep, _ = arg.partition("=")
    if sep and any(w in key.lower() for w in ("secret", "password", "token", "access_key", "account_key")):
        return key + "=***"
    return arg


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _fmt(v, digits=2):
    return "-" if v is None else f"{v:,.{digits}f}"


def summarise(runs, libraries):
    rows = {}
    for lib in libraries:
        ok = [r for r in runs if r["library"] == lib and r["ok"]]
        failed = [r for r in runs if r["library"] == lib and not r["ok"]]
        cpu_per_gb = [r["cpu_s"] / r["GB_read"] for r in ok if r.get("GB_read")]
        rows[lib] = {
            "runs": len(ok),
            "failed": len(failed),
            "samples_per_s": _median([r["samples_per_s"] for r in ok]),
            "dlio_samples_per_s": _median([r["dlio_samples_per_s"] for r in ok]),
            "io_MB_per_s": _median([r["io_MB_per_s"] for r in ok]),
            "au_percent": _median([r["au_percent"] for r in ok]),
            "epoch_s": _median([sum(r["epoch_s"]) / len(r["epoch_s"]) for r in ok if r["epoch_s"]]),
            "wall_s": _median([r["wall_s"] for r in ok]),
            "cpu_s": _median([r["cpu_s"] for r in ok]),
            "cpu_s_per_GB": _median(cpu_per_gb),
            "cpu_s_per_GB_marginal": _median([r.get("cpu_s_per_GB_marginal") for r in ok]),
        }
    return rows


def verdict(rows, libraries):
    ranked = [lib for lib in libraries if rows[lib]["failed"] == 0 and rows[lib]["samples_per_s"]]
    if "mlstor" not in ranked or len(ranked) < 2:
        return "FINAL VERDICT: not enough successful runs to compare"
    best_other = max((lib for lib in ranked if lib != "mlstor"), key=lambda lib: rows[lib]["samples_per_s"])
    ratio = rows["mlstor"]["samples_per_s"] / rows[best_other]["samples_per_s"]
    word = "FASTER" if ratio >= 1 else "SLOWER"
    shown = ratio if ratio >= 1 else 1 / ratio
    line = (f"FINAL VERDICT: mlstor is {shown:.2f}x {word} than {best_other} "
            "(samples per second of epoch time, median)")
    cpu = {lib: rows[lib]["cpu_s_per_GB_marginal"] for lib in ranked if rows[lib]["cpu_s_per_GB_marginal"]}
    others = [lib for lib in cpu if lib != "mlstor"]
    if "mlstor" in cpu and others:
        least = min(others, key=cpu.get)
        line += f"; marginal client CPU per GB {cpu['mlstor'] / cpu[least]:.2f}x {least}'s"
    return line


def table(rows, libraries):
    metrics = [("samples/s", "samples_per_s", 1), ("DLIO samples/s", "dlio_samples_per_s", 1),
               ("DLIO I/O MB/s", "io_MB_per_s", 1), ("AU %", "au_percent", 2),
               ("epoch s", "epoch_s", 2), ("wall s", "wall_s", 1), ("client CPU s", "cpu_s", 1),
               ("CPU s/GB", "cpu_s_per_GB", 2), ("marginal CPU s/GB", "cpu_s_per_GB_marginal", 2), ("runs ok", "runs", 0), ("runs failed", "failed", 0)]
    width = max(12, *(len(lib) + 2 for lib in libraries))
    lines = ["Metric".ljust(18) + "".join(lib.rjust(width) for lib in libraries)]
    for label, key, digits in metrics:
        lines.append(label.ljust(18) + "".join(_fmt(rows[lib][key], digits).rjust(width) for lib in libraries))
    return "\n".join(lines)


def _train(lib, tag, conf, name, tmp, args, extra, env, more=()):
    out = os.path.join(tmp, tag)
    cmd = _command(lib, conf, name, out, args.np_ranks,
                   ["++workload.workflow.generate_data=False", "++workload.workflow.train=True", *extra, *more])
    rc, wall, cpu = _run(cmd, env, out + ".log")
    run = {"ok": rc == 0, "exit": rc, "wall_s": wall, "cpu_s": cpu, "command": [_redact(a) for a in cmd]}
    if rc == 0:
        try:
            run.update(_figures(out))
        except (OSError, KeyError, ValueError) as e:
            run.update(ok=False, error=f"no DLIO summary: {e}")
    else:
        with open(out + ".log", encoding="utf-8", errors="replace") as f:
            run["error"] = f.read()[-2000:]
    return run


def _one(lib, r, conf, name, tmp, args, extra, env):
    """One library's run of the workload; unless --no-marginal, also a run of one epoch, so
    (CPU difference) / (GB difference) is the CPU per GB of the other epochs alone, without
    DLIO's start-up (imports, listing, worker start) that both runs pay."""
    run = {"library": lib, "repeat": r, **_train(lib, f"{lib}-{r}", conf, name, tmp, args, extra, env)}
    epochs = len(run.get("epoch_s") or [])
    if run["ok"] and not args.no_marginal and epochs >= 2:
        short = _train(lib, f"{lib}-{r}-short", conf, name, tmp, args, extra, env,
                       ["++workload.train.epochs=1"])
        if short["ok"] and short.get("GB_read") and run.get("GB_read") and run["GB_read"] > short["GB_read"]:
            run["cpu_s_per_GB_marginal"] = (run["cpu_s"] - short["cpu_s"]) / (run["GB_read"] - short["GB_read"])
        run["short_run"] = {k: short.get(k) for k in ("ok", "exit", "wall_s", "cpu_s", "GB_read")}
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(prog="mlstor compare --dlio", description=__doc__.split("\n\n")[0])
    ap.add_argument("workload")
    ap.add_argument("--libraries", default="s3dlio,s3torchconnector,minio,mlstor")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--np", type=int, default=1, dest="np_ranks")
    ap.add_argument("--json", dest="json_file", help="write every figure as JSON to FILE (- : stdout)")
    ap.add_argument("--no-generate", action="store_true")
    ap.add_argument("--no-marginal", action="store_true",
                    help="skip the one-epoch run that gives the marginal CPU per GB")
    ap.add_argument("--keep", action="store_true", help="keep the DLIO output folders (printed)")
    args, extra = ap.parse_known_args(argv)
    libraries = [x.strip() for x in args.libraries.split(",") if x.strip()]
    bad = [x for x in libraries if x not in KNOWN]
    if bad or not libraries:
        ap.error(f"unknown library {', '.join(bad)}; choose from {', '.join(KNOWN)}")
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    tmp = tempfile.mkdtemp(prefix="mlstor-dlio-compare-")
    env = dict(os.environ, DLIO_LOG_LEVEL=os.environ.get("DLIO_LOG_LEVEL", "warning"), MLSTOR_DLIO_QUIET="1")
    try:
        conf, name = _config_dir(args.workload, tmp)
        if not args.no_generate:
            out = os.path.join(tmp, "datagen")
            cmd = _command("mlstor", conf, name, out, args.np_ranks,
                           ["++workload.workflow.generate_data=True", "++workload.workflow.train=False",
                            "++workload.workflow.checkpoint=False", *extra])
            rc, wall, _ = _run(cmd, env, out + ".log")
            if rc != 0:
                sys.exit(f"mlstor compare --dlio: generating the dataset failed (exit {rc}); see {out}.log")
            print(f"dataset generated through mlstor in {wall:.1f} s", file=sys.stderr)
        runs = []
        for r in range(args.repeat):
            order = libraries[r % len(libraries):] + libraries[:r % len(libraries)]
            for lib in order:
                run = _one(lib, r, conf, name, tmp, args, extra, env)
                runs.append(run)
                state = f"{run.get('samples_per_s') or 0:,.1f} samples/s" if run["ok"] else f"FAILED (exit {run['exit']})"
                marginal = run.get("cpu_s_per_GB_marginal")
                print(f"repeat {r + 1}/{args.repeat} {lib}: {state}, {run['wall_s']:.1f} s, CPU {run['cpu_s']:.1f} s"
                      + (f", marginal CPU {marginal:.2f} s/GB" if marginal is not None else ""), file=sys.stderr)
        rows = summarise(runs, libraries)
        text = table(rows, libraries) + "\n" + verdict(rows, libraries)
        for run in runs:
            if not run["ok"]:
                lines = (run.get("error") or "").strip().splitlines()
                errors = [x for x in lines if "Error" in x or "error:" in x] or lines or [f"exit {run['exit']}"]
                text += f"\n{run['library']} (repeat {run['repeat'] + 1}) FAILED: {errors[-1].strip()}"
        print(text, file=sys.stderr if args.json_file == "-" else sys.stdout)
        if args.json_file:
            doc = json.dumps({"workload": args.workload, "libraries": libraries, "repeat": args.repeat,
                              "np": args.np_ranks, "overrides": [_redact(a) for a in extra], "summary": rows,
                              "verdict": verdict(rows, libraries), "runs": runs}, indent=1)
            if args.json_file == "-":
                print(doc)
            else:
                with open(args.json_file, "w", encoding="utf-8") as f:
                    f.write(doc + "\n")
        if any(not r["ok"] for r in runs):
            sys.exit(1)
    finally:
        if args.keep:
            print(f"DLIO outputs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
