/**
 * Where inside-the-cluster ranges come from besides configuration: a source names its ranges (a RangeBook
 * source such as "node podCIDRs") and replaces them whenever they change; [] withdraws them. start()
 * resolves once the source has said what it knows, or could not ask (callers bound the wait).
 */
export interface RangeSource {
  start(update: (source: string, prefixes: readonly string[]) => void): Promise<void>;
  stop(): Promise<void>;
}
