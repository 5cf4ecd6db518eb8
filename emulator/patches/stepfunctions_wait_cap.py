"""Step Functions Wait states are capped in the emulator so polling loops run in test time.

AWS: a Wait state waits the seconds it names (the migration's Wait states poll its backup and restore jobs every
120 s: POLL in infra/constructs/migration.ts). moto waits for real as well, which would make every test that
exercises a polling loop last minutes. (The 15 s between not-ready retries of a new file system or mount target
is a Retry interval, not a Wait state: this patch does not touch it.)

This patch caps each Wait at EFS_GUARD_WAIT_CAP_SECONDS (read from the emulator's environment at each wait;
unset means no cap). The loop still runs state by state, through the same Choice and counter logic; only the
wall-clock time shrinks. The real Seconds of each Wait are asserted on the synthesized template by the infra tests.

Source: https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html (a Wait state waits the Seconds it
names).
"""

import os

from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction


def apply() -> None:
    original = WaitFunction._wait_interval

    def _wait_interval(self, env, wait_seconds):
        cap = os.environ.get("EFS_GUARD_WAIT_CAP_SECONDS")
        if cap:
            wait_seconds = min(wait_seconds, int(cap))
        return original(self, env, wait_seconds)

    WaitFunction._wait_interval = _wait_interval
