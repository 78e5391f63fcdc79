/**
 * Pure: what tc's exit code and stderr say about the kernel. One `tc filter add ... bpf da obj` answers two
 * questions, because tc's libbpf (iproute2 >= 5.x built with libbpf) first loads a trivial program
 * (bpf_object__probe_loading) and only then the probe program:
 *   - "Couldn't load trivial BPF program" / ENOSYS → the bpf() syscall does not work;
 *   - "BPF program load failed" + a verifier log    → bpf() works, the verifier refused the program.
 */
import { lastLine, type CommandOutcome } from "./command.js";
import type { Observation } from "./requirements.js";

const PERMISSION = /Operation not permitted|Permission denied \(you must be root\)|must be root/i;

/** A plain tc command (qdisc add, classic-BPF filter add): the kernel either did it or said why not. */
export function classifyTcCommand(outcome: CommandOutcome, didWhat: string): Observation {
  if (outcome.failure !== null) return { state: "unprobed", note: outcome.failure };
  if (outcome.code === 0) return { state: "present", note: didWhat };
  const said = lastLine(outcome.stderr).replace(/^Error:\s*/, "").replace(/\.$/, "");
  if (PERMISSION.test(outcome.stderr)) return { state: "unprobed", note: `tc: ${said} (run as root)` };
  return { state: "absent", note: `tc: ${said}` };
}

/** The verifier's own words: the line just before "processed N insns", else the last libbpf line. */
function verifierComplaint(stderr: string): string {
  const lines = stderr.split("\n").map((line) => line.trim());
  const processed = lines.findIndex((line) => line.startsWith("processed "));
  const before = processed > 0 ? lines[processed - 1] : undefined;
  return before !== undefined && before.length > 0 ? `verifier: ${before}` : lastLine(stderr);
}

/** `tc filter add ... bpf da obj <probe object> sec tc` → the bpf() syscall and the skb->tstamp write. */
export function classifyBpfLoad(outcome: CommandOutcome): { bpfSyscall: Observation; tcTstamp: Observation } {
  if (outcome.failure !== null) {
    const unprobed: Observation = { state: "unprobed", note: outcome.failure };
    return { bpfSyscall: unprobed, tcTstamp: unprobed };
  }
  if (outcome.code === 0) {
    return {
      bpfSyscall: { state: "present", note: "tc (libbpf) loaded a trivial program and the probe program" },
      tcTstamp: { state: "present", note: "the verifier accepted `skb->tstamp = skb->tstamp + 1` at tc egress" },
    };
  }
  const { stderr } = outcome;
  if (/Couldn't load trivial BPF program|Function not implemented/.test(stderr)) {
    return {
      bpfSyscall: { state: "absent", note: `tc: ${lastLine(stderr.split("Couldn't load")[0] ?? stderr)}` },
      tcTstamp: { state: "unprobed", note: "needs a working bpf() syscall" },
    };
  }
  if (/BPF program load failed/.test(stderr)) {
    return {
      bpfSyscall: { state: "present", note: "tc (libbpf) loaded a trivial program" },
      tcTstamp: { state: "absent", note: verifierComplaint(stderr) },
    };
  }
  const unprobed: Observation = { state: "unprobed", note: `tc: ${lastLine(stderr)}` };
  return { bpfSyscall: unprobed, tcTstamp: unprobed };
}
