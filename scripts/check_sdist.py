"""Check the sdist in DIST (default dist/): it ships what its tests need, and they load.

The sdist includes tests/ and the example project they use, so a downstream packager
can run the suite from it: ``pip install -e ".[stripe,pdf,iban]" --group test``, then
``python -m pytest``. This unpacks it and collects the whole suite there (importing
every test module and conftest against the sdist's own ``src/``), without running it:
`make test` runs the tests themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REQUIRED = ("pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md", "tox.ini",
            "src/django_carepay/__init__.py", "src/django_carepay/py.typed",
            "tests/conftest.py", "tests/settings.py", "example_project/manage.py",
            "docs/conf.py", "docs/getting-started.md")


def main(dist: Path) -> int:
    (sdist,) = dist.glob("django_carepay-*.tar.gz")
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(sdist) as archive:
        archive.extractall(tmp, filter="data")
        (root,) = Path(tmp).iterdir()
        missing = [name for name in REQUIRED if not (root / name).exists()]
        if missing:
            print(f"{sdist.name} lacks {', '.join(missing)}", file=sys.stderr)
            return 1
        stray = [p.relative_to(root).as_posix() for p in root.rglob("*")
                 if p.name in {"__pycache__", "db.sqlite3", "_build", ".venv"}]
        if stray:
            print(f"{sdist.name} ships {', '.join(stray)}", file=sys.stderr)
            return 1
        env = {**os.environ, "PYTHONPATH": str(root / "src")}
        env.pop("DATABASE_URL", None)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
            cwd=root, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            print(result.stdout[-4000:], result.stderr[-4000:], file=sys.stderr)
            return 1
        check = subprocess.run(
            [sys.executable, "-c", "import django_carepay; print(django_carepay.__file__)"],
            cwd=root, env=env, capture_output=True, text=True, check=True)
        if not check.stdout.startswith(str(root)):
            print(f"collected against {check.stdout.strip()}, not the sdist", file=sys.stderr)
            return 1
        summary = result.stdout.strip().splitlines()[-1]
        print(f"{sdist.name}: complete; its test suite loads from it ({summary.split(' in ')[0]})")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")))
