"""``make bench``: run every scenario in one process and print measured/baseline ratios."""

from __future__ import annotations

import importlib
import sys

SCENARIOS = ["bench.verifier", "bench.http_scenarios", "bench.ui_pages", "bench.flood",
             "bench.auth_costs",
             "bench.orders", "bench.transport", "bench.soak"]


def main(names: list[str]) -> None:
    rows = []
    for name in names or SCENARIOS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows.extend(module.run())
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'scenario':<{width}}{'measured':>12}{'baseline':>12}{'ratio':>9}  target")
    for name, measured, baseline, target in rows:
        ratio = measured / baseline if baseline else float("nan")
        print(f"{name:<{width}}{measured:>12.2f}{baseline:>12.2f}{ratio:>9.2f}  {target}")


if __name__ == "__main__":
    main(sys.argv[1:])
