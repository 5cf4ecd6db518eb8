import { BaseSequencer, type TestSpecification } from "vitest/node";

/** The file that checks what the other integration files recorded runs after them. */
export const RUN_LAST = "test/integration/recorded-permissions.test.ts";

export class RecordedPermissionsLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const last = (f: TestSpecification) => f.moduleId.endsWith(RUN_LAST);
    return [...sorted.filter((f) => !last(f)), ...sorted.filter(last)];
  }
}
