"""The teacher's notebook checker: hostile submissions checked in one batch with honest ones.

Each row of `SUBMISSIONS` is a notebook and what its CSV rows must say. The batch runs
under bubblewrap (skipped where it is missing) and, with --unsafe-no-sandbox, without it.
Rows whose
defence is the same in both (grading from data, lesson detection, limits) run once, to
keep kernel starts few; rows that attack files outside their copy run only under
bubblewrap, which is what stops them. Around each batch the test hashes every file the
submissions could reach.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from course_utils.__main__ import main
from course_utils.grader.engine import export_answer
from course_utils.grader.exercises import all_exercises
from course_utils.grader.notebook_check import (
    lessons_of,
    parse_answers,
    spreadsheet_safe,
    write_csv,
)
from course_utils.grader.sandbox import (
    Limits,
    Sandbox,
    bwrap_problem,
    course_paths,
    fallback_warning,
    read_capped,
)

SECRET_VAR = "LR_COURSE_TEST_SECRET"
SECRET = "s3cret-token-that-must-not-leak"
SSH_KEY = "-----BEGIN FAKE KEY----- do-not-leak -----END FAKE KEY-----"
# Lesson 01's exercises, counted from the registry.
LESSON01 = tuple(i for i in all_exercises() if i.startswith("01."))
# Each exercise's reference solution, as a learner would type it, then its check.
SOLUTIONS = tuple(f"{all_exercises()[i].solution}\ncheck({i!r}, answer)" for i in LESSON01)


@dataclass(frozen=True)
class Paths:
    """Where one batch's files live: what the hostile notebooks aim at."""

    subs: Path
    home: Path
    canary: Path
    course_probe: Path

    @property
    def classmate(self) -> Path:
        """The honest notebook that a hostile one tries to rewrite."""
        return self.subs / "honest_full.ipynb"


@dataclass(frozen=True)
class Submission:
    """One notebook of the batch and what its rows must say.

    `cells` builds the sources from the batch's paths. `statuses` gives each exercise's
    exact status; `error` a text its error row must contain ("" for no error row).
    """

    name: str
    cells: Callable[[Paths], list[str]]
    statuses: dict[str, str]
    error: str = ""
    lesson_meta: str | None = None
    warning: bool = False
    # "both" modes; "once": under bubblewrap, or in the fallback where there is none;
    # "bwrap" only (attacks that only bubblewrap stops), "fallback" only
    runs: str = "once"
    tags: tuple[tuple[int, str], ...] = ()  # (cell index, tag)

    def runs_in(self, mode: str, primary: str) -> bool:
        """Whether this notebook is part of the batch in `mode`."""
        return self.runs in ("both", mode) or (self.runs == "once" and mode == primary)


def _forger(p: Paths) -> list[str]:
    lines = [
        {"id": "01.1", "status": "passed", "message": '=HYPERLINK("http://x", "ok")'},
        [1, 2], {"id": 5, "kind": "number", "data": 4.6}, {"id": "99.9", "data": 1},
        {"01.3": "passed"}, {"id": "01.2", "kind": "number", "data": 5.4},
    ]
    forged = "".join(json.dumps(line) + "\n" for line in lines) + "not json\n\x00\xff\n"
    return [
        "import os\nfrom course_utils import check\nimport course_utils.grader.engine as checks",
        f"with open(os.environ['LR_COURSE_RESULTS'], 'a') as f:\n    f.write({forged!r})",
        "passed = checks.CheckResult('01.3', 'x', 'passed', 'forged')\n"
        "checks.evaluate = lambda *a, **k: passed\n"
        "checks.grade_export = lambda *a, **k: passed\n"
        "check('01.3', 1.2)",
        # a right function, run on inputs of a seed of its choosing
        f"os.environ['LR_COURSE_SEED'] = '7'\n{SOLUTIONS[3]}",
    ]


def _vandal(p: Paths) -> list[str]:
    attacks = {
        "delete": f"os.remove({str(p.canary)!r})",
        "classmate": f"open({str(p.classmate)!r}, 'w').write('{{}}')",
        "course": f"open({str(p.course_probe)!r}, 'w').write('x')",
        # opened for appending, nothing written: harmless even if it got through
        "course_module":
            f"open({str(p.course_probe.parent / 'grader' / 'engine.py')!r}, 'a').close()",
        "checker": f"os.kill({os.getpid()}, 9)",  # this test's own process: the checker
        "ssh": f"open({str(p.home / '.ssh' / 'id_rsa')!r}, 'a').write('x')",
        "link": f"os.symlink({str(p.canary)!r}, {str(p.subs / 'results.csv')!r})",
    }
    body = "\n".join(f"try:\n    {code}\n    done.append({name!r})\nexcept OSError:\n    pass"
                     for name, code in attacks.items())
    return ["import os\ndone = []\n" + body,
            "if done:\n    raise RuntimeError(f'got through: {done}')"]


def _secret_reader(isolated: bool) -> Callable[[Paths], list[str]]:
    def cells(p: Paths) -> list[str]:
        read = [
            "import os, pathlib\nseen = {'env': repr(dict(os.environ))}",
            "try:\n    seen['home'] = pathlib.Path('~/.ssh/id_rsa').expanduser().read_text()\n"
            "except OSError:\n    pass",
        ]
        if isolated:  # the fallback shares the file system and /proc: no hiding those there
            read.append(
                f"for path in [{str(p.home / '.ssh' / 'id_rsa')!r}, *pathlib.Path('/proc')"
                ".glob('[0-9]*/environ')]:\n    try:\n"
                "        seen[str(path)] = pathlib.Path(path).read_bytes().decode('latin-1')\n"
                "    except OSError:\n        pass")
        # The test's oracle: the notebook names what it saw of the secrets.
        read.append(f"hits = sorted(k for k, v in seen.items() if {SECRET!r} in v or "
                    "'do-not-leak' in v)")
        return [*read, "# report\nraise ValueError(f'leak: {hits}')"]

    return cells


NOT_ATTEMPTED_01 = dict.fromkeys(LESSON01, "not attempted")
SUBMISSIONS = [
    # cells that nbval lets raise (by tag or by marker) don't stop it
    Submission("honest_full", lambda p: ["from course_utils import check", *SOLUTIONS,
                                         "raise ValueError('on purpose')",
                                         "# NBVAL_RAISES_EXCEPTION\n1 / 0"],
               dict.fromkeys(LESSON01, "passed"), lesson_meta="01", runs="both",
               tags=((1 + len(SOLUTIONS), "raises-exception"),)),
    Submission("broken", lambda p: ["x = 1", "undefined_name"], {},
               error="cell 2 ('undefined_name') raised NameError"),

    # named like lesson 02, but its check calls say lesson 01
    Submission("02_step_decay", lambda p: ["from course_utils import check", SOLUTIONS[0],
                                           "check('01.2', -123.0)", "check('01.3', ...)"],
               {**NOT_ATTEMPTED_01, "01.1": "passed", "01.2": "failed"}),
    Submission("alice_01_lr_basics", lambda p: ["x = 1"], {}, error="no exercises found"),
    Submission("forger", _forger,
               {**NOT_ATTEMPTED_01, **dict.fromkeys(("01.1", "01.2", "01.3", "01.4"), "failed")},
               warning=True),
    # its answer counts though its kernel died; with no literal id in its cells,
    # the lesson comes from what it exported
    Submission("kernel_killer", lambda p: ["from course_utils import check",
                                           "exercise = '.'.join(['01', '3'])\n"
                                           "check(exercise, 0.4)",
                                           "import os\nos.kill(os.getpid(), 9)",
                                           "check(exercise, 0.9)"],
               {**NOT_ATTEMPTED_01, "01.3": "passed"}, error="kernel died"),
    Submission("kernel_exit", lambda p: ["import os\nos._exit(0)", "check('01.1', 4.6)"],
               NOT_ATTEMPTED_01, error="kernel died", lesson_meta="01", runs="both"),
    Submission("runner_killer", lambda p: ["import os\nos.kill(os.getppid(), 9)",
                                           "import time\ntime.sleep(30)"],
               NOT_ATTEMPTED_01, error="ended abruptly", lesson_meta="01", runs="both"),
    Submission("printer", lambda p: ["print('x' * 3_000_000)"], NOT_ATTEMPTED_01,
               error="printed more than 1 MB", lesson_meta="01", runs="both"),
    Submission("fd_printer", lambda p: ["import os\nos.write(1, b'y' * 3_000_000)"],
               NOT_ATTEMPTED_01, error="printed more than 1 MB", lesson_meta="01"),
    Submission("memory_hog", lambda p: ["import resource\nx = bytearray("
                                        "resource.getrlimit(resource.RLIMIT_DATA)[0])"],
               NOT_ATTEMPTED_01, error="MemoryError", lesson_meta="01"),
    Submission("secret_reader_isolated", _secret_reader(True), NOT_ATTEMPTED_01,
               error="ValueError: leak: []", lesson_meta="01", runs="bwrap"),
    Submission("secret_reader", _secret_reader(False), NOT_ATTEMPTED_01,
               error="ValueError: leak: []", lesson_meta="01", runs="fallback"),
    Submission("vandal", _vandal, NOT_ATTEMPTED_01, lesson_meta="01", runs="bwrap"),
]


def write_notebook(path: Path, sources: list[str], lesson: str | None = None,
                   tags: tuple[tuple[int, str], ...] = ()) -> Path:
    """A notebook of code cells, with the course's lesson id in its metadata if given."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    for index, tag in tags:
        nb.cells[index].metadata.setdefault("tags", []).append(tag)
    if lesson is not None:
        nb.metadata["lr_course"] = {"lesson": lesson}
    nbformat.write(nb, path)
    return path


def tree_digest(*roots: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file, link and folder under the roots with its content hash (no __pycache__)."""
    found: dict[str, str] = {}
    for root in roots:
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = [s for s in subfolders if s != "__pycache__"]
            for name in subfolders + files:
                path = Path(folder) / name
                if path in skip:
                    continue
                if path.is_symlink():
                    found[str(path)] = "link:" + os.readlink(path)
                elif path.is_file():
                    found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
                else:
                    found[str(path)] = "folder"
    return found


def live_processes(marker: str) -> list[str]:
    """Command lines of running processes that mention `marker`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(cmdline)
    return found


@dataclass
class Batch:
    """One checker run over the table: its exit status, output, CSV rows, and what changed."""

    mode: str
    primary: str
    status: int
    out: str
    rows: list[dict[str, str]]
    csv_text: str
    changed: dict[str, tuple[str | None, str | None]]
    leftovers: list[str]
    processes: list[str]
    canary: Path
    outside: Path


def _run_batch(mode: str, primary: str, root: Path) -> Batch:
    root.mkdir()
    home, subs, systmp = root / "teacher_home", root / "subs", root / "systmp"
    for folder in (home / ".ssh", subs, systmp):
        folder.mkdir(parents=True)
    (home / ".ssh" / "id_rsa").write_text(SSH_KEY)
    canary, outside = root / "canary.txt", root / "outside.txt"
    canary.write_text("keep me")
    outside.write_text("the symlinked CSV points here")
    probe = course_paths()[0] / f"_probe_{os.getpid()}.txt"
    paths = Paths(subs, home, canary, probe)
    notebooks = []
    for sub in SUBMISSIONS:
        if sub.runs_in(mode, primary):
            notebooks.append(write_notebook(subs / f"{sub.name}.ipynb", sub.cells(paths),
                                            sub.lesson_meta, sub.tags))
    results = subs / "results.csv"
    results.symlink_to(outside)
    watched = (root, *course_paths())
    before = tree_digest(*watched, skip=(results,))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv(SECRET_VAR, SECRET)
        mp.setenv("MPLCONFIGDIR", str(root.parent / f"matplotlib_{mode}"))  # the checker's own
        mp.setattr(tempfile, "tempdir", str(systmp))
        unsafe = ["--unsafe-no-sandbox"] if mode == "fallback" else []
        bwrap_problem.cache_clear()
        buffer = io.StringIO()
        try:
            with redirect_stdout(buffer):
                status = main(["check", *map(str, notebooks), "--csv", str(results),
                               "--timeout", "120", "--max-output", "1", *unsafe])
        finally:
            bwrap_problem.cache_clear()
            probe.unlink(missing_ok=True)  # only there if the sandbox failed
    after = tree_digest(*watched, skip=(results,))
    changed = {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys()
               if before.get(k) != after.get(k)}
    csv_text = results.read_text(encoding="utf-8") if results.is_file() else ""
    rows = list(csv.DictReader(csv_text.splitlines()))
    return Batch(mode, primary, status, buffer.getvalue(), rows, csv_text, changed,
                 sorted(os.listdir(systmp)), live_processes(str(systmp)), canary, outside)


@pytest.fixture(scope="module", params=["bwrap", "fallback"])
def batch(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """The table checked in one run per mode."""
    bwrap_problem.cache_clear()
    problem = bwrap_problem()
    if request.param == "bwrap" and problem:
        pytest.skip(f"bubblewrap can't be used here: {problem}")
    primary = "fallback" if problem else "bwrap"
    return _run_batch(request.param, primary, tmp_path_factory.mktemp("batch") / request.param)


def _rows_of(batch: Batch, name: str) -> list[dict[str, str]]:
    return [r for r in batch.rows if Path(r["notebook"]).stem == name]


@pytest.mark.parametrize("sub", SUBMISSIONS, ids=[s.name for s in SUBMISSIONS])
def test_every_submission_gets_honest_rows(batch: Batch, sub: Submission) -> None:
    if not sub.runs_in(batch.mode, batch.primary):
        pytest.skip(f"{sub.name} is not part of the {batch.mode} batch")
    rows = _rows_of(batch, sub.name)
    assert rows, f"{sub.name} has no row in the CSV"
    statuses = {r["exercise"]: r["status"] for r in rows if r["exercise"]}
    assert statuses == sub.statuses
    for r in rows:
        assert (r["passed"] == "True") == (r["status"] == "passed")
    errors = [r["message"] for r in rows if r["status"] == "error"]
    if sub.error:
        assert len(errors) == 1 and sub.error in errors[0], errors
    else:
        assert errors == []
    assert any(r["status"] == "warning" for r in rows) == sub.warning


def test_nothing_outside_the_private_copies_changed(batch: Batch) -> None:
    assert batch.changed == {}
    assert batch.canary.read_text() == "keep me"
    assert batch.outside.read_text() == "the symlinked CSV points here"
    assert batch.leftovers == [], "private folders were left in the temp dir"
    assert batch.processes == [], "a sandboxed process outlived the batch"


def test_the_csv_is_a_file_of_its_own_with_no_formulas_and_no_secrets(batch: Batch) -> None:
    assert batch.rows and batch.status == 1
    assert "was a symbolic link" in batch.out
    assert SECRET not in batch.csv_text and SECRET not in batch.out
    assert "do-not-leak" not in batch.csv_text and "do-not-leak" not in batch.out
    for row in csv.reader(batch.csv_text.splitlines()):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    # every row says how it ran
    assert {r["sandbox"] for r in batch.rows} == {
        "bubblewrap" if batch.mode == "bwrap" else "unsandboxed"}


def test_endless_loop_is_stopped_and_its_processes_end(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    loop = write_notebook(tmp_path / "loop.ipynb", ["while True:\n    pass"], lesson="01")
    systmp = tmp_path / "systmp"
    systmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(systmp))
    monkeypatch.setenv("HOME", str(tmp_path))
    for mode in ("bwrap", "fallback"):
        unsafe = ["--unsafe-no-sandbox"] if mode == "fallback" else []
        bwrap_problem.cache_clear()
        if mode == "bwrap" and bwrap_problem():
            continue
        results = tmp_path / f"{mode}.csv"
        assert main(["check", str(loop), "--timeout", "8", "--csv", str(results), *unsafe]) == 1
        rows = list(csv.DictReader(results.open(encoding="utf-8")))
        errors = [r["message"] for r in rows if r["status"] == "error"]
        assert errors == ["the notebook ran longer than 8 s and was stopped."]
        assert live_processes(str(systmp)) == []
        assert os.listdir(systmp) == []
    bwrap_problem.cache_clear()


# ---------------------------------------------------------------------------
# The pieces, without a kernel
# ---------------------------------------------------------------------------

KNOWN = {"01", "02", "06"}


@pytest.mark.parametrize(
    ("metadata", "sources", "expected"),
    [
        ({"lr_course": {"lesson": "02"}}, ["check('01.1', 1)"], ["02"]),
        ({"lr_course": {"lesson": 6}}, [], ["06"]),
        ({"lr_course": {"lesson": "99"}}, ["check('01.1', x)"], ["01"]),
        ({"lr_course": "01"}, ['check("2.1", x)'], ["02"]),
        ({}, ["check( '01.2' , x)", "check(exercise_id=\"06.1\", f)"], ["01", "06"]),
        ({}, ["hint('01.1')", "# nothing checked"], []),
        ({}, ["check('07.1', x)"], []),
    ],
)
def test_lesson_comes_from_the_contents(metadata: dict, sources: list[str],
                                        expected: list[str]) -> None:
    nb = nbformat.v4.new_notebook(metadata=metadata)
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nb.cells.append(nbformat.v4.new_markdown_cell("check('02.1', answer)"))
    assert lessons_of(nb, KNOWN) == expected


@pytest.mark.parametrize(
    ("lines", "kept", "ignored"),
    [
        ([b'{"id": "01.1", "data": 1}', b'{"id": "1.1", "data": 2}'], {"01.1": 2}, 0),
        ([b"[1, 2]", b"7", b'"01.1"', b"null"], {}, 4),
        ([b'{"id": 1.1, "data": 1}', b'{"id": ["01.1"]}', b'{"data": 1}'], {}, 3),
        ([b'{"id": "99.9", "data": 1}', b"not json", b"\xff\xfe", b"{" * 50_000], {}, 4),
        ([b'{"id": "01.2", "data": ' + b"9" * 5000 + b"}"], {}, 1),
        ([b'{"id": "01.2", "data": "' + b"x" * 1_100_000 + b'"}'], {}, 1),
        ([b"", b"   ", b'{"id": "01.3", "data": 3}'], {"01.3": 3}, 0),
        # a known id with a body the course never writes: graded (as malformed), and counted
        ([b'{"id": "01.1", "status": "passed"}', b'{"id": "01.3", "data": 3, "x": 1}'],
         {"01.1": None, "01.3": 3}, 2),
    ],
)
def test_answers_are_parsed_strictly(lines: list[bytes], kept: dict, ignored: int) -> None:
    latest, skipped = parse_answers(b"\n".join(lines), {"01.1", "01.2", "01.3"})
    assert {k: v.get("data") for k, v in latest.items()} == kept
    assert skipped == ignored


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM", "'@SUM"),
     ("\t=1", "'\t=1"), ("a=b", "a=b"), ("", ""), (False, "False"), ("01.1", "01.1"),
     (" =1+1", "' =1+1"), ("\n=1", "'\n=1"), ("  @x", "'  @x"), (" a", " a")],
)
def test_spreadsheet_cells_are_neutralised(value: object, expected: str) -> None:
    assert spreadsheet_safe(value) == expected


def test_csv_replaces_a_symlink_and_leaves_its_target(tmp_path: Path) -> None:
    from course_utils.grader.notebook_check import NotebookReport

    target, link = tmp_path / "grades.xlsx", tmp_path / "results.csv"
    target.write_text("precious")
    link.symlink_to(target)
    report = NotebookReport(Path("=cmd.ipynb"), error="-boom")
    assert write_csv([report], link) is True
    assert target.read_text() == "precious" and not link.is_symlink()
    rows = list(csv.reader(link.open(encoding="utf-8")))
    assert rows[1][0] == "'=cmd.ipynb"
    assert rows[1][-2:] == ["'-boom", "bubblewrap"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.xlsx", "results.csv"]
    with pytest.raises(IsADirectoryError):
        write_csv([report], tmp_path)


def test_answers_file_that_is_a_link_or_pipe_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text('{"id": "01.1"}')
    (tmp_path / "link").symlink_to(secret)
    os.mkfifo(tmp_path / "pipe")
    os.link(secret, tmp_path / "hard")
    for name in ("link", "pipe", "hard", "missing"):
        assert read_capped(tmp_path / name, 100) == b""
    (tmp_path / "big").write_bytes(b"x" * 1000)
    assert read_capped(tmp_path / "big", 100) == b"x" * 100


@pytest.mark.parametrize("flag", [["--timeout", "0"], ["--timeout", "abc"],
                                  ["--memory", "-5"], ["--max-output", "nan"]])
def test_bad_limits_are_refused_clearly(flag: list[str], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["check", str(tmp_path / "x.ipynb"), *flag])
    assert stop.value.code == 2
    assert "expected a number" in capsys.readouterr().err


@pytest.mark.parametrize("memory", ["1535", "1024", "1"])
def test_a_memory_limit_too_small_for_torch_is_refused_naming_the_minimum(
    memory: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["check", str(tmp_path / "x.ipynb"), "--memory", memory])
    assert stop.value.code == 2
    assert "needs at least 1536 MB" in capsys.readouterr().err


def test_every_lesson01_exercise_is_in_the_table() -> None:
    # The table counts what lesson 01 checks: every registered exercise, each in one cell.
    lesson = json.loads((Path(__file__).resolve().parents[1] / "lessons" / "01_lr_basics.ipynb")
                        .read_text(encoding="utf-8"))
    checked = [m for c in lesson["cells"] if c["cell_type"] == "code"
               for m in re.findall(r'check\("(01\.\d+)"', "".join(c["source"]))]
    assert checked == list(LESSON01) and len(LESSON01) >= 4


@pytest.fixture(autouse=True, scope="module")
def _no_probe_left() -> Iterator[None]:
    yield
    assert not list(course_paths()[0].glob("_probe_*.txt"))


@pytest.mark.parametrize("use_bwrap", [True, False], ids=["bwrap", "fallback"])
def test_sandbox_binds_little_and_passes_no_secrets(
    use_bwrap: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_VAR, SECRET)
    package = course_paths()[0]
    inside = package / "exercises"  # as if the submissions sat inside the course install
    sandbox = Sandbox(Limits(), hidden=[inside, tmp_path], use_bwrap=use_bwrap)
    root = tmp_path / "private"
    env = sandbox.environment(root, 5, "token")
    assert SECRET not in env.values()
    assert set(env) <= {"PATH", "HOME", "LANG", "TMPDIR", "PYTHONPATH", "JUPYTER_RUNTIME_DIR",
                        "IPYTHONDIR", "MPLCONFIGDIR", "PYTHONDONTWRITEBYTECODE",
                        "CUDA_VISIBLE_DEVICES", "MALLOC_ARENA_MAX"} | {
        k for k in env if k.startswith("LR_COURSE_")}
    assert env["HOME"].startswith(str(root)) and env["LR_COURSE_SEED"] == "5"
    command = sandbox.command(root, root / "work" / "notebook.ipynb")
    assert command[command.index("-m") + 1] == "course_utils.grader.sandbox_runner"
    if not use_bwrap:
        assert not sandbox.isolated and "switched off" in fallback_warning(sandbox.problem)
        return
    if not sandbox.isolated:
        pytest.skip(f"bubblewrap can't be used here: {sandbox.problem}")

    def after(flag: str) -> list[str]:
        return [command[i + 1] for i, arg in enumerate(command) if arg == flag]

    assert {"--unshare-all", "--unshare-pid", "--die-with-parent", "--new-session"} <= set(command)
    read_only, writable = after("--ro-bind"), after("--bind")
    assert str(package) in read_only and writable == [str(root)]
    home = Path.home()
    assert str(home) not in read_only + writable
    assert not any(Path(p) == home / ".ssh" or home / ".ssh" in Path(p).parents
                   for p in read_only)
    assert str(inside) in after("--tmpfs")


def test_a_failure_inside_the_checker_costs_one_row_not_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from course_utils.grader.sandbox import SandboxRun

    def run(self: Sandbox, notebook_json: str) -> SandboxRun:
        if "boom" in notebook_json:
            raise RuntimeError("boom")
        return SandboxRun(json.dumps(export_answer("01.3", 0.4)).encode() + b"\n", "", 1)

    monkeypatch.setattr(Sandbox, "run", run)
    first = write_notebook(tmp_path / "first.ipynb", ["'boom'"], lesson="01")
    second = write_notebook(tmp_path / "second.ipynb", ["check('01.3', 0.4)"])
    results = tmp_path / "results.csv"
    assert main(["check", str(first), str(second), "--csv", str(results)]) == 1
    rows = list(csv.DictReader(results.open(encoding="utf-8")))
    assert [(Path(r["notebook"]).name, r["status"]) for r in rows][:1] == [
        ("first.ipynb", "error")]
    assert "the checker failed on it: RuntimeError: boom" in rows[0]["message"]
    assert {r["exercise"]: r["status"] for r in rows if r["notebook"] == str(second)} == {
        **dict.fromkeys(LESSON01, "not attempted"), "01.3": "passed"}


def test_the_submissions_folders_leave_the_import_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from course_utils.grader.notebook_check import _forget_folders

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", ["", str(tmp_path), "/usr/lib/python3"])
    _forget_folders([tmp_path])
    assert sys.path == ["/usr/lib/python3"]
