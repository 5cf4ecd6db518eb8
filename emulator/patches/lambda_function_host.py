"""Lambda functions run EFS Guard's real handlers in the local function host.

AWS: Invoke runs the function's code; a Step Functions `lambda:invoke` task does the same and sees the
function's result or its error (FunctionError + {"errorType", "errorMessage"}).

moto 5.2: runs function code only in Docker, which the test machines do not have. This patch replaces
``LambdaFunction._invoke_lambda``: when the function's environment names a function host
(EFS_GUARD_FUNCTION_HOST, set by the test deployer when it creates the function in the emulator), the payload is
POSTed to ``<host>/invoke/<function name>`` and the host's answer is returned. The host runs the handler the
synthesized template says the function runs; its answer is {"payload": ..., "error": bool}. Functions without
that variable keep moto's behaviour.

Source: https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (FunctionError and the error payload) and
https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html (a lambda:invoke task).
"""

import json
import urllib.request

from moto.awslambda.models import LambdaFunction

HOST_ENV = "EFS_GUARD_FUNCTION_HOST"


def apply() -> None:
    original = LambdaFunction._invoke_lambda

    def _invoke_lambda(self, event=None):
        host = (self.environment_vars or {}).get(HOST_ENV)
        if not host:
            return original(self, event)
        body = event if isinstance(event, str) else json.dumps(event if event is not None else {})
        request = urllib.request.Request(
            f"{host.rstrip('/')}/invoke/{self.function_name}",
            data=body.encode("utf-8"),
            headers={"content-type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=int(self.timeout or 60) + 30) as response:
                answer = json.loads(response.read().decode("utf-8"))
        except Exception as error:  # the host is gone: report it as Lambda reports a crashed runtime
            payload = {"errorType": "Runtime.HostUnavailable", "errorMessage": f"function host {host}: {error}"}
            return json.dumps(payload), True, ""
        return json.dumps(answer.get("payload")), bool(answer.get("error")), answer.get("logs", "")

    LambdaFunction._invoke_lambda = _invoke_lambda
