"""A build is all or nothing, one at a time, whatever happens to it.

Each test drives ``newsletter build`` as real processes and breaks the world around them: a
second build at the same time, ``kill -9`` at random moments and inside the switch, a
read-only or full output folder, a crafted cache, a worker killed, Ctrl-C. After each, what
readers see (every file under ``site/`` and ``email/``) must be byte for byte the last
complete build, and the next build must recover and be correct.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from synthetic import generate

ISSUES = 12
TIMEOUT = 300


SECONDS: dict[str, float] = {}  # how long a whole web build of each content folder takes


@pytest.fixture(scope="module")
def contents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two different content folders, A and B, and a reference web build of each."""
    folder = tmp_path_factory.mktemp("contents")
    found = {}
    for name, seed in (("A", 0), ("B", 1)):
        content = generate(folder / name, issues=ISSUES, seed=seed)
        found[name] = content
        started = time.perf_counter()
        done = build(content, folder / f"reference-{name}", "--web-only")
        assert done.returncode == 0, done.stderr
        SECONDS[name] = time.perf_counter() - started
        found[f"reference-{name}"] = folder / f"reference-{name}"
    return found


def command(content: Path, output: Path, *extra: str) -> list[str]:
    build = [sys.executable, "-m", "newsletter", "build"]
    return [*build, "--content", str(content), "--output", str(output), *extra]


def build(
    content: Path, output: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(content, output, *extra),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=None if env is None else {**os.environ, **env},
    )


def _interruptible() -> None:
    # A runner started in the background by a non-interactive shell passes SIGINT on ignored,
    # and Python then keeps ignoring it: the build must see Ctrl-C as a terminal sends it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(content: Path, output: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(content, output, *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group: the test can stop all of it
        preexec_fn=_interruptible,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Wait for a build; make sure nothing it started outlives it; return (code, stderr)."""
    _, stderr = process.communicate(timeout=TIMEOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # e.g. Pagefind finishing its run
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.killpg(process.pid, signal.SIGKILL)
        pytest.fail("a process of the build outlived it")
    return process.returncode, stderr


def visible(output: Path) -> dict[str, str]:
    """Every file readers see, by path, with a digest of its bytes."""
    found = {}
    for name in ("site", "email"):
        for where, _, files in os.walk(output / name, followlinks=True):
            for file in files:
                path = Path(where, file)
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[path.relative_to(output).as_posix()] = digest
    return found


def errors(stderr: str) -> list[str]:
    """The lines of stderr that are not the content's warnings."""
    assert "Traceback" not in stderr, stderr
    return [line for line in stderr.splitlines() if not line.startswith(("warning:", "WARNING"))]


def generations(output: Path) -> list[str]:
    return sorted(p.name for p in (output / ".newsletter/builds").iterdir())


def assert_recovered(output: Path, expected: dict[str, str], content: Path) -> None:
    done = build(content, output, "--web-only")
    assert done.returncode == 0, done.stderr
    assert visible(output) == expected
    assert len(generations(output)) == 1
    assert not (output / ".newsletter/journal.json").exists()


@pytest.fixture
def built_a(contents: dict[str, Path], tmp_path: Path) -> Path:
    """An output folder holding a complete web build of A."""
    output = tmp_path / "output"
    shutil.copytree(contents["reference-A"], output, symlinks=True)
    return output


@pytest.fixture
def expected(contents: dict[str, Path]) -> dict[str, dict[str, str]]:
    return {name: visible(contents[f"reference-{name}"]) for name in ("A", "B")}


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make ``folder`` unwritable, even for root (who ignores permissions: chattr +i)."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None:
            pytest.skip("chattr is needed to make a folder read-only for root")
        subprocess.run(["chattr", "+i", str(folder)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(0o755)


def test_two_builds_at_once_one_refuses(
    contents: dict[str, Path], expected: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    output = tmp_path / "output"
    first = start(contents["A"], output, "--web-only")
    time.sleep(0.3)
    second = start(contents["B"], output, "--web-only")
    results = {"A": finish(first), "B": finish(second)}
    won = [name for name, (code, _) in results.items() if code == 0]
    lost = [name for name, (code, _) in results.items() if code != 0]
    assert len(won) == 1 and len(lost) == 1, results
    code, stderr = results[lost[0]]
    assert code == 1
    assert errors(stderr) == [
        f"error: another build is writing into {output}; try again when it has finished"
    ]
    assert visible(output) == expected[won[0]]
    assert_recovered(output, expected[lost[0]], contents[lost[0]])


def test_kill_at_random_moments_leaves_the_last_build(
    contents: dict[str, Path], expected: dict[str, dict[str, str]], built_a: Path
) -> None:
    seconds = SECONDS["B"]
    rng = random.Random(20211111)
    for _ in range(5):
        process = start(contents["B"], built_a, "--web-only")
        time.sleep(rng.uniform(0.05, 1.1) * seconds)  # sometimes after it finished
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        code, stderr = finish(process)
        assert code in (0, -signal.SIGKILL), stderr
        now = visible(built_a)
        # Readers see one complete build: the last one, or the killed one if it was killed
        # after its switch (it was complete then), never a mixture.
        assert now in (expected["A"], expected["B"])
        if now == expected["B"]:
            assert_recovered(built_a, expected["A"], contents["A"])  # start again from A
    assert_recovered(built_a, expected["B"], contents["B"])


@pytest.mark.parametrize("point", ["before-switch", "after-switch"])
def test_kill_inside_the_switch(
    contents: dict[str, Path], expected: dict[str, dict[str, str]], built_a: Path, point: str
) -> None:
    # NEWSLETTER_FAULT is a test hook: the build kills itself at that step of the switch.
    done = build(contents["B"], built_a, "--web-only", env={"NEWSLETTER_FAULT": point})
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert visible(built_a) == expected["A" if point == "before-switch" else "B"]
    assert len(generations(built_a)) == 2  # the killed build's housekeeping is left to do
    assert_recovered(built_a, expected["B"], contents["B"])


@pytest.mark.parametrize("folder", [".newsletter/builds", ".newsletter"])
def test_an_unwritable_output_changes_nothing(
    contents: dict[str, Path], expected: dict[str, dict[str, str]], built_a: Path, folder: str
) -> None:
    with read_only(built_a / folder):
        done = build(contents["B"], built_a, "--web-only")
        assert done.returncode == 1
        [line] = errors(done.stderr)
        assert line.startswith(f"error: cannot write {built_a / folder}/")
        assert line.endswith(("Operation not permitted", "Permission denied"))
        assert visible(built_a) == expected["A"]
    assert_recovered(built_a, expected["B"], contents["B"])


def test_a_read_only_folder_in_the_output_does_not_stop_the_build(
    contents: dict[str, Path], expected: dict[str, dict[str, str]], built_a: Path
) -> None:
    # The build never writes into the files readers see, so it succeeds; only removing the
    # replaced generation fails, and the next build removes it.
    issue = sorted((built_a / "site/issues").iterdir())[0].resolve()
    with read_only(issue):
        done = build(contents["B"], built_a, "--web-only")
        assert done.returncode == 0, done.stderr
        assert "could not remove" in done.stderr
        assert visible(built_a) == expected["B"]
    assert_recovered(built_a, expected["B"], contents["B"])


def test_a_full_disk_changes_nothing(
    contents: dict[str, Path], expected: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    output = tmp_path / "output"
    output.mkdir()
    size = sum(p.stat().st_size for p in (contents["reference-A"]).rglob("*") if p.is_file())
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size * 3}", "tmpfs", str(output)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("mounting a small file system needs root")
    try:
        done = build(contents["A"], output, "--web-only")
        assert done.returncode == 0, done.stderr
        free = shutil.disk_usage(output).free
        (output / "filler").write_bytes(b"\0" * max(0, free - 64 * 1024))
        done = build(contents["B"], output, "--web-only")
        assert done.returncode == 1
        [line] = errors(done.stderr)
        assert line.startswith("error: cannot write") and "No space left on device" in line
        assert visible(output) == expected["A"]
        (output / "filler").unlink()
        assert_recovered(output, expected["B"], contents["B"])
    finally:
        subprocess.run(["umount", "-l", str(output)], check=True)


class _Payload:
    """A pickle that, if loaded, creates a file: proof that the cache ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("kind", ["pickle", "random", "other-schema", "invalid-issue"])
def test_a_crafted_issue_cache_is_never_trusted(
    contents: dict[str, Path], built_a: Path, tmp_path: Path, kind: str
) -> None:
    marker = tmp_path / "ran"
    crafted = {
        "pickle": pickle.dumps({"2016-01-07": _Payload(marker)}),
        "random": random.Random(7).randbytes(4096),
        "other-schema": b'{"schema": 2, "entries": {}}',
        "invalid-issue": b'[3, "tool", {"2016-01-07": ["key", {"id": 5}, []]}]',
    }[kind]
    cache = built_a / ".newsletter/current/issues.json"
    assert cache.read_bytes().startswith(b"[3,")
    cache.unlink()  # not written in place: it is a hard link other files may share
    cache.write_bytes(crafted)
    (built_a / ".newsletter/issues.pickle").write_bytes(pickle.dumps(_Payload(marker)))
    content = tmp_path / "content"
    shutil.copytree(contents["A"], content)
    story = next((content / "issues").iterdir()) / "sections/politics.yaml"
    story.write_text(
        story.read_text("utf-8").replace("stories:\n", "stories:\n- A crafted-cache check.\n", 1),
        "utf-8",
    )
    done = build(content, built_a, "--web-only")
    assert done.returncode == 0, done.stderr
    assert not marker.exists()
    assert not (built_a / ".newsletter/issues.pickle").exists()
    page = built_a / "site/issues" / story.parents[1].name / "index.html"
    assert "A crafted-cache check." in page.read_text("utf-8")
    assert (built_a / ".newsletter/current/issues.json").read_bytes().startswith(b"[3,")


def test_an_output_of_the_previous_version_is_moved_into_a_generation(
    contents: dict[str, Path], expected: dict[str, dict[str, str]], built_a: Path
) -> None:
    # The layout before generations: real folders, the manifest in .newsletter/.
    meta = built_a / ".newsletter"
    generation = (meta / "current").resolve()
    for name in ("site", "email"):
        if (built_a / name).is_symlink():  # a web-only build shows no email/
            (built_a / name).unlink()
        if (generation / name).is_dir():
            (generation / name).rename(built_a / name)
    (generation / "manifest.json").rename(meta / "manifest.json")
    (meta / "current").unlink()
    shutil.rmtree(generation)
    done = build(contents["A"], built_a, "--web-only")
    assert done.returncode == 0, done.stderr
    assert "Nothing changed" in done.stdout  # the moved manifest still describes the files
    assert (built_a / "site").is_symlink() and visible(built_a) == expected["A"]
    assert_recovered(built_a, expected["B"], contents["B"])


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three issues, for the tests that need every edition (PDFs take a while)."""
    return generate(tmp_path_factory.mktemp("small") / "content", issues=3)


def _workers(build_pid: int) -> list[int]:
    """The build's forked workers: its children running the same command line."""
    own = Path(f"/proc/{build_pid}/cmdline").read_bytes()
    try:
        children = Path(f"/proc/{build_pid}/task/{build_pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for child in map(int, children):
        with contextlib.suppress(OSError):
            if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                found.append(child)
    return found


def _wait_for_workers(process: subprocess.Popen[str]) -> list[int]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if found := _workers(process.pid):
            time.sleep(1.0)  # a worker busy importing WeasyPrint or rendering
            return found
        time.sleep(0.05)
    pytest.fail("the build started no worker processes")


@pytest.mark.parametrize("how", ["worker killed", "Ctrl-C", "SIGINT to the build", "kill -9"])
def test_a_build_stopped_midway_says_so_in_one_line(small: Path, tmp_path: Path, how: str) -> None:
    output = tmp_path / "output"
    assert build(small, output, "--web-only").returncode == 0
    before = visible(output)
    process = start(small, output, "--jobs", "2")
    workers = _wait_for_workers(process)
    if how == "worker killed":
        os.kill(workers[0], signal.SIGKILL)
    elif how == "Ctrl-C":
        os.killpg(process.pid, signal.SIGINT)  # a terminal sends it to the whole group
    elif how == "kill -9":
        os.kill(process.pid, signal.SIGKILL)  # its workers must die with it (finish checks)
    else:
        os.kill(process.pid, signal.SIGINT)
    code, stderr = finish(process)
    if how == "worker killed":
        assert code == 1
        assert errors(stderr) == [
            "error: a worker process rendering PDFs and emails died (killed by SIGKILL); "
            "nothing was changed"
        ]
    elif how == "kill -9":
        assert code == -signal.SIGKILL
    else:
        assert code == 130
        assert errors(stderr) == ["interrupted; the output holds the last complete build"]
    assert visible(output) == before
    again = build(small, output, "--web-only")  # not refused: nothing holds the lock
    assert again.returncode == 0 and "Nothing changed" in again.stdout, again.stderr
    assert len(generations(output)) == 1
