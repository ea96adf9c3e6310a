"""docs/getting-started.md, run exactly as written, against the built wheel.

The wheel is built from this checkout and installed into a fresh virtual environment
(with the extras the page's ``pip install`` names), then the page's console blocks are
run in a new ``django-admin startproject`` and its captioned code blocks applied:
settings appended, urls.py replaced, the shell session piped to ``manage.py shell``.
Output shown on the page must appear. Plain ``python`` blocks are illustrations: they
are only compiled. Takes about 30 s (building a venv), so it runs once, on SQLite.
"""

from __future__ import annotations

import datetime
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "getting-started.md"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
#: Commands the page shows that wait for a person (a prompt, a server): not run.
INTERACTIVE = {"python manage.py createsuperuser", "python manage.py runserver"}

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")),
    reason="runs once, in the SQLite run (it uses no database of the suite)")


@dataclass
class Block:
    kind: str  # "console", "file", "shell", "output", "illustration"
    body: str
    caption: str = ""
    commands: list[tuple[str, list[str]]] = field(default_factory=list)


def parse(text: str) -> list[Block]:
    blocks = []
    for match in FENCE.finditer(text):
        info, body = match["info"].strip(), match["body"]
        if info == "console":
            block = Block("console", body)
            for line in body.splitlines():
                if line.startswith("$ "):
                    block.commands.append((line[2:].strip(), []))
                elif line.strip():
                    assert block.commands, f"output before any command: {line!r}"
                    block.commands[-1][1].append(line.strip())
            blocks.append(block)
        elif info.startswith("{code-block}"):
            options, _, code = body.partition("\n\n")
            caption = next(line.split(":", 2)[2].strip() for line in options.splitlines()
                           if line.startswith(":caption:"))
            kind = "shell" if caption == "python manage.py shell" else "file"
            blocks.append(Block(kind, code, caption))
        elif info == "text":
            blocks.append(Block("output", body))
        elif info == "python":
            blocks.append(Block("illustration", body))
        else:
            raise AssertionError(f"getting-started.md has a ```{info} block this test "
                                 "does not know how to run")
    return blocks


def test_the_page_is_parsed_into_what_this_test_runs():
    kinds = [b.kind for b in parse(PAGE.read_text())]
    assert kinds.count("file") == 2 and kinds.count("shell") == 1
    assert kinds[kinds.index("shell") + 1] == "output"


def run(args: list[str], *, cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, input=stdin, capture_output=True,
                            text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{shlex.join(args)} failed:\n{output}"
    return output


def test_getting_started_works_verbatim_in_a_new_project(tmp_path):
    blocks = parse(PAGE.read_text())
    env = {k: v for k, v in os.environ.items()
           if k not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "VIRTUAL_ENV", "DATABASE_URL"}}
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        cwd=tmp_path, env=env)
    (wheel,) = dist.glob("django_carepay-*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, env=env)
    bin_dir = venv / "bin"
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)

    cwd = tmp_path / "work"
    cwd.mkdir()
    year = str(datetime.date.today().year)
    ran: list[str] = []
    for index, block in enumerate(blocks):
        if block.kind == "illustration":
            compile(block.body, f"{PAGE.name} block {index}", "exec")
        elif block.kind == "file":
            name, _, how = block.caption.partition(" — ")
            path = cwd / name
            if how == "add at the end":
                path.write_text(path.read_text() + "\n" + block.body)
            elif how == "replace the file":
                path.write_text(block.body)
            else:
                raise AssertionError(f"unknown caption {block.caption!r}")
            ran.append(block.caption)
        elif block.kind == "shell":
            output = run([str(bin_dir / "python"), "manage.py", "shell"], cwd=cwd, env=env,
                         stdin=block.body)
            expected = blocks[index + 1]
            for line in expected.body.strip().splitlines():
                line = re.sub(r"INV-\d{4}-", f"INV-{year}-", line)
                assert line in output, f"{line!r} not in the shell's output:\n{output}"
            ran.append("shell")
        elif block.kind == "console":
            for command, expected_lines in block.commands:
                args = shlex.split(command)
                if command in INTERACTIVE:
                    continue
                if args[:2] == ["pip", "install"]:
                    (requirement,) = args[2:]
                    extras = requirement.partition("[")[2].rstrip("]")
                    assert requirement.startswith("django-carepay"), requirement
                    output = run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
                                  f"{wheel}[{extras}]" if extras else str(wheel)],
                                 cwd=cwd, env=env)
                elif args[0] == "cd":
                    cwd = cwd / args[1]
                    output = ""
                elif args[0] == "export":
                    name, _, value = args[1].partition("=")
                    env[name] = value
                    output = ""
                elif args[0] == "python":
                    output = run([str(bin_dir / "python"), *args[1:]], cwd=cwd, env=env)
                elif args[0] == "django-admin":
                    output = run([str(bin_dir / "django-admin"), *args[1:]], cwd=cwd, env=env)
                else:
                    raise AssertionError(f"this test does not know how to run {command!r}")
                for line in expected_lines:
                    assert line in output, f"{line!r} not in the output of {command!r}:\n{output}"
                ran.append(command)
    # The installed package is the wheel, not this checkout.
    where = run([str(bin_dir / "python"), "-c",
                 "import django_carepay; print(django_carepay.__file__)"], cwd=cwd, env=env)
    assert str(venv) in where
    assert "python manage.py migrate" in ran and "python manage.py check" in ran
