"""JSON shown to people (pure Python)."""

import json


def pretty(text):
    """Indented JSON for screens; text that is not JSON is returned as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return text
