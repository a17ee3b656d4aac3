"""Incidents across the archive: a row repeated by the next issue is named and counted once,
ids do not shift, corrections reach every edition, the data carry the map's placement.

The archive has the monitor's real period shapes: a 7-day Friday-Thursday issue (2017), a
15-day one across the new year, and two consecutive 8-day issues sharing November 11, 2021.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CONTENT

Write = Callable[[Path, str], Path]
ATOM = "{http://www.w3.org/2005/Atom}"
LATER = "content/issues/2021-11-18/ied.yaml"
EARLIER = "content/issues/2021-11-11/ied.yaml"

ISSUES = {
    "2017-03-09": ("120", "2017-03-03", ["2017-03-05", "Jurf al-Sakhr", "Babylon", 2, 1]),
    "2020-01-02": ("230", "2019-12-19", ["2019-12-30", "Hammam al-Alil", "Ninewa", 0, 3]),
    "2021-11-11": ("328", "2021-11-04", ["2021-11-06", "Ghammas district", "Diwaniyah", 0, 1]),
    "2021-11-18": ("329", "2021-11-11", ["2021-11-14", "Jurf al-Sakhr", "Babylon", 1, 0]),
}
# Reported on the shared day by issue 328, then again by 329.
SHARED = ["2021-11-11", "Hammam al-Alil", "Ninewa", 3, 4]


def _row(date: str, location: str, province: str, deaths: int, injuries: int) -> str:
    return (
        f"  - date: {date}\n    location: {location}\n    province: {province}\n"
        f"    deaths: {deaths}\n    injuries: {injuries}\n"
    )


def _issue(write: Write, root: Path, end: str, rows: list[list[object]], extra: str = "") -> None:
    number, start, _ = ISSUES[end]
    folder = root / "issues" / end
    write(
        folder / "issue.yaml",
        f"number: {number}\nperiod:\n  start: {start}\n  end: {end}\npublished: {end}\n"
        f"sections:\n  - security\n{extra}",
    )
    write(
        folder / "sections/security.yaml",
        """
        title: Security
        stories:
          - Security forces searched villages for militants.
        """,
    )
    body = "".join(_row(*row) for row in rows)  # type: ignore[arg-type]
    write(folder / "ied.yaml", f"note: Rows of the week.\nincidents:\n{body}")


@pytest.fixture
def archive(tmp_path: Path, write: Write) -> Path:
    """Four issues of real period shapes; issue 329 repeats 328's row of November 11 second."""
    root = tmp_path / "content"
    root.mkdir()
    shutil.copy(CONTENT / "newsletter.yaml", root / "newsletter.yaml")
    shutil.copy(CONTENT / "gazetteer.yaml", root / "gazetteer.yaml")
    for end, (_, _, row) in ISSUES.items():
        rows = [row]
        if end == "2021-11-11":
            rows.append(SHARED)
        if end == "2021-11-18":
            rows = [row, SHARED]
        _issue(write, root, end, rows)
    return root


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a user would, from ``cwd``."""
    return subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def build_web(content: Path) -> Path:
    done = run(content.parent, "build", "--web-only", "--content", "content", "--output", "out")
    assert done.returncode == 0, done.stderr
    return content.parent / "out" / "site"


def test_a_repeated_row_is_named_at_both_places(archive: Path) -> None:
    done = run(archive.parent, "check", "--content", "content")
    assert done.returncode == 0, done.stdout + done.stderr
    # 328's second row starts on line 8, column 5 of its ied.yaml, 329's likewise.
    assert (
        f"{LATER}:8:5: warning: incidents[1]: this row repeats the row at {EARLIER}:8:5 "
        "(issue 328, incidents[1]): same date, place, governorate, deaths and injuries. "
        "The archive counts it once, in issue 328; remove it here if it is the same incident, "
        "or give it an id: if it is another"
    ) in done.stdout


def test_strict_check_fails_on_a_repeated_row(archive: Path, write: Write) -> None:
    # The archive's issues are years apart, so check also warns of the gaps between their
    # periods; the repeat is one warning more, and goes with the repeated row.
    done = run(archive.parent, "check", "--strict", "--content", "content")
    assert done.returncode == 1
    assert done.stdout.count("this row repeats the row at") == 1, done.stdout
    assert "0 error(s), 3 warning(s)" in done.stdout, done.stdout
    _issue(write, archive, "2021-11-18", [ISSUES["2021-11-18"][2]])  # the repeat removed
    done = run(archive.parent, "check", "--strict", "--content", "content")
    assert "this row repeats" not in done.stdout
    assert "0 error(s), 2 warning(s)" in done.stdout, done.stdout


def _chart_totals(html: str) -> dict[str, str]:
    desc = re.search(r'<desc id="trend-desc">(.*?)</desc>', html)
    assert desc is not None
    return dict(re.findall(r"(Incidents|Killed|Injured): (\d+\+?) in all", desc[1]))


def test_the_archive_counts_a_repeated_incident_once(archive: Path) -> None:
    site = build_web(archive)
    everything = json.loads((site / "data/incidents.json").read_text(encoding="utf-8"))
    assert len(everything) == 5  # six rows, one a repeat
    shared = [r for r in everything if r["date"] == "2021-11-11"]
    assert [r["id"] for r in shared] == ["328-20211111-hammam-al-alil"]
    table = list(csv.DictReader(io.StringIO((site / "data/incidents.csv").read_text("utf-8"))))
    assert [r["id"] for r in table] == [r["id"] for r in everything]
    # The later issue's own download keeps its table as the editors wrote it.
    own = json.loads((site / "issues/2021-11-18/incidents.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in own] == ["329-20211114-jurf-al-sakhr", "329-20211111-hammam-al-alil"]

    index = (site / "index.html").read_text(encoding="utf-8")
    assert _chart_totals(index) == {"Incidents": "5", "Killed": "6", "Injured": "9"}
    assert (
        "IEDs: 1 incident, 1 killed, 0 injured (not counting 1 incident already reported in "
        "ISHM 328)"
    ) in index
    assert "IEDs: 2 incidents, 3 killed, 5 injured</p>" in index  # 328, the row counted there
    assert "1 incident is reported in two issues" in index

    ninewa = (site / "governorates/ninewa.html").read_text(encoding="utf-8")
    assert ninewa.count("<tr><td>") == 2  # 230's row and the shared one, once
    assert "2 incidents, 3 killed, 7 injured" in ninewa
    assert "11/11/21 in Hammam al-Alil (ISHM 328, again in ISHM 329)" in ninewa
    assert _chart_totals(ninewa) == {"Incidents": "2", "Killed": "3", "Injured": "7"}

    data = (site / "data/index.html").read_text(encoding="utf-8")
    assert (
        "<code>328-20211111-hammam-al-alil</code> (ISHM 328, again in ISHM 329 as "
        "<code>329-20211111-hammam-al-alil</code>)"
    ) in data
    # The issue's own page still shows its table as written.
    page = (site / "issues/2021-11-18/index.html").read_text(encoding="utf-8")
    assert "Total: 2 incidents" in page


def _ids(site: Path, issue: str) -> dict[str, str]:
    rows = json.loads((site / f"issues/{issue}/incidents.json").read_text(encoding="utf-8"))
    return {
        f"{r['date']} {r['location']} {r['deaths_min']}/{r['injuries_min']}": r["id"] for r in rows
    }


def test_ids_do_not_shift_when_a_row_is_inserted_above(archive: Path, write: Write) -> None:
    before = _ids(build_web(archive), "2021-11-18")
    rows = [
        ["2021-11-12", "Jurf al-Sakhr", "Babylon", 0, 0],  # inserted above
        ISSUES["2021-11-18"][2],
        ["2021-11-14", "Jurf al-Sakhr", "Babylon", 0, 2],  # same day and place: a suffix
        SHARED,
    ]
    _issue(write, archive, "2021-11-18", rows)
    after = _ids(build_web(archive), "2021-11-18")
    assert {key: after[key] for key in before} == before
    assert after["2021-11-12 Jurf al-Sakhr 0/0"] == "329-20211112-jurf-al-sakhr"
    site = archive.parent / "out/site"
    ids = [r["id"] for r in json.loads((site / "issues/2021-11-18/incidents.json").read_text())]
    assert ids[1:3] == ["329-20211114-jurf-al-sakhr", "329-20211114-jurf-al-sakhr-2"]


def test_an_explicit_id_is_kept_and_must_be_unique(archive: Path) -> None:
    ied = archive / "issues/2021-11-18/ied.yaml"
    text = ied.read_text(encoding="utf-8")
    ied.write_text(
        text.replace("  - date: 2021-11-14\n", "  - id: bomb-at-jurf\n    date: 2021-11-14\n"),
        encoding="utf-8",
    )
    assert _ids(build_web(archive), "2021-11-18")["2021-11-14 Jurf al-Sakhr 1/0"] == "bomb-at-jurf"
    ied.write_text(
        text.replace(
            "  - date: 2021-11-14\n",
            "  - id: 328-20211106-ghammas-district\n    date: 2021-11-14\n",
        ),
        encoding="utf-8",
    )
    done = run(archive.parent, "check", "--content", "content")
    assert done.returncode == 1
    assert (
        f'{LATER}:3:5: incidents[0]: the id "328-20211106-ghammas-district" is also used '
        f"by the row at {EARLIER}:3:5; ids must be unique"
    ) in done.stdout + done.stderr


CORRECTION = """\
corrections:
  - date: 2021-11-24
    change: The Jurf al-Sakhr row gave 2 killed; 1 was killed.
    reason: The provincial health office revised its figure.
"""


def test_corrections_show_in_every_edition_and_the_feed(archive: Path, write: Write) -> None:
    row = ["2021-11-14", "Jurf al-Sakhr", "Babylon", 1, 0]
    _issue(write, archive, "2021-11-18", [row, SHARED], CORRECTION)
    done = run(archive.parent, "build", "329", "--content", "content", "--output", "out")
    assert done.returncode == 0, done.stderr
    out = archive.parent / "out"
    said = "The Jurf al-Sakhr row gave 2 killed; 1 was killed."
    why = "The provincial health office revised its figure."
    for edition in ("email/2021-11-18/email.html", "site/issues/2021-11-18/index.html"):
        html = (out / edition).read_text(encoding="utf-8")
        assert f"<strong>November 24, 2021:</strong> {said} <em>Why:</em> {why}" in html, edition
    text = (out / "email/2021-11-18/email.txt").read_text(encoding="utf-8")
    assert "CORRECTIONS" in text and "November 24, 2021: The Jurf al-Sakhr row" in text
    pdf = subprocess.run(
        ["pdftotext", str(out / "site/issues/2021-11-18/ishm-329.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "Corrections\n• November 24, 2021: The Jurf al-Sakhr row gave 2 killed" in pdf
    feed = ET.parse(out / "site/atom.xml").getroot()
    assert feed.findtext(f"{ATOM}updated") == "2021-11-24T12:00:00Z"
    entry = feed.findall(f"{ATOM}entry")[0]
    assert entry.findtext(f"{ATOM}published") == "2021-11-18T12:00:00Z"
    assert entry.findtext(f"{ATOM}updated") == "2021-11-24T12:00:00Z"
    assert said in (entry.findtext(f"{ATOM}content") or "")
    corrections = json.loads((out / "site/data/corrections.json").read_text(encoding="utf-8"))
    assert corrections == [
        {
            "issue": 329,
            "issue_id": "2021-11-18",
            "date": "2021-11-24",
            "change": said,
            "reason": why,
        }
    ]
    rows = json.loads((out / "site/issues/2021-11-18/incidents.json").read_text(encoding="utf-8"))
    assert [(r["id"], r["corrected"]) for r in rows] == [
        ("329-20211114-jurf-al-sakhr", "2021-11-24"),  # the same id as before the correction
        ("329-20211111-hammam-al-alil", "2021-11-24"),
    ]


def test_the_data_carry_where_the_map_put_each_row(archive: Path, write: Write) -> None:
    rows = [
        ISSUES["2017-03-09"][2],  # in the gazetteer
        ["2017-03-06", "Nowhere Known", "Anbar", 0, 1],  # the map shades Anbar
    ]
    _issue(write, archive, "2017-03-09", rows)
    site = build_web(archive)
    table = list(csv.DictReader(io.StringIO((site / "data/incidents.csv").read_text("utf-8"))))
    first, shaded = table[0], table[1]
    assert {k: first[k] for k in ("lat", "lon", "precision", "located_by", "place_source")} == {
        "lat": "32.8667",
        "lon": "44.2139",
        "precision": "point",
        "located_by": "gazetteer",
        "place_source": "gazetteer: Jurf al-Sakhr",
    }
    assert {k: shaded[k] for k in ("lat", "lon", "precision", "located_by")} == {
        "lat": "",
        "lon": "",
        "precision": "governorate",
        "located_by": "governorate",
    }
    data = (site / "data/index.html").read_text(encoding="utf-8")
    documented = set(re.findall(r"<dt>(.*?)</dt>", data, re.S))
    named = {name for dt in documented for name in re.findall(r"<code>(\w+)</code>", dt)}
    assert set(table[0]) <= named
    assert json.loads((site / "data/incidents.json").read_text("utf-8"))[1]["lat"] is None
