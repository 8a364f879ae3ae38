"""Where the shared X12 conformance corpus lies (it is read in place, never copied here).

``$DISTSYNC_X12_CORPUS`` when set; otherwise ``shared/conformance/x12`` in the
nearest folder above the repository that has one (the workplace keeps it
beside the repository, for developers and CI).
"""

from __future__ import annotations

import os
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
RELATIVE = Path("shared") / "conformance" / "x12"


def corpus_root() -> Path:
    chosen = os.environ.get("DISTSYNC_X12_CORPUS")
    if chosen:
        return Path(chosen)
    for ancestor in REPOSITORY.parents:
        if (ancestor / RELATIVE).is_dir():
            return ancestor / RELATIVE
    return REPOSITORY.parent / RELATIVE
