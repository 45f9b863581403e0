"""Where every bench keeps its figures: `bench/results/<name>-<time>.json` (ignored by git)."""

import json
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def save(name, result):
    """Write `result` as JSON and say where."""
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"\n[bench] results in {out}")
    return out
