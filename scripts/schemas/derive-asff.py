"""Derives a JSON Schema (draft 2020-12) of the AWS Security Finding Format from the Security Hub API model.

Usage: python3 derive-asff.py SERVICE-2.JSON[.GZ] > asff.schema.json

The model is botocore's data/securityhub/2018-10-26/service-2.json (the API definition AWS publishes for the SDKs).
AwsSecurityFinding and every shape it reaches become $defs: structure members and `required`, enums, lists and maps,
and the limits the model's documentation states ("Maximum length of N", "Maximum of N", "Maximum number of N items",
"up to 50 key-value pairs ... key up to 128 characters ... value up to 2048 characters"). Unknown members are
refused (`additionalProperties: false`).
"""

import gzip
import json
import re
import sys

path = sys.argv[1]
model = json.load(gzip.open(path) if path.endswith(".gz") else open(path))
shapes = model["shapes"]
defs = {}


def limits(doc):
    doc = re.sub(r"<[^>]+>", " ", doc or "")
    out = {}
    m = re.search(r"Maximum (?:length )?of (\d+)(?: length)?[.\s]", doc)
    if m:
        out["maxLength"] = int(m.group(1))
    m = re.search(r"Maximum number of (\d+) items", doc)
    if m:
        out["maxItems"] = int(m.group(1))
    m = re.search(r"up to (\d+) key-value pairs.*?key can contain up to (\d+) characters.*?value can contain up to (\d+)", doc)
    if m:
        out["map"] = tuple(int(x) for x in m.groups())
    return out


def ref(name, doc=""):
    define(name)
    s = shapes[name]
    lim = limits(doc)
    if s["type"] == "string" and "maxLength" in lim:
        return {"allOf": [{"$ref": f"#/$defs/{name}"}], "maxLength": lim["maxLength"]}
    if s["type"] == "list" and "maxItems" in lim:
        return {"allOf": [{"$ref": f"#/$defs/{name}"}], "maxItems": lim["maxItems"]}
    if s["type"] == "map" and "map" in lim:
        count, key, value = lim["map"]
        return {
            "allOf": [{"$ref": f"#/$defs/{name}"}],
            "maxProperties": count,
            "propertyNames": {"maxLength": key},
            "additionalProperties": {"maxLength": value},
        }
    return {"$ref": f"#/$defs/{name}"}


def define(name):
    if name in defs:
        return
    defs[name] = {}
    s = shapes[name]
    t = s["type"]
    if t == "structure":
        defs[name] = {
            "type": "object",
            "properties": {k: ref(v["shape"], v.get("documentation", "")) for k, v in s["members"].items()},
            "required": s.get("required", []),
            "additionalProperties": False,
        }
    elif t == "list":
        defs[name] = {"type": "array", "items": ref(s["member"]["shape"])}
    elif t == "map":
        defs[name] = {"type": "object", "additionalProperties": ref(s["value"]["shape"])}
    elif t == "string":
        d = {"type": "string"}
        if "enum" in s:
            d["enum"] = s["enum"]
        if "pattern" in s:
            d["pattern"] = s["pattern"]
        defs[name] = d
    elif t in ("integer", "long"):
        defs[name] = {"type": "integer"}
    elif t in ("double", "float"):
        defs[name] = {"type": "number"}
    elif t == "boolean":
        defs[name] = {"type": "boolean"}
    elif t == "timestamp":
        defs[name] = {"type": "string"}
    else:
        defs[name] = {}


define("AwsSecurityFinding")
root = defs["AwsSecurityFinding"]
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://efs-guard.local/schemas/asff-2018-10-08.json",
    "title": f"AWS Security Finding Format (AwsSecurityFinding), from the Security Hub API model {model['metadata']['apiVersion']}",
    **root,
    "$defs": defs,
}
json.dump(schema, sys.stdout, indent=1, sort_keys=True)
