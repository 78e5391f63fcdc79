/**
 * Field selectors for the Kubernetes API-server TEST DOUBLE: parses `spec.nodeName=node-a,metadata.namespace!=x`
 * the way the real server does for Pods (`=`, `==`, `!=`, comma = AND) and matches Pod objects against it.
 * Only the fields the double needs are known; an unknown field is an error, as on the real server
 * ("field label not supported").
 */

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

export class FieldSelectorError extends Error {
  readonly code = "FIELD_SELECTOR_INVALID";
}

/** Paths the real API server supports for Pods that the double implements. */
const podFieldReaders: Record<string, (pod: PodLike) => string> = {
  "spec.nodeName": (pod) => pod.spec?.nodeName ?? "",
  "metadata.name": (pod) => pod.metadata?.name ?? "",
  "metadata.namespace": (pod) => pod.metadata?.namespace ?? "",
};

/** The shape of a Pod as JSON on the wire (only what the selector reads). */
export interface PodLike {
  metadata?: { name?: string; namespace?: string };
  spec?: { nodeName?: string };
}

export function parseFieldSelector(selector: string | null | undefined): FieldRequirement[] {
  if (selector === null || selector === undefined || selector.trim() === "") return [];
  return selector.split(",").map((term) => {
    const match = /^([^!=]+)(==|=|!=)(.*)$/.exec(term.trim());
    if (!match) throw new FieldSelectorError(`parse field selector: invalid term "${term}"`);
    const [, field = "", operator, value = ""] = match;
    if (!(field in podFieldReaders)) {
      throw new FieldSelectorError(`parse field selector: field label not supported: ${field}`);
    }
    return { field, operator: operator === "!=" ? "!=" : "=", value };
  });
}

export function matchesFieldSelector(pod: PodLike, requirements: FieldRequirement[]): boolean {
  return requirements.every((requirement) => {
    const read = podFieldReaders[requirement.field];
    const actual = read ? read(pod) : "";
    return requirement.operator === "=" ? actual === requirement.value : actual !== requirement.value;
  });
}
