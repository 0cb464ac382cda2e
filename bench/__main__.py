"""``make bench``: run every scenario and print what it measured.

``python -m bench [module ...]`` runs the named scenario modules (``bench.http_scenarios``,
...); ``python -m bench --quick`` runs the everyday subset (``make bench-quick``). Every report
starts with the machine's core count, its load and the commit measured.
"""

from __future__ import annotations

import importlib
import sys
import traceback

from bench.harness import Ratio, environment

SCENARIOS = ["bench.verifier", "bench.http_scenarios", "bench.http_scenarios:postgres",
             "bench.ui_pages", "bench.servers",
             "bench.flood", "bench.auth_costs", "bench.orders", "bench.catalog_size",
             "bench.transport", "bench.soak"]
QUICK = ["bench.http_scenarios:quick"]


def collect(names: list[str]) -> list[object]:
    rows: list[object] = []
    for spec in names:
        name, _, function = spec.partition(":")
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        print(f"running {spec} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(getattr(module, function or "run")())
        except Exception as error:  # one broken scenario must not lose the others' figures
            traceback.print_exc()
            rows.append(f"{spec} FAILED: {type(error).__name__}: {error}")
    return rows


def report(rows: list[object]) -> None:
    print(environment())
    width = max(len(r.name if isinstance(r, Ratio) else str(r[0])) for r in rows) + 2  # type: ignore[index]
    print("ratios: median [min-max] over interleaved rounds; req/s likewise")
    for row in rows:
        if isinstance(row, Ratio):
            print(row.render(width))
            continue
        if isinstance(row, str):  # a scenario that failed
            print(row)
            continue
        name, measured, baseline, target = row  # type: ignore[misc]
        ratio = measured / baseline if baseline else float("nan")
        print(f"{name:<{width}}{measured:>12.2f}{baseline:>12.2f}{ratio:>9.2f}  {target}")


def main(args: list[str]) -> None:
    names = QUICK if args == ["--quick"] else (args or SCENARIOS)
    print(environment(), file=sys.stderr, flush=True)
    rows = collect(names)
    report(rows)
    if any(isinstance(row, str) for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
