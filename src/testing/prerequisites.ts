/**
 * Test prerequisites, one rule for every test: where something the test needs is missing (root, KVM, a
 * package, a kernel feature), the test is skipped with a message that says what to install — except under
 * CI=true, where a missing prerequisite is a failure (CI must prove everything, not skip it).
 *
 *   describe("tc attach", { skip: requirePrerequisites([rootMissing()]) }, () => { ... });
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Returns false (run the test) or the skip reason; throws under CI=true when anything is missing. */
export function requirePrerequisites(missing: Array<string | null>): string | false {
  const reasons = missing.filter((reason): reason is string => reason !== null);
  if (reasons.length === 0) return false;
  const message = `missing prerequisite: ${reasons.join("; ")}`;
  if (process.env.CI === "true") throw new Error(`${message} (CI=true: a missing prerequisite fails the run)`);
  return message;
}

export const rootMissing = (): string | null =>
  process.getuid?.() === 0 ? null : "root (run the tests as root: they create network namespaces)";

/** null when `command` is on PATH, else what to install. */
export function commandMissing(command: string, debianPackage: string): string | null {
  for (const directory of (process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(delimiter)) {
    try {
      accessSync(join(directory, command), constants.X_OK);
      return null;
    } catch {
      // not in this directory
    }
  }
  return `${command} (apt-get install ${debianPackage}, or run scripts/setup.sh)`;
}

/** null when the file exists, else `hint`. */
export function fileMissing(path: string, hint: string): string | null {
  try {
    accessSync(path, constants.R_OK);
    return null;
  } catch {
    return `${path} (${hint})`;
  }
}
