#!/usr/bin/python3
"""Numbers that cannot drift: no lesson, and no FAQ answer, types a number that a run produced.

  /usr/bin/python3 tests/docs/check_inline_results.py [SOURCE_DIR]

A number a run produced is written {result}`RUN:KEY:FORMAT` (docs/_ext/dlbook.py
renders it from build/results/RUN/summary.json, or "(not run yet)"). Two checks:

1. Typed run numbers. In the prose of every chapters/*/lesson.md and of the FAQ's
   answers (docs/faq.json, EN and ZH; line N of the report is answer N), with fenced code
   blocks, $$ math blocks, inline $math$, inline `code`, {result} references and
   HTML comments removed, none of these may appear:

     * a percentage with a decimal ......... 92.2%   91.35 %
     * a loss in nats ....................... 0.31 nats   2 nats
     * a time in seconds with a decimal ...... 8.1 seconds
     * a bare number with 3 or more decimals . 2.3035 (how losses are printed)
     * a decimal number in a table row ....... | 100 | 4.98 | (a typed table of a run)

   Design settings and arithmetic (12 epochs, 235,146 parameters, ln 10 = 2.303 in
   math) do not match these patterns, or sit in math or code. A legitimate typed
   number that does match goes in typed_numbers_allowed.txt beside this file: one
   line "LESSON<TAB>TEXT<TAB>why", TEXT being the exact matched text.

2. Every reference, in every chapters/*/lesson.md and FAQ answer, parses (known format, run name),
   names a run some chapter folder makes, and a KEY that the program's summary has,
   read from the C++ sources, not from a list that could go stale:
     * the members dl::app::summarize() writes (app/src/classify.cpp) when the
       chapter's sources call it, and those make_summary() adds (app/src/results.cpp);
     * members the chapter's sources set as summary["key"];
     * a dotted path's next parts: per_class_accuracy.<class name> (the names of
       fashion_mnist_classes() in common/src/data.cpp) and confusion.<row>.<column>
       (indices below the number of classes).

Exit status 0 when both checks pass, 1 otherwise (each failure printed with file:line).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SOURCE = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2])
FAQ = "docs/faq.json"
LESSONS = sorted(str(p.relative_to(SOURCE)) for p in SOURCE.glob("chapters/*/lesson.md"))
ALLOWED = Path(__file__).with_name("typed_numbers_allowed.txt")

sys.path.insert(0, str(SOURCE / "docs" / "_ext"))
import dlbook  # noqa: E402  (the renderer's own syntax and formats: one definition)

TYPED = [
    ("a percentage with a decimal", re.compile(r"\d+\.\d+\s*%")),
    ("a loss in nats", re.compile(r"\d+(?:\.\d+)?\s*nats\b")),
    ("a time in seconds with a decimal", re.compile(r"\d+\.\d+\s*(?:seconds|s)\b")),
    ("a bare number with 3 or more decimals", re.compile(r"(?<![\w.])\d+\.\d{3,}(?![\w.])")),
]
# In a Markdown table row (a line starting with |), any decimal the patterns above did not catch.
TABLE_ROW = ("a decimal number in a table row", re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])"))


def blank(m: re.Match) -> str:
    """Keep the line count (and so line numbers) of what is removed."""
    return "\n" * m.group(0).count("\n")


def prose(text: str) -> str:
    """The lesson with code, math, comments and result references blanked out."""
    text = unfenced(text)
    text = re.sub(r"<!--.*?-->", blank, text, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", blank, text, flags=re.S)
    text = dlbook.RESULT_ROLE.sub(" ", text)
    text = re.sub(r"`[^`\n]*`", " ", text)
    text = re.sub(r"(?<!\\)\$[^$\n]+\$", " ", text)
    return text


def typed_numbers(text: str) -> list[tuple[int, str, str]]:
    """(line, what, matched text) for every typed run-number pattern in the prose of `text`."""
    found = []
    for number, line in enumerate(prose(text).splitlines(), 1):
        spans = []
        for what, pattern in TYPED:
            for m in pattern.finditer(line):
                found.append((number, what, m.group(0)))
                spans.append(m.span())
        if line.lstrip().startswith("|"):
            what, pattern = TABLE_ROW
            for m in pattern.finditer(line):
                if not any(a < m.end() and m.start() < b for a, b in spans):
                    found.append((number, what, m.group(0)))
    return found


def allowed() -> set[tuple[str, str]]:
    entries = set()
    for number, line in enumerate(ALLOWED.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or not parts[2].strip():
            raise SystemExit(f"{ALLOWED}:{number}: expected LESSON<TAB>TEXT<TAB>why, got {line!r}")
        entries.add((parts[0], parts[1]))
    return entries


# ---- Keys of the programs' summaries, from the C++ sources


def function_body(source: str, signature: str) -> str:
    """The text between the braces of the definition that starts with `signature` (a function's
    body after its parameter list, or a variable's initialiser when `signature` ends with '= ')."""
    at = source.find(signature)
    if at < 0:
        return ""
    start = source.index("{", at if signature.endswith("= ") else source.index(")", at))
    depth = 0
    for i in range(start, len(source)):
        depth += {"{": 1, "}": -1}.get(source[i], 0)
        if depth == 0:
            return source[start:i + 1]
    return ""


def json_keys(body: str) -> set[str]:
    return set(re.findall(r'\{"(\w+)",', body)) | set(re.findall(r'summary\["(\w+)"\]', body))


def class_names() -> list[str]:
    body = function_body((SOURCE / "common/src/data.cpp").read_text(encoding="utf-8"), "fashion_mnist_classes()")
    return re.findall(r'"([^"]+)"', body)


def summary_keys(chapter: Path) -> set[str]:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in sorted(chapter.glob("*.[ch]pp"))
                        if not p.name.startswith("test_"))
    keys = json_keys(function_body((SOURCE / "app/src/results.cpp").read_text(encoding="utf-8"),
                                   "Json make_summary("))
    keys |= set(re.findall(r'summary\["(\w+)"\]', sources))
    # make_summary(chapter, results, settings): the members of the objects it merges, where
    # they are named variables (const dl::app::Json results = {{"key", ...}, ...};).
    for call in re.finditer(r"make_summary\(\s*\w+\s*,\s*(\w+)\s*,\s*(\w+)\s*\)", sources):
        for name in call.groups():
            keys |= json_keys(function_body(sources, f"Json {name} = "))
    if re.search(r"\bsummarize\(", sources):
        keys |= json_keys(function_body((SOURCE / "app/src/classify.cpp").read_text(encoding="utf-8"),
                                        "Json summarize("))
    return keys


def check_key(key: str, keys: set[str], classes: list[str]) -> str | None:
    """None when KEY names a member the summary has, else why not."""
    first, *rest = key.split(".")
    if first not in keys:
        return f"the program's summary has no member '{first}' (from its sources: {', '.join(sorted(keys))})"
    if not rest:
        return None
    if first == "per_class_accuracy" and len(rest) == 1:
        return None if rest[0] in classes else f"'{rest[0]}' is not a class name ({', '.join(classes)})"
    if first == "confusion" and len(rest) == 2:
        ok = all(p.isdigit() and int(p) < len(classes) for p in rest)
        return None if ok else f"confusion.<row>.<column> takes indices below {len(classes)}"
    return f"no rule checks the path '{key}' (add one to {Path(__file__).name})"


def main() -> int:
    failures = []

    # Self-test: the rule still sees a typed number, and not one in code or math.
    sample = ("Last epoch 92.2% and 0.31 nats.\n```\n92.2%\n```\n$$x = 2.3035$$ `8.1 seconds`\n"
              "| step | 100 |\n| loss | 4.98 |\n")
    if [w for _, w, _ in typed_numbers(sample)] != ["a percentage with a decimal", "a loss in nats",
                                                     "a decimal number in a table row"]:
        failures.append(f"self-test: the typed-number rule is broken: {typed_numbers(sample)}")

    permitted = allowed()
    used = set()
    for lesson, text in pages():
        for line, what, match in typed_numbers(text):
            if (lesson, match) in permitted:
                used.add((lesson, match))
                continue
            failures.append(f"{lesson}:{line}: {what} typed in the prose: '{match}'. If a run produced it, write "
                            "{result}`RUN:KEY:FORMAT`; if it is a design setting or arithmetic, add it to "
                            f"{ALLOWED.name} with the reason")
    for lesson, match in sorted(permitted - used):
        failures.append(f"{ALLOWED.name}: '{match}' is no longer in {lesson}; remove the entry")

    classes = class_names()
    if len(classes) != 10:
        failures.append(f"common/src/data.cpp: expected the 10 Fashion-MNIST class names, read {classes}")
    chapters = sorted(p for p in (SOURCE / "chapters").iterdir() if p.is_dir())
    for chapter in chapters:
        keys = summary_keys(chapter)
        if chapter.name in ("01-deep-learning", "02-cnn") and "test_accuracy" not in keys:
            failures.append(f"{chapter.name}: found none of summarize()'s keys in the sources (parser out of date?)")
    references = 0
    for rel, text in pages():
        bare = unfenced(text)
        for m in dlbook.RESULT_ROLE.finditer(bare):
            references += 1
            line = bare.count("\n", 0, m.start()) + 1
            try:
                run, key, _ = dlbook.parse_result_ref(m.group(1))
            except ValueError as e:
                failures.append(f"{rel}:{line}: {e}")
                continue
            owner = [c for c in chapters if run == c.name or run.startswith(c.name + "-")]
            if not owner:
                failures.append(f"{rel}:{line}: no chapter folder makes the run '{run}'")
                continue
            why = check_key(key, summary_keys(owner[-1]), classes)
            if why:
                failures.append(f"{rel}:{line}: {{result}}`{m.group(1)}`: {why}")

    for f in failures:
        print(f"FAIL {f}")
    if not failures:
        print(f"ok: no typed run numbers in {', '.join(LESSONS)} and {FAQ}; {references} result references name real keys")
    return 1 if failures else 0


def pages() -> list[tuple[str, str]]:
    """(name, text) of every lesson, and of the FAQ's answers in both languages, one answer per
    line of a text named docs/faq.json (the FAQ renders {result} references too: tools/faq and the site)."""
    out = [(lesson, (SOURCE / lesson).read_text(encoding="utf-8")) for lesson in LESSONS]
    entries = json.loads((SOURCE / FAQ).read_text(encoding="utf-8"))["entries"]
    answers = [e[k].replace("\n", " ") for e in entries for k in ("answer_en", "answer_zh")]
    return out + [(FAQ, "\n".join(answers))]


def unfenced(text: str) -> str:
    """The text with fenced code blocks blanked line for line (the renderer leaves references there alone)."""
    out, fence = [], None
    for line in text.splitlines(keepends=True):
        m = dlbook.FENCE_OPEN.match(line)
        if fence is None and m:
            fence, line = m.group(1), "\n"
        elif fence is not None:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) \
                    and not line.strip()[len(m.group(1)):].strip():
                fence = None
            line = "\n"
        out.append(line)
    return "".join(out)


if __name__ == "__main__":
    sys.exit(main())
