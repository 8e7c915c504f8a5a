"""The book's Sphinx extension: real results in the lessons, and offline fixes.

Lessons are plain MyST files that read well on GitHub too. This extension
rewrites them as Sphinx reads them (the ``source-read`` event), so nothing is
generated into the source tree:

``<!-- results: RUN [RUN ...] -->``
    A table of the final numbers of each run, read from
    ``build/results/RUN/summary.json``, with the generated samples when the
    summary holds some. RUN is a results folder such as ``03-rnn`` or
    ``03-rnn-poems``.

``<!-- plot: NAME -->`` and ``<!-- plot: VARIANT NAME -->``
    A figure drawn now with matplotlib (Agg) from the chapter's results:
    ``build/results/<chapter>/`` for ``NAME``, ``build/results/<chapter>-VARIANT/``
    for ``VARIANT NAME`` (``--corpus poems`` writes ``03-rnn-poems``, ``--arch lesson``
    writes ``02-cnn-lesson``). The names are the keys of ``PLOTS`` below: ``loss``,
    ``overfitting``, ``accuracy``, ``confusion``, ``filters``, ``feature_maps``,
    ``misclassified``, ``grad_norms``, ``projection``, ``attention`` (chapter 04's BERT:
    a grid of layers by heads from ``attention.json``), and chapter 05's ``gpt_loss`` (the
    GPT's losses, and its validation loss against seconds of training beside chapter 03's
    LSTM) and ``kv_cache`` (the time of one token with and without the cache, and the
    speed-up, from ``kv_cache.json``), and chapter 07's ``asr_wave``, ``asr_spectrogram``,
    ``asr_mel_bank`` and ``asr_posteriors`` (a test utterance's waveform, its log-mel features,
    the mel filter bank, and the network's probability of each class over time, all from
    ``examples.json``), ``asr_loss`` (CTC losses and the validation word error rate, from
    ``metrics.jsonl``) and ``asr_confusion`` (digits said against digits heard on the test
    voices, from ``summary.json``), and chapter 06's ``nlu_learning_curve`` (test accuracy against
    the number of training glosses, mean and min–max band over the random subsets) and
    ``nlu_reliability`` (a reliability diagram per model), both from ``summary.json``.
    Figures go to ``_generated/`` in the
    staging folder and are only redrawn when their inputs change.

``<!-- figure: NAME -->``
    A schematic that needs no run results, on any page: ``conv_sliding_window`` and
    ``im2col`` (chapter 02's worked example, every number computed from its X and W),
    ``receptive_field`` (the fields of chapter 02's network, from ``CNN_LAYERS``),
    ``lstm_cell`` and ``bptt_lanes`` (chapter 03), and chapter 01's ``autograd_scalar`` and
    ``autograd_mlp``: Graphviz drawings (SVG) of the DOT files that ``dl::to_dot`` writes
    (``autograd_graph``, run by the docs target into ``DLBOOK_GRAPHS_DIR``). The names are the keys of ``FIGURES``;
    each entry is a ``Figure``: a function that draws the file, its caption, the file's
    suffix (``.png``; a Graphviz drawing may write ``.svg``) and any files besides this one
    that it is drawn from. They go to ``_generated/figures/`` and are redrawn when missing or
    older than this file or those inputs; an unknown name is a build error naming the page.

``<!-- table: NAME -->`` and ``<!-- table: VARIANT NAME -->``
    A table of numbers from a results file, same folders as plots; ``TABLES``
    below: ``grad_norms`` (gradient norm at a few distances, per cell),
    ``epochs``, ``bench_conv`` (chapter 02's convolution benchmarks, from
    ``build/results/bench/bench_conv.json``, which ``./book bench`` writes), ``loss_steps`` (chapter 03: about nine evaluations' training and validation
    losses, from ``metrics.jsonl``), ``per_class``, and ``sentencepiece`` (our BPE against
    SentencePiece, from ``build/results/bench/compare_sentencepiece.json``,
    whichever page shows it; ``./book bench --compare sentencepiece`` writes it),
    ``synonyms``, ``neighbours``, ``gensim`` (chapter 04's word embeddings), and
    ``summary`` and ``predict`` (chapter 04's BERT, ``<!-- table: bert summary -->``:
    the masked-LM loss against the unigram baseline and what training cost, from
    ``summary.json``; the top tokens at each blank and the seed's echo, from
    ``predictions.json``), and chapter 05's ``gpt_summary`` (the GPT against chapter 03's
    LSTM and the unigram baseline, with which is ahead at the end and at equal time, and the
    ``--full`` runs when ``05-nlg-full`` and ``03-rnn-full`` exist), ``gpt_strategies``
    (``samples.json``), ``kv_cache`` (``kv_cache.json``), and ``couplet finetune`` and
    ``couplet generated`` (the fine-tune's ``summary.json`` in ``05-nlg-couplet``), and chapter
    07's ``asr_summary`` (error rates on the held-out voices beside the training voices', and
    what the run cost), ``asr_data`` (utterances and voice variants per split),
    ``asr_variants`` (the word error rate of each test variant) and ``asr_mistakes`` (wrong
    transcripts and the most frequent substitutions), all from ``summary.json``, and chapter
    06's ``nlu_summary`` (every model's accuracy, macro-F1, ECE and time beside the majority
    class), ``nlu_curve`` (the learning curves as numbers, with sentences on Ng and Jordan's
    two claims), ``nlu_confusions`` (the best model's most frequent confusions and its small
    classes), from ``summary.json``, and ``nlu_examples`` (``examples.json``).

``{result}`RUN:KEY:FORMAT```
    One number inside a sentence, from ``build/results/RUN/summary.json``: KEY is a
    member (``test_accuracy``) or a dotted path (``per_class_accuracy.Shirt``,
    ``confusion.6.0``: row 6, column 0), FORMAT one of ``RESULT_FORMATS`` (``pct``
    92.2%, ``pct2`` 91.35%, ``int`` 235,146, ``seconds`` 8.1 seconds, ``f0``-``f4``
    fixed decimals). It reads like a MyST role but is replaced before MyST parses the
    page (not inside fenced code). Before the run exists it renders "(not run yet)";
    an unknown format or run name, or a key the summary lacks, is a build error naming
    the page. ``tests/docs/check_inline_results.py`` keeps every lesson free of
    typed run numbers and checks every KEY against the program's sources.

Every lesson also gets a "verified with" line under its title: the commit,
compiler, Eigen version and date of the run whose numbers the page shows, from
the ``build`` object of the chapter's summary.json.

When a results file is missing, the page says how to produce it instead of
failing. The files read are registered as dependencies of the page, so a new
run re-reads exactly the lessons that show it.

The same hook also

* links each FAQ entry's "In the book" line to its lesson section (``{ref}``),
* expands ``<!-- api: headers -->`` in api.md into one section per public
  header of ``common/include/dl`` (each symbol documented once, from the header
  that declares it), so a new header appears without editing api.md.

Offline fixes:

* MathJax 2 from Debian's libjs-mathjax is copied into ``_static/mathjax``.
* Debian's furo.css imports ``/javascript/normalize.css/normalize.css`` (an
  absolute path); we copy that file beside it and import it relatively.
* Debian's furo ships ``furo.js`` as an ES module (``import Gumshoe from ...``),
  which browsers refuse as a classic script; we write a classic bundle of
  gumshoe + furo over it.
* Search indexes CJK text as character bigrams (and splits queries the same
  way), so that 卷积 finds 卷积神经网络.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, NamedTuple

from sphinx.application import Sphinx
from sphinx.search import languages as search_languages
from sphinx.search.en import SearchEnglish
from sphinx.util import logging

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"<!--\s*(results|plot|figure|table|api|chapters|exercises|performance)\s*:\s*(.*?)\s*-->")
THIS_FILE = Path(__file__).resolve()
CHAPTER_DOC = re.compile(r"^chapters/([^/]+)/lesson$")


# --------------------------------------------------------------------------------------
# Reading results


class Results:
    """The results folder of the build tree, and the page being read."""

    def __init__(self, app: Sphinx, docname: str):
        self.root = Path(app.config.dlbook_results_dir)
        self.gen = Path(app.srcdir) / "_generated"
        self.env = app.env
        self.docname = docname

    def depend(self, path: Path) -> None:
        """Re-read this page when `path` changes, or when it appears (see on_env_get_outdated)."""
        if path.exists():
            self.env.note_dependency(str(path))
        else:
            missing = getattr(self.env, "dlbook_missing", {})
            missing.setdefault(self.docname, set()).add(str(path))
            self.env.dlbook_missing = missing

    def file(self, run: str, name: str) -> Path | None:
        path = self.root / run / name
        self.depend(path)
        return path if path.is_file() else None

    def json(self, run: str, name: str):
        path = self.file(run, name)
        if path is None:
            return None
        return self._parse(run, name, path.read_text(encoding="utf-8"))

    def jsonl(self, run: str, name: str):
        path = self.file(run, name)
        if path is None:
            return None
        lines = path.read_text(encoding="utf-8").splitlines()
        return [self._parse(run, name, line, n) for n, line in enumerate(lines, 1) if line.strip()]

    def _parse(self, run: str, name: str, text: str, line: int | None = None):
        """JSON, or a ValueError that names the file (a run cut short leaves half a line)."""
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            where = f"{self.shown(run, name)}" + (f" line {line}" if line else "")
            raise ValueError(f"{where} is not valid JSON ({e.msg}); the run that wrote it was probably cut short: "
                             "run the chapter again") from None

    def shown(self, run: str, name: str) -> str:
        return f"build/results/{run}/{name}"


def missing(what: str, run: str) -> str:
    return (
        "\n```{admonition} Not run yet\n:class: note\n\n"
        f"{what} will appear here once `build/results/{run}/` exists. Run `./book run` "
        f"(or the chapter program alone), then rebuild the site with `./book docs`.\n```\n"
    )


# --------------------------------------------------------------------------------------
# One number inside a sentence: {result}`RUN:KEY:FORMAT`


RESULT_ROLE = re.compile(r"\{result\}`([^`]*)`")
FENCE_OPEN = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
RUN_NAME = re.compile(r"^\d\d-[a-z0-9]+(?:-[a-z0-9]+)*$")
NOT_RUN_YET = "*(not run yet)*"


def _fixed(n: int):
    return lambda v: f"{v:.{n}f}"


# How a number is written in a sentence; the docs test (tests/docs/check_inline_results.py) reads this too.
RESULT_FORMATS = {
    "pct": lambda v: f"{100 * v:.1f}%",      # a fraction as a percentage, one decimal: 0.9215 -> 92.2%
    "pct2": lambda v: f"{100 * v:.2f}%",     # two decimals: 0.9135 -> 91.35%
    "int": lambda v: f"{round(v):,}",        # an integer with thousands separators: 235146 -> 235,146
    "seconds": lambda v: f"{v:.1f} seconds",  # 8.14 -> 8.1 seconds
    **{f"f{n}": _fixed(n) for n in range(5)},  # fixed decimals: f1, f2, f3, f4 (f0 rounds to an integer)
}


def parse_result_ref(ref: str) -> tuple[str, str, str]:
    """`RUN:KEY:FORMAT` -> (run, key, format); KEY may be a dotted path (per_class_accuracy.Shirt, confusion.6.0)."""
    parts = ref.split(":")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise ValueError(f"{{result}}`{ref}`: expected RUN:KEY:FORMAT, e.g. 01-deep-learning:test_accuracy:pct")
    run, key, fmt = (p.strip() for p in parts)
    if fmt not in RESULT_FORMATS:
        raise ValueError(f"{{result}}`{ref}`: unknown format '{fmt}' (known: {', '.join(RESULT_FORMATS)})")
    if not RUN_NAME.match(run):
        raise ValueError(f"{{result}}`{ref}`: '{run}' is not a results folder name such as 02-cnn or 02-cnn-lesson")
    return run, key, fmt


ABSENT = object()  # lookup's answer for a path that is not there (a null value is there)


def lookup(summary, key: str):
    """The value at a dotted path: object members by name, array items by index; ABSENT if none."""
    value = summary
    for part in key.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return ABSENT
    return value


def result_value(res: Results, chapters: Path, ref: str) -> str:
    run, key, fmt = parse_result_ref(ref)
    if not any(run == c.name or run.startswith(c.name + "-") for c in chapters.iterdir() if c.is_dir()):
        raise ValueError(f"{{result}}`{ref}`: no chapter folder chapters/{run.split('-')[0]}-... makes the run '{run}'")
    summary = res.json(run, "summary.json")
    if summary is None:
        return NOT_RUN_YET  # never a typed number: the page says so until the run exists
    value = lookup(summary, key)
    if value is ABSENT:
        top = ", ".join(sorted(summary)) if isinstance(summary, dict) else "none"
        raise ValueError(f"{{result}}`{ref}`: {res.shown(run, 'summary.json')} has no key '{key}' (its keys: {top})")
    if value is None:
        raise ValueError(f"{{result}}`{ref}`: '{key}' in {res.shown(run, 'summary.json')} is null, not a number (a run "
                         "that diverged writes NaN as null): run the chapter again")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{{result}}`{ref}`: '{key}' in {res.shown(run, 'summary.json')} is not a number "
                         f"({type(value).__name__}); name a number, e.g. {key}.<member>")
    return RESULT_FORMATS[fmt](value)


def substitute_results(text: str, replace) -> str:
    """Apply `replace` to every {result}`...` outside fenced code blocks (so a listing can show the syntax)."""
    out, fence = [], None
    for line in text.splitlines(keepends=True):
        m = FENCE_OPEN.match(line)
        if fence is None and m:
            fence = m.group(1)
        elif fence is not None and m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                and not line.strip()[len(m.group(1)):].strip():
            fence = None
        elif fence is None:
            line = RESULT_ROLE.sub(replace, line)
        out.append(line)
    return "".join(out)


# --------------------------------------------------------------------------------------
# Results tables

RESULT_COLUMNS = [
    # (summary key, column header, format)
    ("test_accuracy", "test accuracy", lambda v: f"{100 * v:.2f}%"),
    ("test_loss", "test loss", lambda v: f"{v:.4f}"),
    ("train_accuracy", "train accuracy", lambda v: f"{100 * v:.2f}%"),
    ("val_loss", "val loss (nats/char)", lambda v: f"{v:.4f}"),
    ("unigram_val_loss", "unigram baseline", lambda v: f"{v:.4f}"),
    ("val_bpc", "bits per char", lambda v: f"{v:.3f}"),
    ("val_perplexity", "perplexity", lambda v: f"{v:.2f}"),
    ("mlm_loss", "MLM loss (nats)", lambda v: f"{v:.4f}"),
    ("mlm_accuracy", "MLM accuracy", lambda v: f"{100 * v:.2f}%"),
    ("unigram_mlm_loss", "unigram baseline (nats)", lambda v: f"{v:.4f}"),
    ("best_step", "best step", lambda v: f"{v}"),
    ("epochs", "epochs", lambda v: f"{v}"),
    ("steps", "steps", lambda v: f"{v}"),
    ("tokens_seen", "tokens seen", lambda v: f"{v:,}"),
    ("parameters", "parameters", lambda v: f"{v:,}"),
    ("train_seconds", "train time", lambda v: f"{v:.1f} s"),
    ("threads", "threads", lambda v: f"{v}"),
]


def results_block(res: Results, runs: list[str]) -> str:
    summaries = {run: res.json(run, "summary.json") for run in runs}
    present = {run: s for run, s in summaries.items() if s is not None}
    out = []
    if present:
        cols = [c for c in RESULT_COLUMNS if any(c[0] in s for s in present.values())]
        out.append("| run | " + " | ".join(c[1] for c in cols) + " |")
        out.append("|---|" + "---|" * len(cols))
        for run, s in present.items():
            cells = [c[2](s[c[0]]) if c[0] in s else "" for c in cols]
            out.append(f"| `{run}` | " + " | ".join(cells) + " |")
        sources = ", ".join(f"`{res.shown(run, 'summary.json')}`" for run in present)
        out.append("")
        out.append(f"From {sources}, written by the latest run of the chapter program.")
        out.append("")
        for run, s in present.items():
            samples = s.get("samples")
            if samples:
                how = ", ".join(
                    f"{k} {s[k]}" for k in ("prime", "temperature") if k in s
                )
                out.append(f"Samples of `{run}`" + (f" ({how})" if how else "") + ":")
                out.append("")
                fence = "````"
                body = "\n%\n".join(x.rstrip("\n") for x in samples)
                out.append(f"{fence}text\n{body}\n{fence}")
                out.append("")
    for run in runs:
        if run not in present:
            out.append(missing(f"The results of `{run}`", run))
    return "\n" + "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# Plots (matplotlib, Agg). Each returns (inputs, draw) or None when data is missing.


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    # Chinese labels need a CJK font (fonts-wqy-microhei; matplotlib reads only the
    # first face of a .ttc). Matplotlib 3.6 falls back glyph by glyph only along an
    # explicit list of families, not through the generic "sans-serif".
    families = ["DejaVu Sans"]
    for path in ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",):
        if os.path.exists(path):
            font_manager.fontManager.addfont(path)
            families.append(font_manager.FontProperties(fname=path).get_name())
    plt.rcParams["font.family"] = families
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.grid": True, "grid.alpha": 0.3})
    return plt


def _series(records, key):
    xs, ys = [], []
    for r in records:
        if key in r and "step" in r and r[key] is not None:
            xs.append(r["step"])
            ys.append(r[key])
    return xs, ys


def plot_loss(res: Results, run: str):
    metrics = res.jsonl(run, "metrics.jsonl")
    if metrics is None:
        return None
    summary = res.json(run, "summary.json") or {}

    def draw(path: Path):
        plt = _plt()
        epochs = [r for r in metrics if "epoch" in r]
        steps = [r for r in metrics if "epoch" not in r]
        has_acc = any("test_accuracy" in r for r in epochs)
        fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 6.4, 3.8))
        ax = axes[0] if has_acc else axes
        for key, label in (("loss", "training loss (per step)"), ("train_loss", "training loss"),
                           ("val_loss", "validation loss"), ("mlm_loss", "held-out MLM loss")):
            xs, ys = _series(steps, key)
            if xs:
                ax.plot(xs, ys, "o-" if key == "mlm_loss" else "-", label=label, lw=1.2 if key != "mlm_loss" else 1.5,
                        ms=4)
        if "unigram_mlm_loss" in summary:
            ax.axhline(summary["unigram_mlm_loss"], color="tab:red", ls=":", lw=1.2,
                       label=f"unigram baseline {summary['unigram_mlm_loss']:.3f}")
        for key, label in (("train_loss", "train loss (epoch mean)"), ("test_loss", "test loss")):
            xs, ys = _series(epochs, key)
            if xs:
                ax.plot(xs, ys, "o-", label=label, lw=1.5, ms=4)
        if "best_step" in summary:
            ax.axvline(summary["best_step"], color="grey", ls="--", lw=1, label=f"best step {summary['best_step']}")
        ax.set_xlabel("step")
        ax.set_ylabel("cross-entropy loss")
        ax.set_title(f"{run}: loss")
        ax.legend()
        if has_acc:
            ax = axes[1]
            for key, label in (("train_accuracy", "train"), ("test_accuracy", "test")):
                xs = [r["epoch"] for r in epochs if key in r]
                ys = [100 * r[key] for r in epochs if key in r]
                ax.plot(xs, ys, "o-", label=label, ms=4)
            ax.set_xlabel("epoch")
            ax.set_ylabel("accuracy (%)")
            ax.set_title(f"{run}: accuracy")
            ax.legend()
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    has_acc = any("test_accuracy" in r for r in metrics if "epoch" in r)
    return [res.root / run / "metrics.jsonl"], draw, f"Loss{' and accuracy' if has_acc else ''} of `{run}`"


def plot_confusion(res: Results, run: str):
    s = res.json(run, "summary.json")
    if s is None or "confusion" not in s:
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        m = np.array(s["confusion"])
        names = list(s.get("per_class_accuracy", {}).keys()) or [str(i) for i in range(len(m))]
        fig, ax = plt.subplots(figsize=(7, 6))
        ax.imshow(np.log1p(m), cmap="Blues")
        ax.grid(False)
        for i in range(len(m)):
            for j in range(len(m)):
                ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > m.max() / 3 else "black")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true class")
        ax.set_title(f"{run}: confusion matrix on the test set")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "summary.json"], draw, f"Confusion matrix of `{run}` (rows: true class)"


def _grid(plt, images, titles, cols, size=1.1, cmap="gray", symmetric=False):
    import numpy as np

    rows = (len(images) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.15))
    for k, ax in enumerate(np.array(axes).reshape(-1)):
        ax.axis("off")
        if k < len(images):
            img = images[k]
            if symmetric:
                lim = float(np.abs(img).max()) or 1.0
                ax.imshow(img, cmap="bwr", vmin=-lim, vmax=lim)
            else:
                ax.imshow(img, cmap=cmap)
            ax.set_title(titles[k], fontsize=7)
    fig.tight_layout()
    return fig


def plot_filters(res: Results, run: str):
    d = res.json(run, "filters.json")
    if d is None:
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        w = np.array(d["values"], dtype=float).reshape(d["shape"])
        imgs = [w[o, 0] for o in range(w.shape[0])]
        fig = _grid(plt, imgs, [str(o) for o in range(len(imgs))], cols=16, size=0.8, symmetric=True)
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "filters.json"], draw, (
        f"The learned first-layer kernels of `{run}` (red positive, blue negative), numbered from 0")


def plot_feature_maps(res: Results, run: str):
    d = res.json(run, "feature_maps.json")
    if d is None:
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        image = np.array(d["image"]["values"], dtype=float).reshape(d["image"]["shape"])
        maps = np.array(d["conv1_relu"]["values"], dtype=float).reshape(d["conv1_relu"]["shape"])
        imgs = [image] + [maps[c] for c in range(maps.shape[0])]
        titles = [f"input: {d.get('label', '')}"] + [str(c) for c in range(maps.shape[0])]
        fig = _grid(plt, imgs, titles, cols=11, size=0.95, cmap="viridis")
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "feature_maps.json"], draw, (
        f"A test image and the 32 feature maps conv1 + ReLU make of it (`{run}`)")


def plot_misclassified(res: Results, run: str):
    d = res.json(run, "misclassified.json")
    if d is None:
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        imgs = [np.array(e["image"]["values"], dtype=float).reshape(e["image"]["shape"]) for e in d]
        titles = [f"{e['label']}\n→ {e['predicted']}" for e in d]
        fig = _grid(plt, imgs, titles, cols=8, size=1.25, cmap="gray_r")
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "misclassified.json"], draw, (
        f"Test images `{run}` gets wrong: true label → prediction")


def plot_grad_norms(res: Results, run: str):
    d = res.json(run, "grad_norms.json")
    if d is None:
        return None

    def draw(path: Path):
        plt = _plt()
        fig, ax = plt.subplots(figsize=(6.4, 3.8))
        labels = {"rnn_init": "RNN, initialised", "lstm_init": "LSTM, initialised",
                  "lstm_trained": "LSTM, trained"}
        for key, label in labels.items():
            if key in d:
                ax.semilogy(d["distance"], d[key], label=label, lw=1.5)
        ax.set_xlabel("distance T − t (characters back)")
        ax.set_ylabel("‖∂L/∂h_t‖")
        ax.set_title("gradient norm against distance (梯度消失)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "grad_norms.json"], draw, (
        f"Gradient norm against distance, from `{res.shown(run, 'grad_norms.json')}`")


def plot_projection(res: Results, run: str):
    d = res.json(run, "projection.json")
    if d is None or not d.get("x"):
        return None

    def draw(path: Path):
        plt = _plt()
        fig, ax = plt.subplots(figsize=(9, 7))
        colours = {"n": ("tab:blue", "noun"), "v": ("tab:red", "verb"), "a": ("tab:green", "adjective"),
                   "r": ("tab:purple", "adverb"), "": ("tab:gray", "not in WordNet")}
        for tag, (colour, label) in colours.items():
            idx = [i for i, t in enumerate(d["pos"]) if t == tag]
            if idx:
                ax.scatter([d["x"][i] for i in idx], [d["y"][i] for i in idx], s=10, c=colour, label=label, alpha=0.7)
        for i, word in enumerate(d["words"]):
            if i % 3 == 0:  # every third word: enough to read, few enough not to overlap much
                ax.annotate(word, (d["x"][i], d["y"][i]), fontsize=7, alpha=0.8, xytext=(2, 2),
                            textcoords="offset points")
        ev = d.get("explained_variance", [0, 0])
        ax.set_xlabel(f"first principal component ({100 * ev[0]:.1f}% of the variance)")
        ax.set_ylabel(f"second principal component ({100 * ev[1]:.1f}% of the variance)")
        ax.set_title(f"{len(d['words'])} frequent words, skip-gram vectors projected to 2-D (PCA)")
        ax.legend(title="most common part of speech", fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "projection.json"], draw, (
        f"Skip-gram vectors of frequent words projected onto their first two principal components, "
        f"from `{res.shown(run, 'projection.json')}`")


def plot_attention(res: Results, run: str):
    """Chapter 04's BERT: the attention probabilities of one sentence, a grid of layers x heads."""
    d = res.json(run, "attention.json")
    if d is None or not d.get("weights"):
        return None
    tokens, layers, heads = d["tokens"], d["layers"], d["heads"]
    w = d["weights"]
    t = len(tokens)
    if len(w) != layers or any(len(lw) != heads for lw in w) or any(
            len(hw) != t or any(len(row) != t for row in hw) for lw in w for hw in lw):
        raise ValueError(f"{res.shown(run, 'attention.json')}: weights must be layers x heads x T x T "
                         f"= {layers} x {heads} x {t} x {t}, one row and column per token")

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        # A panel per (layer, head); the whole grid at most about 15 inches wide.
        panel = min(max(2.4, 0.22 * t), 15.0 / heads)
        fig, axes = plt.subplots(layers, heads, figsize=(panel * heads + 0.8, panel * layers + 0.6),
                                 squeeze=False)
        font = 7 if t <= 16 else 6 if t <= 24 else 5
        image = None
        for l in range(layers):
            for h in range(heads):
                ax = axes[l][h]
                ax.grid(False)
                image = ax.imshow(np.array(w[l][h], dtype=float), cmap="Blues", vmin=0.0, vmax=1.0)
                ax.set_title(f"layer {l + 1}, head {h + 1}", fontsize=7)
                ax.set_xticks(range(t))
                ax.set_yticks(range(t))
                # Token labels on the outer edges only: keys along the bottom, queries on the left.
                ax.set_xticklabels(tokens if l == layers - 1 else [], rotation=90, fontsize=font)
                ax.set_yticklabels(tokens if h == 0 else [], fontsize=font)
                ax.tick_params(length=0)
        fig.supxlabel("key (the token looked at)", fontsize=9)
        fig.supylabel("query (the token looking)", fontsize=9)
        fig.tight_layout()
        if image is not None:
            fig.colorbar(image, ax=axes, shrink=0.6, label="attention probability")
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "attention.json"], draw, (
        f"Attention probabilities of every head of `{run}` for one sentence, {layers} layers by {heads} heads; "
        f"each row (a query) sums to 1")


def plot_gpt_loss(res: Results, run: str):
    """Chapter 05's GPT: its losses by step, and its validation loss against training time beside
    chapter 03's LSTM (and the `--full` runs of both, when they exist)."""
    metrics = res.jsonl(run, "metrics.jsonl")
    if metrics is None:
        return None
    summary = res.json(run, "summary.json") or {}
    others = {"GPT": (run, metrics)}
    for label, other in (("LSTM (chapter 03)", "03-rnn"), ("GPT --full", run + "-full"),
                         ("LSTM --full", "03-rnn-full")):
        records = res.jsonl(other, "metrics.jsonl")
        if records is not None:
            others[label] = (other, records)

    def draw(path: Path):
        plt = _plt()
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.9))
        for key, label, style in (("train_loss", "training loss (mean of 10 steps)", "-"),
                                  ("val_loss", "validation loss", "o-")):
            xs, ys = _series(metrics, key)
            if xs:
                ax.plot(xs, ys, style, label=label, lw=1.3, ms=4)
        for axis in (ax, bx):
            if "unigram_val_loss" in summary:
                axis.axhline(summary["unigram_val_loss"], color="tab:red", ls=":", lw=1.2,
                             label=f"unigram baseline {summary['unigram_val_loss']:.3f}")
        ax.set_xlabel("step")
        ax.set_ylabel("nats per character")
        ax.set_title(f"{run}: the GPT's loss")
        ax.legend()
        for label, (folder, records) in others.items():
            pts = [(r["seconds"], r["val_loss"]) for r in records if r.get("val_loss") is not None and "seconds" in r]
            if pts:
                bx.plot([p[0] for p in pts], [p[1] for p in pts], "o-" if "GPT" in label else "s-", ms=3.5, lw=1.3,
                        label=f"{label}, {folder}")
        bx.set_xlabel("seconds of training")
        bx.set_ylabel("validation loss, nats per character")
        bx.set_title("against chapter 03's LSTM, by time")
        bx.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    inputs = [res.root / folder / "metrics.jsonl" for folder, _ in others.values()]
    inputs += [p for p in [res.root / run / "summary.json"] if p.exists()]
    return inputs, draw, (f"Left: the training and validation loss of `{run}` by step. Right: validation loss against "
                          "seconds of training, the GPT beside chapter 03's LSTM on the same validation text")


def plot_kv_cache(res: Results, run: str):
    """Chapter 05's KV cache: the time of one new token with and without it, and the speed-up, by position."""
    d = res.json(run, "kv_cache.json")
    if d is None or not d.get("rows"):
        return None

    def draw(path: Path):
        plt = _plt()
        lengths = [r["length"] for r in d["rows"]]
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.9))
        ax.plot(lengths, [r["no_cache_ms"] for r in d["rows"]], "o-", label="without the cache (the whole prefix again)")
        ax.plot(lengths, [r["cache_ms"] for r in d["rows"]], "s-", label="with the cache (one position)")
        ax.set_xlabel("position L of the new token")
        ax.set_ylabel("milliseconds for the token")
        ax.set_title("the cost of one new token")
        ax.legend(fontsize=8)
        bx.plot(lengths, [r["speedup"] for r in d["rows"]], "o-", label="measured speed-up")
        bx.plot(lengths, lengths, "--", color="grey", label="L (positions the full pass recomputes)")
        bx.set_xlabel("position L of the new token")
        bx.set_ylabel("time without / time with the cache")
        bx.set_title("speed-up of the KV cache")
        bx.legend(fontsize=8)
        for axis in (ax, bx):
            axis.set_xscale("log", base=2)
            axis.set_yscale("log")
            axis.set_xticks(lengths, [str(v) for v in lengths])
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "kv_cache.json"], draw, (
        "The time to compute one new token at position L, with and without the KV cache, and their ratio "
        "(both axes logarithmic)")



# Chapter 07's recogniser: the example utterance (examples.json) as a waveform, its features,
# the mel filter bank and the network's probabilities over time; the losses and word error
# rates (metrics.jsonl); the confusions between digits on the test voices (summary.json).
def _asr_example(res: Results, run: str):
    d = res.json(run, "examples.json")
    return d if d and d.get("wave") and d.get("features") else None


def plot_asr_wave(res: Results, run: str):
    d = _asr_example(res, run)
    if d is None:
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        wave = np.array(d["wave"], dtype=float)
        t = np.arange(len(wave)) / d["wave_sample_rate"]
        fig, ax = plt.subplots(figsize=(10, 2.8))
        ax.plot(t, wave, lw=0.6, color="tab:blue")
        ax.set_xlim(0, t[-1] if len(t) else 1)
        lim = max(float(np.abs(wave).max()), 1e-3) * 1.1
        ax.set_ylim(-lim, lim)
        ax.set_xlabel("seconds")
        ax.set_ylabel("amplitude")
        ax.set_title(f"\u201c{d['said']}\u201d, voice {d['voice']}")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "examples.json"], draw, (
        f"The waveform of a test utterance, `{d['file']}`: amplitude against time, every 8th sample of the 16 kHz "
        f"signal (so {d['wave_sample_rate']:,} points per second are drawn)")


def plot_asr_spectrogram(res: Results, run: str):
    d = _asr_example(res, run)
    if d is None:
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        f = np.array(d["features"], dtype=float)  # (frames, bands)
        seconds = len(f) * d["frame_seconds"]
        fig, ax = plt.subplots(figsize=(10, 3.4))
        im = ax.imshow(f.T, origin="lower", aspect="auto", cmap="magma", extent=(0, seconds, -0.5, f.shape[1] - 0.5))
        ax.grid(False)
        ax.set_xlabel("seconds (one frame every 10 ms)")
        ax.set_ylabel("mel band (low to high)")
        ax.set_title(f"normalised log-mel features of \u201c{d['said']}\u201d")
        fig.colorbar(im, ax=ax, pad=0.01, label="standard deviations from the band's mean")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    f = d["features"]
    return [res.root / run / "examples.json"], draw, (
        f"What the network reads: the same utterance as {len(f):,} frames of {len(f[0])} log-mel features, each band "
        "shifted to mean 0 and scaled to variance 1 over the utterance")


def plot_asr_mel_bank(res: Results, run: str):
    d = res.json(run, "examples.json")
    if not d or not d.get("mel_filter_bank"):
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        bank = np.array(d["mel_filter_bank"], dtype=float)  # (n_mels, n_fft/2 + 1)
        hz = np.arange(bank.shape[1]) * d["feature_sample_rate"] / d["n_fft"]
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.6), gridspec_kw={"width_ratios": [2.2, 1]})
        colors = plt.cm.viridis(np.linspace(0, 1, len(bank)))
        for m, row in enumerate(bank):
            ax.plot(hz, row, lw=0.9, color=colors[m])
        ax.set_xlabel("frequency (Hz) of the FFT bin")
        ax.set_ylabel("weight")
        ax.set_title(f"the {len(bank)} triangular mel filters")
        ax.set_xlim(0, hz[-1])
        f = np.linspace(0, hz[-1], 400)
        bx.plot(f, 2595 * np.log10(1 + f / 700), color="tab:red")
        bx.plot(f, f, "--", color="grey", lw=1, label="mel = Hz")
        bx.set_xlabel("Hz")
        bx.set_ylabel("mel")
        bx.set_title("the HTK mel scale")
        bx.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    bank = d["mel_filter_bank"]
    return [res.root / run / "examples.json"], draw, (
        f"Left: the mel filter bank the features use, {len(bank)} filters over the {len(bank[0])} bins of a "
        f"{d['n_fft']}-point FFT at {d['feature_sample_rate']:,} Hz. Right: the mel scale, nearly linear up to about "
        "1 kHz and logarithmic above")


def plot_asr_posteriors(res: Results, run: str):
    d = _asr_example(res, run)
    if d is None or not d.get("posteriors"):
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        post = np.array(d["posteriors"], dtype=float)  # (T', classes)
        classes = d.get("classes") or [str(c) for c in range(post.shape[1])]
        blank = post.shape[1] - 1
        step = d["output_frame_seconds"]
        t = np.arange(len(post)) * step
        f = np.array(d["features"], dtype=float)
        fig, (ax, bx) = plt.subplots(2, 1, figsize=(10, 5.2), sharex=True, gridspec_kw={"height_ratios": [1, 1.3]})
        ax.imshow(f.T, origin="lower", aspect="auto", cmap="magma",
                  extent=(0, len(f) * d["frame_seconds"], -0.5, f.shape[1] - 0.5))
        ax.grid(False)
        ax.set_ylabel("mel band")
        ax.set_title(f"said \u201c{d['said']}\u201d, heard \u201c{d['heard']}\u201d")
        bx.plot(t, post[:, blank], color="grey", ls="--", lw=1.2, label="blank")
        colors = plt.cm.tab10(np.arange(10))
        for c in range(blank):
            if post[:, c].max() < 0.05:
                continue
            bx.plot(t, post[:, c], color=colors[c % 10], lw=1.6, label=classes[c])
            peak = int(post[:, c].argmax())
            bx.annotate(classes[c], (t[peak], post[peak, c]), textcoords="offset points", xytext=(0, 4), ha="center",
                        fontsize=8, color=colors[c % 10])
        bx.set_ylim(0, 1.08)
        bx.set_xlabel(f"seconds (one output frame every {1000 * step:.0f} ms)")
        bx.set_ylabel("probability")
        bx.legend(fontsize=7, ncol=6, loc="center right")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    # How the frames divide between the blank and the words: the caption states it for this run.
    post = d["posteriors"]
    winners = [max(range(len(row)), key=row.__getitem__) for row in post]
    blank = len(post[0]) - 1
    word_frames = sum(w != blank for w in winners)
    runs = sum(1 for i, w in enumerate(winners) if w != blank and (i == 0 or winners[i - 1] != w))
    step_ms = 1000 * d["output_frame_seconds"]
    shape = ""
    if runs:
        shape = (f". The blank wins {len(post) - word_frames} of the {len(post)} output frames; the words win "
                 f"{word_frames}, {word_frames / runs:.1f} consecutive frames ({word_frames / runs * step_ms:.0f} ms) "
                 "per word on average")
    return [res.root / run / "examples.json"], draw, (
        "CTC's alignment, as the trained network sees the test utterance: above, its features; below, the probability "
        "of each class at each output frame (the blank dashed, words that never pass 5% left out)" + shape)


def plot_asr_loss(res: Results, run: str):
    metrics = res.jsonl(run, "metrics.jsonl")
    if metrics is None:
        return None

    def draw(path: Path):
        plt = _plt()
        steps = [r for r in metrics if "train_loss" in r]
        evals = [r for r in metrics if "validation_loss" in r]
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 3.9))
        ax.plot([r["step"] for r in steps], [r["train_loss"] for r in steps], "-", lw=1.2,
                label="training loss (mean since the last record)")
        ax.plot([r["step"] for r in evals], [r["validation_loss"] for r in evals], "o-", ms=4, lw=1.3,
                label="validation loss per word")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("CTC loss (nats)")
        ax.set_title(f"{run}: CTC loss")
        ax.legend(fontsize=8)
        bx.plot([r["epoch"] for r in evals], [100 * r["validation_wer"] for r in evals], "o-", ms=4, color="tab:green")
        bx.set_xlabel("epoch")
        bx.set_ylabel("word error rate (%)")
        bx.set_title("validation voices, greedy decoding")
        bx.set_ylim(bottom=0)
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    return [res.root / run / "metrics.jsonl"], draw, (
        f"Left: the CTC loss of `{run}` by step (logarithmic axis). Right: the word error rate on the validation voices "
        "after each epoch")


def plot_asr_confusion(res: Results, run: str):
    s = res.json(run, "summary.json")
    if s is None or not s.get("test_confusion"):
        return None

    def draw(path: Path):
        plt = _plt()
        import numpy as np

        m = np.array(s["test_confusion"])
        names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"][:len(m)]
        fig, ax = plt.subplots(figsize=(6.6, 5.8))
        ax.imshow(np.log1p(m), cmap="Blues")
        ax.grid(False)
        for i in range(len(m)):
            for j in range(len(m)):
                if m[i, j]:
                    ax.text(j, i, str(m[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if m[i, j] > m.max() / 3 else "black")
        ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
        ax.set_yticks(range(len(names)), names)
        ax.set_xlabel("heard")
        ax.set_ylabel("said")
        ax.set_title(f"{run}: digits said and heard, test voices")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    total = sum(sum(row) for row in s["test_confusion"])
    return [res.root / run / "summary.json"], draw, (
        f"Which digit the recogniser heard for each digit said, on the test voices: {total:,} words of the test "
        "transcripts that have the right number of words, the k-th word said against the k-th word heard (empty "
        "cells are 0)")



# Chapter 06: the learning curves and the reliability diagrams (summary.json of 06-nlu).
def plot_nlu_learning_curve(res: Results, run: str):
    s = _nlu_summary(res, run)
    curve = _nlu_curve(s) if s else {}
    if not curve:
        return None

    def draw(path: Path):
        plt = _plt()
        fig, ax = plt.subplots(figsize=(8.5, 4.6))
        styles = {"naive_bayes": ("tab:orange", "o", "--"), "class_conditional_lm": ("tab:brown", "v", "--"),
                  "logistic_regression": ("tab:blue", "s", "-"), "encoder_from_scratch": ("tab:grey", "^", "-"),
                  "bert_finetuned": ("tab:green", "D", "-")}
        for m in [m for m in NLU_MODELS if m in curve] + [m for m in curve if m not in NLU_MODELS]:
            color, marker, ls = styles.get(m, ("tab:purple", "x", "-"))
            ns = sorted(curve[m])
            mean = [100 * sum(curve[m][n]) / len(curve[m][n]) for n in ns]
            lo = [100 * min(curve[m][n]) for n in ns]
            hi = [100 * max(curve[m][n]) for n in ns]
            ax.fill_between(ns, lo, hi, color=color, alpha=0.18, lw=0)
            ax.plot(ns, mean, ls=ls, marker=marker, ms=5, color=color,
                    label=f"{_nlu_name(m)} ({'generative' if ls == '--' else 'discriminative'})")
        if "majority_accuracy" in s:
            ax.axhline(100 * s["majority_accuracy"], color="black", lw=0.8, ls=":", label="majority class")
        ax.set_xscale("log")
        ax.set_xlabel("training glosses n (logarithmic)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title("learning curves: mean over the random subsets, band from lowest to highest")
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    seeds = max(len(v) for by_n in curve.values() for v in by_n.values())
    return [res.root / run / "summary.json"], draw, (
        f"Test accuracy against the number of training glosses, for random training subsets of each size ({seeds} per "
        "size, the band spans the lowest and highest); dashed lines are the generative models, solid the "
        "discriminative ones")


def plot_nlu_reliability(res: Results, run: str):
    s = _nlu_summary(res, run)
    if s is None:
        return None
    models = [m for m in s["models"] if m.get("reliability")]
    if not models:
        return None

    def draw(path: Path):
        plt = _plt()
        cols = min(3, len(models))
        rows = (len(models) + cols - 1) // cols
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.5 * rows), squeeze=False)
        for ax in axes.flat[len(models):]:
            ax.axis("off")
        for ax, m in zip(axes.flat, models):
            bins = [b for b in m["reliability"] if b["count"] > 0]
            width = [b["hi"] - b["lo"] for b in bins]
            centre = [(b["lo"] + b["hi"]) / 2 for b in bins]
            ax.bar(centre, [b["accuracy"] for b in bins], width=width, color="tab:blue", alpha=0.75,
                   edgecolor="white", label="accuracy")
            ax.bar(centre, [abs(b["confidence"] - b["accuracy"]) for b in bins],
                   bottom=[min(b["accuracy"], b["confidence"]) for b in bins],
                   width=width, color="tab:red", alpha=0.35, edgecolor="tab:red", lw=0.5, label="gap to confidence")
            ax.plot([0, 1], [0, 1], "--", color="grey", lw=1)
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_aspect("equal")
            ax.set_xlabel("confidence (top probability)")
            ax.set_ylabel("accuracy")
            ax.set_title(f"{_nlu_name(m['name'])}\nECE {m['ece']:.3f}", fontsize=9)
            ax.legend(fontsize=7, loc="upper left")
        fig.tight_layout()
        fig.savefig(path)
        plt.close(fig)

    bins = len(models[0]["reliability"])
    return [res.root / run / "summary.json"], draw, (
        f"Reliability diagrams on the test glosses: the predictions sorted into {bins} bins by the probability the model "
        "gave its answer, each bar the share right in its bin; the red part spans the gap between the bar's top and "
        "the bin's mean confidence (red above a bar: overconfident; red covering the top of a bar: underconfident). "
        "A calibrated model's bars reach the dashed diagonal")


PLOTS = {
    "loss": plot_loss,
    "accuracy": plot_loss,
    "overfitting": plot_loss,
    "confusion": plot_confusion,
    "filters": plot_filters,
    "feature_maps": plot_feature_maps,
    "misclassified": plot_misclassified,
    "grad_norms": plot_grad_norms,
    "projection": plot_projection,
    "attention": plot_attention,
    "gpt_loss": plot_gpt_loss,
    "kv_cache": plot_kv_cache,
    "asr_wave": plot_asr_wave,
    "asr_spectrogram": plot_asr_spectrogram,
    "asr_mel_bank": plot_asr_mel_bank,
    "asr_posteriors": plot_asr_posteriors,
    "asr_loss": plot_asr_loss,
    "asr_confusion": plot_asr_confusion,
    "nlu_learning_curve": plot_nlu_learning_curve,
    "nlu_reliability": plot_nlu_reliability,
}


@contextmanager
def numbers_expected(what: str, run: str):
    """A results file holding null (or text) where a table or plot needs a number: the C++
    side writes NaN and infinity as null, so a diverged run ends here. A clear error naming
    the run, instead of Python's TypeError from deep inside the drawing."""
    try:
        yield
    except (TypeError, KeyError) as e:
        raise ValueError(f"{what}: build/results/{run}/ lacks a number it needs ({type(e).__name__}: {e}); a run "
                         "that diverged writes NaN as null, and an older program may write other keys: run the "
                         "chapter again") from None


def plot_block(res: Results, chapter: str, spec: str) -> str:
    words = spec.split()
    if len(words) == 2 and words[0] not in PLOTS:
        run, name = f"{chapter}-{words[0]}", words[1]
    elif len(words) == 1:
        run, name = chapter, words[0]
    else:
        raise ValueError(f"plot placeholder '{spec}': expected NAME or VARIANT NAME")
    if name not in PLOTS:
        raise ValueError(f"unknown plot '{name}' (known: {', '.join(sorted(PLOTS))})")
    with numbers_expected(f"plot {name}", run):
        made = PLOTS[name](res, run)
        if made is None:
            return missing(f"The `{name}` plot", run)
        inputs, draw, caption = made
        shown = [f"build/results/{p.relative_to(res.root).as_posix()}" for p in inputs]
        redraw(res, res.gen / run / f"{name}.png", inputs, draw, f"plot {run}/{name}")
    return figure_markup(f"{run}/{name}.png", caption, f" Drawn by the docs build from `{'`, `'.join(shown)}`.")


def redraw(res: Results, out: Path, inputs: list[Path], draw, what: str) -> None:
    """Draw `out` when it is missing or older than one of `inputs` (written whole, then renamed)."""
    newest = max(p.stat().st_mtime for p in inputs)
    if out.exists() and out.stat().st_mtime >= newest:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f"{out.stem}.tmp{out.suffix}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw(tmp)
    # A missing glyph (no CJK font) is a docs warning, so -W fails on it.
    for w in {str(w.message) for w in caught}:
        logger.warning(f"{what}: {w}", location=res.docname)
    os.replace(tmp, out)


def figure_markup(generated: str, caption: str, note: str = "") -> str:
    """A figure of `_generated/`, its caption as alt text and (plus `note`) under the picture."""
    return (
        f"\n```{{figure}} /_generated/{generated}\n:alt: {json.dumps(caption.replace('`', ''), ensure_ascii=False)}\n"
        f":class: dlbook-plot\n\n"
        f"{caption}.{note}\n```\n"
    )


# --------------------------------------------------------------------------------------
# Schematic figures, `<!-- figure: NAME -->`: drawn from code alone, no run results.
# Each entry of FIGURES is a Figure; its draw(path) writes the picture to `path`.

# One palette for all schematics: what a colour means stays the same from figure to figure.
INK = "#333333"          # edges, arrows, text
DATA = "#dbe8f5"         # input values (pixels, characters)
HIGHLIGHT = "#f08a3c"    # the one window / patch / column being followed
HIGHLIGHT_FILL = "#fde0c8"
WEIGHTS = "#e6dcf2"      # learned parameters (the kernel)
OUTPUT = "#d5eedd"       # results (outputs, states)
STOP = "#c0392b"         # where gradients stop
STATE = "#2a9d6f"        # what is carried forward
SOFT = "#999999"         # secondary labels


def _canvas(plt, width: float, height: float, xlim, ylim, flip: bool = True):
    """A figure without axes in data units (equal aspect); with `flip`, rows count downwards."""
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(*xlim)
    ax.set_ylim(*(ylim[::-1] if flip else ylim))
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _cells(ax, x0: float, y0: float, values, fill=DATA, fills=None, fontsize=11, colors=None, fmt="{:g}"):
    """A grid of numbered cells, top-left corner at (x0, y0), one unit per cell (rows downwards).
    `fills` and `colors` map (row, col) to a cell colour or a text colour; None values stay blank."""
    from matplotlib.patches import Rectangle

    for r, row in enumerate(values):
        for c, v in enumerate(row):
            face = (fills or {}).get((r, c), fill)
            ax.add_patch(Rectangle((x0 + c, y0 + r), 1, 1, facecolor=face, edgecolor=INK, lw=0.8))
            if v is not None:
                ax.text(x0 + c + 0.5, y0 + r + 0.52, fmt.format(v).replace("-", "\u2212"), ha="center",
                        va="center", fontsize=fontsize, color=(colors or {}).get((r, c), INK))


def _frame(ax, x0: float, y0: float, w: float, h: float, color=HIGHLIGHT, lw=2.5, **kw):
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x0, y0), w, h, fill=False, edgecolor=color, lw=lw, **kw))


def _arrow(ax, start, end, color=INK, lw=1.3, style="-|>", **kw):
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle=style, color=color, lw=lw, shrinkA=0, shrinkB=0,
                                                          **kw))


# Chapter 02's worked example (lesson.md, "A worked example"; test_lesson.cpp checks the same numbers).
CONV_X = [[1, 0, 2, 1], [0, 3, 1, 0], [2, 1, 0, 1], [1, 0, 1, 2]]
CONV_W = [[1, 0, -1], [2, 0, -2], [1, 0, -1]]


def _conv_example():
    """X, W, every window, and the output Y of a stride-1 convolution without padding."""
    import numpy as np

    x, w = np.array(CONV_X), np.array(CONV_W)
    k, n = w.shape[0], x.shape[0] - w.shape[0] + 1
    windows = {(i, j): x[i:i + k, j:j + k] for i in range(n) for j in range(n)}
    y = np.array([[int((windows[i, j] * w).sum()) for j in range(n)] for i in range(n)])
    return x, w, windows, y


def figure_conv_sliding_window(path: Path):
    plt = _plt()
    x, w, windows, y = _conv_example()
    k, n, size = w.shape[0], y.shape[0], x.shape[0]
    fig, ax = _canvas(plt, 9.2, 3.6, (-0.3, 23.3), (-1.4, 7.6))
    # The kernel, once, on the left.
    _cells(ax, 0, 0.5, w.tolist(), fill=WEIGHTS)
    ax.text(1.5, k + 0.8, "kernel W", ha="center", va="top", fontsize=11)
    # Two panels: the window at output (0,0), then one step to the right at (0,1).
    for panel, (i, j) in enumerate([(0, 0), (0, 1)]):
        x0 = 4.5 + panel * 9.8
        hl = {(i + u, j + v): HIGHLIGHT_FILL for u in range(k) for v in range(k)}
        _cells(ax, x0, 0, x.tolist(), fills=hl)
        _frame(ax, x0 + j, i, k, k)
        ax.text(x0 + size / 2, size + 0.3, f"input X, window at ({i},{j})", ha="center", va="top", fontsize=11)
        # The output grid: this position in orange, positions computed before it in grey.
        order = [(a, b) for a in range(n) for b in range(n)]
        done = order[:order.index((i, j)) + 1]
        shown = [[y[a, b] if (a, b) in done else None for b in range(n)] for a in range(n)]
        yx, yy = x0 + size + 2.0, 1.5
        _cells(ax, yx, yy, shown, fill=OUTPUT, fills={(i, j): HIGHLIGHT_FILL},
               colors={d: SOFT for d in done if d != (i, j)})
        _frame(ax, yx + j, yy + i, 1, 1)
        ax.text(yx + n / 2, yy + n + 0.3, "output Y", ha="center", va="top", fontsize=11)
        _arrow(ax, (x0 + j + k - 0.5, i - 0.1), (yx + j + 0.5, yy + i - 0.1), color=HIGHLIGHT, lw=1.8,
               connectionstyle="arc3,rad=-0.35")
        # The dot product written out, one kernel row per line, as in the lesson.
        terms = [" + ".join(f"{a}\u00b7{b}" if b >= 0 else f"{a}\u00b7({b})"
                            for a, b in zip(windows[i, j][u], w[u])) for u in range(k)]
        text = "\n+ ".join(terms) + f" = {y[i, j]}"
        ax.text(x0 + 4.2, size + 1.5, f"Y[{i},{j}] = " + text.replace("-", "\u2212"), ha="center", va="top", fontsize=10,
                linespacing=1.4)
    fig.savefig(path, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)


def figure_im2col(path: Path):
    import numpy as np

    plt = _plt()
    x, w, windows, y = _conv_example()
    k, n = w.shape[0], y.shape[0]
    # im2col as in common/src/ops_conv.cpp: one column per output position (row-major),
    # rows ordered (u, v); the kernel read row by row is a (1, 9) row, and one product gives Y.
    positions = [(i, j) for i in range(n) for j in range(n)]
    col = np.stack([windows[p].ravel() for p in positions], axis=1)     # (K, P) = (9, 4)
    out = w.ravel() @ col                                                 # (P,)
    assert (out.reshape(n, n) == y).all()
    follow = positions.index((0, 1))                                      # the patch in orange
    K, P = col.shape
    fig, ax = _canvas(plt, 8.4, 4.3, (-0.2, 22.4), (-1.7, 10.9))
    mid = (K - 1) / 2                                                     # the row W and Y sit on
    # X with the followed window, above the kernel; im2col turns it into the matrix on the right.
    i, j = positions[follow]
    xx, xy = 3.0, mid - 4.5
    _cells(ax, xx, xy, x.tolist(), fills={(i + u, j + v): HIGHLIGHT_FILL for u in range(k) for v in range(k)})
    _frame(ax, xx + j, xy + i, k, k)
    ax.text(xx + 2, xy - 0.5, "input X", ha="center", fontsize=11)
    # W as a (1, K) row, times col(X), equals Y as a (1, P) row.
    wx = 0.3
    cx = wx + K + 1.1
    _arrow(ax, (xx + 4.3, xy + 1.5), (cx - 0.2, xy + 1.5))
    ax.text((xx + 4.3 + cx) / 2, xy + 1.2, "im2col", ha="center", fontsize=10)
    _cells(ax, wx, mid, [w.ravel().tolist()], fill=WEIGHTS)
    ax.text(wx + K / 2, mid + 1.6, f"W as a row (1\u00d7{K})", ha="center", fontsize=10)
    ax.text(wx + K + 0.55, mid + 0.55, "\u00d7", ha="center", va="center", fontsize=16)
    _cells(ax, cx, 0, col.tolist(), fills={(r, follow): HIGHLIGHT_FILL for r in range(K)})
    _frame(ax, cx + follow, 0, 1, K)
    for p, (a, b) in enumerate(positions):                                # which output each column serves
        ax.text(cx + p + 0.5, -0.3, f"{a},{b}", ha="center", fontsize=8, color=SOFT)
    for r in range(K):                                                    # which kernel tap each row holds
        ax.text(cx + P + 0.15, r + 0.55, f"{r // k},{r % k}", va="center", fontsize=8, color=SOFT)
    ax.text(cx + P / 2, K + 0.6, f"col(X): one column\nper window ({K}\u00d7{P})", ha="center", va="top",
            fontsize=10)
    ax.text(cx + P + 1.6, mid + 0.55, "=", ha="center", va="center", fontsize=16)
    yx = cx + P + 2.2
    _cells(ax, yx, mid, [out.tolist()], fill=OUTPUT, fills={(0, follow): HIGHLIGHT_FILL})
    _frame(ax, yx + follow, mid, 1, 1)
    for p, (a, b) in enumerate(positions):
        ax.text(yx + p + 0.5, mid - 0.3, f"{a},{b}", ha="center", fontsize=8, color=SOFT)
    ax.text(yx + P / 2, mid + 1.5, f"Y, all {P} outputs\nin one product", ha="center", va="top", fontsize=10)
    fig.savefig(path, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)


# Chapter 02's network, chapters/02-cnn/cnn.hpp (struct CNN): (name, kernel, stride, padding).
CNN_LAYERS = [("conv1 3\u00d73", 3, 1, 1), ("pool 2\u00d72", 2, 2, 0), ("conv2 3\u00d73", 3, 1, 1),
              ("pool 2\u00d72", 2, 2, 0)]
CNN_INPUT = 28


def figure_receptive_field(path: Path):
    from matplotlib.patches import Rectangle

    plt = _plt()
    # The recurrence of the lesson: r += (k - 1) * jump, jump *= stride.
    r, jump, rows = 1, 1, [("pixel", 1, 1)]
    sizes = [CNN_INPUT]
    for name, k, s, p in CNN_LAYERS:
        r, jump = r + (k - 1) * jump, jump * s
        rows.append((name, r, jump))
        sizes.append((sizes[-1] + 2 * p - k) // s + 1)
    # Where the fields lie: from the centre unit of the last map, step down one layer at a
    # time to one of the units it reads (the middle one), and map each unit back to the pixels.
    def pixels(layer: int, lo: int, hi: int):        # units lo..hi of a layer -> pixel range
        for _, k, s, p in reversed(CNN_LAYERS[:layer]):
            lo, hi = lo * s - p, hi * s - p + k - 1
        return max(lo, 0), min(hi, CNN_INPUT - 1)   # padding lies outside the image
    unit = [sizes[-1] // 2]
    for _, k, s, p in reversed(CNN_LAYERS):
        unit.insert(0, unit[0] * s - p + (k - 1) // 2)
    fields = [pixels(layer, unit[layer], unit[layer]) for layer in range(len(CNN_LAYERS) + 1)]
    assert [hi - lo + 1 for lo, hi in fields] == [size for _, size, _ in rows]   # both ways agree
    neighbour = pixels(len(CNN_LAYERS), unit[-1] + 1, unit[-1] + 1)              # next unit to the right

    fig, ax = _canvas(plt, 8.6, 4.6, (-0.4, 51), (-1.6, CNN_INPUT + 0.4))
    # Opaque squares, largest first, one shade per layer; the pixel grid on top keeps them countable.
    shades = plt.get_cmap("Blues")([1.0, 0.78, 0.58, 0.38, 0.18])
    ax.add_patch(Rectangle((0, 0), CNN_INPUT, CNN_INPUT, facecolor="white", edgecolor=INK, lw=1))
    for layer in reversed(range(len(fields))):
        lo, hi = fields[layer]
        ax.add_patch(Rectangle((lo, lo), hi - lo + 1, hi - lo + 1, facecolor=shades[layer], edgecolor="none"))
    for layer, (lo, hi) in enumerate(fields):  # outlines after the fills, so that shared edges stay visible
        ax.add_patch(Rectangle((lo, lo), hi - lo + 1, hi - lo + 1, fill=False, edgecolor=INK, lw=1, zorder=3))
    for t in range(1, CNN_INPUT):
        ax.plot([t, t], [0, CNN_INPUT], color="#d0d0d0", lw=0.5)
        ax.plot([0, CNN_INPUT], [t, t], color="#d0d0d0", lw=0.5)
    lo, hi = neighbour
    ax.add_patch(Rectangle((lo, fields[-1][0]), hi - lo + 1, hi - lo + 1, fill=False, edgecolor=HIGHLIGHT, lw=2,
                           ls="--"))
    ax.text(CNN_INPUT / 2, -0.6, f"the {CNN_INPUT}\u00d7{CNN_INPUT} input image", ha="center", fontsize=11)
    # The table of the lesson, beside the picture.
    x0, y0 = CNN_INPUT + 2, 2
    columns = [("after layer", 2.2), ("field", 13), ("jump", 18)]
    for head, dx in columns:
        ax.text(x0 + dx, y0, head, fontsize=11, weight="bold", ha="left" if dx < 5 else "center")
    for row, (name, size, j) in enumerate(rows):
        y = y0 + 2.6 * (row + 1)
        ax.add_patch(Rectangle((x0, y - 0.8), 1.6, 1.6, facecolor=shades[row], edgecolor=INK, lw=0.5))
        for text, (_, dx) in zip([name, f"{size}\u00d7{size}", f"{j}"], columns):
            ax.text(x0 + dx, y, text, va="center", fontsize=11, ha="left" if dx < 5 else "center")
    y = y0 + 2.6 * (len(rows) + 1)
    ax.plot([x0, x0 + 1.6], [y, y], color=HIGHLIGHT, lw=2, ls="--")
    ax.text(x0 + 2.2, y, f"the next unit's field, {rows[-1][2]} pixels over", va="center", fontsize=10)
    fig.savefig(path, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)


def figure_lstm_cell(path: Path):
    from matplotlib.patches import Circle, FancyBboxPatch

    plt = _plt()
    fig, ax = _canvas(plt, 8.6, 3.9, (-0.2, 17.2), (0, 7.6), flip=False)
    ax.add_patch(FancyBboxPatch((1.6, 0.9), 11.4, 6.3, boxstyle="round,pad=0,rounding_size=0.4", facecolor="#f7f7f7",
                                edgecolor=SOFT, lw=1))
    top, bus, gate_y = 6.2, 1.6, 3.2          # heights of the cell-state line, the input bus, the gates

    def node(x, y, symbol):                   # a pointwise operation: a circle with its symbol
        ax.add_patch(Circle((x, y), 0.36, facecolor="white", edgecolor=INK, lw=1.3, zorder=3))
        ax.text(x, y, symbol, ha="center", va="center", fontsize=13, zorder=4)

    def line(points, arrow=False, color=INK, lw=1.5):
        xs, ys = zip(*points)
        if arrow:
            ax.plot(xs[:-1], ys[:-1], color=color, lw=lw, zorder=1)
            _arrow(ax, points[-2], points[-1], color=color, lw=lw)
        else:
            ax.plot(xs, ys, color=color, lw=lw, zorder=1)

    def label(x, y, text, **kw):
        ax.text(x, y, text, fontsize=13, **kw)

    # The cell state runs straight along the top: one multiplication, one addition.
    fx, ix, gx, ox, hx = 4.2, 6.0, 7.6, 9.4, 11.2      # columns of f, i, g, o and of the output tanh
    line([(0.4, top), (16.0, top)], arrow=True, color=STATE, lw=2.6)
    label(0.2, top + 0.35, "$c_{t-1}$")
    label(15.6, top + 0.35, "$c_t$")
    node(fx, top, "$\\odot$")
    node((ix + gx) / 2, top, "$+$")
    # h_{t-1} from the left and x_t from below join into the bus that feeds all four layers.
    line([(0.4, bus), (ox, bus)])
    label(0.2, bus - 0.6, "$h_{t-1}$")
    line([(2.8, 0.0), (2.8, bus)])
    ax.plot([2.8], [bus], "o", color=INK, ms=5)
    label(3.0, 0.1, "$x_t$")
    gates = [(fx, "$\\sigma$", "$f_t$"), (ix, "$\\sigma$", "$i_t$"), (gx, "tanh", "$g_t$"), (ox, "$\\sigma$", "$o_t$")]
    for x, fn, name in gates:
        line([(x, bus), (x, gate_y - 0.45)], arrow=True)
        ax.add_patch(FancyBboxPatch((x - 0.6, gate_y - 0.45), 1.2, 0.9, boxstyle="round,pad=0,rounding_size=0.15",
                                    facecolor=WEIGHTS, edgecolor=INK, lw=1.2, zorder=2))
        ax.text(x, gate_y, fn, ha="center", va="center", fontsize=13 if fn != "tanh" else 11, zorder=3)
    # f_t scales the old cell; i_t scales the candidate g_t, which is then added.
    line([(fx, gate_y + 0.45), (fx, top - 0.36)], arrow=True)
    label(fx + 0.15, 4.4, "$f_t$")
    mx, my = (ix + gx) / 2, 4.7
    line([(ix, gate_y + 0.45), (ix, my), (mx - 0.36, my)], arrow=True)
    line([(gx, gate_y + 0.45), (gx, my), (mx + 0.36, my)], arrow=True)
    node(mx, my, "$\\odot$")
    line([(mx, my + 0.36), (mx, top - 0.36)], arrow=True)
    label(ix - 0.65, 3.95, "$i_t$")
    label(gx + 0.15, 3.95, "$g_t$")
    # The output: tanh of the new cell, scaled by o_t, is h_t.
    ex, ey = hx, 4.6
    line([(hx, top), (hx, ey + 0.35)], arrow=True)
    ax.add_patch(FancyBboxPatch((hx - 0.55, ey - 0.32), 1.1, 0.64, boxstyle="round,pad=0,rounding_size=0.3",
                                facecolor="white", edgecolor=INK, lw=1.2, zorder=2))
    ax.text(hx, ey, "tanh", ha="center", va="center", fontsize=11, zorder=3)
    line([(hx, ey - 0.32), (hx, gate_y + 0.36)], arrow=True)
    line([(ox + 0.6, gate_y), (hx - 0.36, gate_y)], arrow=True)
    label((ox + hx) / 2 - 0.2, gate_y + 0.2, "$o_t$")
    node(hx, gate_y, "$\\odot$")
    line([(hx, gate_y - 0.36), (hx, bus), (16.0, bus)], arrow=True, color=STATE, lw=2.6)
    label(15.6, bus + 0.35, "$h_t$")
    # The update, written out beside the picture.
    ax.text(13.4, 3.95, "$c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$\n$h_t = o_t \\odot \\tanh(c_t)$", fontsize=11,
            va="center", linespacing=1.8)
    fig.savefig(path, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)


def figure_bptt_lanes(path: Path):
    from matplotlib.patches import Rectangle

    plt = _plt()
    B, T, windows = 4, 6, 3              # illustrative; the program reads --batch-size lanes and --seq-len steps
    L = windows * T                      # characters per lane (ch03::LaneReader: (stream length - 1) / B)
    gap, row = 1.2, 1.4                  # space between windows, height of a lane's row
    def x(t):                            # where character t of a lane is drawn
        return t + (t // T) * gap
    width = x(L - 1) + 1
    lane_colors = plt.get_cmap("tab10")([0, 1, 2, 4])
    fig, ax = _canvas(plt, 9.4, 4.3, (-3.4, width + 3.8), (-3.0, B * row + 2.4))
    # The stream on top, shrunk to the same width and cut into B contiguous pieces.
    piece = width / B
    for b in range(B):
        ax.add_patch(Rectangle((b * piece, -2.2), piece, 0.8, facecolor=lane_colors[b], alpha=0.45, edgecolor=INK,
                               lw=0.8))
        ax.text((b + 0.5) * piece, -1.8, f"characters {b * L}\u2013{(b + 1) * L - 1}", ha="center", va="center",
                fontsize=9)
    ax.text(width / 2, -2.5, f"the training text, cut into {B} contiguous lanes, one per row of the batch",
            ha="center", fontsize=10)
    # The lanes as rows; each cell shows which character of the stream it holds.
    for b in range(B):
        y = b * row
        ax.text(-0.4, y + 0.5, f"lane {b}", ha="right", va="center", fontsize=10)
        for t in range(L):
            ax.add_patch(Rectangle((x(t), y), 1, 1, facecolor=lane_colors[b], alpha=0.25, edgecolor=INK, lw=0.6))
            ax.text(x(t) + 0.5, y + 0.52, f"{b * L + t}", ha="center", va="center", fontsize=8.5)
    bottom = (B - 1) * row + 1
    for k in range(windows):
        left = x(k * T)
        _frame(ax, left - 0.15, -0.25, T + 0.3, bottom + 0.5, color=INK, lw=1.2, ls=(0, (4, 2)))
        ax.text(left + T / 2, bottom + 0.45, f"step {k + 1}: a ({B}, {T}) batch", ha="center", va="top", fontsize=10)
        _arrow(ax, (left + T - 0.2, bottom + 1.45), (left + 0.2, bottom + 1.45), color=STOP, lw=1.4)
        ax.text(left + T / 2, bottom + 1.7, "gradients, within the window", ha="center", va="top", fontsize=8.5,
                color=STOP)
    # Across each boundary the state goes on (detached), and the gradients stop.
    for k in range(1, windows):
        mid = x(k * T) - gap / 2
        ax.plot([mid, mid], [-0.6, bottom + 0.35], color=STOP, lw=2.2)
        for b in range(B):
            _arrow(ax, (mid - gap / 2 - 0.1, b * row + 0.5), (mid + gap / 2 + 0.1, b * row + 0.5), color=STATE, lw=2)
    ax.text(width + 0.4, 0.8, "green: the state\n$h, c$ goes on,\ndetached", va="center", fontsize=10, color=STATE)
    ax.text(width + 0.4, bottom - 1.2, "red: gradients\nstop here", va="center", fontsize=10, color=STOP)
    fig.savefig(path, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)


class Figure(NamedTuple):
    """A schematic: draw(path) writes it; caption is its one line under the picture."""

    draw: Callable[[Path], None]
    caption: str
    suffix: str = ".png"                  # what draw writes (".svg" for a Graphviz drawing, say)
    inputs: tuple[Path, ...] = ()         # files it is drawn from besides this one (a .dot file, say)


# Chapter 01's computation graphs: DOT files that dl::to_dot wrote from the tape
# (chapters/01-deep-learning/autograd_graph_main.cpp, run by the docs target), drawn by Graphviz.
GRAPHS_DIR = Path(os.environ.get("DLBOOK_GRAPHS_DIR", THIS_FILE.parents[2] / "build" / "docs" / "graphs"))


def graphviz(dot_file: Path):
    def draw(path: Path):
        subprocess.run(["dot", "-Tsvg", str(dot_file), "-o", str(path)], check=True)
    return draw


FIGURES = {
    "autograd_scalar": Figure(graphviz(GRAPHS_DIR / "autograd_scalar.dot"), (
        "The tape of y = (ab + b)², drawn by `dl::to_dot(y)` before `backward()`: leaves in blue, ops in yellow "
        "with the value each computed; b has two arrows, so its gradient gets two contributions"),
        suffix=".svg", inputs=(GRAPHS_DIR / "autograd_scalar.dot",)),
    "autograd_mlp": Figure(graphviz(GRAPHS_DIR / "autograd_mlp.dot"), (
        "The tape of the MLP's loss on a batch of four images, drawn by `dl::to_dot(loss, "
        "model.named_parameters())`: each `linear` uses a weight and a bias, so backward fills six gradients; the "
        "images are data, not on the tape"),
        suffix=".svg", inputs=(GRAPHS_DIR / "autograd_mlp.dot",)),
    "conv_sliding_window": Figure(figure_conv_sliding_window, (
        "The lesson's worked example: the 3\u00d73 window at two positions; each output is the sum of the nine "
        "products of the window's pixels with the kernel weights under them")),
    "im2col": Figure(figure_im2col, (
        "im2col on the same example: each window becomes one column, so the kernel as a row times that matrix "
        "gives every output at once; follow the orange window into its column and its output")),
    "receptive_field": Figure(figure_receptive_field, (
        "Receptive fields in this chapter's network, one square per layer: each layer's unit sees more of the image "
        "than the one below it, and pooling doubles the growth of the layers after it; a neighbour's field (dashed) "
        "overlaps")),
    "lstm_cell": Figure(figure_lstm_cell, (
        "One LSTM step: the cell state runs along the top, touched only by a product with the forget gate and a "
        "sum with the gated candidate; the new hidden state is the output gate's share of the squashed cell")),
    "bptt_lanes": Figure(figure_bptt_lanes, (
        "Truncated BPTT, drawn with 4 lanes and windows of 6 characters (the program's defaults are 32 lanes, "
        "`--batch-size`, and windows of 64, `--seq-len`): each step reads the next window of every lane; the state "
        "crosses the red lines, the gradients do not")),
}


def figure_block(res: Results, spec: str) -> str:
    name = spec.strip()
    if name not in FIGURES:
        raise ValueError(f"unknown figure '{name}' (known: {', '.join(sorted(FIGURES))})")
    fig = FIGURES[name]
    for path in fig.inputs:
        if not path.exists():
            raise ValueError(f"figure {name}: {path} is missing; the docs target makes it (./book docs)")
    inputs = [THIS_FILE, *fig.inputs]
    for path in inputs:
        res.depend(path)  # the page is read again, and the figure redrawn, when its code changes
    redraw(res, res.gen / "figures" / f"{name}{fig.suffix}", inputs, fig.draw, f"figure {name}")
    return figure_markup(f"figures/{name}{fig.suffix}", fig.caption)


# --------------------------------------------------------------------------------------
# Tables of numbers from result files other than summary.json


def table_grad_norms(res: Results, run: str, compare: str | None = None) -> str | None:
    d = res.json(run, "grad_norms.json")
    if d is None:
        return None
    cells = {"rnn_init": "RNN, initialised", "lstm_init": "LSTM, initialised", "lstm_trained": "LSTM, trained"}
    cells = {k: v for k, v in cells.items() if k in d}
    dist = d["distance"]
    picks = [i for i, t in enumerate(dist) if t in (1, 5, 10, 25, 50, 75, dist[-1])]
    rows = ["| distance $T-t$ | " + " | ".join(cells.values()) + " |", "|---|" + "---|" * len(cells)]
    for i in picks:
        rows.append(f"| {dist[i]} | " + " | ".join(f"{d[k][i]:.3g}" for k in cells) + " |")
    return "\n" + "\n".join(rows) + f"\n\nFrom `{res.shown(run, 'grad_norms.json')}`.\n"


def metrics_with(res: Results, run: str, *keys: str) -> list[dict] | None:
    """The records of the run's metrics.jsonl that hold every one of `keys`, or None when there are none."""
    records = res.jsonl(run, "metrics.jsonl") or []
    return [r for r in records if all(k in r for k in keys)] or None


def table_epochs(res: Results, run: str, compare: str | None = None) -> str | None:
    epochs = metrics_with(res, run, "epoch", "test_accuracy")
    if epochs is None:
        return None
    rows = ["| epoch | train loss | test loss | test accuracy |", "|---|---|---|---|"]
    for r in epochs:
        final = r is epochs[-1]
        acc = f"{100 * r['test_accuracy']:.2f}%"
        rows.append(f"| {r['epoch']}{' (final)' if final else ''} | {r['train_loss']:.4f} | {r['test_loss']:.4f} | "
                    + (f"**{acc}**" if final else acc) + " |")
    return "\n" + "\n".join(rows) + f"\n\nFrom `{res.shown(run, 'metrics.jsonl')}`.\n"


def table_loss_steps(res: Results, run: str, compare: str | None = None) -> str | None:
    """About nine evaluations of a language-model run (chapter 03), spread evenly and the best
    one always among them, as steps across: training and validation loss, the lowest validation
    loss in bold."""
    evals = metrics_with(res, run, "val_loss", "train_loss")
    if evals is None:
        return None
    best = min(evals, key=lambda r: r["val_loss"])
    stride = max(1, round(len(evals) / 9))
    picks = {id(r): r for r in evals[stride - 1::stride] + [best, evals[-1]]}
    picks = sorted(picks.values(), key=lambda r: r["step"])
    rows = ["| step | " + " | ".join(str(r["step"]) for r in picks) + " |", "|---|" + "---|" * len(picks),
            "| training loss | " + " | ".join(f"{r['train_loss']:.2f}" for r in picks) + " |",
            "| validation loss | " + " | ".join(f"**{r['val_loss']:.2f}**" if r is best else f"{r['val_loss']:.2f}"
                                                 for r in picks) + " |"]
    return "\n" + "\n".join(rows) + f"\n\nFrom `{res.shown(run, 'metrics.jsonl')}`.\n"


def table_per_class(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or "per_class_accuracy" not in s:
        return None
    names = list(s["per_class_accuracy"])
    other = res.json(compare, "summary.json") if compare else None
    other_acc = (other or {}).get("per_class_accuracy", {})
    head = "| class | accuracy |" + (f" chapter {compare[:2]} |" if other_acc else "") + " most often mistaken for (of 1,000) |"
    rows = [head, "|---|---|" + ("---|" if other_acc else "") + "---|"]
    order = sorted(range(len(names)), key=lambda i: -s["per_class_accuracy"][names[i]])
    for i in order:
        row = s["confusion"][i]
        j = max((k for k in range(len(row)) if k != i), key=lambda k: row[k])
        cells = [names[i], f"{100 * s['per_class_accuracy'][names[i]]:.1f}%"]
        if other_acc:
            cells.append(f"{100 * other_acc[names[i]]:.1f}%" if names[i] in other_acc else "")
        cells.append(f"{names[j]} ({row[j]})")
        rows.append("| " + " | ".join(cells) + " |")
    source = f"`{res.shown(run, 'summary.json')}`" + (f" and `{res.shown(compare, 'summary.json')}`" if other_acc else "")
    return "\n" + "\n".join(rows) + f"\n\nFrom {source}.\n"


# Our byte-level BPE against SentencePiece's BPE, from `./book bench --compare sentencepiece`.
# A benchmark, not a chapter run: the same file whatever page shows it.
SENTENCEPIECE_RUN, SENTENCEPIECE_FILE = "bench", "compare_sentencepiece.json"


def table_bench_conv(res: Results, run: str, compare: str | None = None) -> str:
    """Chapter 02's convolution benchmarks: each one's median time and rate, from the Google
    Benchmark JSON that ``./book bench`` writes (the rows' labels come from bench_conv.cpp)."""
    d = res.json("bench", "bench_conv.json")
    medians = [b for b in (d or {}).get("benchmarks", []) if b.get("aggregate_name") == "median"]
    if not medians:
        return (
            "\n```{admonition} Not measured yet\n:class: note\n\n"
            f"The benchmark table appears here once `{res.shown('bench', 'bench_conv.json')}` exists: "
            "run `./book bench`, then `./book docs`.\n```\n"
        )
    to_ms = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    rows = ["| benchmark | time (median) | rate |", "|---|---|---|"]
    for b in medians:
        if "flops" in b:
            rate = f"{b['flops'] / 1e9:.0f} GFLOP/s"
        elif "items_per_second" in b:
            rate = f"about {b['items_per_second']:,.0f} images/s"
        else:
            rate = ""
        rows.append(f"| {b.get('label') or b['run_name']} | {b['real_time'] * to_ms[b['time_unit']]:.2f} ms | {rate} |")
    context = d.get("context", {})
    repetitions = max((b.get("repetitions", 0) for b in medians), default=0)
    return ("\n" + "\n".join(rows) + f"\n\nFrom `{res.shown('bench', 'bench_conv.json')}`: medians of {repetitions} "
            f"repetitions, {context.get('date', 'date unknown')}, {context.get('num_cpus', '?')} CPUs.\n")


def table_sentencepiece(res: Results, run: str, compare: str | None = None) -> str:
    d = res.json(SENTENCEPIECE_RUN, SENTENCEPIECE_FILE)
    if d is None:
        return (
            "\n```{admonition} Not measured yet\n:class: note\n\n"
            f"The comparison appears here once `{res.shown(SENTENCEPIECE_RUN, SENTENCEPIECE_FILE)}` exists: "
            "run `./book bench --compare sentencepiece`, then `./book docs`.\n```\n"
        )
    cell = lambda v: str(v).replace("|", "\\|")
    rows = ["| corpus | tokenizer | vocabulary | characters per token | training time | encoding speed |",
            "|---|---|---|---|---|---|"]
    for r in d["rows"]:
        vocabulary = r.get("vocabulary", r.get("vocab_size", d.get("vocab_size")))
        rows.append(f"| {cell(r['corpus'])} | {cell(r['tokenizer'])} | {vocabulary:,} | **{r['chars_per_token']:.2f}** | "
                    f"{r['train_seconds']:.1f} s | {r['encode_mb_per_s']:.1f} MB/s |")
    threads = d.get("threads", 1)
    return (
        "\n" + "\n".join(rows) + "\n\n"
        f"Both tokenizers were trained to a vocabulary of {d['vocab_size']:,} tokens on the same lines of each "
        f"corpus, then encoded all of them on {'one thread' if threads == 1 else f'{threads} threads'}; encoding "
        f"speed is megabytes of UTF-8 text per second, the median of {d.get('rounds', '?')} interleaved rounds. "
        f"SentencePiece: {cell(d.get('sentencepiece', 'version unknown'))}. "
        f"From `{res.shown(SENTENCEPIECE_RUN, SENTENCEPIECE_FILE)}`, written by `./book bench --compare sentencepiece`.\n"
    )


# Chapter 04's word embeddings: synonym retrieval, neighbours and analogies, and gensim.
EMBEDDING_MODELS = {"skipgram": "skip-gram, $v_w + u_w$", "skipgram_input": "skip-gram, $v_w$ alone",
                    "ppmi_svd": "PPMI + truncated SVD", "random": "random vectors", "vectors": "vectors"}


def table_synonyms(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or "evaluation" not in s:
        return None
    valid = {e["model"]: e for e in s.get("validation_evaluation", [])}
    rows = ["| model | test MRR | ± s.e. | test recall@10 | validation MRR |", "|---|---|---|---|---|"]
    for e in s["evaluation"]:
        v = valid.get(e["model"])
        se = f"{e['mrr_stderr']:.4f}" if "mrr_stderr" in e else "–"
        rows.append(f"| {EMBEDDING_MODELS.get(e['model'], e['model'])} | **{e['mrr']:.4f}** | {se} | "
                    f"{100 * e['recall_at_10']:.2f}% | " + (f"{v['mrr']:.4f}" if v else "") + " |")
    by = {e["model"]: e for e in s["evaluation"]}
    c = s["corpus_counts"]
    text = (f"{by['skipgram']['pairs']:,} test pairs ({by['skipgram']['queries']:,} queries, each pair asked both ways) "
            f"and {next(iter(valid.values()))['pairs']:,} validation pairs, among a vocabulary of {s['vocabulary']:,} words. "
            f"The corpus: {c['glosses'] - c['held_out_glosses']:,} WordNet glosses (the {c['held_out_glosses']:,} of "
            f"validation and test synsets held out)" + (f" and {c['fortune_entries']:,} fortunes" if c['fortune_entries'] else "")
            + f", {s['train_words']:,} training "
            f"words; skip-gram read them {s['epochs']} times in {s['train_seconds']:.0f} s on {s['threads']} threads "
            f"({s['words_processed'] / s['train_seconds']:,.0f} words per second).")
    if "skipgram" in by and "ppmi_svd" in by:
        sg, pp = by["skipgram"], by["ppmi_svd"]
        gap = sg["mrr"] - pp["mrr"]
        se = (sg.get("mrr_stderr", 0) ** 2 + pp.get("mrr_stderr", 0) ** 2) ** 0.5
        verdict = ("ahead of" if gap > 0 else "behind") + " PPMI + SVD by " + f"{abs(gap):.4f}"
        text += (f" On the test pairs skip-gram is {verdict} in MRR, "
                 + ("less than" if abs(gap) < se else "more than")
                 + f" {se:.4f}, the standard error of the difference if the two scores were independent "
                 "(they are scored on the same pairs, which makes the true one smaller, so this yardstick is "
                 "conservative), and "
                 f"{sg['mrr'] / max(by.get('random', {'mrr': 1e-9})['mrr'], 1e-9):.0f} times the random vectors' MRR.")
    return "\n" + "\n".join(rows) + f"\n\n{text} From `{res.shown(run, 'summary.json')}`.\n"


def table_neighbours(res: Results, run: str, compare: str | None = None) -> str | None:
    d = res.json(run, "neighbours.json")
    if d is None:
        return None
    words = lambda lst: ", ".join(n["word"] for n in lst)
    rows = ["| word (count) | skip-gram | PPMI + SVD |", "|---|---|---|"]
    for p in d["probes"]:
        rows.append(f"| **{p['word']}** ({p['count']:,}) | {words(p['skipgram'])} | {words(p['ppmi_svd'])} |")
    out = ["\n" + "\n".join(rows), f"\nThe {d['k']} nearest words by cosine, nearest first.\n"]
    if d.get("analogies"):
        rows = ["| $a : b :: c : ?$ | expected | skip-gram's top 5 | PPMI + SVD's top 5 |", "|---|---|---|---|"]
        for a in d["analogies"]:
            mark = lambda lst: ", ".join(f"**{n['word']}**" if n["word"] == a["expected"] else n["word"] for n in lst)
            rows.append(f"| {a['a']} : {a['b']} :: {a['c']} : ? | {a['expected']} | {mark(a['skipgram'])} | "
                        f"{mark(a['ppmi_svd'])} |")
        out.append("\n".join(rows))
        out.append("\nThe words nearest to $b - a + c$, the three words themselves left out; the expected answer in bold.\n")
    out.append(f"From `{res.shown(run, 'neighbours.json')}`.\n")
    return "\n".join(out)


# Our skip-gram against gensim's, from `./book bench --compare gensim`.
GENSIM_RUN, GENSIM_FILE = "bench", "compare_gensim.json"


def table_gensim(res: Results, run: str, compare: str | None = None) -> str:
    d = res.json(GENSIM_RUN, GENSIM_FILE)
    if d is None:
        return (
            "\n```{admonition} Not measured yet\n:class: note\n\n"
            f"The comparison appears here once `{res.shown(GENSIM_RUN, GENSIM_FILE)}` exists: "
            "run `./book bench --compare gensim` (gensim comes with `./book deps --optional`), then `./book docs`.\n```\n"
        )
    fmt = {"words_per_second": lambda v: f"{v:,.0f}", "train_seconds": lambda v: f"{v:.1f} s"}
    rows = ["| measure | ours | gensim | ours / gensim |", "|---|---|---|---|"]
    for r in d["rows"]:
        f = fmt.get(r["metric"], lambda v: f"{v:.4f}")
        rows.append(f"| {r['what']} | {f(r['ours'])} | {f(r['gensim'])} | **{r['ratio']:.2f}** |")
    st = d["settings"]
    return (
        "\n" + "\n".join(rows) + "\n\n"
        f"Medians of {d['rounds']} interleaved rounds, {d['threads']} threads each, gensim {d['gensim_version']}; "
        f"both trained on the same {d['train_words']:,} words with dimension {st['dim']}, window {st['window']}, "
        f"{st['negatives']} negatives, subsampling {st['subsample']:g}, {st['epochs']} epochs and learning rate "
        f"{st['lr']}, and both scored by the same code on the test pairs. "
        f"From `{res.shown(GENSIM_RUN, GENSIM_FILE)}`, written by `./book bench --compare gensim`.\n"
    )


# Chapter 04's small BERT: the masked-LM loss against the unigram baseline, what it cost,
# and its predictions at the blanks (and on the seed's sentence, which has none).
def _code(text: str) -> str:
    """`text` as inline code that survives a Markdown table cell."""
    text = str(text).replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def table_bert_summary(res: Results, run: str, compare: str | None = None) -> str | None:
    import math

    s = res.json(run, "summary.json")
    if s is None or "mlm_loss" not in s:
        return None
    rows = ["| measure | value |", "|---|---|"]
    loss = s["mlm_loss"]
    rows.append(f"| held-out MLM loss, nats per masked token | **{loss:.4f}** (perplexity {math.exp(loss):,.1f}) |")
    if "unigram_mlm_loss" in s:
        base = s["unigram_mlm_loss"]
        rows.append(f"| unigram baseline, same tokens | {base:.4f} (perplexity {math.exp(base):,.1f}) |")
        rows.append(f"| what the context buys | {base - loss:.4f} nats, perplexity divided by "
                    f"{math.exp(base - loss):,.1f} |")
    if "mlm_accuracy" in s:
        rows.append(f"| held-out MLM accuracy (top token right) | {100 * s['mlm_accuracy']:.2f}% |")
    if "parameters" in s:
        rows.append(f"| parameters | {s['parameters']:,} |")
    if "steps" in s:
        rows.append(f"| training steps | {s['steps']:,} |")
    if "tokens_seen" in s:
        rows.append(f"| tokens seen in training | {s['tokens_seen']:,} |")
    seconds = s.get("train_seconds")
    if seconds:
        rows.append(f"| training time | {seconds:.1f} s |")
    if seconds and "tokens_seen" in s:
        rows.append(f"| training speed | {s['tokens_seen'] / seconds:,.0f} tokens/s |")
    settings = s.get("settings") or {}
    names = [("hidden", "width $E$ {}"), ("layers", "{} layers"), ("heads", "{} heads"),
             ("intermediate", "feed-forward width {}"), ("max_len", "length $T$ up to {}"), ("batch", "batch {}"),
             ("lr", "learning rate {}"), ("warmup", "{} warmup steps"), ("mask_prob", "masked share {}"),
             ("dropout", "dropout {}")]
    def value(v) -> str:
        return f"{v:g}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v)

    shown = [label.format(value(settings[k])) for k, label in names if k in settings]
    if shown:
        rows.append("| settings | " + ", ".join(shown) + " |")
    data = s.get("data") or {}
    if data.get("train_tokens") and data.get("train_texts"):
        rows.append(f"| training text | {data['train_texts']:,} texts, {data['train_tokens']:,} tokens "
                    f"(mean {data['train_tokens'] / data['train_texts']:.1f} tokens each, `[CLS]` and `[SEP]` "
                    "included) |")
    out = "\n" + "\n".join(rows) + "\n"
    text = "The losses are means over the masked positions of the held-out texts."
    if "train_texts" in data and "heldout_texts" in data:
        text += (f" The model trained on {data['train_texts']:,} texts; {data['heldout_texts']:,} were held out "
                 "and never trained on.")
    return out + f"\n{text} From `{res.shown(run, 'summary.json')}`.\n"


def table_bert_predict(res: Results, run: str, compare: str | None = None) -> str | None:
    d = res.json(run, "predictions.json")
    if d is None:
        return None
    out = []
    examples = d.get("examples") or []
    if examples:
        rows = ["| sentence | position | top tokens (probability) |", "|---|---|---|"]
        for e in examples:
            for k, p in enumerate(e.get("predictions") or []):
                top = ", ".join(f"{_code(c['token'])} {100 * c['prob']:.1f}%" for c in p.get("top", []))
                rows.append(f"| {_code(e['text']) if k == 0 else ''} | {p['position']} | {top} |")
        out.append("\n".join(rows))
        out.append("\nPositions count tokens from 0, `[CLS]` included; the probabilities are the softmax of the "
                   "logits at that position.\n")
    seed = d.get("seed")
    if seed:
        rows = ["| position | input token | argmax | copied |", "|---|---|---|---|"]
        for i, (a, b) in enumerate(zip(seed["tokens"], seed["argmax_tokens"])):
            rows.append(f"| {i} | {_code(a)} | {_code(b)} | {'yes' if a == b else ''} |")
        out.append(f"The seed's sentence, {_code(seed['text'])}, with no `[MASK]`: the argmax at each position.\n")
        out.append("\n".join(rows))
        out.append(f"\nThe argmax copies **{seed['copied']} of {seed['total']}** tokens back.\n")
    if not out:
        return None
    out.append(f"From `{res.shown(run, 'predictions.json')}`.\n")
    return "\n" + "\n".join(out)


# Chapter 05's GPT: the head-to-head with chapter 03's LSTM and the unigram baseline, the
# decoding strategies, the KV cache, and the couplet fine-tune (P(y|x)). `--full` runs,
# when someone makes them, live in build/results/05-nlg-full/ and 03-rnn-full/.
LSTM_RUN, FULL_SUFFIX = "03-rnn", "-full"


def _best_within(records, key: str, seconds: float):
    """The record with the lowest `key` among the evaluations done within `seconds` of training."""
    best = None
    for r in records or []:
        if r.get(key) is not None and r.get("seconds") is not None and r["seconds"] <= seconds * (1 + 1e-9):
            if best is None or r[key] < best[key]:
                best = r
    return best


def _ahead(gpt: float, lstm: float) -> str:
    """Which model is ahead, for a sentence that must stay true whatever the numbers are."""
    if gpt < lstm:
        return f"the GPT is ahead, by {lstm - gpt:.4f} nats per character"
    if lstm < gpt:
        return f"the LSTM is ahead, by {gpt - lstm:.4f} nats per character"
    return "the two are level"


def _equal_time(res: Results, gpt_run: str, gpt: dict, lstm_run: str, lstm: dict) -> str:
    """The best validation loss each model had measured by the time the shorter run ended."""
    t = min(gpt["train_seconds"], lstm["train_seconds"])
    g = _best_within(res.jsonl(gpt_run, "metrics.jsonl"), "val_loss", t)
    l = _best_within(res.jsonl(lstm_run, "metrics.jsonl"), "val_loss", t)
    if g is None or l is None:
        who = "the GPT" if g is None else "the LSTM"
        return f"Within the first {t:.0f} s of training {who} had not been evaluated yet, so the runs cannot be compared at equal time."
    return (f"Within the first {t:.0f} s of training (the length of the shorter run), the best validation loss the GPT "
            f"had measured was {g['val_loss']:.4f} (at step {g['step']}) and the LSTM's {l['val_loss']:.4f} (at step "
            f"{l['step']}): at equal time, {_ahead(g['val_loss'], l['val_loss'])}.")


def table_gpt_summary(res: Results, run: str, compare: str | None = None) -> str | None:
    import math

    s = res.json(run, "summary.json")
    if s is None or "val_loss_per_char" not in s:
        return None
    lstm = res.json(LSTM_RUN, "summary.json")
    gpt_full = res.json(run + FULL_SUFFIX, "summary.json")
    lstm_full = res.json(LSTM_RUN + FULL_SUFFIX, "summary.json")
    unigram = s["unigram_val_loss"]
    rows = ["| model | results | parameters | steps | training time | validation loss (nats/char) | bits/char | "
            "below the unigram baseline |", "|---|---|---|---|---|---|---|---|"]

    def row(name: str, folder: str | None, params, steps, seconds, loss: float, bold: bool = False) -> None:
        cells = [name, f"`{folder}`" if folder else "", f"{params:,}" if params else "", f"{steps:,}" if steps else "",
                 f"{seconds:.0f} s" if seconds else "", f"**{loss:.4f}**" if bold else f"{loss:.4f}",
                 f"{loss / math.log(2):.3f}", f"{unigram - loss:.4f} nats" if folder else ""]
        rows.append("| " + " | ".join(cells) + " |")

    row("unigram baseline (character frequencies)", None, None, None, None, unigram)
    if lstm is not None and "val_loss" in lstm:
        row("LSTM (chapter 03)", LSTM_RUN, lstm.get("parameters"), lstm.get("steps"), lstm.get("train_seconds"),
            lstm["val_loss"])
    row("GPT (this chapter)", run, s.get("parameters"), s.get("steps"), s.get("train_seconds"), s["val_loss_per_char"],
        bold=True)
    if lstm_full is not None and "val_loss" in lstm_full:
        row("LSTM, `--full`", LSTM_RUN + FULL_SUFFIX, lstm_full.get("parameters"), lstm_full.get("steps"),
            lstm_full.get("train_seconds"), lstm_full["val_loss"])
    if gpt_full is not None and "val_loss_per_char" in gpt_full:
        row("GPT, `--full`", run + FULL_SUFFIX, gpt_full.get("parameters"), gpt_full.get("steps"),
            gpt_full.get("train_seconds"), gpt_full["val_loss_per_char"])

    text = []
    d = s.get("data") or {}
    if d:
        text.append(f"Both models read the same {d['train_chars']:,} training characters and are scored on the same "
                    f"{d['validation_chars']:,} validation characters, with one vocabulary of {d['vocabulary']:,} ids "
                    "(`<unk>` included).")
    if lstm is None or "val_loss" not in lstm:
        text.append(f"The LSTM's row appears once `{res.shown(LSTM_RUN, 'summary.json')}` exists: run "
                    "`./book run rnn`, then `./book docs`.")
    else:
        if d and lstm.get("train_chars") not in (None, d["train_chars"]):
            text.append(f"Careful: the LSTM's run read {lstm['train_chars']:,} training characters, not "
                        f"{d['train_chars']:,}; it was run with other data settings, and the rows do not compare.")
        text.append(f"At the end of their own runs, {_ahead(s['val_loss_per_char'], lstm['val_loss'])} "
                    f"(the GPT trained for {s['train_seconds']:.0f} s, the LSTM for {lstm['train_seconds']:.0f} s).")
        text.append(_equal_time(res, run, s, LSTM_RUN, lstm))
    if gpt_full is not None and lstm_full is not None and "val_loss" in lstm_full and "val_loss_per_char" in gpt_full:
        text.append(f"With `--full`, three times the steps for each model, "
                    f"{_ahead(gpt_full['val_loss_per_char'], lstm_full['val_loss'])} at the end of the runs.")
        text.append(_equal_time(res, run + FULL_SUFFIX, gpt_full, LSTM_RUN + FULL_SUFFIX, lstm_full))
    else:
        text.append(f"The comparison at three times the training time needs `--full` runs of both programs, which "
                    f"`./book run` does not make: `./build/chapters/05-nlg/gpt --full --out build/results/{run}{FULL_SUFFIX}` "
                    f"and `./build/chapters/03-rnn/rnn --full --out build/results/{LSTM_RUN}{FULL_SUFFIX}`; "
                    "their rows and a sentence like the ones above appear here once both exist.")
    sources = [f"`{res.shown(run, 'summary.json')}`"]
    if lstm is not None:
        sources.append(f"`{res.shown(LSTM_RUN, 'summary.json')}`")
    if d and s.get("tokens_seen"):
        text.append(f"The GPT read {s['tokens_seen']:,} characters in training, "
                    f"{s['tokens_seen'] / d['train_chars']:.1f} passes over the training text.")
    text.append(f"Training speed of the GPT: {s['tokens_per_second']:,.0f} characters per second. From "
                + " and ".join(sources) + ", with the equal-time figures from the runs' `metrics.jsonl`.")
    return "\n" + "\n".join(rows) + "\n\n" + " ".join(text) + "\n"


def _shown_sample(text: str) -> str:
    """A sample as one table cell: line breaks as ↵, spaces as ␣ (HTML would collapse runs of them)."""
    return _code(text.replace("\n", "↵").replace(" ", "␣"))


def table_gpt_strategies(res: Results, run: str, compare: str | None = None) -> str | None:
    d = res.json(run, "samples.json")
    if d is None or not d.get("strategies"):
        return None
    strategies = d["strategies"]
    rows = ["| strategy | distinct-2 | mean log-likelihood (nats per token) | first sample |", "|---|---|---|---|"]
    for st in strategies:
        first = st["samples"][0] if st.get("samples") else ""
        rows.append(f"| {st['strategy']} | {st['distinct_2']:.3f} | {st['mean_log_likelihood']:.3f} | "
                    f"{_shown_sample(first)} |")
    most_varied = max(strategies, key=lambda st: st["distinct_2"])
    likeliest = max(strategies, key=lambda st: st["mean_log_likelihood"])
    text = (f"Each figure is the mean over the {len(strategies[0].get('samples', []))} primes; a sample starts with its "
            "prime, and in the table ↵ marks a line break and ␣ a space. The most varied text by distinct-2 came from "
            f"{most_varied['strategy']} ({most_varied['distinct_2']:.3f}); the text the model itself found likeliest came "
            f"from {likeliest['strategy']} ({likeliest['mean_log_likelihood']:.3f}).")
    fence = "````"
    details = ["<details><summary>Every sample, by strategy</summary>\n"]
    for st in strategies:
        body = "\n%\n".join(x.rstrip("\n") for x in st.get("samples", []))
        details.append(f"{st['strategy']}:\n\n{fence}text\n{body}\n{fence}\n")
    details.append("</details>\n")
    return ("\n" + "\n".join(rows) + f"\n\n{text} From `{res.shown(run, 'samples.json')}`.\n\n" + "\n".join(details))


def table_kv_cache(res: Results, run: str, compare: str | None = None) -> str | None:
    d = res.json(run, "kv_cache.json")
    if d is None or not d.get("rows"):
        return None
    m = d.get("model", {})
    rows = ["| position $L$ of the new token | without the cache | with the cache | speed-up |", "|---|---|---|---|"]
    for r in d["rows"]:
        rows.append(f"| {r['length']:,} | {r['no_cache_ms']:.3f} ms | {r['cache_ms']:.3f} ms | **{r['speedup']:,.0f}×** |")
    text = []
    if m:
        text.append(f"Measured on a model of width {m['n_embd']}, {m['n_layer']} layers and {m['n_head']} heads with "
                    f"{m['n_positions']:,} positions; the medians of repeated timings.")
    g = d.get("generation_256") or {}
    if g:
        text.append(f"A whole greedy generation of 256 tokens after a one-token prompt ran at "
                    f"{g['cache_tokens_per_second']:,.0f} tokens per second with the cache and "
                    f"{g['no_cache_tokens_per_second']:,.1f} without it, "
                    f"{g['cache_tokens_per_second'] / g['no_cache_tokens_per_second']:,.0f} times as fast.")
    if "cache_bytes_per_token" in d and m:
        b = d["cache_bytes_per_token"]
        text.append(f"The cache holds {b:,.0f} bytes per token ($2 \\times {m['n_layer']} \\times {m['n_embd']} "
                    f"\\times 4$), {b * m['n_positions'] / 2 ** 20:,.1f} MiB when all {m['n_positions']:,} positions "
                    "are filled.")
    return "\n" + "\n".join(rows) + "\n\n" + " ".join(text) + f" From `{res.shown(run, 'kv_cache.json')}`.\n"


def table_couplet_finetune(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or "val_loss_y_given_x" not in s:
        return None
    b_xy, a_xy = s["val_loss_y_given_x_before_finetune"], s["val_loss_y_given_x"]
    b_y, a_y = s["val_loss_y_alone_before_finetune"], s["val_loss_y_alone"]
    rows = ["| on the held-out pairs, nats per character of $y$ | before fine-tuning | after fine-tuning |",
            "|---|---|---|",
            f"| $y$ given $x$: $-\\frac{{1}}{{\\lvert y \\rvert}} \\log P(y \\mid x)$ | {b_xy:.4f} | **{a_xy:.4f}** |",
            f"| $y$ alone: $-\\frac{{1}}{{\\lvert y \\rvert}} \\log P(y)$ | {b_y:.4f} | {a_y:.4f} |",
            f"| what $x$ is worth: the second row minus the first | {b_y - b_xy:.4f} | **{a_y - a_xy:.4f}** |"]
    n = s["heldout_pairs"]
    change = b_xy - a_xy
    text = [f"Fine-tuned on {s['train_pairs']:,} couplets for {s['steps']:,} steps ({s['train_seconds']:.0f} s); "
            f"{n:,} couplets from the held-out poems are scored.",
            ("Fine-tuning lowered the loss of $y$ given $x$ by " if change > 0 else
             "Fine-tuning did not lower the loss of $y$ given $x$; it changed by ")
            + f"{abs(change):.4f} nats per character.",
            f"Of the {n:,} lines $y$ the fine-tuned model wrote (greedy, after each $x$), "
            f"{100 * s['length_match_rate']:.1f}% have the length of their $x$ and "
            f"{100 * s['closing_mark_rate']:.1f}% end with 。, ！, ？ or ；."]
    return "\n" + "\n".join(rows) + "\n\n" + " ".join(text) + f" From `{res.shown(run, 'summary.json')}`.\n"


def table_couplet_generated(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or not s.get("samples"):
        return None
    rows = ["| $x$ (held out) | the poem's $y$ | the model's $y$ (greedy) | same length |", "|---|---|---|---|"]
    for e in s["samples"]:
        same = "yes" if len(e["generated"]) == len(e["x"]) else ""
        rows.append(f"| {e['x']} | {e['y']} | {_shown_sample(e['generated']) if e['generated'] else '(nothing)'} | {same} |")
    return ("\n" + "\n".join(rows) + f"\n\nThe first {len(s['samples'])} held-out couplets. From "
            f"`{res.shown(run, 'summary.json')}`.\n")


# Chapter 07's recogniser on voices it never heard (summary.json of 07-speech).
def _pct(v: float) -> str:
    return f"{100 * v:.1f}%"


def table_asr_summary(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or "test_wer" not in s:
        return None
    beam = s.get("beam", "?")
    rows = ["| measure | value |", "|---|---|",
            f"| word error rate, test voices (greedy decoding) | **{_pct(s['test_wer'])}** |"]
    if "test_beam_wer" in s:
        rows.append(f"| word error rate, test voices (prefix beam search, width {beam}) | {_pct(s['test_beam_wer'])} |")
    if "test_cer" in s:
        rows.append(f"| character error rate, test voices (greedy) | {_pct(s['test_cer'])} |")
    if "test_utterances_wrong" in s and "utterances" in s:
        n = s["utterances"]["test"]
        rows.append(f"| test utterances with at least one wrong word | {s['test_utterances_wrong']:,} of {n:,} "
                    f"({_pct(s['test_utterances_wrong'] / max(n, 1))}) |")
    if "validation_wer" in s:
        rows.append(f"| word error rate, validation voices (greedy) | {_pct(s['validation_wer'])} |")
    if "train_wer" in s:
        rows.append(f"| word error rate, training voices (greedy, first {s.get('train_wer_utterances', '?'):,} "
                    f"utterances) | {_pct(s['train_wer'])} |")
    if "test_loss_per_word" in s:
        rows.append(f"| CTC loss on the test voices, nats per word | {s['test_loss_per_word']:.4f} |")
    if "parameters" in s:
        rows.append(f"| parameters | {s['parameters']:,} |")
    if "steps" in s and "epochs" in s:
        rows.append(f"| training | {s['steps']:,} steps, {s['epochs']} epochs of batches of {s.get('batch', '?')} |")
    if "train_seconds" in s:
        rows.append(f"| training time (without the evaluations) | {s['train_seconds']:.0f} s on {s.get('threads', '?')} "
                    "threads |")
    if "data_seconds" in s:
        how = "synthesising the data" if s.get("data_generated") else "checking the data made by an earlier run"
        rows.append(f"| {how} | {s['data_seconds']:.0f} s |")
    if "feature_seconds" in s:
        rows.append(f"| computing every utterance's features | {s['feature_seconds']:.1f} s |")
    text = []
    if "test_words" in s:
        text.append(f"The test set holds {s['test_words']:,} spoken digits.")
    if "train_wer" in s:
        gap = s["test_wer"] - s["train_wer"]
        if gap > 0:
            text.append(f"The word error rate on the test voices is {100 * gap:.1f} points above the rate on training "
                        "utterances, which the model trained on; the validation voices, also never heard in training, "
                        "are a second sample of what a new voice costs.")
        else:
            text.append("The word error rate on the test voices is no higher than on the training voices: this run "
                        "shows no cost of hearing a new voice.")
    if "test_beam_wer" in s:
        b, g = s["test_beam_wer"], s["test_wer"]
        text.append("Prefix beam search " + ("made fewer word errors than greedy decoding" if b < g else
                                             "made more word errors than greedy decoding" if b > g else
                                             "made exactly as many word errors as greedy decoding")
                    + (f" ({100 * abs(g - b):.2f} points)." if b != g else "."))
    return "\n" + "\n".join(rows) + "\n\n" + " ".join(text) + f" From `{res.shown(run, 'summary.json')}`.\n"


def table_asr_data(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or "voices" not in s or "utterances" not in s:
        return None
    v, u = s["voices"], s["utterances"]
    rows = ["| split | utterances | voice variants | the variants |", "|---|---|---|---|"]
    for split in ("train", "validation", "test"):
        names = v.get(split, [])
        shown = ", ".join(f"`{n}`" for n in names[:12]) + (f", … ({len(names) - 12} more)" if len(names) > 12 else "")
        rows.append(f"| {split} | {u.get(split, 0):,} | {len(names)} | {shown} |")
    accents = v.get("accents", [])
    return ("\n" + "\n".join(rows) + f"\n\nEvery split draws each utterance's accent from the same "
            f"{len(accents)} English voices of espeak-ng: " + ", ".join(f"`{a}`" for a in accents) +
            f". The variant decides the split. From `{res.shown(run, 'summary.json')}`.\n")


def table_asr_variants(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or not s.get("test_wer_by_variant"):
        return None
    by = s["test_wer_by_variant"]
    order = sorted(by, key=lambda k: -by[k]["wer"])
    rows = ["| test variant | words said | word error rate |", "|---|---|---|"]
    for k in order:
        rows.append(f"| `{k}` | {by[k]['words']:,} | {_pct(by[k]['wer'])} |")
    best, worst = order[-1], order[0]
    text = (f"The {len(order)} test variants, hardest first. The easiest, `{best}`, had {_pct(by[best]['wer'])} of its "
            f"words wrong, the hardest, `{worst}`, {_pct(by[worst]['wer'])}: one average hides how much the error rate "
            "depends on the voice." if len(order) > 1 else "One test variant.")
    return "\n" + "\n".join(rows) + f"\n\n{text} From `{res.shown(run, 'summary.json')}`.\n"


def table_asr_mistakes(res: Results, run: str, compare: str | None = None) -> str | None:
    s = res.json(run, "summary.json")
    if s is None or "test_mistakes" not in s:
        return None
    mistakes = s["test_mistakes"]
    out = []
    if mistakes:
        rows = ["| file | voice | said | heard |", "|---|---|---|---|"]
        for m in mistakes:
            rows.append(f"| `{m['file']}` | `{m['voice']}` | {m['said']} | {m['heard'] or '(nothing)'} |")
        out.append("\n".join(rows))
        out.append(f"\nThe first {len(mistakes)} test utterances with a wrong word, in the order of the test set.")
    else:
        out.append("No test utterance had a wrong word.")
    conf = s.get("test_confusion")
    if conf:
        words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        pairs = sorted(((conf[i][j], i, j) for i in range(len(conf)) for j in range(len(conf)) if i != j and conf[i][j]),
                       reverse=True)[:5]
        if pairs:
            out.append(" The most frequent substitutions, said → heard, in the transcripts with the right number of "
                       "words: " + ", ".join(f"{words[i]} → {words[j]} ({n:,})" for n, i, j in pairs) + ".")
        else:
            out.append(" No digit was heard as another in the transcripts with the right number of words; every error "
                       "was a missing or an extra word.")
    return "\n" + "".join(out[:1]) + "\n" + "".join(out[1:]) + f" From `{res.shown(run, 'summary.json')}`.\n"


# Chapter 06: supersense classification of WordNet's noun glosses (summary.json and examples.json of 06-nlu).
NLU_MODELS = {
    "naive_bayes": "naive Bayes",
    "class_conditional_lm": "class-conditional LM",
    "logistic_regression": "logistic regression",
    "encoder_from_scratch": "Transformer encoder, from scratch",
    "bert_finetuned": "BERT (chapter 04), fine-tuned",
}


def _nlu_name(name: str) -> str:
    return NLU_MODELS.get(name, name.replace("_", " "))


def _nlu_summary(res: Results, run: str):
    s = res.json(run, "summary.json")
    return s if s and s.get("models") else None


def _nlu_model(s: dict, name: str):
    return next((m for m in s["models"] if m.get("name") == name), None)


def _nlu_cell(text: str) -> str:
    """`text` safe inside a Markdown table cell."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def _nlu_curve(s: dict):
    """{model: {n: [accuracy of each seed]}} from the learning curve."""
    out: dict[str, dict[int, list[float]]] = {}
    for r in s.get("learning_curve") or []:
        if {"model", "n", "accuracy"} <= r.keys():
            out.setdefault(r["model"], {}).setdefault(int(r["n"]), []).append(float(r["accuracy"]))
    return out


def table_nlu_summary(res: Results, run: str, compare: str | None = None) -> str | None:
    s = _nlu_summary(res, run)
    if s is None:
        return None
    rows = ["| model | kind | test accuracy | macro-F1 | ECE | training time |", "|---|---|---|---|---|---|"]
    if "majority_accuracy" in s:
        rows.append(f"| always `{s.get('majority_class', '?')}` (majority class) | baseline | "
                    f"{_pct(s['majority_accuracy'])} | | | |")
    best = max(s["models"], key=lambda m: m["accuracy"])
    for m in s["models"]:
        acc = _pct(m["accuracy"])
        rows.append(f"| {_nlu_name(m['name'])} | {m.get('kind', '')} | {f'**{acc}**' if m is best else acc} | "
                    f"{m['macro_f1']:.3f} | {m['ece']:.3f} | {m.get('train_seconds', 0):.1f} s |")
    text = []
    split = s.get("split") or {}
    if split:
        text.append(f"Scored on the {split.get('test', 0):,} test glosses; the models trained on "
                    f"{split.get('train', 0):,}.")
    text.append(f"The most accurate model is {_nlu_name(best['name'])}.")
    lr, ft = _nlu_model(s, "logistic_regression"), _nlu_model(s, "bert_finetuned")
    if lr and ft:
        gap = 100 * (lr["accuracy"] - ft["accuracy"])
        if gap > 0:
            text.append(f"Logistic regression over word-piece counts is {gap:.1f} points ahead of the fine-tuned BERT "
                        "in accuracy.")
        elif gap < 0:
            text.append(f"The fine-tuned BERT is {-gap:.1f} points ahead of logistic regression in accuracy.")
        else:
            text.append("Logistic regression and the fine-tuned BERT have the same accuracy.")
    sc = _nlu_model(s, "encoder_from_scratch")
    if sc and ft:
        gap = 100 * (ft["accuracy"] - sc["accuracy"])
        text.append(f"Starting from chapter 04's pretrained weights instead of random ones is worth {gap:+.1f} points "
                    "of accuracy with the whole training set.")
    by_ece = sorted(s["models"], key=lambda m: m["ece"])
    if len(by_ece) > 1:
        text.append(f"The best calibrated is {_nlu_name(by_ece[0]['name'])} (ECE {by_ece[0]['ece']:.3f}), the worst "
                    f"{_nlu_name(by_ece[-1]['name'])} (ECE {by_ece[-1]['ece']:.3f}).")
    # The pretraining run whose hf/ folder was fine-tuned (chapter 04's default run, or its --full run).
    pretrained = Path(s.get("bert", "04-nlp-bert/hf")).parent.name
    pretrained = pretrained if RUN_NAME.match(pretrained) else "04-nlp-bert"
    bert = res.json(pretrained, "summary.json")
    if ft and bert and bert.get("settings"):
        st = bert["settings"]
        pre = f"The BERT that was fine-tuned is chapter 04's: {st.get('layers', '?')} layers of width {st.get('hidden', '?')}"
        if "parameters" in bert:
            pre += f", {bert['parameters']:,} parameters"
        if "train_seconds" in bert:
            pre += f", pretrained for {bert['train_seconds'] / 60:.0f} minutes"
        if "tokens_seen" in bert:
            pre += f" on {bert['tokens_seen']:,} tokens"
        text.append(pre + f" (`{res.shown(pretrained, 'summary.json')}`).")
    return "\n" + "\n".join(rows) + "\n\n" + " ".join(text) + f" From `{res.shown(run, 'summary.json')}`.\n"


def table_nlu_curve(res: Results, run: str, compare: str | None = None) -> str | None:
    s = _nlu_summary(res, run)
    curve = _nlu_curve(s) if s else {}
    if not curve:
        return None
    sizes = sorted({n for by_n in curve.values() for n in by_n})
    models = [m for m in NLU_MODELS if m in curve] + [m for m in curve if m not in NLU_MODELS]
    rows = ["| model | " + " | ".join(f"n = {n:,}" for n in sizes) + " |", "|---|" + "---|" * len(sizes)]
    mean = {m: {n: sum(v) / len(v) for n, v in curve[m].items()} for m in models}
    for m in models:
        cells = []
        for n in sizes:
            v = curve[m].get(n)
            if not v:
                cells.append("")
            elif len(v) > 1:
                cells.append(f"{_pct(mean[m][n])} ({_pct(min(v))}–{_pct(max(v))})")
            else:
                cells.append(_pct(v[0]))
        rows.append(f"| {_nlu_name(m)} | " + " | ".join(cells) + " |")
    seeds = max(len(v) for by_n in curve.values() for v in by_n.values())
    text = [f"Mean test accuracy over {seeds} random training subsets per size (the lowest and highest in brackets)"
            if seeds > 1 else "Test accuracy per training-set size"]
    scored = s.get("curve_eval_glosses")
    text[0] += f", scored on {scored:,} test glosses." if isinstance(scored, int) else "."
    # Ng and Jordan's two claims, checked on the two bag-of-words models that see the same features.
    nb, lr = mean.get("naive_bayes"), mean.get("logistic_regression")
    if nb and lr:
        common = sorted(set(nb) & set(lr))
        if common:
            small, large = common[0], common[-1]
            lead = [n for n in common if nb[n] > lr[n]]
            if not lead:
                text.append(f"Logistic regression is ahead of naive Bayes at every size, already at n = {small:,}: "
                            "here the generative model does not win the small-data end.")
            elif len(lead) == len(common):
                text.append("Naive Bayes is ahead of logistic regression at every size, even the largest.")
            else:
                cross = next((n for n in common if n > max(lead)), None)
                text.append(f"Naive Bayes is ahead of logistic regression at n = {', '.join(f'{n:,}' for n in lead)}"
                            + (f"; from n = {cross:,} on, logistic regression leads." if cross else "."))
            text.append(f"Between n = {small:,} and n = {large:,}, naive Bayes gains {100 * (nb[large] - nb[small]):.1f} "
                        f"points and logistic regression {100 * (lr[large] - lr[small]):.1f}.")
            if len(common) >= 2:
                prev = common[-2]
                text.append(f"Over the last step, from n = {prev:,} to n = {large:,}, naive Bayes gains "
                            f"{100 * (nb[large] - nb[prev]):.1f} points and logistic regression "
                            f"{100 * (lr[large] - lr[prev]):.1f}.")
    ft = mean.get("bert_finetuned")
    if ft and lr:
        common = sorted(set(ft) & set(lr))
        ahead = [n for n in common if ft[n] > lr[n]]
        if common and ahead == common:
            text.append("The fine-tuned BERT is ahead of logistic regression at every size.")
        elif ahead:
            text.append(f"The fine-tuned BERT is ahead of logistic regression at n = {', '.join(f'{n:,}' for n in ahead)} "
                        "and behind it at the other sizes.")
        elif common:
            text.append("The fine-tuned BERT is behind logistic regression at every size.")
    return "\n" + "\n".join(rows) + "\n\n" + " ".join(t for t in text if t) + \
        f" From `{res.shown(run, 'summary.json')}`.\n"


def table_nlu_confusions(res: Results, run: str, compare: str | None = None) -> str | None:
    s = _nlu_summary(res, run)
    if s is None or not s.get("classes"):
        return None
    models = [m for m in s["models"] if m.get("confusion")]
    if not models:
        return None
    best = max(models, key=lambda m: m["accuracy"])
    names, conf = s["classes"], best["confusion"]
    support = [sum(row) for row in conf]
    pairs = sorted(((conf[i][j], i, j) for i in range(len(conf)) for j in range(len(conf)) if i != j and conf[i][j]),
                   key=lambda p: (-p[0], p[1], p[2]))[:12]
    rows = ["| true supersense | predicted as | glosses | share of the true class |", "|---|---|---|---|"]
    for n, i, j in pairs:
        rows.append(f"| `{names[i]}` | `{names[j]}` | {n:,} | {_pct(n / max(support[i], 1))} |")
    wrong = sum(support) - sum(conf[i][i] for i in range(len(conf)))
    text = [f"The most frequent confusions of {_nlu_name(best['name'])}, the most accurate model, on the test glosses: "
            f"these {len(pairs)} pairs hold {sum(p[0] for p in pairs):,} of its {wrong:,} errors."]
    # The small classes: what macro-F1 sees and accuracy does not.
    recall = [(conf[i][i] / support[i], i) for i in range(len(conf)) if support[i]]
    small = sorted((i for i in range(len(conf)) if support[i]), key=lambda i: support[i])[:5]
    if small:
        text.append("Its five smallest classes in the test set, with the share of their glosses it labels right: "
                    + ", ".join(f"`{names[i]}` {conf[i][i]:,} of {support[i]:,}" for i in small) + ".")
    if recall:
        worst = min(recall)
        text.append(f"Its worst class is `{names[worst[1]]}`, {_pct(worst[0])} right.")
    return "\n" + "\n".join(rows) + "\n\n" + " ".join(text) + f" From `{res.shown(run, 'summary.json')}`.\n"


def table_nlu_examples(res: Results, run: str, compare: str | None = None) -> str | None:
    d = res.json(run, "examples.json")
    if not d or not d.get("examples"):
        return None
    examples = d["examples"]
    models = []
    for e in examples:
        for m in e.get("predictions") or {}:
            if m not in models:
                models.append(m)
    models = [m for m in NLU_MODELS if m in models] + [m for m in models if m not in NLU_MODELS]
    rows = ["| lemma | gloss | true | " + " | ".join(_nlu_name(m) for m in models) + " |",
            "|---|---|---|" + "---|" * len(models)]
    right = {m: 0 for m in models}
    for e in examples:
        cells = []
        for m in models:
            top = (e.get("predictions") or {}).get(m) or []
            if not top:
                cells.append("")
                continue
            first = top[0]
            ok = first["label"] == e["label"]
            right[m] += ok
            label = first["label"].removeprefix("noun.")
            cells.append(f"{'✓' if ok else '✗'} {label} ({first['prob']:.2f})")
        rows.append(f"| {_nlu_cell(e.get('lemma', ''))} | {_nlu_cell(e['gloss'])} | "
                    f"{_nlu_cell(e['label'].removeprefix('noun.'))} | " + " | ".join(cells) + " |")
    text = (f"{len(examples)} test glosses with each model's most probable supersense and its probability (✓ right, "
            "✗ wrong; the `noun.` prefix left out). Right here: "
            + ", ".join(f"{_nlu_name(m)} {right[m]} of {len(examples)}" for m in models) + ".")
    return "\n" + "\n".join(rows) + f"\n\n{text} From `{res.shown(run, 'examples.json')}`.\n"


TABLES = {"grad_norms": table_grad_norms, "epochs": table_epochs, "loss_steps": table_loss_steps,
          "per_class": table_per_class,
          "sentencepiece": table_sentencepiece, "bench_conv": table_bench_conv, "synonyms": table_synonyms, "neighbours": table_neighbours,
          "gensim": table_gensim, "summary": table_bert_summary, "predict": table_bert_predict,
          "gpt_summary": table_gpt_summary, "gpt_strategies": table_gpt_strategies, "kv_cache": table_kv_cache,
          "finetune": table_couplet_finetune, "generated": table_couplet_generated,
          "asr_summary": table_asr_summary, "asr_data": table_asr_data, "asr_variants": table_asr_variants,
          "asr_mistakes": table_asr_mistakes, "nlu_summary": table_nlu_summary, "nlu_curve": table_nlu_curve,
          "nlu_confusions": table_nlu_confusions, "nlu_examples": table_nlu_examples}


def table_block(res: Results, chapter: str, spec: str) -> str:
    """`NAME`, `VARIANT NAME` (the run CHAPTER-VARIANT), either followed by `vs RUN` (a column of RUN)."""
    words = spec.split()
    compare = None
    if len(words) >= 3 and words[-2] == "vs":
        compare, words = words[-1], words[:-2]
    if len(words) == 2 and words[0] not in TABLES:
        run, name = f"{chapter}-{words[0]}", words[1]
    elif len(words) == 1:
        run, name = chapter, words[0]
    else:
        raise ValueError(f"table placeholder '{spec}': expected NAME or VARIANT NAME")
    if name not in TABLES:
        raise ValueError(f"unknown table '{name}' (known: {', '.join(sorted(TABLES))})")
    with numbers_expected(f"table {name}", run):
        return TABLES[name](res, run, compare) or missing(f"The `{name}` table", run)


# --------------------------------------------------------------------------------------
# "Verified with"


def verified_line(res: Results, chapter: str) -> str:
    s = res.json(chapter, "summary.json")
    if s is None:
        return (
            "\n```{container} dlbook-verified\nNot verified on this machine yet: this page's results appear "
            "once you run `./book run`, then `./book docs`; a number typed in the prose comes from the authors' run.\n```\n"
        )
    b = s.get("build", {}) if isinstance(s.get("build"), dict) else {}
    date = str(b.get("date", ""))[:10]  # "2026-01-31T12:34:56Z" -> the day
    if not date:  # a summary written before programs recorded their build
        mtime = (res.root / chapter / "summary.json").stat().st_mtime
        date = datetime.fromtimestamp(mtime, timezone.utc).strftime("%Y-%m-%d")
    source = res.shown(chapter, "summary.json")
    if not b.get("commit"):
        return (
            f"\n```{{container}} dlbook-verified\n**Verified with:** a run on {date} (`{source}`). "
            "That summary predates the build record; `./book run` writes one with the commit, "
            "compiler and Eigen version.\n```\n"
        )
    parts = [f"commit `{b['commit']}`", b.get("compiler", "unknown compiler"),
             f"Eigen {b.get('eigen', '?')}", f"run on {date}"]
    return "\n```{container} dlbook-verified\n**Verified with:** " + ", ".join(parts) + f" (`{source}`).\n```\n"


# --------------------------------------------------------------------------------------
# API page

HEADER_ORDER = ["tensor", "autograd", "ops", "conv", "rnn", "attention", "transformer", "gpt", "decode", "ctc",
                "nn", "optim", "data", "audio", "text", "tokenize", "utf8", "io", "json", "util", "train",
                "gradcheck", "memory", "eigen", "dl"]
FILE_BRIEF = re.compile(r"^///\s*@brief\s+(.*)$", re.M)


def api_block(app: Sphinx) -> str:
    """A table of the public headers (their @brief), then the whole `dl` namespace.

    One `doxygennamespace` renders every symbol once, nested namespaces included;
    a `doxygenfile` per header would declare the namespaces again for every header
    ("Duplicate C++ declaration" under -W).
    """
    headers = sorted(Path(app.config.dlbook_headers_dir).glob("*.hpp"))
    rank = {h: i for i, h in enumerate(HEADER_ORDER)}
    headers.sort(key=lambda p: (rank.get(p.stem, len(rank)), p.stem))
    rows = ["| header | what it holds |", "|---|---|"]
    for h in headers:
        app.env.note_dependency(str(h))
        brief = FILE_BRIEF.search(h.read_text(encoding="utf-8"))
        what = brief.group(1).strip() if brief else ""
        rows.append(f"| `dl/{h.name}` | {what} |")
    return (
        "\n" + "\n".join(rows) + "\n\n(api-namespace-dl)=\n## Namespace `dl`\n\n"
        "```{doxygennamespace} dl\n:project: dl\n:members:\n:protected-members:\n```\n"
    )


class DropKnownCppParseLimits:
    """Sphinx 5's C++ parser cannot read designated initialisers (`{.weight_decay = 0.01f}`)
    in default arguments. Breathe then shows the declaration as written, which is right,
    but also warns; this drops exactly that warning."""

    def filter(self, record) -> bool:
        msg = record.getMessage()
        return not ("Error when parsing function declaration" in msg and re.search(r"=\s*\{\s*\.", msg))


# --------------------------------------------------------------------------------------
# Chapter map of the home page


def chapters_block(app: Sphinx) -> str:
    rows = ["| chapter | sections |", "|---|---|"]
    chapters = Path(app.srcdir) / "chapters"
    for lesson in sorted(chapters.glob("*/lesson.md")):
        app.env.note_dependency(str(lesson))
        text = lesson.read_text(encoding="utf-8")
        sections = re.findall(r"^\(([\w-]+)\)=\n## ", text, flags=re.M)
        links = ", ".join("{ref}`" + s + "`" for s in sections[:6])
        rows.append(f"| {{doc}}`chapters/{lesson.parent.name}/lesson` | {links} |")
    return "\n" + "\n".join(rows) + "\n"


# --------------------------------------------------------------------------------------
# Exercises, from exercises/manifest.json; each one's task is its doc comment in
# exercises/exercises.hpp (the comment lines that start with "/// <id>:"), read by
# tools/grade/exercise_info.py, which also writes the README.md of each exercise folder.


def exercise_info_module(manifest_path: Path):
    """tools/grade/exercise_info.py: one reading of the tasks for the docs and the READMEs."""
    tools = str(manifest_path.resolve().parents[1] / "tools" / "grade")
    if tools not in sys.path:
        sys.path.insert(0, tools)
    import exercise_info

    return exercise_info


def exercise_entry(ex: dict, number: int, tasks: dict[str, str], level: int, lesson_written: bool = True) -> str:
    points = f"{ex['points']} point" + ("s" if ex["points"] != 1 else "")
    task = tasks.get(ex["id"])
    if not task:
        raise ValueError(f"exercise '{ex['id']}': no doc comment starting with '{ex['id']}:' in exercises.hpp")
    folder = f"exercises/{ex['chapter']}/{ex['id']}/"
    # A "fix the bug" exercise (the manifest's "kind"): its file is complete code with one bug.
    bug = ex.get("kind", "write") == "fix-the-bug"
    kind = " · {ref}`fix the bug <exercise-kinds>`" if bug else ""
    todo = ("This file compiles and runs but has one bug: find it and fix it. " if bug else "")
    # A chapter's exercises may come before its lesson: then there is no section to link yet.
    read = f"{{ref}}`{ex['lesson']}`" if lesson_written else f"the section `{ex['lesson']}` of its lesson (not written yet)"
    return (
        f"{'#' * level} {number}. {ex['title']}\n\n"
        f"`{ex['id']}` · {points}{kind} · read first: {read}\n\n"
        f"{task}\n\n"
        f"{todo}Your file: `{folder}{ex['id']}.cpp` (the task and hint also in its `README.md`) · "
        f"grade it: `./book grade {ex['id']}`\n\n"
        f"<details><summary>Hint</summary>\n\n{ex['hint']}\n\n</details>\n"
    )


def exercises_block(app: Sphinx, chapter: str | None, spec: str) -> str:
    manifest_path = Path(app.config.dlbook_exercises_manifest)
    header = manifest_path.parent / "exercises.hpp"
    app.env.note_dependency(str(manifest_path))
    app.env.note_dependency(str(header))
    exercises = json.loads(manifest_path.read_text(encoding="utf-8"))["exercises"]
    tasks = exercise_info_module(manifest_path).tasks(header.read_text(encoding="utf-8"))
    if spec == "all":
        out = []
        for ch in dict.fromkeys(e["chapter"] for e in exercises):
            mine = [e for e in exercises if e["chapter"] == ch]
            total = sum(e["points"] for e in mine)
            bugs = sum(e.get("kind", "write") == "fix-the-bug" for e in mine)
            of_them = f" ({bugs} of them to fix the bug)" if bugs else ""
            lesson = manifest_path.resolve().parents[1] / "chapters" / ch / "lesson.md"
            app.env.note_dependency(str(lesson))  # a missing file counts as changed: re-read until it exists
            written = lesson.exists()
            heading = f"{{doc}}`/chapters/{ch}/lesson`" if written else f"Chapter {ch}"
            out.append(f"\n### {heading}\n\n{len(mine)} exercises{of_them}, {total} points.\n")
            out += [exercise_entry(e, n, tasks, 4, written) for n, e in enumerate(mine, 1)]
        return "\n".join(out)
    if spec != chapter:
        raise ValueError(f"exercises placeholder '{spec}': expected 'all' or this chapter ({chapter})")
    mine = [e for e in exercises if e["chapter"] == chapter]
    if not mine:
        # The lesson may be written before its exercises: the list fills in once the
        # manifest holds them (a misspelt chapter is caught by the check above).
        return ("\nThis chapter's exercises are not in `exercises/manifest.json` yet; `./book grade` lists every "
                "exercise there is.\n")
    return "\n" + "\n".join(exercise_entry(e, n, tasks, 3) for n, e in enumerate(mine, 1))


# --------------------------------------------------------------------------------------
# The Performance page, from the last `./book bench --compare torch`
# (build/results/bench/compare_torch.json).

COMPARE_RUN, COMPARE_FILE = "bench", "compare_torch.json"


def performance_block(res: Results, spec: str) -> str:
    data = res.json(COMPARE_RUN, COMPARE_FILE)
    if data is None and spec == "chart":
        return ""  # the table's placeholder already says how to measure (one note, not two)
    if data is None:
        return (
            "\n```{admonition} Not measured yet\n:class: note\n\n"
            "The comparison appears here once `build/results/bench/compare_torch.json` exists: run "
            "`./book deps --optional` (installs PyTorch), then `./book bench --compare torch`, then `./book docs`.\n```\n"
        )
    if spec == "table":
        rows = ["| row | what it measures | ours (ms) | PyTorch (ms) | ours / PyTorch |", "|---|---|---|---|---|"]
        for r in data["rows"]:
            rows.append(f"| `{r['name']}` | {r.get('what', '')} | {r['ours_ms']:.3f} | {r['torch_ms']:.3f} | "
                        f"**{r['ratio']:.2f}** |")
        m = data.get("machine", {})
        return ("\n" + "\n".join(rows) + "\n\n"
                f"Median of {data.get('rounds', '?')} interleaved rounds on {data['threads']} threads, "
                f"{m.get('cpu', 'unknown CPU')} ({m.get('cores', '?')} cores), {data.get('date', '')}. "
                f"Ours: {data.get('ours_blas', 'unknown')}. PyTorch {data['torch_version']}: {data['torch_blas']}. "
                f"From `{res.shown(COMPARE_RUN, COMPARE_FILE)}`.\n")
    if spec == "chart":
        out = res.gen / "performance" / "compare.png"

        def draw(path: Path):
            plt = _plt()
            names = [r["name"] for r in data["rows"]]
            ratios = [r["ratio"] for r in data["rows"]]
            fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.2))
            colors = ["#2a9d8f" if v <= 1 else "#e76f51" for v in ratios]
            ax.barh(names[::-1], ratios[::-1], color=colors[::-1])
            ax.axvline(1.0, color="black", linewidth=1)
            for y, v in enumerate(ratios[::-1]):
                ax.text(v, y, f" {v:.2f}", va="center", fontsize=9)
            ax.set_xlabel("time ours / time PyTorch (below 1: we are faster)")
            ax.set_xlim(0, max(1.2, max(ratios) * 1.15))
            fig.tight_layout()
            fig.savefig(path, dpi=110)
            plt.close(fig)

        out.parent.mkdir(parents=True, exist_ok=True)
        draw(out)
        return f"\n```{{image}} /_generated/performance/compare.png\n:alt: ours/PyTorch time per row\n```\n"
    raise ValueError(f"performance placeholder '{spec}': expected 'table' or 'chart'")


# --------------------------------------------------------------------------------------
# The source-read hook


FAQ_LINK = re.compile(r"In the book: `chapters/[^`#]+/lesson\.md#([^`]+)`")


def on_env_get_outdated(app, env, added, changed, removed) -> list[str]:
    """Pages that showed "not run yet" for a file that exists now."""
    missing = getattr(env, "dlbook_missing", {})
    return [doc for doc, paths in missing.items() if any(os.path.exists(p) for p in paths)]


def on_env_purge_doc(app, env, docname: str) -> None:
    getattr(env, "dlbook_missing", {}).pop(docname, None)


def on_env_merge_info(app, env, docnames, other) -> None:
    missing = getattr(env, "dlbook_missing", {})
    for doc in docnames:
        if doc in getattr(other, "dlbook_missing", {}):
            missing[doc] = other.dlbook_missing[doc]
    env.dlbook_missing = missing


def on_source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    text = source[0]
    res = Results(app, docname)
    m = CHAPTER_DOC.match(docname)
    chapter = m.group(1) if m else None

    if docname == "faq":
        text = FAQ_LINK.sub(lambda mm: "In the book: {ref}`" + mm.group(1) + "`", text)

    def replace(mm: re.Match) -> str:
        kind, arg = mm.group(1), mm.group(2)
        try:
            if kind == "api":
                return api_block(app)
            if kind == "chapters":
                return chapters_block(app)
            if kind == "exercises":
                return exercises_block(app, chapter, arg)
            if kind == "performance":
                return performance_block(res, arg)
            if kind == "figure":
                return figure_block(res, arg)
            if chapter is None:
                raise ValueError(f"'{kind}' placeholders only work in chapters/*/lesson.md")
            if kind == "results":
                with numbers_expected("results", arg):
                    return results_block(res, arg.split())
            if kind == "table":
                return table_block(res, chapter, arg)
            return plot_block(res, chapter, arg)
        except ValueError as e:
            logger.warning(f"{e}", location=docname)
            return ""

    text = PLACEHOLDER.sub(replace, text)

    def replace_result(mm: re.Match) -> str:
        try:
            return result_value(res, Path(app.srcdir) / "chapters", mm.group(1))
        except ValueError as e:
            logger.warning(f"{docname}: {e}", location=docname)
            return NOT_RUN_YET

    text = substitute_results(text, replace_result)

    if chapter is not None:
        # The "verified with" line goes right under the page title.
        title = re.search(r"^# .*$", text, flags=re.M)
        at = title.end() if title else 0
        try:
            verified = verified_line(res, chapter)
        except ValueError as e:
            logger.warning(f"{e}", location=docname)
            verified = ""
        text = text[:at] + "\n" + verified + text[at:]
    source[0] = text


# --------------------------------------------------------------------------------------
# CJK search: index CJK runs as character bigrams, split queries the same way.

CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+")


def cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i:i + 2] for i in range(len(run) - 1)]


class SearchEnglishCJK(SearchEnglish):
    """English stemming for English words; CJK text indexed as character bigrams."""

    js_splitter_code = r"""
function splitQuery(query) {
  const cjk = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]+/gu;
  const out = [];
  for (const part of query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)) {
    if (!part) continue;
    let rest = part.replace(cjk, (run) => {
      if (run.length === 1) out.push(run);
      for (let i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
      return " ";
    });
    for (const word of rest.split(" ")) if (word) out.push(word);
  }
  return out;
}
"""

    def split(self, input: str) -> list[str]:
        words = []
        for word in self._word_re.findall(input):
            runs = CJK_RUN.findall(word)
            if not runs:
                words.append(word)
                continue
            for run in runs:
                words.extend(cjk_bigrams(run))
            words.extend(w for w in CJK_RUN.split(word) if w)
        return words

    def word_filter(self, word: str) -> bool:
        if CJK_RUN.fullmatch(word):
            return True
        return super().word_filter(word)


# --------------------------------------------------------------------------------------
# Offline assets

MATHJAX_PARTS = ["MathJax.js", "config/TeX-AMS_CHTML.js", "jax/input/TeX", "jax/output/CommonHTML",
                 "jax/element", "extensions", "localization/en", "fonts/HTML-CSS/TeX/woff"]


def copy_mathjax(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    src = Path(app.config.dlbook_mathjax_dir)
    dst = Path(app.outdir) / "_static" / "mathjax"
    stamp = dst / ".copied"
    if stamp.exists() and stamp.stat().st_mtime >= (src / "MathJax.js").stat().st_mtime:
        return
    if not (src / "MathJax.js").exists():
        logger.warning(f"MathJax 2 not found in {src}: install Debian's libjs-mathjax")
        return
    for part in MATHJAX_PARTS:
        s, d = src / part, dst / part
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            shutil.copy2(s, d)
    stamp.touch()


NORMALIZE_IMPORT = re.compile(r"@import url\((/javascript/normalize\.css/normalize\.css)\);")


def fix_furo_css(app: Sphinx) -> None:
    """Debian's furo.css imports /javascript/normalize.css/normalize.css, an absolute
    path that exists only under a web server set up like Debian's Apache; copy the file
    (package node-normalize.css) beside furo.css and import it from there."""
    styles = Path(app.outdir) / "_static" / "styles"
    css = styles / "furo.css"
    if not css.exists():
        return
    text = css.read_text(encoding="utf-8")
    m = NORMALIZE_IMPORT.search(text)
    if not m:
        return
    src = Path("/usr/share") / m.group(1).lstrip("/")
    if src.exists():
        shutil.copyfile(src, styles / "normalize.css")
        text = NORMALIZE_IMPORT.sub("@import url(normalize.css);", text)
    else:
        logger.warning(f"{src} is missing (package node-normalize.css); furo.css loses its reset")
        text = NORMALIZE_IMPORT.sub("", text)
    css.write_text(text, encoding="utf-8")


def fix_furo(app: Sphinx, exception) -> None:
    """Make Debian's furo assets work offline and without a module loader."""
    if exception is not None or app.builder.format != "html" or app.config.html_theme != "furo":
        return
    fix_furo_css(app)
    fix_furo_js(app)


def fix_furo_js(app: Sphinx) -> None:
    """Replace furo.js (an ES module in Debian's furo) by a classic script."""
    import furo

    static = Path(furo.__file__).parent / "theme" / "furo" / "static" / "scripts"
    furo_js = (static / "furo.js").read_text(encoding="utf-8")
    if not re.search(r"^\s*import\s", furo_js, flags=re.M):
        return  # already a classic script
    gumshoe = (static / "gumshoe-patched.js").read_text(encoding="utf-8")
    body = re.sub(r'^\s*import\s+Gumshoe\s+from\s+"[^"]+";\s*$', "", furo_js, flags=re.M)
    if re.search(r"^\s*(import|export)\s", body, flags=re.M):
        logger.warning("furo.js has imports or exports this fix does not know; leaving it alone")
        return
    bundle = (
        "/* furo.js made a classic script by the book's docs build (docs/_ext/dlbook.py):\n"
        "   gumshoe-patched.js defines window.Gumshoe, then furo.js without its import. */\n"
        f"{gumshoe}\n;(function () {{\n{body}\n}})();\n"
    )
    out = Path(app.outdir) / "_static" / "scripts" / "furo.js"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(bundle, encoding="utf-8")


def setup(app: Sphinx):
    app.add_config_value("dlbook_results_dir", "build/results", "env")
    app.add_config_value("dlbook_headers_dir", "", "env")
    app.add_config_value("dlbook_exercises_manifest", "", "env")
    app.add_config_value("dlbook_mathjax_dir", "/usr/share/javascript/mathjax", "html")
    app.connect("source-read", on_source_read)
    app.connect("env-get-outdated", on_env_get_outdated)
    app.connect("env-purge-doc", on_env_purge_doc)
    app.connect("env-merge-info", on_env_merge_info)
    app.connect("builder-inited", copy_mathjax)
    app.connect("build-finished", fix_furo)
    search_languages["en"] = SearchEnglishCJK
    import logging as _logging

    _logging.getLogger("sphinx.sphinx.domains.cpp").addFilter(DropKnownCppParseLimits())
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
