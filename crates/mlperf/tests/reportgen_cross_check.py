"""Runs mlpstorage 3.0.26's own report generator (tests/data/mlpstorage-3.0.26, unmodified)
over a results folder and prints, as JSON, the category it gives each run and each workload.

usage: python reportgen_cross_check.py DIR
"""
import contextlib
import io
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "mlpstorage-3.0.26"))
from mlpstorage_py.report_generator import ReportGenerator  # noqa: E402

out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    r = ReportGenerator(sys.argv[1], use_colors=False)
    r.generate_reports()
json.dump({
    "runs": {str(k): v.category.value for k, v in r.run_results.items()},
    "issues": {str(k): [str(i) for i in v.issues if i.validation.value != "closed"] for k, v in r.run_results.items()},
    "workloads": {str(k): v.category.value for k, v in r.workload_results.items()},
}, sys.stdout)
