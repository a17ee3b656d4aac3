"""The build engine in its own package: still keyed on the whole tool, still light when idle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from synthetic import generate

import newsletter

PACKAGE = Path(newsletter.__file__).resolve().parent
DIGEST = "from newsletter.build.cache import tool_digest; print(tool_digest())"


def run(*args: str, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    # Run in ``path``, first on PYTHONPATH too: ``-c`` puts the working folder first on the path.
    env = dict(os.environ, PYTHONPATH=str(path)) if path else None
    cmd = [sys.executable, *args]
    done = subprocess.run(cmd, env=env, cwd=path, capture_output=True, text=True, timeout=120)
    done.check_returncode()
    return done


def test_an_edit_anywhere_in_the_package_changes_the_tool_digest(tmp_path: Path) -> None:
    # The digest hashes the package from build/cache.py: it must cover newsletter/, not build/.
    copy = tmp_path / "newsletter"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    seen = [run("-c", DIGEST, path=tmp_path).stdout]
    for module in ("render/web.py", "build/plan.py", "headers.py"):
        with (copy / module).open("a", encoding="utf-8") as handle:
            handle.write("# an edit\n")
        seen.append(run("-c", DIGEST, path=tmp_path).stdout)
    assert len(set(seen)) == len(seen), seen


def test_a_build_with_nothing_to_do_imports_no_renderer(tmp_path: Path) -> None:
    content = generate(tmp_path / "content", issues=1)
    build = ["-m", "newsletter", "build", "--web-only"]
    build += ["--content", str(content), "--output", str(tmp_path / "output")]
    run(*build)
    done = run("-X", "importtime", *build)
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    heavy = {m for m in imported if m.split(".")[0] in {"weasyprint", "jinja2", "mjml"}}
    heavy |= {m for m in imported if m.startswith(("newsletter.render", "newsletter.build.plan"))}
    assert "newsletter.build.cache" in imported
    assert heavy == set()
