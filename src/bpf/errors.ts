/**
 * Errors of the BPF/netlink layer: a stable `code` the datapath maps to its own codes, the errno, and a
 * message that reads as a chain ("attach tc egress on eth0 in /var/run/netns/x: Operation not permitted").
 */
import { constants } from "node:os";

export type BpfErrorCode =
  /** The addon is not built. */
  | "NATIVE_MISSING"
  /** Namespace, interface, pin or tc object does not exist. */
  | "NOT_FOUND"
  /** The caller lacks a capability (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for setns/mount). */
  | "PERMISSION"
  /** The kernel does not support or refused it (verifier, unknown qdisc kind, missing helper). */
  | "KERNEL_REFUSED"
  /** Arguments that cannot be valid. */
  | "INVALID_ARGUMENT"
  /** Any other errno. */
  | "FAILED";

export class BpfError extends Error {
  constructor(
    readonly code: BpfErrorCode,
    message: string,
    readonly errno = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "BpfError";
  }

  static fromErrno(errno: number, message: string): BpfError {
    return new BpfError(codeOfErrno(errno), message, errno);
  }
}

export function codeOfErrno(errno: number): BpfErrorCode {
  const e = constants.errno;
  if (errno === e.ENOENT || errno === e.ENODEV || errno === e.ENXIO || errno === e.ESRCH) return "NOT_FOUND";
  if (errno === e.EPERM || errno === e.EACCES) return "PERMISSION";
  if (errno === e.EINVAL || errno === e.EOPNOTSUPP || errno === e.E2BIG || errno === e.ENOTSUP) {
    return "KERNEL_REFUSED";
  }
  return "FAILED";
}
