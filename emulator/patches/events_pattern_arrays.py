"""EventBridge patterns match fields inside arrays of objects, as in AWS.

AWS: "If the value in the event is an array, then the event pattern matches if the intersection of the event
pattern array and the event array is non-empty", and a pattern can name a field of the objects inside an array:
the Amazon EventBridge User Guide, "Creating event patterns" / "Matching on arrays", and the Amazon ECS Developer
Guide's task state change pattern `{"detail": {"containers": {"exitCode": [...]}}}`, where `containers` is an array
of objects. EventBridge flattens the array: the pattern's field matches if any element's field matches.

moto 5.2: EventPattern._flatten_dict only descends into objects, so `requestParameters.tagSet.items.key` of an EC2
CreateTags record (`items` is an array of {key, value}) is never found and such a rule never fires. EFS Guard's
tag-change rules filter on exactly those fields (events/patterns.ts, tagFilter). This patch flattens arrays of
objects into lists of the values under each path, which moto's filters already match element by element.
"""

from typing import Any

from moto.events.models import EventPattern


def _add(result: dict[str, Any], key: str, value: Any) -> None:
    values = value if isinstance(value, list) else [value]
    existing = result.get(key)
    if existing is None:
        result[key] = list(values)
    elif isinstance(existing, list):
        existing.extend(values)
    else:
        result[key] = [existing, *values]


def _flatten(node: Any, prefix: str = "", result: dict[str, Any] | None = None) -> dict[str, Any]:
    if result is None:
        result = {}
    if isinstance(node, dict):
        for k, v in node.items():
            key = f"{prefix}.{k}" if prefix else k
            if isinstance(v, dict) and v:
                _flatten(v, key, result)
            elif isinstance(v, list) and any(isinstance(e, dict) for e in v):
                for element in v:
                    if isinstance(element, dict):
                        for sub_key, sub_value in _flatten(element, key, {}).items():
                            _add(result, sub_key, sub_value)
                    else:
                        _add(result, key, element)
            elif key in result:
                _add(result, key, v)
            else:
                result[key] = v
    return result


def apply() -> None:
    EventPattern._flatten_dict = staticmethod(_flatten)
