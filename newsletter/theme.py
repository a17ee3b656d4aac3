"""The one Jinja environment: the project's ``templates/`` first, the package's defaults second."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from newsletter import markup
from newsletter.compute import format_date
from newsletter.editions import default_templates
from newsletter.errors import RenderError
from newsletter.governorates import slug as governorate_slug


@dataclass(frozen=True)
class Theme:
    """A Jinja environment bound to its search path."""

    env: jinja2.Environment
    search_path: tuple[Path, ...]

    def render(self, name: str, **context: Any) -> str:
        """Render template ``name``; raise RenderError naming the places searched."""
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateNotFound as exc:
            places = ", ".join(str(p) for p in self.search_path)
            raise RenderError(f"template {exc.name} not found; searched: {places}") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise RenderError(f"{exc.filename}:{exc.lineno}: template error: {exc}") from exc
        except jinja2.TemplateError as exc:
            raise RenderError(f"template {name}: {exc}") from exc

    def read(self, name: str) -> str:
        """Return the source of a template file (stylesheets included raw)."""
        assert self.env.loader is not None
        try:
            source, _, _ = self.env.loader.get_source(self.env, name)
        except jinja2.TemplateNotFound as exc:
            places = ", ".join(str(p) for p in self.search_path)
            raise RenderError(f"template {name} not found; searched: {places}") from exc
        return source


def make_theme(project_templates: Path | None = None) -> Theme:
    """Build the environment: autoescaped HTML/XML/MJML, StrictUndefined, content filters."""
    search = [p for p in (project_templates, default_templates()) if p is not None and p.is_dir()]
    unique = tuple(dict.fromkeys(p.resolve() for p in search))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(unique),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "xml", "mjml", "svg"), default_for_string=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markup.to_html
    env.filters["md_inline"] = markup.to_inline_html
    env.filters["date"] = format_date
    env.globals["linked"] = markup.linked
    env.filters["gslug"] = governorate_slug
    return Theme(env, unique)
