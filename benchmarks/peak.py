"""`python -m benchmarks.peak PEAK_FILE migrate-arguments...`: run the CLI, then write to PEAK_FILE
the peak resident memory (MB) of this process and of its largest worker.

The peak is read by the measured process itself, because `wait4`'s `ru_maxrss` also counts the
benchmark process as it was when forked to start the command (Linux keeps the high-water mark
across exec), which would flatter or spoil the ratio of two runs.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path


def _peaks(path: Path) -> None:
    own = next(int(line.split()[1]) // 1024 for line in Path("/proc/self/status").read_text().splitlines()
               if line.startswith("VmHWM:"))
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    path.write_text(json.dumps({"process": own, "largest_worker": workers}), encoding="utf-8")


def main() -> int:
    from migrate.cli import main as cli

    target = Path(sys.argv[1])
    try:
        return cli(sys.argv[2:])
    finally:
        _peaks(target)


if __name__ == "__main__":
    sys.exit(main())
