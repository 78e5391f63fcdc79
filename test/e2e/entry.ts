/**
 * Whether a module under test/ was started as a program. `node --test dist/test` runs EVERY .js under a
 * `test` directory (Node 20's default pattern `**\/test/**\/*.js`), so the e2e programs must not start
 * their work when the test runner loads them: the runner marks its children with NODE_TEST_CONTEXT.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const isProgramEntry = (moduleUrl: string): boolean =>
  process.env.NODE_TEST_CONTEXT === undefined && process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(moduleUrl);
