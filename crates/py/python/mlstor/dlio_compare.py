"""The same DLIO workload once per storage library, side by side (``mlstor compare --dlio``).

``python -m mlstor.dlio_compare WORKLOAD [--libraries s3dlio,s3torchconnector,minio,mlstor]
[--repeat N] [--np N] [--json FILE] [--no-generate] [DLIO overrides...]``

WORKLOAD is a DLIO workload YAML file or the name of one DLIO ships. The dataset is generated
once (through mlstor, unless ``--no-generate``), then DLIO trains on it once per library and
repeat, the libraries taking turns (the order rotates each repeat): ``s3dlio``,
``s3torchconnector`` and ``minio`` are the real packages (plain DLIO with
``storage_library`` set), ``mlstor`` is DLIO through ``python -m mlstor.dlio``. Reported per
library: samples/s and I/O MB/s (DLIO's summary.json), AU, epoch time, wall time and the client
CPU of the whole DLIO process tree (user+sys, from the kernel), per GB read; the verdict
compares samples/s with the best other library. A run that fails is reported as failed, never
ranked.
"""
import argparse
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


def _figures(out):
    with open(os.path.join(out, "summary.json"), encoding="utf-8") as f:
        s = json.load(f)
    m = s["metric"]
    epochs = []
    stats = os.path.join(out, "0_per_epoch_stats.json")
    if os.path.exists(stats):
        with open(stats, encoding="utf-8") as f:
            per = json.load(f)
        epochs = [float(per[k]["duration"]) for k in sorted(per, key=int) if "duration" in per[k]]
    mb = m.get("train_io_mean_MB_per_second")
    return {
        "samples_per_s": m.get("train_throughput_mean_samples_per_second"),
        "samples_per_s_epochs": m.get("train_throughput_samples_per_second"),
        "io_MB_per_s": mb,
        "au_percent": m.get("train_au_mean_percentage"),
        "epoch_s": epochs,
        # what was read: DLIO's I/O rate times the time it covers (its epochs)
        "GB_read": (mb * sum(epochs) / 1000.0) if mb and epochs else None,
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
            "io_MB_per_s": _median([r["io_MB_per_s"] for r in ok]),
            "au_percent": _median([r["au_percent"] for r in ok]),
            "epoch_s": _median([sum(r["epoch_s"]) / len(r["epoch_s"]) for r in ok if r["epoch_s"]]),
            "wall_s": _median([r["wall_s"] for r in ok]),
            "cpu_s": _median([r["cpu_s"] for r in ok]),
            "cpu_s_per_GB": _median(cpu_per_gb),
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
    return f"FINAL VERDICT: mlstor is {shown:.2f}x {word} than {best_other} (DLIO samples/s, median)"


def table(rows, libraries):
    metrics = [("samples/s", "samples_per_s", 1), ("I/O MB/s", "io_MB_per_s", 1), ("AU %", "au_percent", 2),
               ("epoch s", "epoch_s", 2), ("wall s", "wall_s", 1), ("client CPU s", "cpu_s", 1),
               ("CPU s/GB", "cpu_s_per_GB", 2), ("runs ok", "runs", 0), ("runs failed", "failed", 0)]
    width = max(12, *(len(lib) + 2 for lib in libraries))
    lines = ["Metric".ljust(14) + "".join(lib.rjust(width) for lib in libraries)]
    for label, key, digits in metrics:
        lines.append(label.ljust(14) + "".join(_fmt(rows[lib][key], digits).rjust(width) for lib in libraries))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="mlstor compare --dlio", description=__doc__.split("\n\n")[0])
    ap.add_argument("workload")
    ap.add_argument("--libraries", default="s3dlio,s3torchconnector,minio,mlstor")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--np", type=int, default=1, dest="np_ranks")
    ap.add_argument("--json", dest="json_file")
    ap.add_argument("--no-generate", action="store_true")
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
                out = os.path.join(tmp, f"{lib}-{r}")
                cmd = _command(lib, conf, name, out, args.np_ranks,
                               ["++workload.workflow.generate_data=False", "++workload.workflow.train=True",
                                *extra])
                rc, wall, cpu = _run(cmd, env, out + ".log")
                run = {"library": lib, "repeat": r, "ok": rc == 0, "exit": rc, "wall_s": wall, "cpu_s": cpu,
                       "command": [_redact(a) for a in cmd]}
                if rc == 0:
                    try:
                        run.update(_figures(out))
                    except (OSError, KeyError, ValueError) as e:
                        run.update(ok=False, error=f"no DLIO summary: {e}")
                else:
                    with open(out + ".log", encoding="utf-8", errors="replace") as f:
                        run["error"] = f.read()[-2000:]
                runs.append(run)
                state = f"{run.get('samples_per_s') or 0:,.1f} samples/s" if run["ok"] else f"FAILED (exit {rc})"
                print(f"repeat {r + 1}/{args.repeat} {lib}: {state}, {wall:.1f} s, CPU {cpu:.1f} s",
                      file=sys.stderr)
        rows = summarise(runs, libraries)
        text = table(rows, libraries) + "\n" + verdict(rows, libraries)
        for run in runs:
            if not run["ok"]:
                lines = (run.get("error") or "").strip().splitlines()
                errors = [x for x in lines if "Error" in x or "error:" in x] or lines or [f"exit {run['exit']}"]
                text += f"\n{run['library']} (repeat {run['repeat'] + 1}) FAILED: {errors[-1].strip()}"
        print(text)
        if args.json_file:
            with open(args.json_file, "w", encoding="utf-8") as f:
                json.dump({"workload": args.workload, "libraries": libraries, "repeat": args.repeat,
                           "np": args.np_ranks, "overrides": [_redact(a) for a in extra], "summary": rows,
                           "verdict": verdict(rows, libraries), "runs": runs}, f, indent=1)
        if any(not r["ok"] for r in runs):
            sys.exit(1)
    finally:
        if args.keep:
            print(f"DLIO outputs kept in {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
