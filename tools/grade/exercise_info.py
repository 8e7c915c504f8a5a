"""What the repository says about each exercise, in one place.

The task of an exercise is the doc comment of its declaration in exercises/exercises.hpp
(the `///` lines that start with "<id>:"); its title, points, hint and lesson label are in
exercises/manifest.json. From these two, and the lesson's heading, this module writes the
README.md of each exercise folder (exercises/NN-chapter/<id>/README.md), and the docs
(docs/_ext/dlbook.py) render the same task text. The READMEs are generated, never edited:
`check_exercises.py same-set` fails when one differs from what render_readme() gives, and
`check_exercises.py write-readmes` writes them.
"""

from __future__ import annotations

import re
from pathlib import Path

GENERATED_NOTE = ("<!-- Generated from exercises/manifest.json and exercises/exercises.hpp; edit those, then run\n"
                  "     /usr/bin/python3 tests/exercises/check_exercises.py write-readmes -->\n")


def tasks(header_text: str) -> dict[str, str]:
    """id -> its task: the doc comments in the header whose first line starts with "<id>:",
    joined in order, without the "<id>:"; a first word like "returns" gets a capital, a
    first symbol like "y" or "dL/dx" does not."""
    found: dict[str, list[str]] = {}
    for id, text, _ in _documented(header_text):
        found.setdefault(id, []).append(text)
    out = {}
    for id, parts in found.items():
        text = " ".join(parts)
        first = text.split(" ", 1)[0]
        out[id] = text[0].upper() + text[1:] if first.isalpha() and len(first) > 1 else text
    return out


def declarations(header_text: str) -> dict[str, list[str]]:
    """id -> the declarations that its doc comments document, as written in the header."""
    found: dict[str, list[str]] = {}
    for id, _, declaration in _documented(header_text):
        found.setdefault(id, []).append(declaration)
    return found


def _documented(header_text: str) -> list[tuple[str, str, str]]:
    """(id, comment text, declaration) of each `///` block that starts with "<id>:"."""
    out = []
    for block, declaration in re.findall(r"((?:^///.*\n)+)([^;{]*;)", header_text, flags=re.M):
        text = " ".join(line[3:].strip() for line in block.splitlines())
        m = re.match(r"(\w+):\s*(.*)", text)
        if m:
            out.append((m.group(1), m.group(2), declaration.strip()))
    return out


def section_title(lesson_text: str, label: str) -> str | None:
    """The heading right under the lesson's `(label)=` target, or None."""
    m = re.search(r"^\(" + re.escape(label) + r"\)=\s*\n#+\s*(.+)$", lesson_text, flags=re.M)
    return m.group(1).strip() if m else None


def github_anchor(title: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")


def is_fix_the_bug(ex: dict) -> bool:
    """True for a "fix the bug" exercise (the manifest's "kind"; absent means "write")."""
    return ex.get("kind", "write") == "fix-the-bug"


def readme_path(root: Path, ex: dict) -> Path:
    return root / "exercises" / ex["chapter"] / ex["id"] / "README.md"


def render_readme(root: Path, ex: dict, task: str, declared: list[str]) -> str:
    """The README.md of one exercise folder: `ex` is its manifest entry, `task` its task
    text and `declared` the declarations of the functions it asks for."""
    lesson = root / "chapters" / ex["chapter"] / "lesson.md"
    title = section_title(lesson.read_text(encoding="utf-8"), ex["lesson"])
    if title is None:
        raise ValueError(f"{ex['id']}: no section ({ex['lesson']})= in {lesson.relative_to(root)}")
    id, chapter = ex["id"], ex["chapter"]
    points = f"{ex['points']} point" + ("s" if ex["points"] != 1 else "")
    test = f"tests/exercises/{chapter}/{id}/test_{id}.cpp"
    declarations = "\n".join(declared)
    if is_fix_the_bug(ex):
        kind = ", a \"fix the bug\" exercise"
        todo = (f"[`{id}.cpp`]({id}.cpp), next to this file, already does this, almost: it compiles and runs, "
                "but it has one bug, and the tests show what it gets wrong. Find the bug and fix it. Keep the names "
                "and signatures that [`exercises.hpp`](../../exercises.hpp) declares; the tests are compiled against "
                "them.")
    else:
        kind = ""
        todo = (f"Write it in [`{id}.cpp`]({id}.cpp), next to this file: replace each `// TODO` and the `throw` "
                "below it with your code. Keep the names and signatures that [`exercises.hpp`](../../exercises.hpp) "
                "declares; the tests are compiled against them.")
    return f"""{GENERATED_NOTE}# {ex['title']}

Exercise `{id}` of chapter {chapter[:2]}, {points}{kind}. Read first: \
[{title}](../../../chapters/{chapter}/lesson.md#{github_anchor(title)}).

## Task

{task}

```cpp
{declarations}
```

{todo}

## Grade it

```sh
./book grade {id}           # build your file against its tests, score it
./book grade --watch {id}   # again on every save
```

It earns its {points} when every test in [`{test}`](../../../{test}) passes.

## Hint

<details><summary>Try without it first</summary>

{ex['hint']}

</details>
"""
