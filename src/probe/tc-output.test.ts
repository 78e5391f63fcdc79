/**
 * What tc's output means. The stderr samples are verbatim from iproute2 6.1 (libbpf 1.1): the verifier refusal
 * was captured on this machine's 6.18 kernel by loading a program that writes the read-only skb->len; the
 * trivial-program failure is libbpf 1.1's message (bpf_object__probe_loading) as printed for ENOSYS.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CommandOutcome } from "./command.js";
import { classifyBpfLoad, classifyTcCommand } from "./tc-output.js";

const exited = (code: number, stderr: string): CommandOutcome => ({ code, stdout: "", stderr, failure: null });

const VERIFIER_REFUSAL = `libbpf: prog 'pp_probe': BPF program load failed: Permission denied
libbpf: prog 'pp_probe': -- BEGIN PROG LOAD LOG --
0: R1=ctx() R10=fp0
0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
1: (07) r2 += 1                       ; R2=scalar(smin=umin=1,smax=umax=0x100000000,var_off=(0x0; 0x1ffffffff))
2: (63) *(u32 *)(r1 +0) = r2
invalid bpf_context access off=0 size=4
processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
-- END PROG LOAD LOG --
libbpf: prog 'pp_probe': failed to load: -13
libbpf: failed to load object 't3.o'
Unable to load program
`;

const NO_BPF_SYSCALL = `libbpf: Error in bpf_object__probe_loading():Function not implemented(38). Couldn't load trivial BPF program. Make sure your kernel supports BPF (CONFIG_BPF_SYSCALL=y) and/or that RLIMIT_MEMLOCK is set to big enough value.
libbpf: failed to load object '/tmp/pp-probe-x/probe.bpf.o'
Unable to load program
`;

describe("tc BPF load output", () => {
  it("success: bpf() works and the verifier accepted the skb->tstamp write", () => {
    const { bpfSyscall, tcTstamp } = classifyBpfLoad(exited(0, ""));
    assert.equal(bpfSyscall.state, "present");
    assert.equal(tcTstamp.state, "present");
  });

  it("a verifier refusal: bpf() works, the program does not, in the verifier's words", () => {
    const { bpfSyscall, tcTstamp } = classifyBpfLoad(exited(1, VERIFIER_REFUSAL));
    assert.equal(bpfSyscall.state, "present");
    assert.deepEqual(tcTstamp, { state: "absent", note: "verifier: invalid bpf_context access off=0 size=4" });
  });

  it("no trivial program loads: bpf() is missing and the tstamp question cannot be asked", () => {
    const { bpfSyscall, tcTstamp } = classifyBpfLoad(exited(1, NO_BPF_SYSCALL));
    assert.equal(bpfSyscall.state, "absent");
    assert.match(bpfSyscall.note, /Function not implemented\(38\)/);
    assert.equal(tcTstamp.state, "unprobed");
  });

  it("an unrecognised failure is 'could not probe', not 'missing'", () => {
    const { bpfSyscall } = classifyBpfLoad(exited(1, "Cannot initialize ELF context!\nUnable to load program\n"));
    assert.deepEqual(bpfSyscall, { state: "unprobed", note: "tc: Unable to load program" });
  });
});

describe("tc qdisc/filter output", () => {
  it("reads the kernel's refusal without tc's decoration", () => {
    assert.deepEqual(classifyTcCommand(exited(2, "Error: Specified qdisc kind is unknown.\n"), "made fq"), {
      state: "absent",
      note: "tc: Specified qdisc kind is unknown",
    });
  });

  it("permission problems and missing tools are 'could not probe'", () => {
    assert.equal(classifyTcCommand(exited(2, "RTNETLINK answers: Operation not permitted\n"), "x").state, "unprobed");
    const missingTool: CommandOutcome = { code: null, stdout: "", stderr: "", failure: "tc not found (install it)" };
    assert.deepEqual(classifyTcCommand(missingTool, "x"), { state: "unprobed", note: "tc not found (install it)" });
    assert.deepEqual(classifyTcCommand(exited(0, ""), "made fq"), { state: "present", note: "made fq" });
  });
});
