#!/usr/bin/python3
"""The grader behind `./book grade`: builds each exercise against its tests and scores it.

    grade.py --build BUILD [ID ...] [--solutions] [--watch] [--json FILE]
             [--exercises-dir DIR] [--time-limit SECONDS] [--poll SECONDS]

For every exercise in exercises/manifest.json (or the ones named), the learner's file
exercises/<chapter>/<id>/<id>.cpp is compiled with the flags of the library's build and
linked with that exercise's Catch2 tests (compiled once by CMake; the compiler, flags
and objects come from BUILD/exercises/toolchain.json). Each test program runs in its own
process group under a time limit, so code that crashes, throws or never returns fails
its own exercise and the grader carries on. An exercise scores its points when every
one of its tests passes.

Objects and programs are kept in BUILD/grade/<set>/ and rebuilt only when the source,
a header it includes, the tests or the library changed: a re-grade takes seconds.

Exit status: 0 when every graded exercise passed, 1 when one failed, 2 on bad usage.
The grader prints no solution code: with --solutions, compiler messages leave out the
source lines.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
CHAPTER_PATTERN = re.compile(r"^[0-9][0-9]-[a-z0-9-]+$")
COMPILE_TIME_LIMIT = 120  # seconds; a learner's template can explode
MAX_MESSAGE_LINES = 12
OUTPUT_LIMIT = 64 << 20   # bytes a test program may print before it is stopped (SIGXFSZ)
MEMORY_LIMIT = 8 << 30    # bytes of address space, so a runaway allocation fails instead of swapping


class UsageError(Exception):
    """Bad input to the grader itself: a missing file, a malformed manifest, an unknown id."""


# --------------------------------------------------------------------------------------
# The manifest


@dataclasses.dataclass(frozen=True)
class Exercise:
    id: str
    chapter: str
    title: str
    points: int
    lesson: str
    hint: str
    stub_sha256: str

    def source(self, directory: Path) -> Path:
        return directory / self.chapter / self.id / f"{self.id}.cpp"

    def test_source(self, root: Path) -> Path:
        return root / "tests" / "exercises" / self.chapter / self.id / f"test_{self.id}.cpp"


@dataclasses.dataclass(frozen=True)
class Manifest:
    exercises: list[Exercise]
    time_limit: float

    def find(self, ids: list[str]) -> list[Exercise]:
        known = {e.id: e for e in self.exercises}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UsageError(f"no exercise named {', '.join(unknown)}; the exercises are: "
                             + ", ".join(e.id for e in self.exercises))
        return [known[i] for i in ids] if ids else list(self.exercises)


def load_manifest(path: Path) -> Manifest:
    """Reads and checks the manifest; every problem is reported with the path and the entry."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: the exercise manifest is missing")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: not valid JSON ({e})")
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), list):
        raise UsageError(f"{path}: expected an object with an \"exercises\" list")
    limit = data.get("time_limit_seconds", 10)
    if not isinstance(limit, (int, float)) or isinstance(limit, bool) or limit <= 0:
        raise UsageError(f"{path}: time_limit_seconds must be a positive number")
    fields = {"id": str, "chapter": str, "title": str, "points": int, "lesson": str, "hint": str,
              "stub_sha256": str}
    exercises, seen = [], set()
    for n, entry in enumerate(data["exercises"]):
        where = f"{path}: exercise {n + 1}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: expected an object")
        for name, kind in fields.items():
            value = entry.get(name)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise UsageError(f"{where} ({entry.get('id', '?')}): field \"{name}\" must be a {kind.__name__}")
        extra = set(entry) - set(fields)
        if extra:
            raise UsageError(f"{where} ({entry['id']}): unknown field(s) {', '.join(sorted(extra))}")
        if not ID_PATTERN.match(entry["id"]):
            raise UsageError(f"{where}: id \"{entry['id']}\" must be lower_snake_case")
        if entry["id"] in seen:
            raise UsageError(f"{where}: id \"{entry['id']}\" appears twice")
        if not CHAPTER_PATTERN.match(entry["chapter"]):
            raise UsageError(f"{where} ({entry['id']}): chapter \"{entry['chapter']}\" must look like 01-name")
        if entry["points"] < 1:
            raise UsageError(f"{where} ({entry['id']}): points must be at least 1")
        seen.add(entry["id"])
        exercises.append(Exercise(**entry))
    return Manifest(exercises, float(limit))


# --------------------------------------------------------------------------------------
# Building: compile the learner's file, link it with the exercise's tests


@dataclasses.dataclass(frozen=True)
class Toolchain:
    path: Path
    cxx: str
    compile_flags: list[str]
    link_inputs: list[str]
    link_flags: list[str]
    test_objects: dict[str, list[str]]


def load_toolchain(build: Path) -> Toolchain:
    path = build / "exercises" / "toolchain.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path} is missing: build the harness first "
                         "(./book grade does it; by hand: cmake --build build --target exercise_harness)")
    return Toolchain(path, data["cxx"], data["compile_flags"], data["link_inputs"], data["link_flags"],
                     data["test_objects"])


@dataclasses.dataclass
class Built:
    ok: bool
    program: Path | None = None
    status: str = ""
    message: str = ""


def mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


def depfile_inputs(depfile: Path) -> list[Path]:
    """The files a previous compile read, from the compiler's -MMD output."""
    try:
        text = depfile.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    text = text.replace("\\\n", " ")
    _, _, deps = text.partition(": ")
    return [Path(p.replace("\\ ", " ")) for p in re.split(r"(?<!\\)\s+", deps.strip()) if p]


def out_of_date(target: Path, inputs: list[Path]) -> bool:
    t = mtime(target)
    return t < 0 or any(mtime(p) < 0 or mtime(p) > t for p in inputs)


def trim_compiler_output(text: str) -> str:
    """The first error and the lines that explain it; notes and later errors are dropped."""
    lines = [l for l in text.splitlines() if l.strip()]
    first = next((i for i, l in enumerate(lines) if re.search(r"\berror\b|undefined reference", l)), None)
    if first is None:
        return "\n".join(lines[:MAX_MESSAGE_LINES])
    start = first
    # Keep the "In function ..." line that says where the error is.
    while start > 0 and re.search(r"In (member )?function|In instantiation|required from", lines[start - 1]):
        start -= 1
    end = first + 1
    while end < len(lines) and not re.search(r"\berror\b|\bwarning\b|collect2|compilation terminated", lines[end]) \
            and end - start < MAX_MESSAGE_LINES:
        end += 1
    return "\n".join(lines[start:end])


def run_tool(cmd: list[str], timeout: float) -> tuple[int, str]:
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                              timeout=timeout, start_new_session=True)
        return done.returncode, done.stdout
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        return -1, out + f"\n(stopped after {timeout:.0f} s)"


def build_exercise(ex: Exercise, source_dir: Path, work: Path, tools: Toolchain, hide_source: bool) -> Built:
    source = ex.source(source_dir)
    if not source.is_file():
        return Built(False, status="missing", message=f"{source} does not exist")
    test_objects = [Path(p) for p in tools.test_objects.get(ex.id, [])]
    if not test_objects:
        return Built(False, status="no tests", message=f"no compiled tests for '{ex.id}' in {tools.path}")
    obj, dep, program = work / f"{ex.id}.o", work / f"{ex.id}.d", work / ex.id

    if out_of_date(obj, [source, tools.path, *depfile_inputs(dep)]):
        flags = list(tools.compile_flags) + (["-fno-diagnostics-show-caret"] if hide_source else [])
        code, out = run_tool([tools.cxx, *flags, "-MMD", "-MF", str(dep), "-c", str(source), "-o", str(obj)],
                             COMPILE_TIME_LIMIT)
        if code != 0:
            obj.unlink(missing_ok=True)
            program.unlink(missing_ok=True)
            return Built(False, status="does not compile", message=trim_compiler_output(out))

    link_inputs = [obj, *test_objects, *(Path(p) for p in tools.link_inputs)]
    if out_of_date(program, link_inputs):
        code, out = run_tool([tools.cxx, str(obj), *map(str, test_objects), *tools.link_inputs, *tools.link_flags,
                              "-o", str(program)], COMPILE_TIME_LIMIT)
        if code != 0:
            program.unlink(missing_ok=True)
            missing = sorted(set(re.findall(r"undefined reference to `([^']+)'", out)))
            if missing:
                return Built(False, status="does not link",
                             message="the tests call functions your file does not define: " + ", ".join(missing)
                             + "\n(keep the names and signatures that exercises/exercises.hpp declares)")
            return Built(False, status="does not link", message=trim_compiler_output(out))
    return Built(True, program=program)


# --------------------------------------------------------------------------------------
# Running the tests


@dataclasses.dataclass
class Result:
    exercise: Exercise
    passed: bool
    status: str   # short, for the table: "passed", "not written yet", "wrong result", ...
    message: str  # the failed check, compiler error or crash, for the learner

    @property
    def points(self) -> int:
        return self.exercise.points if self.passed else 0


def signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    meaning = {"SIGSEGV": "segmentation fault: a read or write outside memory you own",
               "SIGABRT": "abort: an assert or std::terminate",
               "SIGFPE": "arithmetic error: an integer division by zero?",
               "SIGBUS": "bus error", "SIGILL": "illegal instruction",
               "SIGXFSZ": f"printed more than {OUTPUT_LIMIT >> 20} MiB"}.get(name)
    return f"{name} ({meaning})" if meaning else name


def first_failure(report: str) -> tuple[str, str] | None:
    """(status, message) of the first failed check in a Catch2 XML report, or None."""
    try:
        tree = ET.fromstring(report)
    except ET.ParseError:
        return None
    for case in tree.iter("TestCase"):
        overall = case.find("OverallResult")
        if overall is None or overall.get("success") != "false":
            continue
        where = f"test \"{case.get('name')}\""
        infos = []
        for node in case.iter():
            if node.tag == "Info":
                infos.append((node.text or "").strip())
            elif node.tag == "Expression" and node.get("success") == "false":
                original = (node.findtext("Original") or "").strip()
                expanded = (node.findtext("Expanded") or "").strip()
                exception = node.findtext("Exception")
                line = f"{Path(node.get('filename', '')).name}:{node.get('line')}"
                if exception is not None:
                    return classify_exception(where, exception.strip(), f"{node.get('type')}( {original} )", line)
                text = f"{where} at {line}:\n  {node.get('type')}( {original} )"
                if expanded and expanded != original:
                    text += f"\n  with values: {' '.join(expanded.split())}"
                for info in infos:
                    text += f"\n  note: {info}"
                return "wrong result", text
            elif node.tag == "Exception":
                line = f"{Path(node.get('filename', '')).name}:{node.get('line')}"
                return classify_exception(where, (node.text or "").strip(), "", line)
            elif node.tag == "FatalErrorCondition":
                return "crashed", f"{where}: {(node.text or '').strip()}"
            elif node.tag == "Failure":
                return "wrong result", f"{where}: {(node.text or '').strip()}"
        return "wrong result", f"{where} failed"
    return None


def classify_exception(where: str, what: str, check: str, line: str) -> tuple[str, str]:
    if "is not written yet" in what:
        return "not written yet", f"{where}: {what}"
    during = f" in {check}" if check else ""
    return "threw", f"{where}: an exception{during} at {line}:\n  {what}"


def limit_resources() -> None:
    """Runs in the test process before exec: caps on what it may print and allocate."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_tests(ex: Exercise, program: Path, time_limit: float) -> Result:
    """Runs the exercise's test program; what the learner's code prints goes to <id>.out."""
    report, printed = program.with_suffix(".xml"), program.with_suffix(".out")
    report.unlink(missing_ok=True)
    with printed.open("wb") as out:
        proc = subprocess.Popen([str(program), "--reporter", "xml", "--out", str(report)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=limit_resources)
        try:
            proc.wait(timeout=time_limit)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return Result(ex, False, "time limit",
                      f"the tests did not finish within {time_limit:g} s and were stopped: an endless loop?")
    text = report.read_text(encoding="utf-8", errors="replace") if report.exists() else ""
    failure = first_failure(text)
    if proc.returncode == 0 and failure is None:
        cases = text.count("<TestCase ")
        return Result(ex, True, "passed", f"all {cases} tests passed")
    if proc.returncode < 0:
        crash = f"the tests crashed with {signal_name(-proc.returncode)}"
        if failure and failure[0] == "crashed":
            crash += f"\n  {failure[1]}"
        else:
            started = re.findall(r'<TestCase name="([^"]*)"', text)
            if started:
                crash += f"\n  during test \"{started[-1]}\""
        return Result(ex, False, "crashed", crash)
    if failure is None:
        output = printed.read_bytes()[-4096:].decode(errors="replace")
        tail = "\n".join(output.splitlines()[-MAX_MESSAGE_LINES:])
        return Result(ex, False, "failed", f"the tests exited with status {proc.returncode}\n{tail}".rstrip())
    return Result(ex, False, *failure)


# --------------------------------------------------------------------------------------
# Grading a set of exercises


@dataclasses.dataclass(frozen=True)
class Grader:
    root: Path
    build: Path
    manifest: Manifest
    tools: Toolchain
    source_dir: Path
    work: Path
    time_limit: float
    solutions: bool

    def grade(self, exercises: list[Exercise]) -> list[Result]:
        self.work.mkdir(parents=True, exist_ok=True)
        jobs = max(1, min(len(exercises), os.cpu_count() or 2))
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            built = list(pool.map(lambda e: build_exercise(e, self.source_dir, self.work, self.tools, self.solutions),
                                  exercises))
        results = []
        for ex, b in zip(exercises, built):
            if not b.ok:
                results.append(Result(ex, False, b.status, b.message))
            else:
                results.append(run_tests(ex, b.program, self.time_limit))
        return results

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


def make_grader(args: argparse.Namespace) -> Grader:
    root = Path(args.root).resolve()
    build = Path(args.build).resolve()
    manifest = load_manifest(root / "exercises" / "manifest.json")
    tools = load_toolchain(build)
    if args.solutions:
        source_dir, label = root / "solutions", "solutions"
    elif args.exercises_dir:
        source_dir = Path(args.exercises_dir).resolve()
        if not source_dir.is_dir():
            raise UsageError(f"--exercises-dir {args.exercises_dir}: no such directory")
        label = "dir-" + hashlib.sha1(str(source_dir).encode()).hexdigest()[:10]
    else:
        source_dir, label = root / "exercises", "exercises"
    limit = args.time_limit if args.time_limit is not None else manifest.time_limit
    return Grader(root, build, manifest, tools, source_dir, build / "grade" / label, limit, args.solutions)


# --------------------------------------------------------------------------------------
# Output


def use_color() -> bool:
    return sys.stdout.isatty() and os.environ.get("NO_COLOR") is None


def paint(text: str, code: str) -> str:
    return f"\033[{code}m{text}\033[0m" if use_color() else text


def print_table(g: Grader, results: list[Result]) -> None:
    width = max(len("exercise"), *(len(r.exercise.id) for r in results))
    print(f"   {'exercise':<{width}}  {'chapter':<17} points")
    for n, r in enumerate(results, 1):
        mark = paint("✓", "32") if r.passed else paint("✗", "31")
        status = "" if r.passed else f"  {r.status}"
        print(f"{n:2} {r.exercise.id:<{width}}  {r.exercise.chapter:<17} {r.points:2}/{r.exercise.points:<2} {mark}{status}")
    score, top = sum(r.points for r in results), sum(r.exercise.points for r in results)
    done = sum(r.passed for r in results)
    print(f"\nscore {score}/{top} ({done} of {len(results)} exercises passed)"
          + (" [reference solutions]" if g.solutions else ""))
    failing = next((r for r in results if not r.passed), None)
    if failing is not None:
        print_failure(g, failing)


def print_failure(g: Grader, r: Result) -> None:
    ex = r.exercise
    print(f"\n{paint('next: ' + ex.id, '1')} ({ex.title}) in {g.relative(ex.source(g.source_dir))}")
    print(f"  {r.status}: " + r.message.replace("\n", "\n  "))
    print(f"  hint: {ex.hint}")
    print(f"  read: chapters/{ex.chapter}/lesson.md, section \"{section_title(g.root, ex)}\"")
    print(f"  then: ./book grade {'--solutions ' if g.solutions else ''}{ex.id}")


def section_title(root: Path, ex: Exercise) -> str:
    """The heading under the lesson's `(label)=` target, or the label itself."""
    try:
        text = (root / "chapters" / ex.chapter / "lesson.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        return ex.lesson
    m = re.search(r"^\(" + re.escape(ex.lesson) + r"\)=\s*\n#+\s*(.+)$", text, flags=re.M)
    return m.group(1).strip() if m else ex.lesson


def write_json(path: str, results: list[Result]) -> None:
    data = {
        "score": sum(r.points for r in results),
        "max_score": sum(r.exercise.points for r in results),
        "exercises": [{"id": r.exercise.id, "chapter": r.exercise.chapter, "points": r.points,
                       "max_points": r.exercise.points, "passed": r.passed, "message": r.message}
                      for r in results],
    }
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if path == "-":
        sys.stdout.write(text)
    else:
        Path(path).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------
# Watch mode: re-grade the exercise whose file changed


def snapshot(directory: Path) -> dict[Path, tuple[int, int]]:
    files = {}
    for path in directory.rglob("*"):
        if path.suffix in (".cpp", ".hpp", ".h") and path.is_file():
            st = path.stat()
            files[path] = (st.st_mtime_ns, st.st_size)
    return files


def watch(g: Grader, exercises: list[Exercise], poll: float) -> None:
    by_source = {e.source(g.source_dir).resolve(): e for e in exercises}
    results = {r.exercise.id: r for r in g.grade(exercises)}
    print_table(g, [results[e.id] for e in exercises])
    print(f"\nwatching {g.relative(g.source_dir)}/ for changes (Ctrl-C stops)", flush=True)
    seen = snapshot(g.source_dir)
    while True:
        time.sleep(poll)
        now = snapshot(g.source_dir)
        changed = {p for p in now.keys() | seen.keys() if now.get(p) != seen.get(p)}
        seen = now
        if not changed:
            continue
        targets = [by_source[p.resolve()] for p in sorted(changed) if p.resolve() in by_source]
        if any(p.suffix != ".cpp" for p in changed):  # a shared header: every exercise may change
            targets = exercises
        if not targets:
            continue
        print(f"\n[{time.strftime('%H:%M:%S')}] re-grading {', '.join(e.id for e in targets)}", flush=True)
        for r in g.grade(targets):
            results[r.exercise.id] = r
            mark = paint("✓", "32") if r.passed else paint("✗", "31")
            print(f"  {r.exercise.id}: {mark} {r.status} ({r.points}/{r.exercise.points})")
            if not r.passed:
                print_failure(g, r)
        ordered = [results[e.id] for e in exercises]
        print(f"score {sum(r.points for r in ordered)}/{sum(e.points for e in exercises)}", flush=True)


# --------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="./book grade", description="Grade the exercises against their tests.")
    p.add_argument("ids", nargs="*", metavar="ID", help="grade only these exercises (default: all)")
    p.add_argument("--solutions", action="store_true", help="grade the reference solutions instead of exercises/")
    p.add_argument("--watch", action="store_true", help="re-grade an exercise whenever its file changes")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE ('-' for stdout)")
    p.add_argument("--exercises-dir", metavar="DIR", help="grade the files in DIR instead of exercises/")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="per exercise (default: the manifest's)")
    p.add_argument("--poll", type=float, default=0.5, metavar="SECONDS", help="how often --watch looks for changes")
    p.add_argument("--build", default=str(ROOT / "build"), help=argparse.SUPPRESS)
    p.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.solutions and args.exercises_dir:
        p.error("--solutions and --exercises-dir exclude each other")
    if args.time_limit is not None and args.time_limit <= 0:
        p.error("--time-limit must be positive")
    if args.poll <= 0:
        p.error("--poll must be positive")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        g = make_grader(args)
        exercises = g.manifest.find(args.ids)
        if args.watch:
            try:
                watch(g, exercises, args.poll)
            except KeyboardInterrupt:
                print()
            return 0
        results = g.grade(exercises)
    except UsageError as e:
        print(f"grade: error: {e}", file=sys.stderr)
        return 2
    if args.json:
        write_json(args.json, results)
    if args.json != "-":
        print_table(g, results)
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
