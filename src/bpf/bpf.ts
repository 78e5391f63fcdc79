/**
 * Typed BPF handles over the addon: a loaded object (programs, maps; rodata set before load), an owned map
 * fd, BPF_PROG_TEST_RUN, helper probes and bpffs checks. Each handle has one owner and an explicit close().
 */
import { BpfError } from "./errors.js";
import { nativeBinding, unwrap, type NativeObjectHandle, type NativeTestRunResult } from "./native-binding.js";

/** statfs f_type of a bpffs (include/uapi/linux/magic.h). */
export const BPF_FS_MAGIC = 0xcafe4a11;
export const BPF_PROG_TYPE_SCHED_CLS = 3;
/** bpf_skb_set_tstamp, v5.18 (include/uapi/linux/bpf.h, FN(skb_set_tstamp) = 192). */
export const BPF_FUNC_skb_set_tstamp = 192;
export const TC_ACT_OK = 0;
/** -1 as the u32 the test run reports: "continue with the next filter". */
export const TC_ACT_UNSPEC = 0xffffffff;
export const TC_ACT_SHOT = 2;

/** A BPF object file opened (and, after load(), accepted by the kernel). Maps pin under pinRoot. */
export class BpfObject {
  private handle: NativeObjectHandle | undefined;

  private constructor(
    handle: NativeObjectHandle,
    readonly path: string,
  ) {
    this.handle = handle;
  }

  static open(path: string, pinRoot: string): BpfObject {
    if (!path || !pinRoot) throw new BpfError("INVALID_ARGUMENT", "open BPF object: path and pin root are required");
    return new BpfObject(unwrap(nativeBinding().objectOpen(path, pinRoot)), path);
  }

  /** Sets a `const volatile` global of .rodata; only before load(). */
  setRodata(name: string, bytes: Buffer): this {
    unwrap(nativeBinding().objectSetRodata(this.live(), name, bytes), `open ${this.path}`);
    return this;
  }

  setRodataU32(name: string, value: number): this {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32LE(value);
    return this.setRodata(name, bytes);
  }

  setRodataU8(name: string, value: number): this {
    return this.setRodata(name, Buffer.from([value]));
  }

  load(): this {
    const result = nativeBinding().objectLoad(this.live());
    if (!result.ok) {
      // The verifier's refusal is a kernel refusal whatever errno the loader surfaced.
      const error = BpfError.fromErrno(result.errno, `${result.message.trim()}`);
      throw error.code === "FAILED" || error.code === "NOT_FOUND"
        ? new BpfError("KERNEL_REFUSED", error.message, error.errno)
        : error;
    }
    return this;
  }

  /** A program fd borrowed from this object (valid until close()). */
  programFd(name: string): number {
    return unwrap(nativeBinding().objectProgramFd(this.live(), name));
  }

  get closed(): boolean {
    return this.handle === undefined;
  }

  close(): void {
    if (this.handle === undefined) return;
    unwrap(nativeBinding().objectClose(this.handle));
    this.handle = undefined;
  }

  private live(): NativeObjectHandle {
    if (this.handle === undefined) throw new BpfError("INVALID_ARGUMENT", `BPF object ${this.path} is closed`);
    return this.handle;
  }
}

/** BPF_MAP_TYPE_PERCPU_HASH, _PERCPU_ARRAY, _LRU_PERCPU_HASH (include/uapi/linux/bpf.h). */
const PER_CPU_MAP_TYPES = new Set([5, 6, 10]);

let possibleCpuCount: number | undefined;

/** How many values a per-CPU map holds per key (every possible CPU, not only the online ones). */
export function possibleCpus(): number {
  possibleCpuCount ??= unwrap(nativeBinding().possibleCpus());
  return possibleCpuCount;
}

/** A map opened from a pin (bpf_obj_get); owns its fd. */
export class BpfMap {
  private constructor(
    private fd: number | undefined,
    readonly type: number,
    readonly keySize: number,
    /** One value's size; a per-CPU map's lookups and updates carry `valueBytes` (all CPUs). */
    readonly valueSize: number,
    readonly maxEntries: number,
    readonly id: number,
  ) {}

  static openPinned(path: string): BpfMap {
    const fd = unwrap(nativeBinding().objGet(path));
    try {
      const info = unwrap(nativeBinding().mapInfo(fd), `map ${path}`);
      return new BpfMap(fd, info.type, info.keySize, info.valueSize, info.maxEntries, info.id);
    } catch (error) {
      nativeBinding().closeFd(fd);
      throw error;
    }
  }

  get perCpu(): boolean {
    return PER_CPU_MAP_TYPES.has(this.type);
  }

  /** The bytes a lookup returns and an update takes: one value, or one per possible CPU (8-byte aligned). */
  get valueBytes(): number {
    return this.perCpu ? Math.ceil(this.valueSize / 8) * 8 * possibleCpus() : this.valueSize;
  }

  /** The value, or undefined when the key is absent. */
  lookup(key: Buffer): Buffer | undefined {
    const result = nativeBinding().mapLookup(this.live(), key, this.valueBytes);
    if (!result.ok && result.errno === 2) return undefined;
    return unwrap(result);
  }

  update(key: Buffer, value: Buffer, flags = 0): void {
    if (key.length !== this.keySize || value.length !== this.valueBytes) {
      throw new BpfError(
        "INVALID_ARGUMENT",
        `map update: key ${key.length}/${this.keySize} bytes, value ${value.length}/${this.valueBytes} bytes`,
      );
    }
    unwrap(nativeBinding().mapUpdate(this.live(), key, value, flags));
  }

  /** Removes `key`; an absent key is success. */
  delete(key: Buffer): void {
    const result = nativeBinding().mapDelete(this.live(), key);
    if (!result.ok && result.errno === 2) return;
    unwrap(result);
  }

  /** Every key (a hash or trie walk; the keys of an array map are all its indexes). */
  keys(): Buffer[] {
    const keys: Buffer[] = [];
    let key: Buffer | null = null;
    for (;;) {
      const next: Buffer | null = unwrap(nativeBinding().mapNextKey(this.live(), key, this.keySize));
      if (next === null) return keys;
      keys.push(next);
      key = next;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    unwrap(nativeBinding().closeFd(this.fd));
    this.fd = undefined;
  }

  private live(): number {
    if (this.fd === undefined) throw new BpfError("INVALID_ARGUMENT", "map is closed");
    return this.fd;
  }
}

export interface TestRunInput {
  /** An Ethernet frame. */
  data: Buffer;
  /** __sk_buff->tstamp going in (0 = none). */
  tstamp?: bigint;
  /** __sk_buff->wire_len going in (0 = the frame length); must be >= the frame length. */
  wireLen?: number;
  repeat?: number;
}

export type TestRunResult = NativeTestRunResult;

/** BPF_PROG_TEST_RUN on a tc program. */
export function testRunProgram(programFd: number, input: TestRunInput): TestRunResult {
  if (input.data.length < 14) throw new BpfError("INVALID_ARGUMENT", "test run: a frame is at least 14 bytes");
  const context: { tstamp?: bigint; wireLen?: number; repeat?: number } = {};
  if (input.tstamp !== undefined) context.tstamp = input.tstamp;
  if (input.wireLen !== undefined) context.wireLen = input.wireLen;
  if (input.repeat !== undefined) context.repeat = input.repeat;
  return unwrap(nativeBinding().progTestRun(programFd, input.data, context), "test run");
}

/** Whether tc programs may call `helperId` on this kernel (libbpf_probe_bpf_helper). */
export function probeTcHelper(helperId: number): boolean {
  return unwrap(nativeBinding().probeHelper(BPF_PROG_TYPE_SCHED_CLS, helperId), "probe");
}

export function isBpffs(path: string): boolean {
  const result = nativeBinding().statfsType(path);
  return result.ok && result.value >>> 0 === BPF_FS_MAGIC;
}

export function mountBpffs(path: string): void {
  unwrap(nativeBinding().mountBpffs(path));
}

export function unmount(path: string): void {
  unwrap(nativeBinding().unmount(path));
}
