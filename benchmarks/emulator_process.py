"""Run the emulator in its own process, so that it is not the client's bottleneck in a benchmark."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import TracebackType
from typing import Any


class EmulatorProcess:
    def __init__(self, state: dict[str, Any], folder: Path) -> None:
        self.config = folder / "emulator-state.json"
        self.config.write_text(json.dumps(state), encoding="utf-8")
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "migrate.cli", "emulator", "--port", "0", "--config", str(self.config)],
            stdout=subprocess.PIPE, text=True,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().split()[-1]
        return self

    def cpu_seconds(self) -> float:
        """User and system CPU time the emulator has used so far (Linux /proc)."""
        assert self._process is not None
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
