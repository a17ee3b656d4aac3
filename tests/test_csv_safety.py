"""No CSV the tool writes can run as a spreadsheet formula (OWASP's CSV injection rule)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

from newsletter.csvout import cell, to_csv

ISSUE = "issues/2021-11-11"
PAYLOADS = [
    '=HYPERLINK("http://evil.example/", "Click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\tTab first",
    "\rReturn first",
]
NUMERIC = {"issue", "deaths_min", "deaths_max", "injuries_min", "injuries_max", "lat", "lon"}


def _yaml_string(text: str) -> str:
    return (
        '"'
        + text.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\r", "\\r")
        + '"'
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_formula_payloads_are_neutralised_in_every_csv(project: Path, tmp_path: Path) -> None:
    rows = "".join(
        f"  - date: 2021-11-06\n    location: {_yaml_string(p)}\n    province: Babylon\n"
        f"    deaths: 0\n    injuries: 1\n"
        for p in PAYLOADS
    )
    ied = project / ISSUE / "ied.yaml"
    head = ied.read_text(encoding="utf-8").split("incidents:")[0]
    ied.write_text(head + "incidents:\n" + rows, encoding="utf-8")
    output = tmp_path / "output"
    args = ["build", "--web-only", "--content", str(project), "--output", str(output)]
    done = subprocess.run(
        [sys.executable, "-m", "newsletter", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    written = sorted(output.rglob("*.csv"))
    assert {p.relative_to(output).as_posix() for p in written} >= {
        "site/data/incidents.csv",
        f"site/{ISSUE}/incidents.csv",
    }
    locations = []
    for path in written:
        reader = csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8"), newline=""))
        for row in reader:
            for column, value in row.items():
                if column in NUMERIC and (value == "" or _is_number(value)):
                    continue
                assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (path, column)
            locations.append(row["location"])
    for payload in PAYLOADS:  # kept whole, behind the apostrophe
        assert "'" + payload.strip() in locations or "'" + payload in locations, payload


def test_numbers_stay_numbers_and_text_that_looks_like_one_is_text() -> None:
    assert cell(-3) == -3
    assert cell(-0.5) == -0.5
    assert cell("-3") == "'-3"
    assert cell(None) == ""
    assert cell(True) == "True"
    assert cell("Jurf al-Sakhr") == "Jurf al-Sakhr"
    text = to_csv(["n", "place"], [{"n": -3, "place": "=1+1"}])
    assert text == "n,place\r\n-3,'=1+1\r\n"
