"""The checked-in gRPC code is exactly what ``make protos`` generates from ``protos/*.proto``."""

from __future__ import annotations

import filecmp
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_not_stale(tmp_path: Path) -> None:
    generate = runpy.run_path(str(ROOT / "protos" / "generate.py"))["generate"]
    out = tmp_path / "protos" / "generated"
    generate(out)
    fresh = sorted(p.name for p in out.iterdir() if p.is_file())
    committed = sorted(p.name for p in (ROOT / "protos" / "generated").iterdir() if p.is_file())
    assert fresh == committed, "run `make protos` and commit the result"
    _, mismatch, errors = filecmp.cmpfiles(out, ROOT / "protos" / "generated", fresh,
                                           shallow=False)
    assert not mismatch and not errors, f"stale generated code {mismatch}: run `make protos`"
