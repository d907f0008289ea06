#!/usr/bin/env python3
"""Regenerate or check Capra's packaged copy of the WHO LMS tables.

The reference copy lives in ``../shared/data/who/`` beside the repository (the shared data
folder). The package copy lives in ``src/capra/data/who/`` with a ``SHA256SUMS`` file.

Usage::

    python scripts/update_who_tables.py            # copy the tables and rewrite SHA256SUMS
    python scripts/update_who_tables.py --check    # verify; exit 1 on any mismatch

``--check`` verifies that every table listed in ``SHA256SUMS`` exists in the package with that
checksum, that no table is missing from the list, and (when the shared folder is present) that
the package copy is byte-identical to the shared copy. The attribution ``README.md`` in the
package folder is written by hand and is not touched by this script.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "who"
PACKAGE = REPO / "src" / "capra" / "data" / "who"
SUMS = "SHA256SUMS"

TABLES = (
    "gs_wfa_day.csv", "gs_lhfa_day.csv", "gs_bfa_day.csv", "gs_hcfa_day.csv",
    "gs_acfa_day.csv", "gs_tsfa_day.csv", "gs_ssfa_day.csv",
    "gs_wfl_cm.csv", "gs_wfh_cm.csv",
    "ref2007_hfa_month.csv", "ref2007_bfa_month.csv", "ref2007_wfa_month.csv",
)


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_sums(path: Path) -> dict[str, str]:
    """Parse a ``sha256sum``-style file into {file name: hex digest}."""
    sums: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            sums[name.lstrip("*").strip()] = digest
    return sums


def update(shared: Path, package: Path) -> int:
    """Copy the tables from ``shared`` into ``package`` and rewrite SHA256SUMS."""
    missing = [name for name in TABLES if not (shared / name).is_file()]
    if missing:
        print(f"error: missing in {shared}: {', '.join(missing)}", file=sys.stderr)
        return 1
    package.mkdir(parents=True, exist_ok=True)
    lines = []
    for name in TABLES:
        shutil.copyfile(shared / name, package / name)
        lines.append(f"{sha256(package / name)}  {name}\n")
    (package / SUMS).write_text("".join(lines), encoding="utf-8")
    print(f"copied {len(TABLES)} tables to {package} and wrote {SUMS}")
    return 0


def check(shared: Path, package: Path) -> int:
    """Return 0 when the package copy is complete and matches its checksums and the shared
    copy (when present); print every mismatch and return 1 otherwise."""
    problems: list[str] = []
    sums_path = package / SUMS
    if not sums_path.is_file():
        print(f"error: {sums_path} does not exist", file=sys.stderr)
        return 1
    sums = read_sums(sums_path)
    for name in TABLES:
        if name not in sums:
            problems.append(f"{name}: not listed in {SUMS}")
    for name, digest in sums.items():
        path = package / name
        if not path.is_file():
            problems.append(f"{name}: listed in {SUMS} but missing")
        elif sha256(path) != digest:
            problems.append(f"{name}: checksum differs from {SUMS}")
        if shared.is_dir():
            source = shared / name
            if not source.is_file():
                problems.append(f"{name}: missing in the shared folder {shared}")
            elif path.is_file() and sha256(source) != sha256(path):
                problems.append(f"{name}: package copy differs from {source}")
    if not shared.is_dir():
        print(f"note: shared folder {shared} not found; checked the package copy only")
    for problem in problems:
        print(f"mismatch: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {len(sums)} tables match {SUMS}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="verify checksums instead of copying; exit 1 on mismatch")
    parser.add_argument("--shared", type=Path, default=SHARED,
                        help=f"folder with the reference tables (default {SHARED})")
    parser.add_argument("--package", type=Path, default=PACKAGE,
                        help=f"package data folder (default {PACKAGE})")
    args = parser.parse_args(argv)
    return check(args.shared, args.package) if args.check else update(args.shared, args.package)


if __name__ == "__main__":
    sys.exit(main())
