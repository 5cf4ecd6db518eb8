/** One efs-guard command. Exit codes: 0 ok / compliant, 1 non-compliant findings or a failed check, 2 error. */
export interface Command {
  name: string;
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}
