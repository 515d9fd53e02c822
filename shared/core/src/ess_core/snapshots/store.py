"""The folder where a service keeps its snapshots, one file per stream position
(`snapshot-<position, 12 digits>.ndjson.gz`); a file still being written ends in `.part` and is never
listed, so a reader sees whole snapshots only."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pydantic import BaseModel, Field

from ess_core.snapshots.format import read_header

_NAME = re.compile(r"^snapshot-(\d{12})\.ndjson\.gz$")


class SnapshotInfo(BaseModel):
    position: int = Field(description="the stream sequence the snapshot stands at")
    size: int = Field(description="bytes of the file")
    sha256: str = Field(description="SHA-256 of the file, lowercase hex: check the download against it")
    created_at: str = Field(description="when it was written (its header), UTC")


class SnapshotStore:
    """Synchronous file work: async callers run it in a thread."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # sha256 per (position, mtime, size): hashing a large file once, not at every listing
        self._hashes: dict[tuple[int, int, int], str] = {}

    def path(self, position: int) -> Path:
        if position < 0:
            raise ValueError(f"a stream position is not negative: {position}")
        return self._folder() / f"snapshot-{position:012d}.ndjson.gz"

    def positions(self) -> list[int]:
        """The positions of complete snapshots, ascending."""
        found = (_NAME.match(entry.name) for entry in self._folder().iterdir() if entry.is_file())
        return sorted(int(match.group(1)) for match in found if match)

    def latest(self) -> int | None:
        return max(self.positions(), default=None)

    def info(self, position: int) -> SnapshotInfo:
        """Raises FileNotFoundError when there is no snapshot at `position`."""
        path = self.path(position)
        stat = path.stat()
        key = (position, stat.st_mtime_ns, stat.st_size)
        if key not in self._hashes:
            self._hashes = {k: v for k, v in self._hashes.items() if k[0] != position}
            self._hashes[key] = _sha256(path)
        header = read_header(path)
        return SnapshotInfo(
            position=position, size=stat.st_size, sha256=self._hashes[key], created_at=header.created_at
        )

    def prune(self, keep: int) -> list[int]:
        """Remove all but the newest `keep` snapshots; returns the positions removed."""
        if keep < 0:
            raise ValueError(f"keep is a count of snapshots: {keep}")
        positions = self.positions()
        removed = positions[: max(0, len(positions) - keep)]
        for position in removed:
            self.path(position).unlink(missing_ok=True)
        self._hashes = {k: v for k, v in self._hashes.items() if k[0] not in removed}
        return removed

    def _folder(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
