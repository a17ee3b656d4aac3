"""Client support checked against caniemail's data, not assumed.

Every HTML element, attribute and CSS feature the email uses is mapped to a caniemail feature.
A feature that any platform of Gmail, Outlook or Apple Mail does not support ("n" in its latest
test) fails the test unless tests/caniemail-allowlist.yaml names it with a reviewed reason.
Partial support ("a") passes: the notes say which sub-features are partial, and the ones we
rely on are covered by inlined styles.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SampleBuild

DATA = ROOT / "node_modules" / "caniemail" / "data" / "caniemail.json"
ALLOWLIST = Path(__file__).parent / "caniemail-allowlist.yaml"
FAMILIES = ("gmail", "outlook", "apple-mail")

TAG_FEATURES = {
    "h1": "html-h1-h6",
    "h2": "html-h1-h6",
    "h3": "html-h1-h6",
    "ul": "html-lists",
    "ol": "html-lists",
    "li": "html-lists",
    "!doctype": "html-doctype",
}
ATTRIBUTE_FEATURES = {
    "lang": "html-lang",
    "dir": "html-dir",
    "role": "html-role",
    "aria-label": "html-aria-label",
    "aria-labelledby": "html-aria-labelledby",
    "aria-describedby": "html-aria-describedby",
    "aria-hidden": "html-aria-hidden",
    "align": "html-align",
    "width": "html-width",
    "height": "html-height",
    "cellpadding": "html-cellpadding",
    "cellspacing": "html-cellspacing",
    "valign": "html-valign",
    "background": "html-background",
    "target": "html-target",
}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.styles: list[str] = []
        self.inline: list[str] = []
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.meta: list[dict[str, str | None]] = []
        self.comments = 0
        self._in_style = False

    def handle_decl(self, decl: str) -> None:
        self.tags.add("!doctype")

    def handle_comment(self, data: str) -> None:
        self.comments += 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        self.attributes.update(values)
        if values.get("style"):
            self.inline.append(values["style"])
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.srcs.append(str(values["src"]))
        if tag == "meta":
            self.meta.append(values)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def _declarations(css: str) -> list[tuple[str, str]]:
    return [
        (m[1].strip().lower(), m[2].strip().lower())
        for m in re.finditer(r"([a-zA-Z-]+)\s*:\s*([^;{}]+)", css)
        if not m[1].startswith("-") or m[1].startswith("-webkit") is False
    ]


def features_used(html: str, known: set[str]) -> dict[str, str]:
    """Map every feature the email uses to a caniemail slug, with where it was seen."""
    found = _Collector()
    found.feed(html)
    used: dict[str, str] = {}

    def use(slug: str, why: str) -> None:
        if slug in known:
            used.setdefault(slug, why)

    for tag in found.tags:
        use(TAG_FEATURES.get(tag, f"html-{tag}"), f"<{tag}>")
    for attribute in found.attributes:
        if attribute in ATTRIBUTE_FEATURES:
            use(ATTRIBUTE_FEATURES[attribute], f"{attribute}=")
    if found.comments:
        use("html-comments", "<!-- -->")
    if any(h.startswith("mailto:") for h in found.hrefs):
        use("html-mailto-links", "mailto: link")
    if any(h.startswith("#") for h in found.hrefs):
        use("html-anchor-links", "#anchor link")
    if any(s.endswith(".png") or s.startswith("cid:") for s in found.srcs):
        use("image-png", "PNG image")
    if any(m.get("name") == "color-scheme" for m in found.meta):
        use("html-meta-color-scheme", "<meta name=color-scheme>")

    sheet = "\n".join(found.styles)
    for css, where in ((sheet, "<style>"), ("\n".join(found.inline), "style=")):
        for prop, value in _declarations(css):
            use(f"css-{prop}", f"{prop} in {where}")
            if prop == "display" and value == "none":
                use("css-display-none", f"display:none in {where}")
            if "!important" in value:
                use("css-important", f"!important in {where}")
            if "rgba(" in value:
                use("css-rgba", f"rgba() in {where}")
            for unit in ("px", "em", "rem", "pt", "%", "vw", "vh"):
                if re.search(rf"\d{re.escape(unit)}\b" if unit != "%" else r"\d%", value):
                    use("css-unit-percent" if unit == "%" else f"css-unit-{unit}", where)
    if "@media" in sheet:
        use("css-at-media", "@media")
    if "prefers-color-scheme" in sheet:
        use("css-at-media-prefers-color-scheme", "@media (prefers-color-scheme)")
    for selector_list in re.findall(r"(?:^|})\s*([^{}@]+?)\s*{", sheet):
        for selector in selector_list.split(","):
            selector = selector.strip()
            if "," in selector_list:
                use("css-selector-grouping", selector_list.strip())
            if " " in selector and ">" not in selector:
                use("css-selector-descendant", selector)
            if ">" in selector:
                use("css-selector-child", selector)
            if "." in selector:
                use("css-selector-class", selector)
            if "#" in selector:
                use("css-selector-id", selector)
            if re.match(r"^[a-z]+\d?\b", selector):
                use("css-selector-type", selector)
            if re.search(r"[a-z]\.[a-z]", selector):
                use("css-selector-chaining", selector)
    return used


def unsupported(feature: dict[str, object]) -> list[str]:
    """Platforms of Gmail, Outlook and Apple Mail whose latest test says "n"."""
    stats = feature["stats"]
    assert isinstance(stats, dict)
    missing = []
    for family in FAMILIES:
        for platform, versions in stats.get(family, {}).items():
            latest = str(list(versions.values())[-1])
            if latest.startswith("n"):
                missing.append(f"{family}/{platform}")
    return missing


@pytest.fixture(scope="module")
def caniemail() -> dict[str, dict[str, object]]:
    if not DATA.is_file():
        pytest.fail("caniemail data missing: run scripts/setup.sh (npm ci)")
    return {f["slug"]: f for f in json.loads(DATA.read_text(encoding="utf-8"))["data"]}


def test_email_uses_only_supported_or_reviewed_features(
    sample: SampleBuild, caniemail: dict[str, dict[str, object]]
) -> None:
    allowlist = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8"))
    used = features_used(sample.email_html.read_text(encoding="utf-8"), set(caniemail))
    assert len(used) > 20  # the mapping really finds what the email is made of
    problems = [
        f"{slug} ({why}) is not supported in {', '.join(unsupported(caniemail[slug]))}"
        for slug, why in sorted(used.items())
        if unsupported(caniemail[slug]) and slug not in allowlist
    ]
    assert problems == []


def test_allowlist_has_reasons_and_no_stale_entries(
    sample: SampleBuild, caniemail: dict[str, dict[str, object]]
) -> None:
    allowlist = yaml.safe_load(ALLOWLIST.read_text(encoding="utf-8"))
    used = features_used(sample.email_html.read_text(encoding="utf-8"), set(caniemail))
    for slug, reason in allowlist.items():
        assert slug in caniemail, slug
        assert len(str(reason)) > 40, slug
        assert slug in used, f"{slug} is allowed but no longer used: remove it"


def test_checker_catches_an_unsupported_feature(caniemail: dict[str, dict[str, object]]) -> None:
    html = '<html><body><div style="display: grid; position: fixed">x</div></body></html>'
    used = features_used(html, set(caniemail))
    assert "css-position" in used
    assert unsupported(caniemail["css-position"])
