/**
 * Whether a module was started as a program (`node dist/src/demo/guest.js`), not loaded by the test runner
 * (which marks its children with NODE_TEST_CONTEXT) or imported: the guest entry must not start its work then.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const isProgramEntry = (moduleUrl: string): boolean =>
  process.env.NODE_TEST_CONTEXT === undefined && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
