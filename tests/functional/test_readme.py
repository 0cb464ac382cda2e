"""The README tells the truth about the commands it lists.

Every command in its "Operator commands" table exists (``--help`` runs, and names the options
the table shows), no command is listed twice, and every ``make`` target it mentions is in the
Makefile.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end != -1 else None]


def operator_commands() -> list[tuple[list[str], list[str]]]:
    """``(command words, options)`` for each backticked command in the table's first column."""
    found = []
    for row in _section("Operator commands").splitlines():
        if not row.startswith("| `"):
            continue
        first_cell = row.split("|")[1]
        for span in re.findall(r"`([^`]+)`", first_cell):
            words, options = [], []
            for token in span.split():
                if token.strip("[]").startswith("--"):  # an option, optional ones in [...]
                    options.append(token.strip("[]"))
                elif token.islower() and not options:
                    words.append(token)
            found.append((words, options))
    return found


COMMANDS = operator_commands()


def test_the_table_lists_commands_and_none_twice() -> None:
    assert len(COMMANDS) >= 10, COMMANDS
    names = [" ".join(words) for words, _ in COMMANDS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize(("words", "options"), COMMANDS,
                         ids=[" ".join(words) for words, _ in COMMANDS])
def test_every_operator_command_in_the_readme_exists(app: Flask, words: list[str],
                                                     options: list[str]) -> None:
    result = app.test_cli_runner().invoke(args=[*words, "--help"])
    assert result.exit_code == 0, f"flask {' '.join(words)} --help: {result.output}"
    assert "Usage: " in result.output and words[-1] in result.output
    for option in options:
        assert option in result.output, f"{' '.join(words)} has no {option}"


def test_every_make_target_the_readme_names_is_in_the_makefile() -> None:
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    named = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert named, "the README names no make target"
    assert named <= targets, f"named in the README, missing in the Makefile: {named - targets}"
