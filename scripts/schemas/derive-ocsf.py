"""Derives a JSON Schema (draft 2020-12) of one OCSF event class from the OCSF schema repository (ocsf/ocsf-schema).

Usage: python3 derive-ocsf.py REPO_GIT_DIR TAG CLASS PROFILE... > schema.json

Reads only the schema's data files at TAG (dictionary.json, events/, objects/, profiles/, includes/) with `git show`.
Resolution follows the OCSF metaschema: a class or object `extends` its parent (attributes merge, the child wins);
`$include` brings in the attributes of an include file, or of a profile when that profile is applied; an
attribute's type, array-ness and enum come from the dictionary (or the object), its requirement from the class.
`required` attributes become JSON Schema `required`; integer `*_id` enums are closed; unknown attributes are refused
(`additionalProperties: false`), except inside `json_t` values and the `unmapped` object.
"""

import json
import subprocess
import sys

repo, tag, cls, *profiles = sys.argv[1:]


def show(path):
    return json.loads(subprocess.check_output(["git", "--git-dir", repo, "show", f"{tag}:{path}"]))


def ls(folder):
    out = subprocess.check_output(["git", "--git-dir", repo, "ls-tree", "-r", "--name-only", tag, folder]).decode()
    return [p for p in out.split() if p.endswith(".json")]


dictionary = show("dictionary.json")
types = dictionary["types"]["attributes"]
events = {show(p)["name"]: p for p in ls("events")}
objects = {}
for p in ls("objects"):
    objects[show(p)["name"]] = p


def merge(base, child):
    out = dict(base)
    for k, v in child.items():
        out[k] = {**out[k], **v} if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def attributes(doc, loader):
    attrs = {}
    if doc.get("extends"):
        attrs = attributes(loader(doc["extends"]), loader)
    own = dict(doc.get("attributes", {}))
    for inc in own.pop("$include", []):
        is_profile = inc.startswith("profiles/")
        if is_profile and inc.split("/")[-1].removesuffix(".json") not in profiles:
            continue
        attrs = merge(attrs, {k: v for k, v in show(inc).get("attributes", {}).items() if k != "$include"})
    return merge(attrs, own)


def base_type(t):
    while t in types and types[t].get("type"):
        t = types[t]["type"]
    return t


defs = {}


def schema_of(name, spec):
    entry = {**dictionary["attributes"].get(name, {}), **{k: v for k, v in spec.items() if k != "enum"}}
    enum = spec.get("enum") or dictionary["attributes"].get(name, {}).get("enum")
    t = entry.get("type", "string_t")
    if t in types or t.endswith("_t"):
        b = base_type(t)
        s = {"string_t": {"type": "string"}, "integer_t": {"type": "integer"}, "long_t": {"type": "integer"},
             "float_t": {"type": "number"}, "boolean_t": {"type": "boolean"}, "json_t": {}}.get(b, {})
        if types.get(t, {}).get("max_len"):
            s = {**s, "maxLength": types[t]["max_len"]}
        if enum and s.get("type") == "integer" and name.endswith("_id"):
            s = {**s, "enum": sorted(int(k) for k in enum)}
    else:
        define(t)
        s = {"$ref": f"#/$defs/{t}"}
    return {"type": "array", "items": s} if entry.get("is_array") else s


def define(obj):
    if obj in defs:
        return
    defs[obj] = {}
    if obj == "object":
        defs[obj] = {"type": "object"}
        return
    doc = show(objects[obj])
    attrs = attributes(doc, lambda n: show(objects[n]))
    props = {k: schema_of(k, v) for k, v in attrs.items()}
    required = sorted(k for k, v in attrs.items() if v.get("requirement") == "required")
    defs[obj] = {"type": "object", "properties": props, "required": required,
                 "additionalProperties": obj == "object"}


doc = show(events[cls])
attrs = attributes(doc, lambda n: show(events[n]))
props = {k: schema_of(k, v) for k, v in attrs.items()}
uid = doc["uid"]
category = show("categories.json")["attributes"]
cat_uid = next(c["uid"] for k, c in category.items() if events[cls].split("/")[1] == k)
class_uid = cat_uid * 1000 + uid
props["class_uid"] = {"const": class_uid}
props["category_uid"] = {"const": cat_uid}
schema = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://schema.ocsf.io/{tag}/classes/{cls}",
    "title": f"OCSF {tag} {doc['caption']} ({class_uid}), profiles: {', '.join(profiles) or 'none'}",
    "type": "object",
    "properties": props,
    "required": sorted(k for k, v in attrs.items() if v.get("requirement") == "required"),
    "additionalProperties": False,
    "$defs": defs,
}
json.dump(schema, sys.stdout, indent=1, sort_keys=True)
