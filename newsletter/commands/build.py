"""``newsletter build``: load, validate, compute, render every edition, then write.

A build redoes only what its inputs changed (see ``newsletter.build.cache``): when nothing changed
it returns after digesting the inputs, before the renderers are even imported; otherwise each
issue's PDF and email, each issue's web page and the search index are redone only when their
key changed. PDFs and emails are rendered in worker processes, one per core, while this
process renders the web pages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from newsletter.build import cache
from newsletter.build.commit import OutputFolder
from newsletter.editions import EDITIONS, default_templates, templates_for
from newsletter.errors import Problem

if TYPE_CHECKING:
    from newsletter.build.plan import Progress

log = logging.getLogger(__name__)

__all__ = ["EDITIONS", "BuildResult", "build", "templates_for"]


@dataclass
class BuildResult:
    """What a build did: the issues built, every output's size, the files that changed."""

    issues: list[str]
    sizes: dict[str, int]
    written: list[Path]
    warnings: tuple[Problem, ...] = ()
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)  # the pieces of work redone
    unchanged: bool = False  # nothing changed: the build stopped after digesting its inputs


def build(
    content_dir: Path,
    output_dir: Path,
    only: Sequence[str] = (),
    templates_dir: Path | None = None,
    editions: tuple[str, ...] = EDITIONS,
    progress: Progress | None = None,
    jobs: int | None = None,
) -> BuildResult:
    """Build the named issues (default: all) and the archive; change nothing unless all succeed.

    The new output is put in force in one step (see ``newsletter.build.commit``); a second build
    into the same output folder at the same time refuses with ``OutputError``.

    ``jobs`` is the number of worker processes for PDFs and emails (default: one per core;
    1 renders them in this process).
    """
    started = time.perf_counter()
    templates = templates_dir or templates_for(content_dir)
    inputs = cache.scan(content_dir, [templates, default_templates()])
    fingerprint = cache.fingerprint(
        inputs, str(content_dir.resolve()), ",".join(editions), "\n".join(only)
    )
    with OutputFolder(output_dir) as folder:  # one build at a time; a killed one recovered
        current = folder.current
        previous = cache.read_manifest(current)
        if (
            previous.fingerprint == fingerprint
            and current is not None
            and folder.linked()
            and previous.intact(current)
        ):
            log.info("nothing changed since the last build")
            return BuildResult(
                issues=previous.issues,
                sizes={name: size for name, (size, _) in previous.files.items()},
                written=[],
                warnings=tuple(Problem(**w) for w in previous.warnings),
                seconds=time.perf_counter() - started,
                notes=previous.notes,
                unchanged=True,
            )
        # Imported only now: the renderers take longer to import than a no-change build takes.
        from newsletter.build.plan import Build

        job = Build(content_dir, folder, templates, inputs, previous, editions, progress, jobs)
        outcome = job.run(only, fingerprint)
    manifest = outcome.manifest
    return BuildResult(
        issues=manifest.issues,
        sizes={name: size for name, (size, _) in manifest.files.items()},
        written=outcome.written,
        warnings=outcome.warnings,
        seconds=time.perf_counter() - started,
        notes=manifest.notes,
        rendered=outcome.rendered,
    )
