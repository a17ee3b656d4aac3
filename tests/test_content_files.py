"""Nothing from outside: links out of the content or templates folder, loops, names and bytes
that are not UTF-8, each refused with a located one-line message, through the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MARKER = "MARKER-7f3a91-outside-the-content"
ISSUE = "content/issues/2021-11-11"
ECONOMY = f"{ISSUE}/sections/economy.yaml"


def newsletter(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, from ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd,
        capture_output=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def check(cwd: Path) -> subprocess.CompletedProcess[str]:
    """``newsletter check`` of ``cwd/content``."""
    return newsletter(cwd, "check", "--content", "content")


def build(cwd: Path, *editions: str) -> subprocess.CompletedProcess[str]:
    """``newsletter build`` of ``cwd/content`` into ``cwd/out``."""
    more = ["--editions", ",".join(editions)] if editions else []
    return newsletter(cwd, "build", "--content", "content", "--output", "out", *more)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A file outside the content folder whose text must never be published or quoted."""
    path = tmp_path / "elsewhere" / "secret.yaml"
    path.parent.mkdir()
    path.write_text(f"{MARKER}: root:$6$salt:19000:0:99999:7:::\ntitle: [{MARKER}\n")
    return path


def link(path: Path, target: Path | str) -> None:
    """Replace ``path`` with a symbolic link to ``target``."""
    if path.is_dir() and not path.is_symlink():
        raise AssertionError(f"{path} is a folder")
    path.unlink(missing_ok=True)
    os.symlink(target, path)


def assert_refused(
    done: subprocess.CompletedProcess[str], cwd: Path, errors: list[str], built: bool = False
) -> None:
    """Exit 1, exactly ``errors`` on stderr, no traceback, no marker anywhere, nothing written."""
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert MARKER not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if not line.startswith("    ")]
    if built:
        count = len(errors)
        summary = f"{count} problem{'s' if count != 1 else ''} found; nothing was written."
        assert lines == [*errors, summary] or lines == errors, done.stderr
        out = cwd / "out"
        assert not [p for p in out.rglob("*") if p.is_file()] if out.exists() else True
    else:
        assert lines[: len(errors)] == errors, done.stderr
        assert lines[-1].startswith(f"{len(errors)} error(s), "), done.stderr
    out = cwd / "out"
    for path in out.rglob("*") if out.exists() else ():
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path


@pytest.fixture
def site(project: Path) -> Path:
    """The folder holding ``content/`` (a copy of the sample): commands run from here."""
    return project.parent


def outside(folder: str) -> str:
    return f"a link to a place outside {folder}; links must stay inside it"


def test_a_section_linked_outside_is_refused_by_its_path_only(site: Path, secret: Path) -> None:
    link(site / ECONOMY, secret)
    errors = [f"{ECONOMY}: {outside('content')}"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site), site, errors, built=True)


def test_an_issue_folder_linked_outside_is_refused(site: Path, secret: Path) -> None:
    elsewhere = secret.parent / "2021-11-18"
    elsewhere.mkdir()
    (elsewhere / "issue.yaml").write_text(f"number: 329\ntitle: {MARKER}\n")
    os.symlink(elsewhere, site / "content/issues/2021-11-18")
    errors = [f"content/issues/2021-11-18: {outside('content')}"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site), site, errors, built=True)


@pytest.mark.parametrize("name", ["newsletter.yaml", "gazetteer.yaml"])
def test_a_shared_file_linked_outside_is_refused(site: Path, secret: Path, name: str) -> None:
    link(site / "content" / name, secret)
    errors = [f"content/{name}: {outside('content')}"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site), site, errors, built=True)


def test_an_image_linked_outside_never_reaches_the_pdf(site: Path, secret: Path) -> None:
    os.symlink(secret, site / ISSUE / "map.png")
    errors = [f"{ISSUE}/map.png: {outside('content')}"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site, "pdf"), site, errors, built=True)


def test_a_link_inside_the_content_folder_is_read(site: Path) -> None:
    shared = site / "content/shared"
    shared.mkdir()
    (site / ECONOMY).rename(shared / "economy.yaml")
    os.symlink("../../../shared/economy.yaml", site / ECONOMY)
    done = check(site)
    assert done.returncode == 0, done.stderr
    assert "1 issue(s) checked: 0 error(s)" in done.stdout


def test_names_that_are_not_utf8(site: Path) -> None:
    section = site / f"{ISSUE}/sections"
    os.rename(section / "economy.yaml", os.fsencode(section) + b"/econ\xff.yaml")
    os.mkdir(os.fsencode(site / "content/issues") + b"/\xff")
    errors = [
        f"{ISSUE}/issue.yaml:11:5: sections[3]: "
        'no file sections/economy.yaml for section "economy"',
        f"{ISSUE}/sections/econ\\xff.yaml: the name is not UTF-8 text; rename it",
        "content/issues/\\xff: the name is not UTF-8 text; rename it",
    ]
    assert_refused(check(site), site, errors)
    built = errors[1:]  # the input scan stops the build before the issue is read
    assert_refused(build(site), site, built, built=True)


@pytest.mark.parametrize(
    ("where", "target"),
    [("content/issues/loop", "loop"), (f"{ISSUE}/sections/up", "..")],
    ids=["link-to-itself", "link-to-a-folder-above"],
)
def test_link_loops(site: Path, where: str, target: str) -> None:
    os.symlink(target, site / where)
    errors = [f"{where}: a link that leads back to itself (a loop); remove it"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site), site, errors, built=True)


def test_a_broken_link_is_reported(site: Path) -> None:
    link(site / ECONOMY, "nowhere.yaml")
    errors = [f"{ECONOMY}: a link to a file that does not exist"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site), site, errors, built=True)


def test_content_that_is_not_utf8(site: Path) -> None:
    (site / ECONOMY).write_bytes(b"title: caf\xe9\n")
    errors = [f"{ECONOMY}:1: file is not UTF-8 text; save it as UTF-8"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site), site, errors, built=True)


def _template(site: Path, data: bytes) -> Path:
    path = site / "templates/web/issue.html"
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    return path


def test_a_template_that_is_not_utf8(site: Path) -> None:
    _template(site, b"<p>ok</p>\n<p>caf\xe9</p>\n")
    message = "templates/web/issue.html:2:7: file is not UTF-8 text; save it as UTF-8"
    assert_refused(check(site), site, [message])
    assert_refused(build(site, "web"), site, [f"error: {message}"], built=True)


def test_a_template_with_a_syntax_error(site: Path) -> None:
    _template(site, b"<p>ok</p>\n{% if %}\n")
    message = (
        "templates/web/issue.html:2: template error: "
        "Expected an expression, got 'end of statement block'"
    )
    assert_refused(check(site), site, [message])
    assert_refused(build(site, "web"), site, [f"error: {message}"], built=True)


def test_a_template_linked_outside_is_refused(site: Path, secret: Path) -> None:
    path = _template(site, b"")
    link(path, secret)
    errors = [f"templates/web/issue.html: {outside('templates')}"]
    assert_refused(check(site), site, errors)
    assert_refused(build(site, "web"), site, errors, built=True)


def _story(site: Path, story: str) -> None:
    path = site / ECONOMY
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("stories:\n", f"stories:\n- {story}\n", 1), encoding="utf-8")


def test_deeply_nested_formatting_is_found_by_check(site: Path) -> None:
    _story(site, "'" + "<b>" * 5000 + "deep'")
    message = (
        f"{ECONOMY}:7:3: stories[0]: the formatting is nested 5001 levels deep; "
        "the PDF edition can lay out at most 50"
    )
    assert_refused(check(site), site, [message])
    assert_refused(build(site), site, [message], built=True)


def test_deeply_nested_quotes_are_found_by_check(site: Path) -> None:
    _story(site, "'" + "> " * 200 + "deep'")
    message = (
        f"{ECONOMY}:7:3: stories[0]: the formatting is nested 201 levels deep; "
        "the PDF edition can lay out at most 50"
    )
    assert_refused(check(site), site, [message])


@pytest.mark.parametrize(
    ("story", "message"),
    [
        (
            "'![map](//example.org/x.png)'",
            'the image "//example.org/x.png" has no scheme; write "https://example.org/x.png"',
        ),
        ("'![map](missing.png)'", 'the image "missing.png" is not a file in the issue folder'),
        ("'![map](/etc/x.png)'", 'the image "/etc/x.png" is not a file in the issue folder'),
        (
            "'![map](../../../../x.png)'",
            'the image "../../../../x.png" is not a file in the issue folder',
        ),
    ],
    ids=["protocol-relative", "missing", "absolute", "up-and-out"],
)
def test_images_the_pdf_would_refuse_are_found_by_check(
    site: Path, story: str, message: str
) -> None:
    _story(site, story)
    located = f"{ECONOMY}:7:3: stories[0]: {message}"
    assert_refused(check(site), site, [located])
    assert_refused(build(site), site, [located], built=True)


def test_a_network_image_is_a_warning(site: Path) -> None:
    _story(site, "'![map](https://example.org/x.png)'")
    done = check(site)
    assert done.returncode == 0, done.stderr
    assert (
        f"{ECONOMY}:7:3: warning: stories[0]: the PDF edition leaves out the image "
        '"https://example.org/x.png": it never fetches from the network'
    ) in done.stdout.splitlines()


def test_a_template_with_an_unknown_filter(site: Path) -> None:
    _template(site, b"<p>{{ 1 | nosuchfilter }}</p>\n")
    message = "templates/web/issue.html:1: template error: No filter named 'nosuchfilter'."
    assert_refused(check(site), site, [message])


def test_an_image_beside_the_templates_is_not_read_as_one(site: Path) -> None:
    image = site / "templates/print/logo.png"
    image.parent.mkdir(parents=True)
    image.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    done = check(site)
    assert done.returncode == 0, done.stderr
