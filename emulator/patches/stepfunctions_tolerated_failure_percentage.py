"""A Map state's ToleratedFailurePercentage may be a whole number, as AWS accepts it.

AWS: "ToleratedFailurePercentage: a percentage of items that can fail ... any number from 0 through 100" (an
integer such as 100 is valid, and is what the AWS CDK writes for `toleratedFailurePercentage: 100`).

moto 5.2 (LocalStack's ASL grammar): the parser's rule for ToleratedFailurePercentage matches only a NUMBER
token (a literal with a fraction or exponent, such as 100.0), while the lexer reads 100 as an INT, so
CreateStateMachine answers InvalidDefinition ("no viable alternative at input '"ToleratedFailurePercentage":100'").
This patch rewrites each whole-number ToleratedFailurePercentage of a JSON definition as the same value with a
fraction (100 -> 100.0) before the ASL parser reads it; the value and every other byte of meaning are unchanged.
A definition that is not JSON goes to the parser untouched (and fails as before).

Source: https://docs.aws.amazon.com/step-functions/latest/dg/maprun-fail-threshold.html (tolerated failure
threshold, ToleratedFailurePercentage) and
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html (Distributed Map fields).
"""

import json

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

FIELD = "ToleratedFailurePercentage"


def _as_number(value):
    if isinstance(value, dict):
        return {
            k: (float(v) if k == FIELD and isinstance(v, int) and not isinstance(v, bool) else _as_number(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_as_number(v) for v in value]
    return value


def normalize(definition: str) -> str:
    try:
        parsed = json.loads(definition)
    except (TypeError, ValueError):
        return definition
    return json.dumps(_as_number(parsed))


def apply() -> None:
    original = AmazonStateLanguageParser.parse

    def parse(definition):
        return original(normalize(definition) if FIELD in definition else definition)

    AmazonStateLanguageParser.parse = staticmethod(parse)
