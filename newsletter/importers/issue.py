"""Turn a parsed issue into its content files: plain, readable YAML like the sample's."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from newsletter.counts import Count
from newsletter.errors import OutputError
from newsletter.importers.parts import Findings, ParsedIssue
from newsletter.importers.table import DEFAULT_TITLE
from newsletter.model import IedTable, IssueMeta, Section

# Text longer than this is written as a block (``|-``), as editors write stories.
_BLOCK_FROM = 60


# libyaml's emitter when PyYAML has it: the pure-Python one spends 30 ms an issue on long text.
_Base: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_Base):  # type: ignore[valid-type,misc]
    """Safe YAML with long text as blocks and never an anchor."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.BaseDumper, value: str) -> yaml.ScalarNode:
    style = "|" if len(value) > _BLOCK_FROM or "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dump(data: object) -> str:
    """Dump ``data`` as block-style YAML, keys in the given order, verified by loading it."""
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    if yaml.load(text, Loader=_Loader) != data:
        raise OutputError(f"the YAML written for {data!r:.60} does not read back the same")
    return text


def _count(count: Count) -> int | str:
    return count.low if count.exact else str(count)


def content(issue: ParsedIssue) -> tuple[dict[str, Any], dict[str, dict[str, Any]], dict[str, Any]]:
    """The data of issue.yaml, each sections/<slug>.yaml and ied.yaml."""
    meta = {
        "number": issue.number,
        "period": {"start": issue.start, "end": issue.end},
        "published": issue.end,
        "sections": [s.slug for s in issue.sections],
    }
    sections: dict[str, dict[str, Any]] = {}
    for section in issue.sections:
        data: dict[str, Any] = {"title": section.title}
        if section.summary is not None:
            takeaway: dict[str, str] = {}
            if section.headline:
                takeaway["headline"] = section.headline
            takeaway["summary"] = section.summary
            data["takeaway"] = takeaway
        data["stories"] = list(section.stories)
        sections[str(section.slug)] = data
    ied: dict[str, Any] = {}
    if issue.table_title and issue.table_title != DEFAULT_TITLE:
        ied["title"] = issue.table_title
    ied["note"] = issue.note
    if issue.map_note:
        ied["map_note"] = issue.map_note
    rows = []
    for row in issue.rows:
        entry: dict[str, Any] = {"date": row.date}
        if row.location:
            entry["location"] = row.location
        entry["province"] = row.province
        entry["deaths"] = _count(row.deaths)
        entry["injuries"] = _count(row.injuries)
        if row.type != "IED":
            entry["type"] = row.type
        rows.append(entry)
    ied["incidents"] = rows
    return meta, sections, ied


def _valid(model: type[BaseModel], data: object, issue: ParsedIssue, findings: Findings) -> None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            findings.error(issue.source, 1, where, str(error["msg"]))


def files(issue: ParsedIssue, findings: Findings, short_name: str = "ISHM") -> dict[str, str]:
    """The issue's files, by path inside its folder; model errors become findings."""
    meta, sections, ied = content(issue)
    _valid(IssueMeta, meta, issue, findings)
    _valid(IedTable, ied, issue, findings)
    for data in sections.values():
        _valid(Section, data, issue, findings)
    origin = f"# Imported from {issue.source.name} by `newsletter import`."
    out = {
        "issue.yaml": f"# {short_name} {issue.number}. The folder name is the period's end date.\n"
        f"{origin}\n" + dump(meta),
        "ied.yaml": "# IED incidents of the week. Totals, the caption and the per-governorate\n"
        "# breakdown are computed from these rows; never type them by hand.\n"
        f"{origin}\n" + dump(ied),
    }
    for slug, data in sections.items():
        out[f"sections/{slug}.yaml"] = f"{origin}\n" + dump(data)
    return out
