"""A retried callback task gets a new task token for each attempt.

AWS (Step Functions Developer Guide, "Wait for a Callback with Task Token" and "Handling errors in Step Functions
workflows", Retry): each attempt of a Task state is scheduled anew (a TaskScheduled event of its own) and the
context object's $$.Task.Token is the token of that attempt; once the attempt has failed (TaskFailed), its token
names no waiting task and SendTaskSuccess with it is refused (TaskDoesNotExist / InvalidToken, SendTaskSuccess
API reference). So a Lambda service error on a `.waitForTaskToken` task leaves TaskScheduled(token 1),
TaskFailed, TaskScheduled(token 2) in the history, and only token 2 answers the task.

moto 5.2.5: the token is generated once when the state is entered, before the retry loop, so every attempt
carries the same token and the failed attempt's token still answers. This patch issues a new token (and retires
the previous one) at each retry of a callback task.
"""

from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)


def apply() -> None:
    original = StateTaskServiceCallback._evaluate_with_timeout

    def _evaluate_with_timeout(self, env):
        context = env.states.context_object
        data = context.context_object_data
        task = data.get("Task")
        if task and data.get("State", {}).get("RetryCount", 0) > 0:
            pool = getattr(env.callback_pool_manager, "_pool", {})
            pool.pop(task.get("Token"), None)
            env.callback_pool_manager.add(context.update_task_token())
        return original(self, env)

    StateTaskServiceCallback._evaluate_with_timeout = _evaluate_with_timeout
