#!/usr/bin/python3
"""Proves the grading honest (run by ctest, label `exercises`; see tests/exercises/CMakeLists.txt).

    check_exercises.py CHECK --root SOURCE_DIR --build BUILD_DIR

CHECK is one of:
  same-set         the manifest, exercises/, solutions/, tests/exercises/ and the compiled
                   tests list the same exercises; each chapter has at least 4; every lesson
                   label exists; every lesson with exercises shows them; every exercise
                   folder's README.md is the one the manifest and exercises.hpp give
  solutions-pass   every reference solution passes all its tests
  stubs-fail       every untouched stub fails at least one test (and still compiles): a stub to
                   write throws dl::NotImplemented; a "fix the bug" stub runs to the end of its
                   tests and fails a check (a wrong result), without crashing or hanging
  grader-survives  code that crashes, throws, loops, exits early, does not compile or link,
                   compiles forever or computes a wrong result fails its exercise with the
                   right message and leaves no process behind; a submission's own tests and
                   build files are ignored; the grader returns, writes its JSON, and does
                   not rebuild what did not change
  watch            --watch re-grades an exercise when its file changes
  record-stubs     (for maintainers) records each stub's hash in the manifest
  write-readmes    (for maintainers) writes each exercise folder's README.md from the
                   manifest and exercises.hpp (tools/grade/exercise_info.py)

A stub counts as untouched when its hash matches the manifest's stub_sha256. A learner
who edited stubs sees them skipped; under CI (the CI variable set) an edited stub or a
stale hash fails the check.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

MIN_PER_CHAPTER = 4
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "grade"))
import exercise_info  # noqa: E402  (the READMEs' single source, shared with the docs)


class CheckFailed(Exception):
    pass


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def processes() -> list[tuple[str, bytes]]:
    """(pid, command line) of every running process."""
    found = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            found.append((p.name, (p / "cmdline").read_bytes()))
        except OSError:  # it ended meanwhile
            pass
    return found


def code_only(text: str) -> str:
    """C++ source without its // comments and blank space: what the compiler sees."""
    return "".join(re.sub(r"//.*", "", text).split())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Checks:
    def __init__(self, root: Path, build: Path):
        self.root, self.build = root, build
        self.manifest_path = root / "exercises" / "manifest.json"
        self.manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        self.exercises = self.manifest["exercises"]
        self.scratch = build / "exercise-checks"
        header = (root / "exercises" / "exercises.hpp").read_text(encoding="utf-8")
        self.tasks, self.declared = exercise_info.tasks(header), exercise_info.declarations(header)

    # -- helpers ---------------------------------------------------------------------

    def grader(self, *args: str, root: Path | None = None) -> list[str]:
        """The command line of the grader on this build, reading the exercises of `root`
        (default: this source tree)."""
        return [sys.executable, str(self.root / "tools" / "grade" / "grade.py"), "--root", str(root or self.root),
                "--build", str(self.build), *args]

    def grade(self, *args: str, timeout: float = 600) -> tuple[int, str, dict | None]:
        """Runs the grader; returns its exit status, its table and its JSON report."""
        report = self.scratch / "report.json"
        report.unlink(missing_ok=True)
        done = subprocess.run(self.grader("--json", str(report), *args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
        return done.returncode, done.stdout, data

    def fixture(self, name: str, files: dict[str, str]) -> Path:
        """A directory laid out like exercises/, holding `files` (relative path -> text)."""
        d = self.scratch / name
        shutil.rmtree(d, ignore_errors=True)
        for rel, text in files.items():
            (d / rel).parent.mkdir(parents=True, exist_ok=True)
            (d / rel).write_text(text, encoding="utf-8")
        return d

    def rel(self, ex: dict, kind: str) -> Path:
        if kind == "test":
            return Path("tests") / "exercises" / ex["chapter"] / ex["id"] / f"test_{ex['id']}.cpp"
        return Path(kind) / ex["chapter"] / ex["id"] / f"{ex['id']}.cpp"

    @staticmethod
    def read(path: Path) -> str | None:
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def readme(self, ex: dict) -> str:
        """The README.md the exercise's folder must hold."""
        task = self.tasks.get(ex["id"])
        if task is None:
            raise CheckFailed(f"{ex['id']}: no doc comment starting with '{ex['id']}:' in exercises/exercises.hpp")
        return exercise_info.render_readme(self.root, ex, task, self.declared[ex["id"]])

    def untouched_stubs(self) -> tuple[list[dict], list[str]]:
        untouched, edited = [], []
        for ex in self.exercises:
            if sha256(self.root / self.rel(ex, "exercises")) == ex["stub_sha256"]:
                untouched.append(ex)
            else:
                edited.append(ex["id"])
        if edited and os.environ.get("CI"):
            raise CheckFailed(f"stubs differ from their recorded hash: {', '.join(edited)} (a changed stub needs "
                              "`/usr/bin/python3 tests/exercises/check_exercises.py record-stubs`)")
        return untouched, edited

    # -- the checks --------------------------------------------------------------------

    def same_set(self) -> str:
        ids = [e["id"] for e in self.exercises]
        manifest = {(e["chapter"], e["id"]) for e in self.exercises}
        expect(len(ids) == len(set(ids)), "an id appears twice in the manifest")

        def listed(folder: Path, pattern: str, strip: str = "") -> set[tuple[str, str]]:
            """(chapter, id) of every NN-chapter/<id>/[strip]<id>.cpp; a file elsewhere is listed by its path."""
            found = set()
            for p in folder.glob(pattern):
                id = p.stem.removeprefix(strip)
                found.add((p.parent.parent.name, id if p.parent.name == id else f"{p.parent.name}/{p.name}"))
            return found

        sets = {
            "exercises/": listed(self.root / "exercises", "[0-9][0-9]-*/*/*.cpp"),
            "solutions/": listed(self.root / "solutions", "[0-9][0-9]-*/*/*.cpp"),
            "tests/exercises/": listed(self.root / "tests" / "exercises", "[0-9][0-9]-*/*/test_*.cpp", "test_"),
        }
        toolchain = json.loads((self.build / "exercises" / "toolchain.json").read_text(encoding="utf-8"))
        compiled = set(toolchain["tests"])
        for where, found in sets.items():
            expect(found == manifest, f"{where} and the manifest differ: only in {where}: "
                   f"{sorted(found - manifest)}; only in the manifest: {sorted(manifest - found)}")
        expect(compiled == set(ids), f"compiled tests {sorted(compiled)} differ from the manifest {sorted(ids)}")

        chapters: dict[str, int] = {}
        for e in self.exercises:
            chapters[e["chapter"]] = chapters.get(e["chapter"], 0) + 1
        for chapter, count in chapters.items():
            expect(count >= MIN_PER_CHAPTER, f"chapter {chapter} has {count} exercises, fewer than {MIN_PER_CHAPTER}")
            lesson_path = self.root / "chapters" / chapter / "lesson.md"
            expect(lesson_path.exists(), f"chapter {chapter} has exercises but no lesson: chapters/{chapter}/lesson.md "
                   "is missing (its exercises link to its sections)")
            lesson = lesson_path.read_text(encoding="utf-8")
            expect(re.search(r"<!--\s*exercises:\s*" + re.escape(chapter) + r"\s*-->", lesson) is not None,
                   f"chapters/{chapter}/lesson.md does not show its exercises (<!-- exercises: {chapter} -->)")
            for e in (e for e in self.exercises if e["chapter"] == chapter):
                expect(f"({e['lesson']})=" in lesson, f"{e['id']}: no section ({e['lesson']})= in {chapter}/lesson.md")

        stale = [str(exercise_info.readme_path(self.root, e).relative_to(self.root)) for e in self.exercises
                 if self.read(exercise_info.readme_path(self.root, e)) != self.readme(e)]
        expect(not stale, f"README.md files that differ from the manifest and exercises.hpp: {', '.join(stale)} "
               "(edit those two, then run `/usr/bin/python3 tests/exercises/check_exercises.py write-readmes`)")

        for e in self.exercises:
            stub = (self.root / self.rel(e, "exercises")).read_text(encoding="utf-8")
            solution = (self.root / self.rel(e, "solutions")).read_text(encoding="utf-8")
            test = (self.root / self.rel(e, "test")).read_text(encoding="utf-8")
            if exercise_info.is_fix_the_bug(e):
                expect("this code has one bug; find and fix it" in stub.lower()
                       and "// TODO" not in stub and "NotImplemented" not in stub,
                       f"{self.rel(e, 'exercises')}: a \"fix the bug\" stub is complete code, says "
                       "\"This code has one bug; find and fix it\", and has no // TODO or dl::NotImplemented")
                expect(code_only(stub) != code_only(solution),
                       f"{self.rel(e, 'exercises')}: the stub's code is the same as the solution's: where is the bug?")
            else:
                expect("// TODO" in stub and "dl::NotImplemented" in stub,
                       f"{self.rel(e, 'exercises')}: a stub marks its gap with // TODO and throws dl::NotImplemented")
            expect(f'"[{e["id"]}]"' in test, f"{self.rel(e, 'test')}: its test cases are tagged [{e['id']}]")
        bugs = sum(exercise_info.is_fix_the_bug(e) for e in self.exercises)
        return (f"{len(ids)} exercises ({bugs} to fix the bug) in {len(chapters)} chapters, the same in all four "
                "places; every README.md current")

    def solutions_pass(self) -> str:
        code, table, data = self.grade("--solutions")
        expect(data is not None, f"the grader wrote no JSON:\n{table}")
        failed = [f"{e['id']}: {e['message']}" for e in data["exercises"] if not e["passed"]]
        expect(not failed, "reference solutions that fail:\n" + "\n".join(failed))
        expect(code == 0 and data["score"] == data["max_score"], f"exit {code}, score {data['score']}")
        return f"all {len(data['exercises'])} solutions pass, {data['score']}/{data['max_score']} points"

    def stubs_fail(self) -> str:
        untouched, edited = self.untouched_stubs()
        if not untouched:
            return "skipped: every stub has been edited"
        d = self.fixture("stubs", {str(self.rel(e, "exercises").relative_to("exercises")):
                                   (self.root / self.rel(e, "exercises")).read_text(encoding="utf-8")
                                   for e in untouched})
        code, table, data = self.grade("--exercises-dir", str(d), *[e["id"] for e in untouched])
        expect(data is not None, f"the grader wrote no JSON:\n{table}")
        passing = [e["id"] for e in data["exercises"] if e["passed"]]
        expect(not passing, f"untouched stubs that pass their tests (a test that cannot fail?): {passing}")
        bugs = {e["id"] for e in untouched if exercise_info.is_fix_the_bug(e)}
        broken = [f"{e['id']}: {e['status']}: {e['message']}" for e in data["exercises"]
                  if e["id"] not in bugs and (e["status"] != "not written yet" or "is not written yet" not in e["message"])]
        expect(not broken, "stubs must compile and fail by throwing dl::NotImplemented:\n" + "\n".join(broken))
        # A "fix the bug" stub compiles, links and runs every test to its end; it fails a
        # check on a value (or an expected exception that it throws instead of a result).
        broken = [f"{e['id']}: {e['status']}: {e['message']}" for e in data["exercises"]
                  if e["id"] in bugs and e["status"] not in ("wrong result", "threw")]
        expect(not broken, "\"fix the bug\" stubs must compile, run and give a wrong result:\n" + "\n".join(broken))
        expect(all(e["points"] == 0 for e in data["exercises"]), "a failing stub earned points")
        expect(code == 1 and data["score"] == 0, f"exit {code}, score {data['score']}")
        note = f"; skipped the stubs you edited: {', '.join(edited)}" if edited else ""
        return (f"all {len(untouched)} untouched stubs fail: {len(untouched) - len(bugs)} with 'not written yet', "
                f"{len(bugs)} \"fix the bug\" stubs with a wrong result{note}")

    def grader_survives(self) -> str:
        relu = next(e for e in self.exercises if e["id"] == "relu")
        solution = (self.root / self.rel(relu, "solutions")).read_text(encoding="utf-8")
        path = str(self.rel(relu, "exercises").relative_to("exercises"))
        end = "  return y;\n"
        expect(solution.count(end) == 1, "the relu solution changed shape; update this check")

        def before_return(code: str) -> dict[str, str]:
            return {path: "#include <cstdlib>\n" + solution.replace(end, f"  {code}\n{end}")}

        # A submission's own tests, build files and header are ignored: the tests come from
        # the repository's tests/exercises/, compiled by the book's build.
        passing_test = '#include <catch2/catch.hpp>\nTEST_CASE("relu: anything passes", "[relu]") { CHECK(true); }\n'
        own_tests = {path: (self.root / self.rel(relu, "exercises")).read_text(encoding="utf-8"),
                     str(Path(path).parent / "test_relu.cpp"): passing_test,
                     str(self.rel(relu, "test")): passing_test,
                     "CMakeLists.txt": 'message(FATAL_ERROR "the grader read a submission\'s CMakeLists.txt")\n'}
        broken = {
            "crash": (before_return("if (x.numel() > 5) std::abort();"), "crashed", "SIGABRT"),
            "throw": (before_return('if (x.numel() > 5) throw std::logic_error("my bug");'), "threw", "my bug"),
            "endless": (before_return("for (volatile bool forever = true; forever;) {}"),
                        "time limit", "did not finish within 2 s"),
            "exit": (before_return("if (x.numel() > 5) std::_Exit(0);"), "failed", "stopped before they finished"),
            "compile": ({path: solution.replace(end, end.replace(";", ""))}, "does not compile", "error: expected"),
            "link": ({path: solution.replace("relu_forward(const", "relu_forward_renamed(const")},
                     "does not link", "ex::relu_forward(dl::Tensor const&)"),
            "wrong": ({path: solution.replace(end, end.replace("return y", "return x"))},
                      "wrong result", "relu: forward"),
            "own-tests": (own_tests, "not written yet", "relu_forward is not written yet"),
        }
        for name, (files, status, detail) in broken.items():
            d = self.fixture(f"broken-{name}", files)
            start = time.monotonic()
            code, table, data = self.grade("--exercises-dir", str(d), "--time-limit", "2", "relu", timeout=120)
            expect(data is not None, f"{name}: the grader wrote no JSON (exit {code}):\n{table}")
            result = data["exercises"][0]
            expect(code == 1 and not result["passed"] and result["points"] == 0,
                   f"{name}: expected a failed exercise and exit 1, got exit {code}: {result}")
            expect(f"{status}:" in table and detail in result["message"],
                   f"{name}: expected '{status}' with '{detail}', got:\n{table}")
            print(f"{name}: {status} in {time.monotonic() - start:.1f} s")

        # A compile that never ends (here: a constant expression of 4e10 steps) fails its
        # exercise at the compile time limit, and no compiler is left running.
        spin = ("constexpr long spin() { long s = 0; for (long i = 0; i < 200000; ++i) "
                "for (long j = 0; j < 200000; ++j) s += (i ^ j) % 7; return s; }\nstatic_assert(spin() > 0);\n")
        d = self.fixture("broken-slow-compile", {path: solution + spin})
        code, table, data = self.grade("--exercises-dir", str(d), "--compile-time-limit", "3", "relu", timeout=120)
        expect(data is not None and code == 1 and "does not compile:" in table
               and "did not finish within 3 s" in data["exercises"][0]["message"],
               f"slow compile: expected 'does not compile' at the time limit, got exit {code}:\n{table}")
        time.sleep(0.5)
        left = [pid for pid, cmdline in processes() if str(d).encode() in cmdline]
        expect(not left, f"slow compile: processes still running: {left}")
        print("slow compile: does not compile, stopped")

        # A re-grade of unchanged files compiles and links nothing.
        d = self.scratch / "broken-wrong"
        built = [p for p in (self.build / "grade").glob("dir-*/**/*")
                 if p.name in ("relu.cpp.o", "relu") and p.is_file()]
        expect(bool(built), "no object files or programs in build/grade")
        before = {p: p.stat().st_mtime_ns for p in built}
        code, _, _ = self.grade("--exercises-dir", str(d), "relu")
        expect(all(p.stat().st_mtime_ns == t for p, t in before.items()), "a re-grade rebuilt unchanged files")

        # Bad usage is a clear error with exit 2, not a traceback.
        code, table, _ = self.grade("no_such_exercise")
        expect(code == 2 and "no exercise named no_such_exercise" in table, f"unknown id: exit {code}\n{table}")
        code, table, _ = self.grade("--exercises-dir", str(self.scratch / "does-not-exist"))
        expect(code == 2 and "no such directory" in table, f"missing dir: exit {code}\n{table}")

        # A malformed manifest is named with the entry at fault, exit 2.
        good = self.exercises[0]
        manifests = {
            "not JSON": ("{", "not valid JSON"),
            "a missing field": (json.dumps({"exercises": [{k: v for k, v in good.items() if k != "points"}]}),
                                'field "points" must be a int'),
            "an id twice": (json.dumps({"exercises": [good, good]}), "appears twice"),
            "an unknown kind": (json.dumps({"exercises": [{**good, "kind": "fix-it"}]}), 'field "kind" must be one of'),
        }
        for what, (text, message) in manifests.items():
            root = self.fixture("bad-manifest", {"exercises/manifest.json": text})
            done = subprocess.run(self.grader(root=root), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  timeout=60)
            expect(done.returncode == 2 and message in done.stdout and "manifest.json" in done.stdout,
                   f"a manifest with {what}: exit {done.returncode}\n{done.stdout}")
        return (f"{len(broken)} kinds of broken or hostile code and a compile that never ends each fail their "
                f"exercise; a re-grade rebuilds nothing; {len(manifests)} malformed manifests are refused")

    def watch(self) -> str:
        relu = next(e for e in self.exercises if e["id"] == "relu")
        path = str(self.rel(relu, "exercises").relative_to("exercises"))
        d = self.fixture("watch", {path: (self.root / self.rel(relu, "exercises")).read_text(encoding="utf-8")})
        proc = subprocess.Popen(self.grader("--exercises-dir", str(d), "--watch", "--poll", "0.2", "relu"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(target=lambda: ([lines.put(l) for l in proc.stdout], lines.put(None)), daemon=True)
        reader.start()
        seen: list[str] = []

        def wait_for(pattern: str, deadline: float) -> None:
            end = time.monotonic() + deadline
            while time.monotonic() < end:
                try:
                    line = lines.get(timeout=0.5)
                except queue.Empty:
                    continue
                if line is None:
                    break
                seen.append(line)
                if re.search(pattern, line):
                    return
            raise CheckFailed(f"--watch never printed /{pattern}/; it printed:\n{''.join(seen)}")

        try:
            wait_for(r"watching", 120)
            expect(any("not written yet" in l for l in seen), "the first grade should fail the stub")
            time.sleep(0.5)  # a new mtime, even on file systems with coarse timestamps
            (d / path).write_text((self.root / self.rel(relu, "solutions")).read_text(encoding="utf-8"),
                                  encoding="utf-8")
            wait_for(r"relu: ✓", 120)
            wait_for(r"score 1/1", 10)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        return "the stub failed, then the saved solution was re-graded and passed"

    def record_stubs(self) -> str:
        for e in self.exercises:
            e["stub_sha256"] = sha256(self.root / self.rel(e, "exercises"))
        self.manifest_path.write_text(json.dumps(self.manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return f"recorded the hashes of {len(self.exercises)} stubs in {self.manifest_path}"

    def write_readmes(self) -> str:
        written = []
        for e in self.exercises:
            path, text = exercise_info.readme_path(self.root, e), self.readme(e)
            if self.read(path) != text:
                path.write_text(text, encoding="utf-8")
                written.append(str(path.relative_to(self.root)))
        return f"wrote {', '.join(written)}" if written else f"all {len(self.exercises)} README.md files are current"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("check", choices=["same-set", "solutions-pass", "stubs-fail", "grader-survives", "watch",
                                     "record-stubs", "write-readmes"])
    p.add_argument("--root", default=str(ROOT))
    p.add_argument("--build", default=str(ROOT / "build"))
    args = p.parse_args()
    checks = Checks(Path(args.root).resolve(), Path(args.build).resolve())
    checks.scratch.mkdir(parents=True, exist_ok=True)
    try:
        print(getattr(checks, args.check.replace("-", "_"))())
    except CheckFailed as e:
        print(f"FAILED: {e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
