"""DELETE for every record type the app creates, answered the way the official SDK's models say:
v2 ``{"data": {"id": N}}``; v1 leads ``{"data": {"id": "<uuid>"}}``; v1 notes ``{"data": true}``
(pipedrive/client-nodejs: ``DeletePersonResponse``..., ``GetLeadIdResponse``, ``DeleteNoteResponse``).
A deleted record is not found afterwards, and deleting it again answers 404."""

from __future__ import annotations

import httpx
import pytest

LEAD_ID = "4b2f9a2e-1d7c-4f3e-9a51-0c6a8e2d7b11"  # seeded


@pytest.mark.parametrize(
    ("collection", "body"),
    [
        ("persons", {"name": "Delete Me"}),
        ("organizations", {"name": "Delete Me Ltd"}),
        ("deals", {"title": "Delete me", "person_id": 101}),
        ("activities", {"subject": "Delete me"}),
    ],
)
async def test_v2_delete_answers_the_id_then_404(
    client: httpx.AsyncClient, collection: str, body: dict[str, object]
) -> None:
    created = (await client.post(f"/api/v2/{collection}", json=body)).json()["data"]
    r = await client.delete(f"/api/v2/{collection}/{created['id']}")
    assert r.status_code == 200 and r.json() == {
        "success": True,
        "data": {"id": created["id"]},
        "additional_data": None,
    }
    assert (await client.get(f"/api/v2/{collection}/{created['id']}")).status_code == 404
    assert (await client.delete(f"/api/v2/{collection}/{created['id']}")).status_code == 404
    assert created["id"] not in [x["id"] for x in (await client.get(f"/api/v2/{collection}")).json()["data"]]


async def test_v1_lead_delete_answers_the_uuid_then_404(client: httpx.AsyncClient) -> None:
    r = await client.delete(f"/api/v1/leads/{LEAD_ID}")
    assert r.status_code == 200 and r.json()["success"] is True and r.json()["data"] == {"id": LEAD_ID}
    assert (await client.get(f"/api/v1/leads/{LEAD_ID}")).status_code == 404
    assert LEAD_ID not in [x["id"] for x in (await client.get("/api/v1/leads")).json()["data"]]
    again = await client.delete(f"/api/v1/leads/{LEAD_ID}")
    assert again.status_code == 404 and again.json()["success"] is False


async def test_v1_note_delete_answers_true_then_404(client: httpx.AsyncClient) -> None:
    note = (await client.post("/api/v1/notes", json={"content": "<p>x</p>", "person_id": 101})).json()["data"]
    r = await client.delete(f"/api/v1/notes/{note['id']}")
    assert r.status_code == 200 and r.json()["success"] is True and r.json()["data"] is True
    assert (await client.get(f"/api/v1/notes/{note['id']}")).status_code == 404
    assert note["id"] not in [n["id"] for n in (await client.get("/api/v1/notes")).json()["data"]]
    assert (await client.delete(f"/api/v1/notes/{note['id']}")).status_code == 404
    assert (await client.delete("/api/v1/notes/abc")).status_code == 400
