"""`ess view digest` compares checkpoints with the services' own comparison (`GET /checkpoints` answers
the same): the logic lives in `ess_core.service.checkpoint_comparison`, read here under its old name."""

from __future__ import annotations

from ess_core.service.checkpoint_comparison import (
    CHECKPOINTS,
    Checkpoint,
    Comparison,
    compare,
    latest_checkpoints,
)

__all__ = ["CHECKPOINTS", "Checkpoint", "Comparison", "compare", "latest_checkpoints"]
