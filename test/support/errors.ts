/** The name of the error a promise rejects with (the AWS error code, for SDK calls), or "no error". */
export async function errorName(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as Error).name;
  }
  return "no error";
}
