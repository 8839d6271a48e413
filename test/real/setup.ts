// globalSetup of the `real` project: the one line that says why the tier is skipped, when it is.
import { SKIP_REASON } from '../support/real-llama.js';

export default function setup(): void {
  if (SKIP_REASON) console.log(SKIP_REASON);
}
