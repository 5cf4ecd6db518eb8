"""SendTaskFailure keeps its cause.

AWS: SendTaskFailure(taskToken, error, cause) fails the waiting task with both; a Catch's ResultPath receives
{"Error": error, "Cause": cause}. EFS Guard's `reject` puts who rejected and why in the cause, and the rejection
notice reports it.

moto 5.2: the response handler reads taskToken and error and drops cause. This patch passes it on.

Source: https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html.
"""

from moto.core.responses import EmptyResult
from moto.stepfunctions.responses import StepFunctionResponse


def apply() -> None:
    def send_task_failure(self):
        task_token = self._get_param("taskToken")
        error = self._get_param("error")
        cause = self._get_param("cause")
        try:
            self.stepfunction_backend.send_task_failure(task_token, error=error, cause=cause)
        except TypeError:  # the non-executing backend has no cause parameter (and nothing waits on the token)
            self.stepfunction_backend.send_task_failure(task_token, error=error)
        return EmptyResult()

    StepFunctionResponse.send_task_failure = send_task_failure
