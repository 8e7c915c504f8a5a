#!/usr/bin/python3
"""The grader behind `./book grade`: builds each exercise against its tests and scores it.

    grade.py --build BUILD [ID ...] [--solutions] [--watch] [--json FILE]
             [--exercises-dir DIR] [--time-limit SECONDS] [--poll SECONDS]

For every exercise in exercises/manifest.json (or the ones named), CMake builds one
program: the learner's file exercises/<chapter>/<id>/<id>.cpp, compiled with the flags of
the library's build plus -Wall -Wextra -Werror, linked with that exercise's Catch2 tests.
The tests are compiled by the book's own build from tests/exercises/ (the `exercise_harness`
target, described in BUILD/exercises/toolchain.json); a set of sources (exercises/,
solutions/ or a submission given with --exercises-dir) only contributes its <id>.cpp files.
Each set has a build tree of tools/grade/CMakeLists.txt in BUILD/grade/<set>/ (Ninja), and
each exercise is one target of it, ex_<id>; the grader builds the targets it grades in one
`cmake --build BUILD/grade/<set> --target ex_<id> ... -- -k 0`, which rebuilds only what
changed (the file, a header it includes, the tests, the library): a re-grade takes a second.

Each test program runs in its own process group under a time limit, so code that
crashes, throws or never returns fails its own exercise and the grader carries on. An
exercise scores its points when every one of its tests ran and passed.

Exit status: 0 when every graded exercise passed, 1 when one failed, 2 on bad usage.
The grader prints no solution code: with --solutions, compiler messages leave out the
source lines.
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
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
sys.path.insert(0, str(ROOT / "tools" / "grade"))
import exercise_info  # noqa: E402  (lesson sections, shared with the READMEs and the docs)

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
CHAPTER_PATTERN = re.compile(r"^[0-9][0-9]-[a-z0-9-]+$")
COMPILE_TIME_LIMIT = 120  # seconds; a learner's template can explode
MAX_MESSAGE_LINES = 12
OUTPUT_LIMIT = 64 << 20   # bytes a test program may print before it is stopped (SIGXFSZ)
MEMORY_LIMIT = 8 << 30    # bytes of address space, so a runaway allocation fails instead of swapping
# The kinds of exercise (the manifest's optional "kind"): "write", the usual one, whose stub
# marks a gap with // TODO and throws dl::NotImplemented; "fix-the-bug", whose stub is
# complete code that compiles and runs but has one bug to find and fix.
KINDS = {"write": "write the function", "fix-the-bug": "fix the bug"}
DEFAULT_KIND = "write"


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
    kind: str = DEFAULT_KIND  # a key of KINDS

    @property
    def fix_the_bug(self) -> bool:
        return self.kind == "fix-the-bug"

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
        kind = entry.get("kind", DEFAULT_KIND)
        if not isinstance(kind, str) or kind not in KINDS:
            raise UsageError(f"{where} ({entry.get('id', '?')}): field \"kind\" must be one of "
                             + ", ".join(f'"{k}"' for k in KINDS))
        extra = set(entry) - set(fields) - {"kind"}
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
# Building: CMake builds each exercise's program (tools/grade/CMakeLists.txt)


@dataclasses.dataclass(frozen=True)
class Harness:
    """What the book's build made for grading (BUILD/exercises/toolchain.json): its CMake and
    compiler, and for each exercise its chapter and its compiled tests."""
    path: Path
    cmake: str
    cxx: str
    tests: dict[str, dict]


def load_harness(build: Path) -> Harness:
    path = build / "exercises" / "toolchain.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path} is missing: build the harness first "
                         "(./book grade does it; by hand: cmake --build build --target exercise_harness)")
    return Harness(path, data["cmake"], data["cxx"], data["tests"])


@dataclasses.dataclass
class Built:
    ok: bool
    program: Path | None = None
    status: str = ""
    message: str = ""


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
    """Runs a build command in a process group of its own. On timeout the group gets
    SIGTERM first: Ninja runs each compiler in a process group of its own and stops them
    when it is terminated (SIGKILL would leave them running); then SIGKILL. Status -1."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            text=True, errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out
    except subprocess.TimeoutExpired:
        stop_group(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            stop_group(proc.pid)
            out, _ = proc.communicate()
        return -1, out or ""


def stop_group(pgid: int, sig: signal.Signals = signal.SIGKILL) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def ninja_failures(log: str, ids: set[str]) -> dict[str, tuple[str, str]]:
    """id -> (status, what the compiler or linker said) for each exercise whose build failed.

    Ninja prints a failed step as "FAILED: <outputs>", the command on the next line, then
    its output, up to the next step ("[3/8] ...") or Ninja's own last words ("ninja: ...").
    The outputs name the exercise: CMakeFiles/ex_<id>.dir/... is its object (the compile
    failed), <id> its program (the link failed)."""
    failures: dict[str, tuple[str, str]] = {}
    lines = log.splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r"FAILED: (.*)", lines[i])
        i += 1
        if not m:
            continue
        i += 1  # the command
        body = []
        while i < len(lines) and not re.match(r"\[\d+/\d+\] |FAILED: |ninja: ", lines[i]):
            body.append(lines[i])
            i += 1
        for output in m.group(1).split():
            compiled = re.match(r"CMakeFiles/ex_(\w+)\.dir/", output)
            if compiled and compiled.group(1) in ids:
                failures.setdefault(compiled.group(1), ("does not compile", "\n".join(body)))
            elif output in ids:
                failures.setdefault(output, ("does not link", "\n".join(body)))
    return failures


def link_message(output: str) -> str:
    missing = sorted(set(re.findall(r"undefined reference to `([^']+)'", output)))
    if missing:
        return ("the tests call functions your file does not define: " + ", ".join(missing)
                + "\n(keep the names and signatures that exercises/exercises.hpp declares)")
    return trim_compiler_output(output)


@dataclasses.dataclass(frozen=True)
class GradeProject:
    """One build tree of tools/grade/CMakeLists.txt: the programs of one set of sources."""
    build_dir: Path
    sources: Path
    harness: Harness
    hide_source: bool
    compile_limit: float = COMPILE_TIME_LIMIT

    def settings(self) -> list[str]:
        return ["-G", "Ninja", f"-DCMAKE_CXX_COMPILER={self.harness.cxx}", f"-DDL_GRADE_HARNESS={self.harness.path}",
                f"-DDL_GRADE_SOURCES={self.sources}", f"-DDL_GRADE_HIDE_SOURCE={'ON' if self.hide_source else 'OFF'}"]

    def configure(self) -> None:
        """Configures the build tree the first time, or when its settings changed. Later
        changes (a new file in the set, a new harness) make the build re-run CMake itself."""
        stamp = self.build_dir / "grade-settings.txt"
        settings = "\n".join(self.settings()) + "\n"
        if (self.build_dir / "build.ninja").is_file() and stamp.is_file() and stamp.read_text() == settings:
            return
        if shutil.which("ninja") is None:
            raise UsageError("the grader builds with Ninja, which is not installed: "
                             "./book deps installs it (Debian package ninja-build)")
        # --fresh: whatever an earlier configure of this folder left (another generator, older
        # settings) is dropped.
        code, out = run_tool([self.harness.cmake, "--fresh", "-S", str(ROOT / "tools" / "grade"),
                              "-B", str(self.build_dir), *self.settings()], self.compile_limit)
        if code != 0:
            raise UsageError(f"cannot configure {self.build_dir} (tools/grade/CMakeLists.txt):\n{out.strip()}")
        stamp.write_text(settings)

    def build(self, exercises: list[Exercise]) -> dict[str, Built]:
        """`cmake --build <tree> --target ex_<id> ...`, one target per exercise, all in one
        Ninja run that keeps going past failures: each program is <tree>/<id>, rebuilt only
        when its inputs changed."""
        built: dict[str, Built] = {}
        wanted = []
        for ex in exercises:
            source = ex.source(self.sources)
            if not source.is_file():
                old = self.sources / ex.chapter / f"{ex.id}.cpp"
                moved = (f" (each exercise has a folder of its own now: move {old.name} into {ex.chapter}/{ex.id}/)"
                         if old.is_file() else "")
                built[ex.id] = Built(False, status="missing", message=f"{source} does not exist{moved}")
            elif ex.id not in self.harness.tests:
                built[ex.id] = Built(False, status="no tests",
                                     message=f"no compiled tests for '{ex.id}' in {self.harness.path}")
            else:
                wanted.append(ex)
        if not wanted:
            return built
        self.configure()
        with (self.build_dir / "grade.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time in this tree
            code, log = self.run_build(wanted)
            if code == -1:
                # Stopped at the time limit: build each exercise alone, so that only the one
                # that takes too long fails (what was built already is not built again).
                for ex in wanted:
                    code, log = self.run_build([ex])
                    built.update(self.verdicts([ex], code, log))
            else:
                built.update(self.verdicts(wanted, code, log))
        return built

    def run_build(self, exercises: list[Exercise]) -> tuple[int, str]:
        targets = [f"ex_{ex.id}" for ex in exercises]
        return run_tool([self.harness.cmake, "--build", str(self.build_dir), "--target", *targets, "--", "-k", "0"],
                        self.compile_limit)

    def verdicts(self, exercises: list[Exercise], code: int, log: str) -> dict[str, Built]:
        if code == -1:
            return {ex.id: Built(False, status="does not compile",
                                 message=f"the compiler did not finish within {self.compile_limit:g} s and was stopped")
                    for ex in exercises}
        failures = ninja_failures(log, {ex.id for ex in exercises})
        if code != 0 and not failures:
            raise UsageError(f"cmake --build {self.build_dir} failed:\n{log.strip()}")
        out = {}
        for ex in exercises:
            if ex.id not in failures:
                out[ex.id] = Built(True, program=self.build_dir / ex.id)
            elif failures[ex.id][0] == "does not compile":
                out[ex.id] = Built(False, status="does not compile", message=trim_compiler_output(failures[ex.id][1]))
            else:
                out[ex.id] = Built(False, status="does not link", message=link_message(failures[ex.id][1]))
        return out


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
            stop_group(proc.pid)
            proc.wait()
            return Result(ex, False, "time limit",
                          f"the tests did not finish within {time_limit:g} s and were stopped: an endless loop?")
        finally:
            stop_group(proc.pid)  # and whatever the learner's code started
    text = report.read_text(encoding="utf-8", errors="replace") if report.exists() else ""
    failure = first_failure(text)
    cases = text.count("<TestCase ")
    # Passed: exit 0, no failed check, and Catch2's report complete (a program that calls
    # exit(0) before or during the tests leaves it unfinished).
    if proc.returncode == 0 and failure is None and cases > 0 and "</Catch>" in text:
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
        what = (f"the tests exited with status {proc.returncode}" if proc.returncode != 0 else
                "the tests stopped before they finished, with status 0: does your code call exit()?")
        return Result(ex, False, "failed", f"{what}\n{tail}".rstrip())
    return Result(ex, False, *failure)


# --------------------------------------------------------------------------------------
# Grading a set of exercises


@dataclasses.dataclass(frozen=True)
class Grader:
    root: Path
    manifest: Manifest
    project: GradeProject
    time_limit: float
    solutions: bool

    @property
    def source_dir(self) -> Path:
        return self.project.sources

    def grade(self, exercises: list[Exercise]) -> list[Result]:
        built = self.project.build(exercises)
        results = []
        for ex in exercises:
            b = built[ex.id]
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
    harness = load_harness(build)
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
    project = GradeProject(build / "grade" / label, source_dir, harness, hide_source=args.solutions,
                           compile_limit=args.compile_time_limit)
    return Grader(root, manifest, project, limit, args.solutions)


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
        kind = f"  ({KINDS[r.exercise.kind]})" if r.exercise.fix_the_bug else ""
        print(f"{n:2} {r.exercise.id:<{width}}  {r.exercise.chapter:<17} {r.points:2}/{r.exercise.points:<2} {mark}{status}"
              f"{kind}")
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
    if ex.fix_the_bug:
        print("  fix the bug: this code compiles and runs but has one bug; the failed check shows what it gets wrong")
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
    return exercise_info.section_title(text, ex.lesson) or ex.lesson


def write_json(path: str, results: list[Result]) -> None:
    data = {
        "score": sum(r.points for r in results),
        "max_score": sum(r.exercise.points for r in results),
        "exercises": [{"id": r.exercise.id, "chapter": r.exercise.chapter, "kind": r.exercise.kind,
                       "points": r.points, "max_points": r.exercise.points, "passed": r.passed,
                       "status": r.status, "message": r.message}
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
    p.add_argument("--exercises-dir", metavar="DIR",
                   help="grade the files DIR/NN-chapter/<id>/<id>.cpp instead of exercises/ (a submission)")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="per exercise (default: the manifest's)")
    p.add_argument("--poll", type=float, default=0.5, metavar="SECONDS", help="how often --watch looks for changes")
    p.add_argument("--compile-time-limit", type=float, default=COMPILE_TIME_LIMIT, help=argparse.SUPPRESS)
    p.add_argument("--build", default=str(ROOT / "build"), help=argparse.SUPPRESS)
    p.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.solutions and args.exercises_dir:
        p.error("--solutions and --exercises-dir exclude each other")
    if args.time_limit is not None and args.time_limit <= 0:
        p.error("--time-limit must be positive")
    if args.compile_time_limit <= 0:
        p.error("--compile-time-limit must be positive")
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
