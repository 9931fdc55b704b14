"""Poll the service until no uploaded document is still being processed; print a summary table."""
from __future__ import annotations

import argparse
import sys
import time

import httpx

PENDING = {"received", "queued", "processing"}


def fetch_all(client: httpx.Client) -> list[dict]:
    documents, offset = [], 0
    while True:
        page = client.get("/v1/documents", params={"limit": 100, "offset": offset}).raise_for_status().json()
        items = page["items"]
        documents.extend(items)
        if len(items) < 100:
            return documents
        offset += len(items)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    client = httpx.Client(base_url=args.base, headers={"X-API-Key": args.key}, timeout=30)
    deadline = time.monotonic() + args.timeout
    while True:
        documents = fetch_all(client)
        pending = [d for d in documents if d["status"] in PENDING]
        print(f"  {len(documents) - len(pending)}/{len(documents)} done", flush=True)
        if not pending or time.monotonic() > deadline:
            break
        time.sleep(5)
    for doc in sorted(documents, key=lambda d: d.get("source") or ""):
        outcome = doc.get("recommendation") or (doc.get("error") or {}).get("code") or ""
        print(f"  {doc.get('source') or doc['id']:<24} {doc['status']:<18} {outcome}")
    return 1 if pending else 0


if __name__ == "__main__":
    sys.exit(main())
