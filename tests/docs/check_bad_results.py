#!/usr/bin/python3
"""The docs build on results a run left broken: a clear error naming the file, not a traceback.

  /usr/bin/python3 tests/docs/check_bad_results.py [SOURCE_DIR]

A run cut short (Ctrl-C, a full disk) can leave half a line at the end of metrics.jsonl or
a summary.json that is not JSON; a run that diverged writes NaN and infinity as null. The
renderer (docs/_ext/dlbook.py) must answer each with a ValueError that names the file or
the run (the docs build turns it into an error naming the page), never with Python's
JSONDecodeError or TypeError from deep inside a table. Exit status 0 when every case does.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from types import SimpleNamespace

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
sys.path.insert(0, str(SOURCE / "docs" / "_ext"))
import dlbook  # noqa: E402

failures = []


def expect_error(what: str, call, *needles: str) -> None:
    try:
        call()
    except ValueError as e:
        missing = [n for n in needles if n not in str(e)]
        if missing:
            failures.append(f"{what}: the message lacks {missing}: {e}")
        else:
            print(f"ok: {what}: {e}")
        return
    except Exception as e:  # noqa: BLE001 (the point: anything else is a failure)
        failures.append(f"{what}: {type(e).__name__} instead of a clear error: {e}")
        return
    failures.append(f"{what}: no error")


with tempfile.TemporaryDirectory() as tmp:
    root = Path(tmp) / "results"
    app = SimpleNamespace(config=SimpleNamespace(dlbook_results_dir=str(root)), srcdir=tmp,
                          env=SimpleNamespace(note_dependency=lambda path: None))
    res = dlbook.Results(app, "chapters/01-deep-learning/lesson")
    run = root / "01-deep-learning"
    run.mkdir(parents=True)
    good = {"epoch": 1, "train_loss": 0.5, "test_loss": 0.4, "test_accuracy": 0.85}

    # Half a line at the end of metrics.jsonl.
    (run / "metrics.jsonl").write_text(json.dumps(good) + "\n" + '{"epoch": 2, "train_lo')
    expect_error("a truncated metrics.jsonl", lambda: dlbook.table_block(res, "01-deep-learning", "epochs"),
                 "build/results/01-deep-learning/metrics.jsonl line 2", "cut short")

    # NaN written as null by the C++ side.
    (run / "metrics.jsonl").write_text(json.dumps(good) + "\n" + json.dumps({**good, "epoch": 2, "test_loss": None}) + "\n")
    expect_error("a null loss in metrics.jsonl", lambda: dlbook.table_block(res, "01-deep-learning", "epochs"),
                 "table epochs", "build/results/01-deep-learning/", "NaN as null")

    # A summary.json that is not JSON, through an inline number and the results table.
    (run / "summary.json").write_text('{"test_accuracy": 0.9')
    expect_error("a truncated summary.json, inline number",
                 lambda: dlbook.result_value(res, SOURCE / "chapters", "01-deep-learning:test_accuracy:pct"),
                 "build/results/01-deep-learning/summary.json is not valid JSON")
    expect_error("a truncated summary.json, verified-with line", lambda: dlbook.verified_line(res, "01-deep-learning"),
                 "summary.json is not valid JSON")

    # A null accuracy in summary.json.
    (run / "summary.json").write_text(json.dumps({"test_accuracy": None}))
    expect_error("a null in summary.json, inline number",
                 lambda: dlbook.result_value(res, SOURCE / "chapters", "01-deep-learning:test_accuracy:pct"),
                 "is null, not a number")

    # The intact files still render.
    (run / "metrics.jsonl").write_text(json.dumps(good) + "\n")
    if "85.00%" not in dlbook.table_block(res, "01-deep-learning", "epochs"):
        failures.append("the intact metrics.jsonl did not render its accuracy")

for f in failures:
    print(f"FAIL {f}")
sys.exit(1 if failures else 0)
