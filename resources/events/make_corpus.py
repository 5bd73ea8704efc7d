"""Write corpus.jsonl: a deterministic stream of realistic Segment events for the benchmarks.

100 people in 25 companies; for each person, in time order: identify (sign-up), group, Lead
Created, Deal Upserted (open), Activity Upserted, Note Upserted, page views, identify (plan
change), Deal Upserted (won or lost), Activity Upserted (done), and a "Product Viewed" event no
Pipedrive mapping listens to. Every event fires at least one action of the demo project except
the page/Product Viewed noise. Same output on every run (seeded RNG, fixed clock).

Run:  python resources/events/make_corpus.py  [OUTPUT]   (default: corpus.jsonl next to this file)
"""

from __future__ import annotations

import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20250304
PEOPLE = 100
COMPANIES = 25

FIRST = [
    "Maria", "James", "Aiko", "Liam", "Fatima", "Noah", "Elena", "Oliver", "Priya", "Lucas", "Sofia",
    "Mateo", "Chloe", "Ethan", "Amara", "Hugo", "Ingrid", "Kenji", "Zara", "Tomás",
]
LAST = [
    "Gonzalez", "Smith", "Tanaka", "Müller", "Okafor", "Dubois", "Rossi", "Novak", "Patel", "Kim",
    "Johansson", "Silva", "O'Brien", "Nguyen", "Kowalski", "Haddad", "Lindqvist", "Moreau", "Costa",
]
COMPANY_WORDS = [
    ("Acme", "Robotics"), ("Globex", "Systems"), ("Initech", "Software"), ("Umbrella", "Health"),
    ("Stark", "Retail"), ("Wayne", "Finance"), ("Hooli", "Cloud"), ("Vandelay", "Imports"),
    ("Soylent", "Foods"), ("Tyrell", "Labs"), ("Cyberdyne", "Analytics"), ("Wonka", "Retail"),
    ("Gringotts", "Finance"), ("Aperture", "Science"), ("Pied Piper", "Compression"),
]
INDUSTRIES = ["Software", "Retail", "Finance", "Healthcare"]
PLANS = ["Free", "Pro", "Enterprise"]
CURRENCIES = ["USD", "EUR", "GBP"]
ACTIVITY_TYPES = ["call", "meeting", "email", "task"]
PAGES = ["/pricing", "/features", "/docs/getting-started", "/blog/crm-automation", "/contact"]

START = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def build(seed: int = SEED) -> list[dict]:
    rnd = random.Random(seed)
    companies = []
    for c in range(COMPANIES):
        a, b = COMPANY_WORDS[c % len(COMPANY_WORDS)]
        name = f"{a} {b}" if c < len(COMPANY_WORDS) else f"{a} {b} {c // len(COMPANY_WORDS) + 1}"
        companies.append(
            {
                "id": f"grp-{c + 1:04d}",
                "name": name,
                "domain": name.lower().replace(" ", "-") + ".example",
                "industry": rnd.choice(INDUSTRIES),
                "employees": rnd.choice([8, 25, 60, 120, 240, 500, 1200]),
                "plan": rnd.choice(PLANS),
            }
        )
    events: list[dict] = []
    counter = 0

    def emit(kind: str, person: dict, t: datetime, browser: bool, **body: object) -> None:
        nonlocal counter
        counter += 1
        context: dict[str, object]
        if browser:
            context = {
                "library": {"name": "analytics.js", "version": "next-1.70.0"},
                "ip": person["ip"],
                "locale": "en-US",
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
                "groupId": person["company"]["id"],
            }
        else:
            context = {"library": {"name": "analytics-python", "version": "2.3.3"}, "groupId": person["company"]["id"]}
        sent = t + timedelta(milliseconds=rnd.randint(5, 900))
        event: dict[str, object] = {
            "type": kind,
            "messageId": f"corpus-{counter:06d}",
            "userId": person["user_id"],
            "anonymousId": person["anon"],
        }
        event.update(body)
        event.update(
            {
                "context": context,
                "integrations": {},
                "originalTimestamp": _iso(t),
                "timestamp": _iso(t),
                "sentAt": _iso(sent),
                "receivedAt": _iso(sent + timedelta(milliseconds=rnd.randint(20, 400))),
            }
        )
        events.append(event)

    for p in range(PEOPLE):
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        company = companies[p % COMPANIES]
        person = {
            "user_id": f"user-{p + 1:05d}",
            "anon": f"anon-{rnd.getrandbits(64):016x}",
            "ip": f"198.51.100.{rnd.randint(1, 254)}",
            "company": company,
        }
        email = f"{first.lower()}.{last.lower().replace(' ', '').replace(chr(39), '')}@{company['domain']}"
        t = START + timedelta(hours=p * 7, minutes=rnd.randint(0, 59))
        currency = rnd.choice(CURRENCIES)
        deal_id = f"D-{p + 1:05d}"
        plan = rnd.choice(PLANS[:2])
        emit("page", person, t, True, name="Pricing", properties={"path": rnd.choice(PAGES), "title": "Pricing"})
        t += timedelta(minutes=rnd.randint(1, 30))
        emit(
            "identify", person, t, True,
            traits={
                "name": f"{first} {last}", "first_name": first, "last_name": last, "email": email,
                "phone": f"+1 415 555 {rnd.randint(0, 9999):04d}", "company": company["name"],
                "title": rnd.choice(["CTO", "Head of Sales", "Ops Manager", "Founder", "Analyst"]),
                "plan": plan, "lifetime_value": round(rnd.uniform(0, 5000), 2), "currency": currency,
                "lead_score": rnd.randint(1, 100),
            },
        )
        t += timedelta(seconds=rnd.randint(2, 60))
        emit(
            "group", person, t, True, groupId=company["id"],
            traits={"name": company["name"], "industry": company["industry"], "employees": company["employees"],
                    "plan": company["plan"], "website": f"https://{company['domain']}"},
        )
        t += timedelta(minutes=rnd.randint(5, 120))
        emit(
            "track", person, t, True, event="Lead Created",
            properties={"title": f"{company['name']} - demo request from {first}", "amount": rnd.randint(5, 200) * 100,
                        "currency": currency, "expected_close_date": (t + timedelta(days=45)).strftime("%Y-%m-%d")},
        )
        t += timedelta(days=rnd.randint(1, 5))
        value = rnd.randint(10, 500) * 100
        emit(
            "track", person, t, False, event="Deal Upserted",
            properties={"deal_id": deal_id, "title": f"{company['name']} - {rnd.randint(5, 200)} seats",
                        "value": str(value), "currency": currency, "stage_id": rnd.randint(1, 5), "status": "open",
                        "expected_close_date": (t + timedelta(days=30)).strftime("%Y-%m-%d"),
                        "success_probability": rnd.choice([10, 25, 50, 75]),
                        "source": rnd.choice(["Website", "Referral", "Event", "Outbound"])},
        )
        t += timedelta(hours=rnd.randint(1, 48))
        emit(
            "track", person, t, False, event="Activity Upserted",
            properties={"subject": f"Call with {first}", "type": rnd.choice(ACTIVITY_TYPES),
                        "due_date": (t + timedelta(days=2)).strftime("%Y-%m-%d"),
                        "due_time": f"{rnd.randint(8, 17):02d}:{rnd.choice(['00', '30'])}", "duration": "00:30",
                        "done": False, "deal_id": deal_id, "note": "Discuss pricing and rollout."},
        )
        t += timedelta(hours=rnd.randint(1, 24))
        emit(
            "track", person, t, False, event="Note Upserted",
            properties={"content": f"{first} wants a proposal by end of month. Budget around {value} {currency}.",
                        "deal_id": deal_id},
        )
        t += timedelta(days=rnd.randint(1, 10))
        emit("track", person, t, True, event="Product Viewed",
             properties={"product_id": f"SKU-{rnd.randint(1000, 9999)}", "name": "Automation add-on"})
        t += timedelta(days=rnd.randint(1, 20))
        emit(
            "identify", person, t, True,
            traits={"email": email, "plan": rnd.choice(PLANS[1:]), "lifetime_value": round(rnd.uniform(5000, 20000), 2),
                    "currency": currency},
        )
        t += timedelta(days=rnd.randint(1, 20))
        won = rnd.random() < 0.6
        emit(
            "track", person, t, False, event="Deal Upserted",
            properties={"deal_id": deal_id, "title": f"{company['name']} - renewal", "value": value,
                        "currency": currency, "status": "won" if won else "lost",
                        **({} if won else {"lost_reason": "Chose a competitor"})},
        )
        t += timedelta(minutes=rnd.randint(1, 60))
        emit(
            "track", person, t, False, event="Activity Upserted",
            properties={"subject": f"Call with {first}", "type": "call", "done": True, "deal_id": deal_id,
                        "due_date": t.strftime("%Y-%m-%d")},
        )
    return events


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).with_name("corpus.jsonl")
    events = build()
    with out.open("w", encoding="utf-8", newline="\n") as f:
        for e in events:
            f.write(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {len(events)} events to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
