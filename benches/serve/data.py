"""The rows of the serve benchmark (benches/serve.sh), the same for every server.

    data.py body                 row 1 as a POST body (no id), JSON on stdout
    data.py json OUT N           db.json for json-server: {"item": [rows 1..N]}
    data.py csv OUT N            rows 1..N as CSV for Postgres' COPY (with ids)
    data.py sqlite DB N          rows 2..N into the `item` table of the dev
                                 database, stored the way the server stored
                                 row 1 (POSTed through the API beforehand)
    data.py post BODY            a new row as a POST body (for the load generator)

Rows are generated from a fixed seed; values are wire values (docs/api.md).
"""

import csv
import datetime
import json
import random
import sqlite3
import sys

CATEGORIES = ["books", "music", "games", "garden", "tools", "toys", "food", "sports", "health", "office"]
WORDS = ["red", "small", "steel", "wooden", "classic", "modern", "blue", "quiet", "fast", "soft",
         "large", "green", "light", "heavy", "round", "bright"]
EPOCH = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
FIELDS = ["id", "sku", "name", "category", "price", "quantity", "in_stock", "rating", "description", "created_at"]


def row(i):
    """Row `i` (1-based), as wire values."""
    rng = random.Random(i * 7919)
    words = " ".join(rng.choice(WORDS) for _ in range(2))
    description = None
    # Row 1 has every field set: the SQLite loader learns the storage from it.
    if rng.random() < 0.8 or i == 1:
        description = f"A {words} thing from the {CATEGORIES[i % 10]} shelf, number {i}. " * 2
    return {
        "id": i,
        "sku": f"SKU-{i:07d}",
        "name": f"{words.capitalize()} item {i}",
        "category": CATEGORIES[i % len(CATEGORIES)],
        "price": f"{rng.uniform(1, 500):.2f}",
        "quantity": rng.randrange(0, 1000),
        "in_stock": rng.random() < 0.8,
        "rating": round(rng.uniform(1, 5), 1) if rng.random() < 0.9 or i == 1 else None,
        "description": description,
        "created_at": (EPOCH + datetime.timedelta(seconds=i * 17)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def body():
    values = row(1)
    del values["id"]
    return values


def encoders(wire):
    """The ways a wire value may be stored in SQLite, most likely first."""
    found = []
    if isinstance(wire, bool):
        found += [("int", lambda v: int(v)), ("text", lambda v: "true" if v else "false"),
                  ("digit", lambda v: "1" if v else "0")]
    elif isinstance(wire, (int, float)):
        found += [("same", lambda v: v), ("float", lambda v: float(v)), ("text", lambda v: str(v))]
    elif isinstance(wire, str):
        found += [("same", lambda v: v), ("float", lambda v: float(v)), ("int", lambda v: int(v))]
        try:
            datetime.datetime.strptime(wire, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            pass
        else:
            def fmt(pattern):
                return lambda v: datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ").strftime(pattern)

            for pattern in ["%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                            "%Y-%m-%dT%H:%M:%S+00:00", "%Y-%m-%d %H:%M:%S+00:00",
                            "%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f+00:00",
                            "%Y-%m-%d %H:%M:%S.%f+00:00", "%Y-%m-%dT%H:%M:%S.000Z"]:
                found.append((pattern, fmt(pattern)))

            def epoch(v):
                return int(datetime.datetime.strptime(v, "%Y-%m-%dT%H:%M:%SZ")
                           .replace(tzinfo=datetime.timezone.utc).timestamp())

            found += [("epoch", epoch), ("epoch_ms", lambda v: epoch(v) * 1000)]
    return found


def load_sqlite(path, count):
    """Rows 2..count, each column stored as the server stored row 1."""
    db = sqlite3.connect(path)
    columns = [c[1] for c in db.execute("PRAGMA table_info(item)")]
    if sorted(columns) != sorted(FIELDS):
        sys.exit(f"data.py: the item table has columns {columns}, expected {FIELDS}")
    stored = db.execute(f"SELECT {', '.join(FIELDS)} FROM item WHERE id = 1").fetchone()
    if stored is None:
        sys.exit("data.py: row 1 is missing: POST it through the API first")
    template = row(1)
    encode = {}
    for field, raw in zip(FIELDS, stored):
        wire = template[field]
        for name, encoder in encoders(wire):
            try:
                if encoder(wire) == raw and type(encoder(wire)) is type(raw):
                    encode[field] = encoder
                    break
            except ValueError:
                continue
        else:
            sys.exit(f"data.py: cannot tell how `{field}` is stored: {wire!r} became {raw!r}")
    placeholders = ", ".join("?" for _ in FIELDS)
    statement = f"INSERT INTO item ({', '.join(FIELDS)}) VALUES ({placeholders})"

    def stored_rows():
        for i in range(2, count + 1):
            values = row(i)
            yield [None if values[f] is None else encode[f](values[f]) for f in FIELDS]

    with db:
        db.executemany(statement, stored_rows())
    db.execute("ANALYZE")
    db.close()


def main():
    command = sys.argv[1]
    if command == "body":
        print(json.dumps(body()))
    elif command == "post":
        values = body()
        values["sku"] = "SKU-NEW"
        values["name"] = "Posted by the benchmark"
        with open(sys.argv[2], "w") as out:
            json.dump(values, out)
    elif command == "json":
        with open(sys.argv[2], "w") as out:
            json.dump({"item": [row(i) for i in range(1, int(sys.argv[3]) + 1)]}, out)
    elif command == "csv":
        with open(sys.argv[2], "w", newline="") as out:
            writer = csv.writer(out)
            for i in range(1, int(sys.argv[3]) + 1):
                values = row(i)
                # COPY's CSV: an unquoted empty field is NULL.
                writer.writerow(["" if values[f] is None else values[f] for f in FIELDS])
    elif command == "sqlite":
        load_sqlite(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(f"data.py: unknown command {command}")


if __name__ == "__main__":
    main()
