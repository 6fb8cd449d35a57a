"""What a run prints: plain lines, or on a terminal one progress line per dossier."""

from __future__ import annotations

import time
from typing import TextIO

BAR = 24  # characters of the progress bar


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"  # pragma: no cover


class Reporter:
    """Plain lines, or on a terminal one progress line per dossier rewritten with ``\\r``."""

    def __init__(self, out: TextIO, *, quiet: bool) -> None:
        self.out = out
        self.quiet = quiet
        isatty = getattr(out, "isatty", None)
        self.tty = bool(isatty and isatty()) and not quiet
        self.width = 0
        self.drawn_at = 0.0

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _clear(self) -> None:
        if self.width:
            self._write("\r" + " " * self.width + "\r")
            self.width = 0

    def progress(self, code: str, done: int, total: int, size: int, *, force: bool = False) -> None:
        if not self.tty:
            return
        now = time.monotonic()
        if not force and now - self.drawn_at < 0.1:
            return
        self.drawn_at = now
        filled = (BAR * done // total) if total else BAR
        bar = "#" * filled + "-" * (BAR - filled)
        line = f"{code} [{bar}] {done}/{total} documents, {human_size(size)}"
        self._write("\r" + line.ljust(self.width))
        self.width = max(self.width, len(line))

    def end_dossier(self) -> None:
        if self.tty and self.width:
            self._write("\n")
            self.width = 0

    def line(self, text: str) -> None:
        if self.quiet or self.tty:
            return
        self._write(text + "\n")

    def error(self, text: str) -> None:
        self._clear()
        self._write(f"error: {text}\n")

    def summary(self, text: str) -> None:
        if not self.quiet:
            self._clear()
            self._write(text + "\n")
