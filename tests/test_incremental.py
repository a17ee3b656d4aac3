"""The build cache: an edit redoes exactly the work that depends on it, and nothing else.

Each test builds a small synthetic archive, changes one thing, builds again, and compares
the pieces of work redone (``rendered``) and the files that changed (``written``) with what
depends on the change.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from synthetic import generate

from newsletter.commands.build import BuildResult, build
from newsletter.errors import RenderError

ROOT = Path(__file__).resolve().parents[1]
IDS = ["2016-01-07", "2016-01-14", "2016-01-21", "2016-01-28"]
WEB = ("web",)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Four synthetic issues with every edition, built once; tests work on copies."""
    folder = tmp_path_factory.mktemp("archive")
    generate(folder / "content", issues=4)
    shutil.copytree(ROOT / "templates", folder / "templates")
    build(folder / "content", folder / "output")
    yield folder


@pytest.fixture
def archive(built: Path, tmp_path: Path) -> Path:
    """A copy of the built archive (content, templates and output with its cache)."""
    target = tmp_path / "archive"
    # copy2 keeps the outputs' times, as the manifest saw them; the links stay links.
    shutil.copytree(built, target, symlinks=True)
    # Messages name files by path, so a moved folder is a change: build once where it is now.
    assert rebuild(target).rendered == []
    return target


def rebuild(archive: Path, editions: tuple[str, ...] = ("email", "pdf", "web")) -> BuildResult:
    return build(archive / "content", archive / "output", editions=editions)


def changed(result: BuildResult, archive: Path) -> set[str]:
    root = archive / "output"
    return {p.relative_to(root).as_posix() for p in result.written}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def set_deaths(archive: Path, issue: str, deaths: int) -> None:
    import yaml

    path = archive / "content/issues" / issue / "ied.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["incidents"][0]["deaths"] = deaths
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_nothing_changed_does_nothing(archive: Path) -> None:
    result = rebuild(archive)
    assert result.unchanged
    assert result.written == [] and result.rendered == []
    assert result.issues == IDS
    assert any(name.endswith(".pdf") for name in result.sizes)


def test_an_unchanged_copy_of_a_file_costs_nothing(archive: Path) -> None:
    story = archive / "content/issues" / IDS[1] / "sections/politics.yaml"
    story.write_bytes(story.read_bytes())  # a new modification time, the same bytes
    assert rebuild(archive).unchanged


def test_one_story_redoes_its_issue_and_the_search(archive: Path) -> None:
    edit(
        archive / "content/issues" / IDS[1] / "sections/politics.yaml",
        "stories:\n",
        "stories:\n- A new story about the Example Ministry.\n",
    )
    result = rebuild(archive)
    assert sorted(result.rendered) == sorted(
        [f"pdf:{IDS[1]}", f"email:{IDS[1]}", f"page:{IDS[1]}", "search:2016", "archive"]
    )
    files = changed(result, archive)
    assert f"site/issues/{IDS[1]}/index.html" in files
    assert f"site/issues/{IDS[1]}/ssm-101.pdf" in files
    assert f"email/{IDS[1]}/message.eml" in files
    assert "site/atom.xml" in files  # the feed carries the full text
    # Nothing about incidents changed: the other pages and the data stay as they were.
    for other in (IDS[0], IDS[2], IDS[3]):
        assert not any(f.startswith((f"site/issues/{other}/", f"email/{other}/")) for f in files)
    assert "site/data/incidents.csv" not in files
    assert "site/index.html" not in files
    page = (archive / "output/site/issues" / IDS[1] / "index.html").read_text(encoding="utf-8")
    assert "A new story about the Example Ministry." in page


def test_one_incident_redoes_the_next_issue_page_and_the_totals(archive: Path) -> None:
    set_deaths(archive, IDS[1], 41)
    result = rebuild(archive, WEB)
    assert sorted(result.rendered) == sorted(
        [f"page:{IDS[1]}", f"page:{IDS[2]}", "search:2016", "archive"]
    )
    files = changed(result, archive)
    # The next issue's "change from previous" compares with the edited table.
    assert f"site/issues/{IDS[2]}/index.html" in files
    assert f"site/issues/{IDS[1]}/incidents.csv" in files
    assert {"site/index.html", "site/data/incidents.csv", "site/data/incidents.json"} <= files
    assert not any(
        f.startswith((f"site/issues/{IDS[0]}/", f"site/issues/{IDS[3]}/")) for f in files
    )
    rows = json.loads((archive / "output/site/data/incidents.json").read_text(encoding="utf-8"))
    assert any(r["issue"] == 101 and r["deaths_min"] == 41 for r in rows), rows[:2]


def test_a_web_template_redoes_every_page_and_no_pdf(archive: Path) -> None:
    edit(
        archive / "templates/web/issue.html", "{% block main %}", "{% block main %}<!-- edited -->"
    )
    result = rebuild(archive)
    assert sorted(result.rendered) == sorted(
        [f"page:{i}" for i in IDS] + ["search:2016", "archive"]
    )
    files = changed(result, archive)
    assert {f"site/issues/{i}/index.html" for i in IDS} <= files
    assert not any(f.endswith((".pdf", ".eml")) for f in files)


def test_a_pdf_setting_redoes_the_pdfs_and_the_emails_that_attach_them(archive: Path) -> None:
    with (archive / "content/newsletter.yaml").open("a", encoding="utf-8") as handle:
        handle.write("pdf:\n  paper: letter\n")
    reports: list[tuple[int, int]] = []
    result = build(archive / "content", archive / "output", progress=lambda *r: reports.append(r))
    assert reports == [(1, 4), (2, 4), (3, 4), (4, 4)]  # one report per issue done
    assert sorted(result.rendered) == sorted(
        [f"pdf:{i}" for i in IDS] + [f"email:{i}" for i in IDS]
    )
    assert not any(f.endswith(".html") and f.startswith("site/") for f in changed(result, archive))


def test_a_deleted_issue_disappears_from_the_site_and_the_data(archive: Path) -> None:
    shutil.rmtree(archive / "content/issues" / IDS[3])
    result = rebuild(archive)
    output = archive / "output"
    assert not (output / "site/issues" / IDS[3]).exists()
    assert not (output / "email" / IDS[3]).exists()
    assert f"page:{IDS[2]}" in result.rendered  # its "next" link is gone
    rows = json.loads((output / "site/data/incidents.json").read_text(encoding="utf-8"))
    assert {r["issue"] for r in rows} == {100, 101, 102}
    for name in ("site/index.html", "site/atom.xml", "site/sitemap.xml"):
        assert IDS[3] not in (output / name).read_text(encoding="utf-8"), name
    manifest = json.loads((output / ".newsletter/current/manifest.json").read_text("utf-8"))
    assert not any(IDS[3] in name for name in manifest["units"])


def test_an_output_deleted_by_hand_is_made_again(archive: Path) -> None:
    pdf = archive / "output/site/issues" / IDS[0] / "ssm-100.pdf"
    pdf.unlink()
    result = rebuild(archive)
    assert result.rendered == [f"pdf:{IDS[0]}"]
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_a_failed_build_leaves_the_output_and_cache_as_they_were(archive: Path) -> None:
    output = archive / "output"
    before = {p: p.read_bytes() for p in output.rglob("*") if p.is_file()}
    assert any(p.name == "index.html" for p in before)  # rglob follows the generation's links
    set_deaths(archive, IDS[0], 7)
    edit(archive / "templates/web/issue.html", "{% block main %}", "{% block main %}{{ 1 + }}")
    with pytest.raises(RenderError):
        rebuild(archive)
    assert {p: p.read_bytes() for p in output.rglob("*") if p.is_file()} == before
    assert len(list((output / ".newsletter/builds").iterdir())) == 1  # the failed one is gone


def test_warnings_are_reported_again_when_nothing_changed(archive: Path) -> None:
    first = rebuild(archive, WEB)  # the web edition alone is a different build
    again = rebuild(archive, WEB)
    assert again.unchanged and first.warnings
    assert again.warnings == first.warnings
