/**
 * The public surface of src/bpf: pacer's face of the native addon. Typed BPF handles, the EDT program and
 * its state codec, tc/qdisc/link operations in network namespaces, errors with stable codes.
 */
export { BpfError, codeOfErrno, type BpfErrorCode } from "./errors.js";
export {
  BpfObject,
  BpfMap,
  possibleCpus,
  testRunProgram,
  probeTcHelper,
  isBpffs,
  mountBpffs,
  unmount,
  BPF_FS_MAGIC,
  TC_ACT_OK,
  TC_ACT_UNSPEC,
  TC_ACT_SHOT,
  type TestRunInput,
  type TestRunResult,
} from "./bpf.js";
export * from "./edt-layout.js";
export { loadEdtInstance, kernelHasSetTstamp, pinnedMapPath, defaultEdtObjectPath } from "./edt-program.js";
export { openEdtMaps, rangeKeyOf, rangeTextOf, parseAddress, type EdtMaps, type PodMapEntry, type BudgetMapEntry } from "./edt-maps.js";
export type { EdtInstance, EdtInstanceOptions } from "./edt-program.js";
export { encodeFqOptions, decodeFqOptions, type FqOptions } from "./fq-options.js";
export * from "./netlink.js";
export { nativeBinding, defaultAddonPath, type NativeBinding } from "./native-binding.js";
