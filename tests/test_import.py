"""`newsletter import`: past issues from text exports, saved pages and WordPress exports."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from textutil import FIXTURE

from newsletter.loader import load_project
from newsletter.model import Issue

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "content"
REFERENCE = (
    "For more background on most of the institutions, key actors, political parties, and "
    "locations mentioned in our takeaways or in the stories that follow, see the ISHM "
    "Reference Guide."
)


def newsletter(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """An empty archive: the sample's publication and gazetteer, no issues."""
    folder = tmp_path / "content"
    folder.mkdir()
    for name in ("newsletter.yaml", "gazetteer.yaml"):
        shutil.copy(SAMPLE / name, folder / name)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def sample_issue() -> Issue:
    return load_project(SAMPLE).issues[0]


def loaded(content: Path) -> tuple[Issue, ...]:
    return load_project(content).issues


def export(
    header: str | None,
    rows: list[str],
    caption: str = "",
    takeaways: int = 4,
    note: str = "The table includes IEDs.",
) -> str:
    """A small text export in the seed's format."""
    lines = [header] if header else []
    titles = ["Council Meets", "Blast Hits Road", "Camps Close", "Oil Deal Signed"]
    lines.append("Key Takeaways:")
    dashes = [" – ", "- ", " - ", " — "]  # the separators the monitor used
    lines += [
        f"- {t}{dash}On the first day, {t.lower()}. more…"
        for t, dash in zip(titles[:takeaways], dashes, strict=False)
    ]
    lines.append(REFERENCE)
    for title in titles:
        lines += [title, f"On the first day, {title.lower()}, sources said."]
    lines += ["IED Incidents and Resulting Casualties"]
    if caption:
        lines.append(caption)
    lines += [note + "Date | Location | Deaths | Injuries |", "---|---|---|---|", *rows]
    lines.append("Please note: some locations are approximations.")
    return "\n".join(lines) + "\n"


# The round trip --------------------------------------------------------------------------


def test_text_export_of_the_sample_imports_as_the_sample(content: Path) -> None:
    result = newsletter("import", FIXTURE, "--content", content, "--number", "328")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported 1 issue(s) with 5 incident(s) into ")
    assert "0 warning(s) about the sources, 3 from check." in result.stdout
    # The summary shows every warning `check` gives on the result, the sample's own three.
    checked = newsletter("check", "--content", content)
    warnings = [line for line in checked.stdout.splitlines() if ": warning: " in line]
    assert len(warnings) == 3 and all(w in result.stderr for w in warnings)
    (imported,) = loaded(content)
    sample = sample_issue()
    assert imported.id == sample.id
    assert imported.meta == sample.meta
    assert imported.sections == sample.sections  # titles, takeaways, stories, in order
    assert imported.ied == sample.ied  # note, map note, rows
    from newsletter.compute import summarise

    publication = load_project(SAMPLE).publication
    assert summarise(imported, publication) == summarise(sample, publication)


@pytest.mark.slow
def test_imported_sample_builds_the_same_three_editions(content: Path, tmp_path: Path) -> None:
    from textutil import html_text

    assert newsletter("import", FIXTURE, "--content", content, "--number", "328").returncode == 0
    texts = {}
    for name, folder in (("sample", SAMPLE), ("imported", content)):
        out = tmp_path / f"out-{name}"
        built = newsletter("build", "--content", folder, "--output", out)
        assert built.returncode == 0, built.stderr
        from pypdf import PdfReader

        pdf = PdfReader(out / "site/issues/2021-11-11/ishm-328.pdf")
        texts[name] = (
            html_text((out / "site/issues/2021-11-11/index.html").read_text("utf-8")),
            (out / "email/2021-11-11/email.txt").read_text("utf-8"),
            html_text((out / "email/2021-11-11/email.html").read_text("utf-8")),
            " ".join(page.extract_text() for page in pdf.pages),
        )
    assert texts["imported"] == texts["sample"]
    # The web page the archive published imports back into the same issue.
    again = tmp_path / "again"
    shutil.copytree(content, again, ignore=shutil.ignore_patterns("issues"))
    page = tmp_path / "out-sample/site/issues/2021-11-11/index.html"
    result = newsletter("import", page, "--content", again)
    assert result.returncode == 0, result.stderr
    (issue,) = loaded(again)
    sample = sample_issue()
    assert (issue.meta, issue.sections, issue.ied) == (sample.meta, sample.sections, sample.ied)


def test_crlf_straight_quotes_and_more_dots(content: Path, tmp_path: Path) -> None:
    text = FIXTURE.read_text("utf-8")
    for curly, straight in (("’", "'"), ("“", '"'), ("”", '"'), ("more…", "more...")):
        text = text.replace(curly, straight)
    source = tmp_path / "ishm-328.txt"
    source.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    result = newsletter("import", source, "--content", content, "--number", "328")
    assert result.returncode == 0, result.stderr
    assert "0 warning(s) about the sources" in result.stdout
    (imported,) = loaded(content)
    sample = sample_issue()
    assert [e.slug for e in imported.sections] == [e.slug for e in sample.sections]
    for got, want in zip(imported.sections, sample.sections, strict=True):
        straighten = str.maketrans({"’": "'", "“": '"', "”": '"'})
        assert got.section.takeaway is not None and want.section.takeaway is not None
        assert got.section.takeaway.summary == want.section.takeaway.summary.translate(straighten)
        assert got.section.stories == [s.translate(straighten) for s in want.section.stories]
    assert imported.ied == sample.ied


# Headers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "options", "number", "start", "end", "rows"),
    [
        (
            "ISHM 207: May 30 – June 6, 2019",
            [],
            207,
            "2019-05-30",
            "2019-06-06",
            ["06/01/19 | Tarmiyah district, Baghdad province | 2-3 | at least 4 |"],
        ),
        (
            "ISHM: DECEMBER 7 – DECEMBER 13, 2018",
            ["--number", "183"],
            183,
            "2018-12-07",
            "2018-12-13",
            ["Dec. 8 | Tuz Khurmatu, Salahuddin province | unknown | 1 |"],
        ),
        (
            "November 17 – December 1, 2022",
            ["--number", "370"],
            370,
            "2022-11-17",
            "2022-12-01",
            ["November 30 | Sinjar, Nineveh province | 0 | 4+ |"],
        ),
        (
            "ISHM 160: December 28 – January 4, 2018",
            [],
            160,
            "2017-12-28",
            "2018-01-04",
            [
                "Dec. 30 | Hit, Al Anbar province | 1 | 0 |",
                "January 2 | Khanaqin, Diyala province | 0 | 1 |",
                "01/03/18 | Kirkuk province | 1 | 1 |",
            ],
        ),
    ],
)
def test_header_forms(
    content: Path,
    tmp_path: Path,
    header: str,
    options: list[str],
    number: int,
    start: str,
    end: str,
    rows: list[str],
) -> None:
    source = tmp_path / "issue.txt"
    source.write_text(export(header, rows), "utf-8")
    result = newsletter("import", source, "--content", content, *options)
    assert result.returncode == 0, result.stderr
    (issue,) = loaded(content)
    assert issue.number == number
    assert (str(issue.period.start), str(issue.period.end)) == (start, end)
    assert issue.id == end
    assert all(issue.period.start <= row.date <= issue.period.end for row in issue.ied.incidents)
    assert len(issue.ied.incidents) == len(rows)
    for entry, title in zip(issue.sections, ["Council Meets", "Blast Hits Road"], strict=False):
        assert entry.section.title == title
        assert entry.section.takeaway is not None
        assert entry.section.takeaway.headline is None
        assert entry.section.takeaway.summary == f"On the first day, {title.lower()}."


def test_dates_without_year_take_the_periods_across_new_year(content: Path, tmp_path: Path) -> None:
    rows = ["Dec. 30 | Hit, Al Anbar province | 2-3 | at least 4 |", "Jan 2 | Basrah | 0 | 1 |"]
    source = tmp_path / "issue.txt"
    source.write_text(export("ISHM 160: December 28, 2017 – January 4, 2018", rows), "utf-8")
    assert newsletter("import", source, "--content", content).returncode == 0
    ied = yaml.safe_load((content / "issues/2018-01-04/ied.yaml").read_text("utf-8"))
    assert ied["incidents"] == [
        {
            "date": dt.date(2017, 12, 30),
            "location": "Hit",
            "province": "Anbar",
            "deaths": "2-3",
            "injuries": "at least 4",
        },
        {"date": dt.date(2018, 1, 2), "province": "Basra", "deaths": 0, "injuries": 1},
    ]


def test_period_and_number_from_the_options(content: Path, tmp_path: Path) -> None:
    source = tmp_path / "issue.txt"
    source.write_text(export(None, ["11/06/21 | Baghdad province | 1 | 0 |"]), "utf-8")
    result = newsletter("import", source, "--content", content)
    assert result.returncode == 1
    assert f"{source}:1:1: number: no issue number in the title or the header; give --number N" in (
        result.stderr
    )
    assert f"{source}:1:1: period: no period in the title, the header or the table's caption; "
    result = newsletter(
        "import",
        source,
        "--content",
        content,
        "--number",
        "9",
        "--period",
        "2021-11-04..2021-11-11",
    )
    assert result.returncode == 0, result.stderr
    assert [i.id for i in loaded(content)] == ["2021-11-11"]


# WordPress and saved pages ---------------------------------------------------------------

WXR_ITEM = """\
  <item>
    <title>{title}</title>
    <wp:post_type>post</wp:post_type>
    <content:encoded><![CDATA[<h3>Key Takeaways:</h3>
<ul>
<li><strong>Council Meets On Budget</strong> – On {day}, the <em>council</em> met.
 <a href="#politics">more…</a></li>
<li><strong>Blast Hits Road</strong>- On {day}, an IED hit a road.
 <a href="#security">more...</a></li>
</ul>
<p>For more background, see the
<a href="https://enablingpeace.org/ishm-reference-guide/">ISHM Reference Guide</a>.</p>
<h3 id="politics">Council Meets On Budget</h3>
<p>On {day}, the council met to discuss the <a href="https://example.org/budget">budget</a>.</p>

On {day}, the speaker said **more** talks would follow.

<h3 id="security">Blast Hits Road</h3>
<p>On {day}, an IED hit a road near Hit.</p>
<h3>IED Incidents and Resulting Casualties</h3>
<p>The following table includes IEDs.</p>
<table>
<tr><th>Date</th><th>Location</th><th>Deaths</th><th>Injuries</th></tr>
{rows}
</table>
<p>Please note: some geographic locations represented are approximations.</p>]]></content:encoded>
  </item>
"""


def wxr(*items: str) -> str:
    return (
        textwrap.dedent(
            """\
        <?xml version="1.0" encoding="UTF-8"?>
        <rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
             xmlns:wp="http://wordpress.org/export/1.2/">
        <channel>
          <title>EPIC</title>
          <item><title>About us</title><wp:post_type>page</wp:post_type></item>
        """
        )
        + "".join(items)
        + "</channel>\n</rss>\n"
    )


def test_wordpress_export_of_two_issues(content: Path, tmp_path: Path) -> None:
    source = tmp_path / "epic.wordpress.xml"
    source.write_text(
        wxr(
            WXR_ITEM.format(
                title="ISHM 207: May 30 – June 6, 2019",
                day="May 31",
                rows="<tr><td>05/31/19</td><td>Hit, Anbar province</td><td>1</td><td>2-3</td></tr>",
            ),
            WXR_ITEM.format(
                title="ISHM 208: June 6 – 13, 2019",
                day="June 7",
                rows="<tr><td>June 7</td><td>Basrah</td><td>unknown</td><td>at least 4</td></tr>"
                "<tr><td>06/08/19</td><td>Baiji, Salah al-Din province</td>"
                "<td>0</td><td>1</td></tr>",
            ),
        ),
        "utf-8",
    )
    result = newsletter("import", source, "--content", content)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported 2 issue(s) with 3 incident(s)")
    first, second = loaded(content)
    assert (first.number, first.id, second.number, second.id) == (
        207,
        "2019-06-06",
        208,
        "2019-06-13",
    )
    politics, security = first.sections
    assert (politics.slug, security.slug) == ("politics", "security")
    assert politics.section.takeaway is not None
    assert politics.section.takeaway.headline is None  # the same as the title
    assert politics.section.takeaway.summary == "On May 31, the *council* met."
    assert politics.section.stories == [
        "On May 31, the council met to discuss the [budget](https://example.org/budget).",
        "On May 31, the speaker said \\*\\*more\\*\\* talks would follow.",
    ]
    assert security.section.takeaway is not None
    assert security.section.takeaway.summary == "On May 31, an IED hit a road."
    assert (
        first.ied.map_note
        == "Please note: some geographic locations represented are approximations."
    )
    rows = [
        (r.date.isoformat(), r.location, r.province, str(r.deaths), str(r.injuries))
        for issue in (first, second)
        for r in issue.ied.incidents
    ]
    assert rows == [
        ("2019-05-31", "Hit", "Anbar", "1", "2-3"),
        ("2019-06-07", None, "Basra", "unknown", "at least 4"),
        ("2019-06-08", "Baiji", "Salah ad-Din", "0", "1"),
    ]


def test_wordpress_post_without_takeaways_is_located_at_its_item(
    content: Path, tmp_path: Path
) -> None:
    broken = WXR_ITEM.format(title="ISHM 209: June 13 – 20, 2019", day="June 14", rows="")
    broken = broken.replace("<h3>Key Takeaways:</h3>", "<h3>Highlights</h3>")
    source = tmp_path / "epic.xml"
    source.write_text(wxr(broken), "utf-8")
    result = newsletter("import", "epic.xml", "--content", content, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        'epic.xml:7:1: takeaways: no "Key Takeaways:" line; an issue starts with its takeaways, '
        'one "- " line each'
    )
    assert not (content / "issues").exists()


SAVED_PAGE = """\
<!DOCTYPE html>
<html><head><title>ISHM 207: May 30 – June 6, 2019 – EPIC</title></head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/ishm">ISHM</a></li></ul></nav></header>
<main>
<article>
<h1 class="entry-title">ISHM 207: May 30 – June 6, 2019</h1>
<div class="entry-content">
<p><strong>Key Takeaways:</strong></p>
<p><strong>Alleged Council Meets</strong> On May 31, the council met.
 <a href="https://enablingpeace.org/ishm-207/#politics">more…</a></p>
<p>For more background, see the
<a href="https://enablingpeace.org/ishm-reference-guide/">ISHM Reference Guide</a>.</p>
<h2 id="politics">Council Meets</h2>
<p>On May 31, the council <strong>met</strong>.</p>
<h2>IED Incidents and Resulting Casualties</h2>
<p>Casualties Due To IEDs from May 30, 2019 - June 6, 2019</p>
<p>The following table includes IEDs.</p>
<table><tbody>
<tr><td>Date</td><td>Location</td><td>Deaths</td><td>Injuries</td></tr>
<tr><td>06/01/19</td><td>Turkalan subdistrict, Kirkuk province</td><td>2</td><td>5</td></tr>
<tr><td>Total: 1 incident</td><td>2</td><td>5</td></tr>
</tbody></table>
</div>
</article>
</main>
<footer><p>Subscribe to our weekly ISHM.</p></footer>
</body></html>
"""


def test_saved_html_page(content: Path, tmp_path: Path) -> None:
    source = tmp_path / "ishm-207.html"
    source.write_text(SAVED_PAGE, "utf-8")
    result = newsletter("import", source, "--content", content)
    assert result.returncode == 0, result.stderr
    (issue,) = loaded(content)
    assert (issue.number, issue.id) == (207, "2019-06-06")
    (entry,) = issue.sections
    assert entry.slug == "politics"
    assert entry.section.title == "Council Meets"
    assert entry.section.takeaway is not None
    assert entry.section.takeaway.headline == "Alleged Council Meets"
    assert entry.section.takeaway.summary == "On May 31, the council met."
    assert entry.section.stories == ["On May 31, the council **met**."]
    (row,) = issue.ied.incidents
    assert (row.location, row.province, str(row.deaths), str(row.injuries)) == (
        "Turkalan subdistrict",
        "Kirkuk",
        "2",
        "5",
    )


# Broken sources --------------------------------------------------------------------------

GOOD_ROW = "11/06/21 | Jurf al-Sakhr, Babylon province | 1 | 0 |"
CAPTION = "Casualties Due To IEDs from November 4, 2021 - November 11, 2021"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            export("ISHM 328", [GOOD_ROW, "11/08/21 | Kirkuk province | 2 |"], CAPTION).encode(),
            "issue.txt:21:1: ied.incidents[1]: expected 4 cells (date | location | deaths | "
            "injuries); got 3",
        ),
        (
            export(
                "ISHM 328", [GOOD_ROW, "11/31/21 | Kirkuk province | 2 | 5 |"], CAPTION
            ).encode(),
            'issue.txt:21:1: ied.incidents[1].date: cannot read the date "11/31/21"; expected a '
            "date like 11/06/21, November 6 or Nov. 6",
        ),
        (
            export("ISHM 328", [GOOD_ROW], CAPTION).replace("Key Takeaways:\n", "").encode(),
            'issue.txt:1:1: takeaways: no "Key Takeaways:" line; an issue starts with its '
            'takeaways, one "- " line each',
        ),
        (
            export("ISHM 328", [GOOD_ROW], CAPTION, takeaways=0).encode(),
            'issue.txt:2:1: takeaways: no takeaways after "Key Takeaways:"; expected one '
            '"- headline – summary" line each',
        ),
        (
            export("ISHM 328", [GOOD_ROW], CAPTION)
            .encode("utf-8")
            .replace(b"Council Meets", "Council’s Meeting".encode("cp1252"), 1),
            'issue.txt:3:10: encoding: byte 0x92 (Windows-1252 for "’") is not UTF-8; save the '
            "export as UTF-8 and import it again",
        ),
        (
            export(
                "ISHM 328", ["11/06/21 | Jurf al-Sakhr, Babylon province | two | 0 |"], CAPTION
            ).encode(),
            "issue.txt:20:46: ied.incidents[0].deaths: expected a whole number, a range like 2-3, "
            '"at least N" or "unknown"; got "two"',
        ),
    ],
    ids=["three-cells", "bad-date", "no-takeaways-line", "no-takeaways", "cp1252", "bad-count"],
)
def test_broken_sources_are_located_and_nothing_is_written(
    content: Path, tmp_path: Path, text: bytes, message: str
) -> None:
    good = tmp_path / "good.txt"
    good.write_text(export("ISHM 200: May 30 – June 6, 2019", ["06/01/19 | Basra | 0 | 1 |"]))
    source = tmp_path / "issue.txt"
    source.write_bytes(text)
    before = snapshot(content)
    result = newsletter("import", good, "issue.txt", "--content", content, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == message
    assert result.stderr.rstrip().endswith("1 problem found; nothing was written.")
    assert "Traceback" not in result.stderr
    assert snapshot(content) == before  # not even the good source's issue


# Reruns ----------------------------------------------------------------------------------


def test_rerun_is_idempotent_and_never_overwrites_without_replace(
    content: Path, tmp_path: Path
) -> None:
    shutil.copy(FIXTURE, tmp_path / "ishm-328.txt")
    args = ("import", "ishm-328.txt", "--content", "content", "--number", "328")
    assert newsletter(*args, cwd=tmp_path).returncode == 0
    first = snapshot(content)
    stamp = (content / "issues/2021-11-11/ied.yaml").stat().st_mtime_ns
    again = newsletter(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert ": 0 new, 0 replaced, 1 unchanged;" in again.stdout
    assert snapshot(content) == first
    assert (content / "issues/2021-11-11/ied.yaml").stat().st_mtime_ns == stamp

    edited = content / "issues/2021-11-11/sections/economy.yaml"
    edited.write_text(edited.read_text("utf-8").replace("Chevron", "Total"), "utf-8")
    kept = snapshot(content)
    refused = newsletter(*args, cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[0] == (
        "ishm-328.txt:1:1: content/issues/2021-11-11 already exists and differs; nothing was "
        "written (--replace replaces it)"
    )
    assert snapshot(content) == kept

    replaced = newsletter(*args, "--replace", cwd=tmp_path)
    assert replaced.returncode == 0, replaced.stderr
    assert ": 0 new, 1 replaced, 0 unchanged;" in replaced.stdout
    assert snapshot(content) == first
    assert sorted(p.name for p in (content / "issues").iterdir()) == ["2021-11-11"]


def test_dry_run_writes_nothing(content: Path) -> None:
    before = snapshot(content)
    result = newsletter("import", FIXTURE, "--content", content, "--number", "328", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Would import 1 issue(s) with 5 incident(s)")
    assert snapshot(content) == before


def test_number_already_used_by_another_issue(content: Path, tmp_path: Path) -> None:
    assert newsletter("import", FIXTURE, "--content", content, "--number", "328").returncode == 0
    source = tmp_path / "issue.txt"
    source.write_text(export("ISHM 328: May 30 – June 6, 2019", ["06/01/19 | Basra | 0 | 1 |"]))
    result = newsletter("import", source, "--content", content)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"{source}:1:1: number: issue number 328 is used by issue 2021-11-11"
    )


def test_guesses_are_warnings_with_their_line(content: Path, tmp_path: Path) -> None:
    text = export("ISHM 207: May 30 – June 6, 2019", ["06/01/19 | Basra | 0 | 1 |"])
    text = text.replace("- Blast Hits Road- On", "- Blast Hits Road: On").replace(REFERENCE, "")
    source = tmp_path / "issue.txt"
    source.write_text(text, "utf-8")
    result = newsletter("import", source, "--content", content)
    assert result.returncode == 0, result.stderr
    assert (
        f"{source}:4:1: warning: takeaway: no dash between headline and summary; the "
        "section's title is used as headline"
    ) in result.stderr
    assert (
        f"{source}:8:1: warning: reference_guide: no reference-guide line after the takeaways"
    ) in result.stderr


def test_synthetic_exports_import_back(content: Path, tmp_path: Path) -> None:
    """What the benchmark imports is read back whole: every text and every row."""
    from import_texts import export_text
    from synthetic import generate

    archive = generate(tmp_path / "archive", 5)
    project = load_project(archive)
    sources = []
    for issue in project.issues:
        sources.append(tmp_path / f"ssm-{issue.number}.txt")
        sources[-1].write_text(export_text(issue, project.publication), "utf-8")
    shutil.copy(archive / "newsletter.yaml", content / "newsletter.yaml")
    result = newsletter("import", *sources, "--content", content)
    assert result.returncode == 0, result.stderr
    assert "0 warning(s) about the sources" in result.stdout
    for imported, original in zip(loaded(content), project.issues, strict=True):
        assert (imported.id, imported.meta.number) == (original.id, original.meta.number)
        assert imported.sections == original.sections
        assert imported.ied.note == original.ied.note
        strip = {"lat": None, "lon": None}
        assert imported.ied.incidents == [
            row.model_copy(update=strip) for row in original.ied.incidents
        ]
