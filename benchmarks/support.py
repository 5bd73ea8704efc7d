"""What the GUI benchmarks share: a sample event grown to a realistic size, and percentiles.

Not a benchmark itself (``make bench`` runs ``bench_*.py`` only); the benchmarks import it as scripts,
with this folder first on ``sys.path``.
"""

from __future__ import annotations

import copy
import json
from typing import Any

TARGET_BYTES = 32 * 1024


def padded(event: dict[str, Any], size: int = TARGET_BYTES) -> dict[str, Any]:
    """The event grown to ``size`` bytes of JSON with realistic extra context (products, page)."""
    out = copy.deepcopy(event)
    items = []
    context = out.setdefault("context", {})
    i = 0
    while len(json.dumps(out)) < size:
        items.append(
            {
                "product_id": f"sku-{i:05d}",
                "name": f"Robot arm model {i}",
                "price": 1999.5 + i,
                "quantity": 1 + i % 4,
                "category": "Industrial",
                "url": f"https://acme.example/p/{i}",
            }
        )
        context["recent_products"] = items
        i += 1
    return out


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
