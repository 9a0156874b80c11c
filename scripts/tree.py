"""Print the project's packages as a tree with each module's line count; exit 1 if a module is over
the size a newcomer can read in one sitting (``--max-lines``, 300 by default).

    .venv/bin/python scripts/tree.py [--max-lines 300] [PACKAGE ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("musicxai", "app", "worker", "cli", "training")


def lines(path: Path) -> int:
    return len(path.read_text().splitlines())


def show(folder: Path, depth: int, max_lines: int, too_long: list[Path]) -> int:
    """Print ``folder`` and what it holds; return its total line count."""
    total = 0
    rows = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() and (path / "__init__.py").exists():
            rows.append((path, None))
        elif path.suffix == ".py":
            count = lines(path)
            total += count
            rows.append((path, count))
            if count > max_lines:
                too_long.append(path.relative_to(ROOT))
    print(f"{'  ' * depth}{folder.name}/")
    for path, count in rows:
        if count is None:
            total += show(path, depth + 1, max_lines, too_long)
        else:
            flag = "  <- over the limit" if count > max_lines else ""
            print(f"{'  ' * (depth + 1)}{path.name:<24}{count:>5}{flag}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("packages", nargs="*", default=PACKAGES)
    parser.add_argument("--max-lines", type=int, default=300)
    args = parser.parse_args()
    too_long: list[Path] = []
    grand = sum(show(ROOT / name, 0, args.max_lines, too_long) for name in args.packages)
    print(f"\n{grand} lines in {', '.join(args.packages)}")
    if too_long:
        print(f"over {args.max_lines} lines: {', '.join(map(str, too_long))}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
