"""The documentation's complete example is valid content."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT

from newsletter.loader import load_project


def test_content_format_example_is_valid(tmp_path: Path) -> None:
    text = (ROOT / "docs/content-format.md").read_text(encoding="utf-8")
    example = text.split("## A complete example", 1)[1]
    blocks = re.findall(r"```yaml\n# content/(\S+)\n(.*?)```", example, re.DOTALL)
    assert len(blocks) == 4
    for name, body in blocks:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
    project = load_project(tmp_path)
    issue = project.issues[0]
    assert issue.ied.incidents[0].province == "Babylon"
    assert str(issue.ied.incidents[0].injuries) == "2-3"
