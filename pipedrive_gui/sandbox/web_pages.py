"""Read-only HTML pages at Pipedrive's web paths, so "open in Pipedrive" links work offline.

The upsert engine links records as ``{base}/person/{id}``, ``/organization/{id}``, ``/deal/{id}``,
``/leads/inbox/{uuid}`` and ``/activities/list``; against the sandbox those land here. Pages are
plain HTML (escaped), need no token (a browser cannot send one) and are not API calls: they are
neither recorded, faulted nor rate-limited.
"""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp import web

from pipedrive_gui.sandbox.catalog import FieldDef
from pipedrive_gui.sandbox.handlers import STATE_KEY
from pipedrive_gui.sandbox.store import LABEL, SandboxStore

WEB_ROUTE_PREFIX = "web-"
_LINKS = {"person": "person", "organization": "organization", "deal": "deal", "lead": "leads/inbox"}
_REF_FIELDS = {
    "org_id": "organization",
    "organization_id": "organization",
    "person_id": "person",
    "deal_id": "deal",
    "lead_id": "lead",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}"
    "table{border-collapse:collapse}td,th{border-bottom:1px solid #ccc;padding:.3em .8em;text-align:left;"
    "vertical-align:top}th{font-weight:600}.note{color:#666}"
)


def _text_of(markup: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]*>", " ", markup).split()))


def _page(title: str, body: str) -> web.Response:
    text = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)} · Sandbox Co"
        f"</title><style>{_STYLE}</style></head><body><p class='note'><a href='/'>Sandbox Co</a> · "
        f"offline Pipedrive sandbox</p><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(text=text, content_type="text/html")


def _link(entity: str, record_id: Any, text: str) -> str:
    return f"<a href='/{_LINKS[entity]}/{html.escape(str(record_id))}'>{html.escape(text)}</a>"


def _show(store: SandboxStore, f: FieldDef | None, key: str, value: Any) -> str:
    if value is None or value == [] or value == "":
        return ""
    if key in _REF_FIELDS:
        rec = store.get(_REF_FIELDS[key], value)
        name = store.display_name(_REF_FIELDS[key], rec) if rec else f"#{value} (missing)"
        return _link(_REF_FIELDS[key], value, name) if rec else html.escape(name)
    if key in ("owner_id", "user_id", "creator_user_id") and value in store.users:
        return html.escape(str(store.users[value]["name"]))
    if f is not None and f.options and f.field_type in ("enum", "set"):
        labels = {o["id"]: o["label"] for o in f.options}
        items = value if isinstance(value, list) else [value]
        return html.escape(", ".join(str(labels.get(i, labels.get(_int(i), i))) for i in items))
    if isinstance(value, list):
        return html.escape(
            ", ".join(str(v.get("value", v)) if isinstance(v, dict) else str(v) for v in value)
        )
    if isinstance(value, dict):
        if "currency" in value and "value" in value:
            return html.escape(f"{value['value']} {value['currency']}")
        if "amount" in value:
            return html.escape(f"{value['amount']} {value.get('currency', '')}")
        return html.escape(str(value.get("value", value)))
    return html.escape(str(value))


def _int(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _record_table(store: SandboxStore, entity: str, rec: dict[str, Any]) -> str:
    rows = []
    custom = rec.get("custom_fields") if isinstance(rec.get("custom_fields"), dict) else {}
    for key, value in rec.items():
        if key in ("custom_fields", "id"):
            continue
        f = store.catalog.get(entity, key)
        label = f.name if f else key.replace("_", " ").capitalize()
        shown = _show(store, f, key, value)
        if shown:
            rows.append(f"<tr><th>{html.escape(label)}</th><td>{shown}</td></tr>")
    for key, value in (custom or {}).items():
        f = store.catalog.get(entity, key)
        shown = _show(store, f, key, value)
        if shown:
            rows.append(f"<tr><th>{html.escape(f.name if f else key)}</th><td>{shown}</td></tr>")
    return "<table>" + "".join(rows) + "</table>"


async def index(request: web.Request) -> web.Response:
    store = request.app[STATE_KEY].store
    parts = []
    for entity in ("person", "organization", "deal", "lead"):
        recs = store.live(entity)
        items = "".join(
            f"<li>{_link(entity, r['id'], store.display_name(entity, r) or str(r['id']))}</li>" for r in recs
        )
        parts.append(f"<h2>{LABEL[entity]}s ({len(recs)})</h2><ul>{items}</ul>")
    parts.append("<p><a href='/activities/list'>Activities</a></p>")
    return _page("Sandbox Co", "".join(parts))


async def record_page(request: web.Request) -> web.Response:
    entity = (
        request.match_info.route.name.removeprefix(WEB_ROUTE_PREFIX) if request.match_info.route.name else ""
    )
    store = request.app[STATE_KEY].store
    raw = request.match_info["id"]
    record_id: Any = raw if entity == "lead" else (int(raw) if raw.isdigit() else None)
    rec = store.get(entity, record_id) if record_id is not None else None
    if rec is None:
        return web.Response(status=404, text=f"{LABEL[entity]} {raw} does not exist in the sandbox.")
    title = f"{LABEL[entity]}: {store.display_name(entity, rec) or rec['id']}"
    notes_key = {"person": "person_id", "organization": "org_id", "deal": "deal_id", "lead": "lead_id"}[
        entity
    ]
    notes = [n for n in store.live("note") if n.get(notes_key) == rec["id"]]
    acts_key = {"person": "person_id", "organization": "org_id", "deal": "deal_id", "lead": "lead_id"}[entity]
    acts = [a for a in store.live("activity") if a.get(acts_key) == rec["id"]]
    body = _record_table(store, entity, rec)
    if acts:
        body += (
            "<h2>Activities</h2><ul>"
            + "".join(
                f"<li>{html.escape(a['type'])}: {html.escape(a['subject'] or '')} {html.escape(a.get('due_date') or '')}"
                f"{' (done)' if a.get('done') else ''}</li>"
                for a in acts
            )
            + "</ul>"
        )
    if notes:
        # Note content is HTML in Pipedrive; shown as its text here (tags dropped, the rest escaped)
        # so it reads like Pipedrive shows it and nothing in it runs.
        body += (
            "<h2>Notes</h2><ul>"
            + "".join(f"<li>{html.escape(_text_of(str(n['content'])))}</li>" for n in notes)
            + "</ul>"
        )
    return _page(title, body)


async def activities_page(request: web.Request) -> web.Response:
    store = request.app[STATE_KEY].store
    rows = "".join(
        f"<tr><td>{html.escape(a['type'])}</td><td>{html.escape(a['subject'] or '')}</td>"
        f"<td>{html.escape(a.get('due_date') or '')} {html.escape(a.get('due_time') or '')}</td>"
        f"<td>{_show(store, None, 'person_id', a.get('person_id'))}</td>"
        f"<td>{_show(store, None, 'deal_id', a.get('deal_id'))}</td><td>{'yes' if a.get('done') else ''}</td></tr>"
        for a in store.live("activity")
    )
    head = "<tr><th>Type</th><th>Subject</th><th>Due</th><th>Person</th><th>Deal</th><th>Done</th></tr>"
    return _page("Activities", f"<table>{head}{rows}</table>")


def add_web_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/", index, name=f"{WEB_ROUTE_PREFIX}index")
    r.add_get("/person/{id}", record_page, name=f"{WEB_ROUTE_PREFIX}person")
    r.add_get("/organization/{id}", record_page, name=f"{WEB_ROUTE_PREFIX}organization")
    r.add_get("/deal/{id}", record_page, name=f"{WEB_ROUTE_PREFIX}deal")
    r.add_get("/leads/inbox/{id}", record_page, name=f"{WEB_ROUTE_PREFIX}lead")
    r.add_get("/activities/list", activities_page, name=f"{WEB_ROUTE_PREFIX}activities")
