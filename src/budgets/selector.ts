/**
 * Kubernetes label selectors (metav1.LabelSelector: matchLabels and matchExpressions with In, NotIn,
 * Exists, DoesNotExist), validated and matched against a Pod's labels. Pure. An empty selector selects
 * every Pod of the namespace, as in Kubernetes.
 */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

const OPERATORS = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/** The problems of a selector as an operator reads them; [] when it is valid. */
export function selectorProblems(selector: unknown): string[] {
  if (selector === undefined || selector === null) return ["podSelector is required ({} selects every Pod of the namespace)"];
  if (typeof selector !== "object" || Array.isArray(selector)) return ["podSelector must be a mapping with matchLabels and/or matchExpressions"];
  const { matchLabels, matchExpressions, ...rest } = selector as Record<string, unknown>;
  const problems = Object.keys(rest).map((key) => `podSelector.${key} is not a selector field (matchLabels, matchExpressions)`);
  if (matchLabels !== undefined) {
    const entries = typeof matchLabels === "object" && matchLabels !== null && !Array.isArray(matchLabels) ? Object.entries(matchLabels) : null;
    if (entries === null || entries.some(([, value]) => typeof value !== "string")) problems.push("podSelector.matchLabels must map label keys to string values");
  }
  if (matchExpressions !== undefined) {
    if (!Array.isArray(matchExpressions)) problems.push("podSelector.matchExpressions must be a list");
    else {
      matchExpressions.forEach((expression: unknown, index) => {
        const where = `podSelector.matchExpressions[${index}]`;
        const { key, operator, values } = (expression ?? {}) as Record<string, unknown>;
        if (typeof key !== "string" || key === "") problems.push(`${where}.key is required`);
        if (typeof operator !== "string" || !OPERATORS.has(operator)) problems.push(`${where}.operator must be In, NotIn, Exists or DoesNotExist`);
        const needsValues = operator === "In" || operator === "NotIn";
        const valueList = Array.isArray(values) && values.every((value) => typeof value === "string") ? values : null;
        if (needsValues && (valueList === null || valueList.length === 0)) problems.push(`${where}.values must be a non-empty list for ${String(operator)}`);
        if (!needsValues && values !== undefined && (valueList === null || valueList.length > 0)) problems.push(`${where}.values must be empty for ${String(operator)}`);
      });
    }
  }
  return problems;
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, key);
    const value = labels[key];
    if (operator === "In" && !(present && values.includes(value ?? ""))) return false;
    if (operator === "NotIn" && present && values.includes(value ?? "")) return false;
    if (operator === "Exists" && !present) return false;
    if (operator === "DoesNotExist" && present) return false;
  }
  return true;
}

/** kubectl's text for a selector ("app=crawler,tier in (a,b)"), for status and `pacer budgets`. */
export function selectorText(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === "Exists") parts.push(key);
    else if (operator === "DoesNotExist") parts.push(`!${key}`);
    else parts.push(`${key} ${operator === "In" ? "in" : "notin"} (${values.join(",")})`);
  }
  return parts.length === 0 ? "(every Pod)" : parts.join(",");
}
