"""A stable digest of a configuration, to tell whether a re-posted entity changed."""

import hashlib
import json
from typing import Any


def config_digest(config: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a configuration: equal for equal input in any process."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
