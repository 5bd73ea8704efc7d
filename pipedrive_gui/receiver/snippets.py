"""Copy-paste code that sends events to the local receiver, filled with its address and write key.

Qt-free on purpose: the texts are plain data the receiver panel shows, ``pipedrive-gui receive``
prints and the tests execute (the analytics.js one is bundled and run in Chromium by
tests/browser). Each snippet sends at least one ``identify`` and one ``track`` event that the demo
project's mappings fire on, so a user who pastes it sees rows appear in the receiver at once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Snippet:
    key: str  # stable id: "python", "node", "analytics.js", "curl"
    title: str  # what the user sees on the tab
    language: str  # for syntax colouring / the file name a user might save it as
    install: str  # how to get the library (one line), "" when nothing is needed
    code: str


def _quote(value: str) -> str:
    """A string literal that is valid in Python and JavaScript alike (JSON's escaping)."""
    return json.dumps(value)


def _shell_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"


def python_snippet(url: str, write_key: str) -> Snippet:
    code = f"""\
import segment.analytics as analytics

analytics.write_key = {_quote(write_key)}
analytics.host = {_quote(url)}  # the local receiver instead of api.segment.io

analytics.identify("user-1001", {{
    "name": "Maria Gonzalez",
    "email": "maria.gonzalez@acme-robotics.example",
    "plan": "Pro",
}})
analytics.track("user-1001", "Deal Upserted", {{
    "deal_id": "D-2025-0042",
    "title": "Acme Robotics - 50 seats",
    "value": 12000,
    "currency": "USD",
}})
analytics.flush()  # send now instead of in the background
"""
    return Snippet(
        "python", "Python (analytics-python)", "python", "pip install segment-analytics-python", code
    )


def node_snippet(url: str, write_key: str) -> Snippet:
    code = f"""\
const {{ Analytics }} = require("@segment/analytics-node");

const analytics = new Analytics({{
  writeKey: {_quote(write_key)},
  host: {_quote(url)}, // the local receiver instead of api.segment.io
  flushAt: 1, // send every event at once
}});

analytics.identify({{
  userId: "user-1001",
  traits: {{ name: "Maria Gonzalez", email: "maria.gonzalez@acme-robotics.example", plan: "Pro" }},
}});
analytics.track({{
  userId: "user-1001",
  event: "Deal Upserted",
  properties: {{ deal_id: "D-2025-0042", title: "Acme Robotics - 50 seats", value: 12000, currency: "USD" }},
}});
analytics.closeAndFlush();
"""
    return Snippet(
        "node", "Node.js (analytics-node)", "javascript", "npm install @segment/analytics-node", code
    )


def browser_snippet(url: str, write_key: str) -> Snippet:
    parts = urlsplit(url)
    receiver = json.dumps({"apiHost": f"{parts.netloc}/v1", "protocol": parts.scheme or "http"})
    # The settings are given inline (cdnSettings): nothing is downloaded from Segment's CDN, which
    # does not know this local write key. "Segment.io" is the part of analytics.js that posts the
    # events (writeKey in the body, text/plain: no preflight); naming the receiver in the load
    # options too keeps analytics.js's own usage metrics off api.segment.io, and sampleRate 0 turns
    # them off.
    code = f"""\
import {{ AnalyticsBrowser }} from "@segment/analytics-next";

// The receiver refuses web pages it does not know: allow the address of the page this runs on
// (e.g. http://localhost:3000) under "Allowed web pages" in the receiver panel, or start
// `pipedrive-gui receive` with --allow-origin http://localhost:3000.
const receiver = {receiver};

export const analytics = AnalyticsBrowser.load(
  {{
    writeKey: {_quote(write_key)},
    cdnSettings: {{
      integrations: {{ "Segment.io": {{ apiKey: {_quote(write_key)}, ...receiver }} }},
      metrics: {{ sampleRate: 0 }},
    }},
  }},
  {{ integrations: {{ "Segment.io": receiver }} }},
);

analytics.identify("user-1001", {{
  name: "Maria Gonzalez",
  email: "maria.gonzalez@acme-robotics.example",
  plan: "Pro",
}});
analytics.group("grp-acme-001", {{ name: "Acme Robotics", industry: "Software", employees: 240 }});
analytics.page();
analytics.track("Deal Upserted", {{
  deal_id: "D-2025-0042",
  title: "Acme Robotics - 50 seats",
  value: 12000,
  currency: "USD",
}});
"""
    return Snippet(
        "analytics.js", "Website (analytics.js)", "javascript", "npm install @segment/analytics-next", code
    )


def curl_snippet(url: str, write_key: str) -> Snippet:
    base = url.rstrip("/")
    identify = json.dumps(
        {
            "userId": "user-1001",
            "traits": {
                "name": "Maria Gonzalez",
                "email": "maria.gonzalez@acme-robotics.example",
                "plan": "Pro",
            },
        }
    )
    track = json.dumps(
        {
            "userId": "user-1001",
            "event": "Deal Upserted",
            "properties": {
                "deal_id": "D-2025-0042",
                "title": "Acme Robotics - 50 seats",
                "value": 12000,
                "currency": "USD",
            },
        }
    )
    auth = _shell_quote(write_key + ":")
    code = f"""\
# The write key is the user name of HTTP Basic auth (empty password), as with Segment's HTTP API.
curl -sS -X POST {_shell_quote(base + "/v1/identify")} \\
  -u {auth} -H 'Content-Type: application/json' \\
  -d {_shell_quote(identify)}

curl -sS -X POST {_shell_quote(base + "/v1/track")} \\
  -u {auth} -H 'Content-Type: application/json' \\
  -d {_shell_quote(track)}
"""
    return Snippet("curl", "Command line (curl)", "shell", "", code)


def all_snippets(url: str, write_key: str) -> list[Snippet]:
    """The snippets in the order the panel shows them."""
    return [
        python_snippet(url, write_key),
        node_snippet(url, write_key),
        browser_snippet(url, write_key),
        curl_snippet(url, write_key),
    ]
