#!/usr/bin/env python3
"""Prints a FHIR-scale JSON Schema to stdout: thousands of definitions that
refer to each other (data types that contain data types, an `Extension` that
every type carries and that can hold every type, resources that refer to
each other through `Reference`). Deterministic: the same arguments give the
same bytes.

    python3 benches/jsonschema_fhir_like.py [DEFINITIONS] > /tmp/fhir.schema.json
    /usr/bin/time -v baas introspect /tmp/fhir.schema.json --dry-run > /dev/null

The default of 3000 definitions gives about 6 MB (1900: about 4 MB).
"""
import json
import random
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
rng = random.Random(16)
datatypes = [f"Type{i}" for i in range(max(count // 10, 4))]
resources = [f"Resource{i}" for i in range(count - len(datatypes) - 2)]
words = "the value of this element as it is recorded by the system that holds it".split()


def text():
    return " ".join(rng.choice(words) for _ in range(rng.randint(8, 30)))


def ref(name):
    return {"$ref": f"#/definitions/{name}"}


def element(properties):
    properties = dict(properties)
    properties["id"] = {"type": "string", "description": text()}
    properties["extension"] = {"type": "array", "items": ref("Extension"), "description": text()}
    return properties


definitions = {}
definitions["Extension"] = {
    "type": "object",
    "description": text(),
    "properties": element(
        {"url": {"type": "string"}}
        | {f"value{name}": ref(name) for name in datatypes[: min(50, len(datatypes))]}
    ),
}
definitions["Reference"] = {
    "type": "object",
    "description": text(),
    "properties": element(
        {
            "reference": {"type": "string", "description": text()},
            "identifier": ref(datatypes[0]),
            "display": {"type": "string"},
        }
    ),
}
for name in datatypes:
    props = {}
    for p in range(rng.randint(2, 8)):
        kind = rng.random()
        if kind < 0.4:
            props[f"field{p}"] = ref(rng.choice(datatypes))
        elif kind < 0.5:
            props[f"field{p}"] = ref("Reference")
        elif kind < 0.7:
            props[f"field{p}"] = {"type": "array", "items": ref(rng.choice(datatypes))}
        else:
            props[f"field{p}"] = {"type": rng.choice(["string", "integer", "boolean"]), "description": text()}
    definitions[name] = {"type": "object", "description": text(), "properties": element(props)}
for name in resources:
    props = {"resourceType": {"type": "string", "enum": [name]}}
    for p in range(rng.randint(8, 24)):
        kind = rng.random()
        if kind < 0.35:
            props[f"field{p}"] = ref(rng.choice(datatypes))
        elif kind < 0.5:
            props[f"field{p}"] = ref("Reference")
        elif kind < 0.65:
            props[f"field{p}"] = {"type": "array", "items": ref(rng.choice(datatypes))}
        elif kind < 0.7:
            props[f"field{p}"] = {"type": "array", "items": ref(rng.choice(resources))}
        else:
            props[f"field{p}"] = {"type": rng.choice(["string", "integer", "boolean", "number"]), "description": text()}
    definitions[name] = {"type": "object", "description": text(), "properties": element(props)}

json.dump(
    {
        "$schema": "http://json-schema.org/draft-06/schema#",
        "id": "http://example.org/fhir-like.schema.json",
        "description": "A FHIR-like schema made by a generator",
        "discriminator": {"propertyName": "resourceType"},
        "oneOf": [ref(name) for name in resources[:50]],
        "definitions": definitions,
    },
    sys.stdout,
    indent=1,
)
