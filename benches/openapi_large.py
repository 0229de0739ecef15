#!/usr/bin/env python3
"""Prints a large OpenAPI 3.0 document to stdout, in the shape of GitHub's,
Stripe's and FastAPI's: hundreds of resources of dozens of properties that
refer to each other (relations, lists of rows, expandable `anyOf: [string,
$ref]` fields, nullable and enum fields, maps, unions), the forms a client
sends (`<Name>Create`: `allOf` of the resource and more, `<Name>Update`),
shared parameters and responses under `components`, and five operations
per resource (list with a `{data, has_more}` page wrapper, create, get,
update, delete) on a collection named like the resource (`/v1/resource12`)
or in the plural (`/v1/resource13s`). Deterministic: the same arguments give the
same bytes. Needs nothing but Python 3.

    python3 benches/openapi_large.py [RESOURCES] [--json] > /tmp/big.yaml
    /usr/bin/time -v baas introspect /tmp/big.yaml --dry-run > /dev/null

The default of 340 resources gives about 4 MB of YAML.
"""
import json
import random
import re
import sys

args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
as_json = "--json" in sys.argv[1:]
count = int(args[0]) if args else 340
rng = random.Random(16)
words = (
    "the identifier of this object as it is shown to customers and kept by the "
    "service until it is deleted or replaced by a newer version"
).split()


def text(low=6, high=24):
    return " ".join(rng.choice(words) for _ in range(rng.randint(low, high))).capitalize() + "."


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


names = [f"Resource{i}" for i in range(count)]
schemas = {}
schemas["error"] = {
    "type": "object",
    "description": "An error answer.",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "code": {"type": "string", "enum": ["invalid", "missing", "conflict", "internal"]},
        "documentation_url": {"type": "string", "format": "uri"},
    },
}
schemas["metadata"] = {
    "type": "object",
    "description": "Key-value pairs the client may attach to an object.",
    "additionalProperties": {"type": "string", "maxLength": 500},
}
schemas["address"] = {
    "type": "object",
    "properties": {
        name: {"type": "string", "nullable": True, "maxLength": 200, "description": text()}
        for name in ["line1", "line2", "city", "state", "postal_code", "country"]
    },
}
scalars = [
    lambda: {"type": "string", "description": text(), "maxLength": rng.choice([64, 255, 5000])},
    lambda: {"type": "integer", "description": text(), "minimum": 0},
    lambda: {"type": "integer", "format": "int32", "nullable": True},
    lambda: {"type": "number", "format": "double", "description": text()},
    lambda: {"type": "boolean", "description": text()},
    lambda: {"type": "string", "format": "date-time", "description": text()},
    lambda: {"type": "string", "format": "uri", "nullable": True, "description": text()},
    lambda: {"type": "string", "pattern": "^[a-z0-9_-]+$", "example": "some_value"},
    lambda: {
        "type": "string",
        "description": text(),
        "enum": [f"state_{k}" for k in range(rng.randint(2, 9))],
    },
    lambda: {"type": "array", "items": {"type": "string"}, "description": text()},
]
for i, name in enumerate(names):
    properties = {
        "id": {"type": "string", "description": "Unique identifier for the object.", "readOnly": True},
        "object": {"type": "string", "enum": [name], "description": "The type of the object."},
        "created": {"type": "integer", "format": "int64", "description": text()},
        "livemode": {"type": "boolean"},
    }
    for p in range(rng.randint(12, 40)):
        kind = rng.random()
        other = names[rng.randrange(count)]
        if kind < 0.08 and i > 0:
            # A relation: the key of another resource, expanded on request.
            properties[f"{other}_ref{p}"] = {
                "anyOf": [{"type": "string", "maxLength": 5000}, ref(other)],
                "description": text(),
                "nullable": True,
            }
        elif kind < 0.14:
            properties[f"owner{p}"] = {"allOf": [ref(other)], "description": text()}
        elif kind < 0.19:
            properties[f"items{p}"] = {"type": "array", "items": ref(other), "description": text()}
        elif kind < 0.22:
            properties[f"address{p}"] = {"allOf": [ref("address")], "nullable": True}
        elif kind < 0.25:
            properties[f"metadata{p}"] = ref("metadata")
        elif kind < 0.30:
            properties[f"settings{p}"] = {
                "type": "object",
                "description": text(),
                "properties": {
                    f"option_{k}": scalars[rng.randrange(len(scalars))]() for k in range(rng.randint(2, 6))
                },
            }
        elif kind < 0.32:
            properties[f"source{p}"] = {
                "oneOf": [ref(names[rng.randrange(count)]) for _ in range(rng.randint(2, 4))],
                "description": text(),
            }
        else:
            properties[f"field{p}"] = scalars[rng.randrange(len(scalars))]()
    schemas[name] = {
        "type": "object",
        "title": f"Resource {i}",
        "description": text(20, 60),
        "required": ["id", "object", "created"],
        "properties": properties,
        "x-resourceId": name,
    }
    # The forms a client sends: the base plus what only creation takes, and
    # the fields an update may change.
    schemas[f"{name}Update"] = {
        "type": "object",
        "properties": {
            key: value
            for key, value in properties.items()
            if key not in ("id", "object", "created") and value.get("type") in ("string", "integer", "boolean")
        },
    }
    schemas[f"{name}Create"] = {
        "allOf": [
            ref(name),
            {
                "type": "object",
                "properties": {
                    "idempotency_key": {"type": "string", "maxLength": 255},
                    "expand": {"type": "array", "items": {"type": "string"}},
                },
            },
        ]
    }

parameters = {
    "limit": {
        "name": "limit",
        "in": "query",
        "description": "How many objects to return, between 1 and 100.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    },
    "starting_after": {
        "name": "starting_after",
        "in": "query",
        "description": "A cursor for pagination across multiple pages of results.",
        "schema": {"type": "string", "maxLength": 5000},
    },
    "expand": {
        "name": "expand",
        "in": "query",
        "style": "deepObject",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string", "maxLength": 5000}},
    },
}
responses = {
    "error": {
        "description": "Error response.",
        "content": {"application/json": {"schema": ref("error")}},
    }
}
paths = {}
for i, name in enumerate(names):
    collection = f"/v1/{name.lower()}" + ("s" if i % 2 else "")
    item = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "maxLength": 5000}}
    one = {"description": "Successful response.", "content": {"application/json": {"schema": ref(name)}}}
    paths[collection] = {
        "get": {
            "operationId": f"List{name}s",
            "summary": f"List all {name}s",
            "description": text(20, 50),
            "parameters": [{"$ref": f"#/components/parameters/{p}"} for p in parameters],
            "responses": {
                "200": {
                    "description": "Successful response.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["data", "has_more", "object", "url"],
                                "properties": {
                                    "data": {"type": "array", "items": ref(name)},
                                    "has_more": {"type": "boolean"},
                                    "object": {"type": "string", "enum": ["list"]},
                                    "url": {"type": "string", "maxLength": 5000},
                                },
                            }
                        }
                    },
                },
                "default": {"$ref": "#/components/responses/error"},
            },
        },
        "post": {
            "operationId": f"Post{name}s",
            "summary": f"Create a {name}",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref(f"{name}Create")}},
            },
            "responses": {"200": one, "default": {"$ref": "#/components/responses/error"}},
        },
    }
    paths[f"{collection}/{{id}}"] = {
        "parameters": [item],
        "get": {
            "operationId": f"Get{name}",
            "summary": f"Retrieve a {name}",
            "parameters": [{"$ref": "#/components/parameters/expand"}],
            "responses": {"200": one, "404": {"$ref": "#/components/responses/error"}},
        },
        "patch": {
            "operationId": f"Update{name}",
            "requestBody": {"content": {"application/json": {"schema": ref(f"{name}Update")}}},
            "responses": {"200": one, "default": {"$ref": "#/components/responses/error"}},
        },
        "delete": {
            "operationId": f"Delete{name}",
            "responses": {"204": {"description": "Deleted."}},
        },
    }

document = {
    "openapi": "3.0.3",
    "info": {"title": "Large API", "version": "2024-01-01", "description": text(40, 80)},
    "servers": [{"url": "https://api.example.com"}],
    "paths": paths,
    "components": {"schemas": schemas, "parameters": parameters, "responses": responses},
}

PLAIN = re.compile(r"^[A-Za-z_/$][A-Za-z0-9_ ./{}$-]*[A-Za-z0-9_./}]$|^[A-Za-z]$")
RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if PLAIN.match(value) and value.lower() not in RESERVED and ": " not in value and " #" not in value:
        return value
    return json.dumps(value)


def key(name):
    return name if PLAIN.match(name) and not name.isdigit() else json.dumps(name)


def emit(value, indent, out):
    """Block-style YAML, as large specs are written."""
    pad = "  " * indent
    if isinstance(value, dict):
        for name, inner in value.items():
            if isinstance(inner, (dict, list)) and inner:
                out.append(f"{pad}{key(name)}:")
                emit(inner, indent + 1, out)
            else:
                out.append(f"{pad}{key(name)}: {flow(inner)}")
    else:
        for inner in value:
            if isinstance(inner, dict) and inner:
                lines = []
                emit(inner, indent + 1, lines)
                first = lines[0][len(pad) + 2 :]
                out.append(f"{pad}- {first}")
                out.extend(lines[1:])
            else:
                out.append(f"{pad}- {flow(inner)}")


def flow(value):
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return scalar(value)


if as_json:
    sys.stdout.write(json.dumps(document, indent=2) + "\n")
else:
    lines = []
    emit(document, 0, lines)
    sys.stdout.write("\n".join(lines) + "\n")
