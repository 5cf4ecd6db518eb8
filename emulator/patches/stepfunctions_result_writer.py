"""A Distributed Map's ResultWriter writes the child executions' results to S3, as AWS documents them.

AWS ("ResultWriter (Map)", https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html):
with `"Resource": "arn:aws:states:::s3:putObject"` and `Parameters: {Bucket, Prefix}`, Step Functions writes, under
`Prefix/<map run id>/`, one file per status of the child executions (`SUCCEEDED_0.json`, `FAILED_0.json`,
`PENDING_0.json`; a JSON array, Transformation NONE by default: each entry the child's ExecutionArn, Name, Input and
InputDetails, Status, and its Output and OutputDetails when it succeeded or its Error and Cause when it failed), and
a `manifest.json` naming them (`{"DestinationBucket", "MapRunArn", "ResultFiles": {"FAILED": [{"Key", "Size"}],
"PENDING": [...], "SUCCEEDED": [...]}}`); the Map state's output is then `{"MapRunArn", "ResultWriterDetails":
{"Bucket", "Key"}}`, Key the manifest's.

moto 5.2.5: the ItemReader (S3 getObject, InputType JSON) works; the ResultWriter evaluates its Parameters' paths
("Prefix.$") against the children's results instead of the Map state's input, and writes the manifest only, with
every list empty (its own "TODO: generate result files"), dropping the results. This patch keeps each child's
input (after the ItemSelector) and, for a child whose execution failed, its error and cause, on the map run, and
writes the result files and a manifest naming them; the Parameters are evaluated against the state's input. What it leaves out: StartDate, StopDate and the redrive fields
(moto keeps no child executions), WriterConfig (Transformation, OutputType JSONL), and the split of a file at
AWS's 5 GB. A child that was stopped is a FAILED entry (States.Aborted).
"""

import json

from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.distributed_item_processor_worker import (
    DistributedItemProcessorWorker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (
    ResourceEvalS3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.result_writer_decl import ResultWriter
from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramStopped

INPUTS = "efs_guard_inputs"
ERRORS = "efs_guard_errors"


def _index(env) -> int:
    return env.states.context_object.context_object_data["Map"]["Item"]["Index"]


def _record(record, field: str) -> dict:
    return record.__dict__.setdefault(field, {})


def entries_of(map_run_arn: str, outputs: list, inputs: dict, errors: dict) -> dict:
    """The result files' entries per status, in item order (outputs are the children's, by item index)."""
    run_id = map_run_arn.split(":")[-1]
    files = {"SUCCEEDED": [], "FAILED": []}
    for index, output in enumerate(outputs):
        name = f"{run_id}_{index}"
        entry = {
            "ExecutionArn": f"{map_run_arn.replace(':mapRun:', ':execution:', 1)}:{name}",
            "Name": name,
            "Input": json.dumps(inputs.get(index)),
            "InputDetails": {"Included": True},
        }
        failure = errors.get(index)
        if failure is None:
            entry.update({"Status": "SUCCEEDED", "Output": json.dumps(output), "OutputDetails": {"Included": True}})
            files["SUCCEEDED"].append(entry)
        else:
            entry.update({"Status": "FAILED", "Error": failure.get("error"), "Cause": failure.get("cause")})
            files["FAILED"].append(entry)
    return files


def apply() -> None:
    original_input = DistributedItemProcessorWorker._eval_input
    original_job = DistributedItemProcessorWorker._eval_job

    def _eval_input(self, env_frame) -> None:
        original_input(self, env_frame=env_frame)
        # The child's input, as the ItemSelector made it (the entry's Input).
        _record(self._map_run_record, INPUTS)[_index(env_frame)] = env_frame.states.get_input()

    def _eval_job(self, env, job) -> None:
        original_job(self, env, job)
        state = env.program_state()
        errors = _record(self._map_run_record, ERRORS)
        if isinstance(state, ProgramError):
            errors[job.job_index] = dict(state.error or {"error": "States.TaskFailed"})
        elif isinstance(state, ProgramStopped):
            errors[job.job_index] = {"error": "States.Aborted", "cause": "the child execution was stopped"}

    def _handle_put_object(env, resource_runtime_part, state_credentials) -> None:
        parameters = env.stack.pop()
        outputs = env.stack.pop()
        s3 = ResourceEvalS3._get_s3_client(
            resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
        )
        record = env.map_run_record_pool_manager.get_all().pop()
        run_id = record.map_run_arn.split(":")[-1]
        bucket = parameters["Bucket"]
        prefix = parameters.get("Prefix", "")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        files = entries_of(record.map_run_arn, outputs or [], _record(record, INPUTS), _record(record, ERRORS))
        manifest = {"DestinationBucket": bucket, "MapRunArn": record.map_run_arn, "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": []}}
        for status, entries in files.items():
            if not entries:
                continue
            key = f"{prefix}{run_id}/{status}_0.json"
            body = json.dumps(entries).encode("utf8")
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            manifest["ResultFiles"][status].append({"Key": key, "Size": len(body)})
        key = f"{prefix}{run_id}/manifest.json"
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode("utf8"))
        env.stack.append({"MapRunArn": record.map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}})

    def _eval_body(self, env) -> None:
        # Parameters against the Map state's input (as in every other field of the state), not its results.
        results = env.stack.pop()
        env.stack.append(env.states.get_input())
        self.parargs.eval(env=env)
        parameters = env.stack.pop()
        env.stack.pop()
        env.stack.extend([results, parameters])
        self.resource_eval.eval_resource(env=env)

    ResultWriter._eval_body = _eval_body
    DistributedItemProcessorWorker._eval_input = _eval_input
    DistributedItemProcessorWorker._eval_job = _eval_job
    ResourceEvalS3._handle_put_object = staticmethod(_handle_put_object)
