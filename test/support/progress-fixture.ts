// Run under a pseudo-terminal by the terminal tests: the CLI's own stream decisions, then one waiting step.
import { processIo } from "../../bin/cli.js";
import { styles, withProgress } from "../../bin/terminal.js";

const io = processIo;
const s = styles(io.styled ?? false);
await withProgress("waiting a moment", () => new Promise((r) => setTimeout(r, 1200)), {
  live: io.live,
  line: io.out,
  styles: s,
});
io.out(`${s.bold("bold")} done`);
