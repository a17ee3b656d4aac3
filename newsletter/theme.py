"""The one Jinja environment: the project's ``templates/`` first, the package's defaults second."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path

from newsletter import contentfs, markup, paths
from newsletter.compute import format_date
from newsletter.editions import default_templates
from newsletter.errors import Problem, RenderError, display_path
from newsletter.governorates import slug as governorate_slug

# The files Jinja reads as templates (or includes raw, as stylesheets).
TEXT_SUFFIXES = (".html", ".mjml", ".txt", ".xml", ".svg", ".css")


class ProjectLoader(jinja2.FileSystemLoader):
    """Templates read through ``contentfs``: a link out of its folder, a loop or bytes that
    are not UTF-8 raise ``contentfs.Refused`` with the file's path (and line), never a
    traceback and never the target's text."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """Find ``template`` in the search path, first folder first."""
        pieces = split_template_path(template)
        for folder in self.searchpath:
            filename = posixpath.join(folder, *pieces)
            if not os.path.lexists(filename):
                continue
            try:
                contents = contentfs.read_text(Path(folder), Path(filename))
            except FileNotFoundError:
                continue
            mtime = os.path.getmtime(filename)

            def uptodate(filename: str = filename, mtime: float = mtime) -> bool:
                try:
                    return os.path.getmtime(filename) == mtime
                except OSError:
                    return False

            return contents, os.path.normpath(filename), uptodate
        raise jinja2.TemplateNotFound(template)


def _syntax_problem(exc: jinja2.TemplateSyntaxError) -> Problem:
    path = display_path(Path(exc.filename)) if exc.filename else exc.name or "template"
    return Problem(path, exc.lineno, "", f"template error: {exc.message}")


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
            raise RenderError(_syntax_problem(exc).located()) from None
        except contentfs.Refused as exc:
            raise RenderError(exc.problem.located()) from None
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
        except contentfs.Refused as exc:
            raise RenderError(exc.problem.located()) from None
        return source

    def problems(self, folder: Path) -> list[Problem]:
        """Every problem of the templates in ``folder`` (the project's), as the build would
        meet them: links out, loops, names and bytes that are not UTF-8, syntax errors."""
        files = contentfs.walk(folder)
        found = list(files.problems)
        real = folder.resolve()
        for relative in files.files:
            if not relative.endswith(TEXT_SUFFIXES):  # images and fonts the PDF may use
                continue
            path = real / relative
            try:
                source = contentfs.read_text(real, path)
                if not relative.endswith(".css"):  # stylesheets are included raw
                    self.env.compile(source, relative, str(path))
            except contentfs.Refused as exc:
                found.append(exc.problem)
            except jinja2.TemplateSyntaxError as exc:
                found.append(_syntax_problem(exc))
        return found


def make_theme(project_templates: Path | None = None) -> Theme:
    """Build the environment: autoescaped HTML/XML/MJML, StrictUndefined, content filters."""
    search = [p for p in (project_templates, default_templates()) if p is not None and p.is_dir()]
    unique = tuple(dict.fromkeys(p.resolve() for p in search))
    env = jinja2.Environment(
        loader=ProjectLoader(unique),
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
    env.globals["manage_url"] = paths.manage_url
    env.globals["subscribe_line"] = markup.subscribe_line
    env.filters["gslug"] = governorate_slug
    return Theme(env, unique)
