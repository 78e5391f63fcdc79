/**
 * The BandwidthBudget CRD (deploy/helm/pacer/crds/bandwidthbudgets.pacer.dev.yaml) and the agent's parser
 * (budget.ts, selector.ts) agree: the schema has exactly the fields the parser reads, its enums are the
 * values the parser accepts (and names in its messages), its defaults are the parser's, and the rates are
 * int-or-string so a bad Quantity reaches the agent, whose message then goes to the Accepted condition.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { parseBudget } from "./budget.js";

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  enum?: string[];
  default?: unknown;
  additionalProperties?: Schema;
  "x-kubernetes-int-or-string"?: boolean;
  description?: string;
}

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const crd = parse(readFileSync(join(REPOSITORY, "deploy/helm/pacer/crds/bandwidthbudgets.pacer.dev.yaml"), "utf8")) as {
  spec: { group: string; scope: string; names: { kind: string; plural: string; shortNames: string[] }; versions: Array<{ name: string; subresources?: { status?: object }; schema: { openAPIV3Schema: Schema } }> };
};
const version = crd.spec.versions[0];
const spec = version?.schema.openAPIV3Schema.properties?.spec as Schema;
const selector = spec.properties?.podSelector as Schema;
const expression = selector.properties?.matchExpressions?.items as Schema;
const field = (name: string): Schema => spec.properties?.[name] as Schema;

/** Every property name read from `target`, recorded through a Proxy. */
function recording<T extends object>(target: T, reads: Set<string>): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      if (typeof property === "string") reads.add(property);
      return Reflect.get(object, property, receiver);
    },
  });
}

const budget = (fields: Record<string, unknown>) => ({ metadata: { namespace: "shop", name: "b", uid: "u", generation: 1 }, spec: fields });
const podSelector = { matchLabels: { app: "crawler" } };
/** The values a parser message lists: `must be A, B or C`. */
const listed = (message: string | undefined): string[] => (/must be (.+?)(?: \(|$)/.exec(message ?? "")?.[1] ?? "").split(/, | or /);

describe("BandwidthBudget CRD and the agent's parser", () => {
  it("is pacer.dev/v1alpha1 BandwidthBudget, namespaced, short name bwb, with a status subresource", () => {
    assert.equal(crd.spec.group, "pacer.dev");
    assert.equal(crd.spec.scope, "Namespaced");
    assert.deepEqual([crd.spec.names.kind, crd.spec.names.plural, crd.spec.names.shortNames], ["BandwidthBudget", "bandwidthbudgets", ["bwb"]]);
    assert.equal(version?.name, "v1alpha1");
    assert.deepEqual(version?.subresources?.status, {});
  });

  it("the spec's properties are exactly the fields the parser reads, the selector's too", () => {
    const specReads = new Set<string>();
    const selectorReads = new Set<string>();
    const expressionReads = new Set<string>();
    const expressions = [recording({ key: "tier", operator: "In", values: ["a"] }, expressionReads)];
    const object = budget({});
    object.spec = recording({
      podSelector: recording({ matchLabels: { app: "crawler" }, matchExpressions: expressions }, selectorReads),
      egress: "100M", ingress: 50_000_000, scope: "All", mode: "ClusterWide", minPerNode: "1M",
    }, specReads);
    assert.deepEqual(parseBudget(object).problems, []);
    assert.deepEqual([...specReads].sort(), Object.keys(spec.properties ?? {}).sort());
    assert.deepEqual([...selectorReads].filter((name) => name !== "constructor").sort(), Object.keys(selector.properties ?? {}).sort());
    assert.deepEqual([...expressionReads].sort(), Object.keys(expression.properties ?? {}).sort());
    assert.deepEqual(spec.required, ["podSelector"]);
    assert.match(parseBudget(budget({ egress: "1M" })).problems.join(), /podSelector is required/);
  });

  it("the enums are the values the parser accepts and names when it refuses one", () => {
    const cases: Array<[string, string[] | undefined, (value: string) => Record<string, unknown>]> = [
      ["scope", field("scope").enum, (value) => ({ podSelector, egress: "1M", scope: value })],
      ["mode", field("mode").enum, (value) => ({ podSelector, egress: "1M", mode: value })],
      ["operator", expression.properties?.operator?.enum, (value) => ({ podSelector: { matchExpressions: [{ key: "k", operator: value, ...(value.endsWith("In") ? { values: ["v"] } : {}) }] }, egress: "1M" })],
    ];
    for (const [name, values, specWith] of cases) {
      assert.ok(values && values.length > 0, `${name} has an enum`);
      for (const value of values) assert.deepEqual(parseBudget(budget(specWith(value))).problems, [], `${name} ${value}`);
      const refused = parseBudget(budget(specWith("Sometimes"))).problems;
      assert.equal(refused.length, 1, `${name} Sometimes: ${refused.join("; ")}`);
      assert.deepEqual(listed(refused[0]).sort(), [...values].sort(), `${name}: the message lists the enum`);
    }
  });

  it("the defaults are the parser's: a budget without scope or mode parses as with the CRD's defaults", () => {
    assert.deepEqual([field("scope").default, field("mode").default], ["OutsideCluster", "PerNode"]);
    const bare = parseBudget(budget({ podSelector, egress: "1M" })).budget;
    const defaulted = parseBudget(budget({ podSelector, egress: "1M", scope: field("scope").default, mode: field("mode").default })).budget;
    assert.deepEqual(defaulted, bare);
  });

  it("rates are int-or-string, both parse, and a bad Quantity is the parser's to report", () => {
    for (const name of ["egress", "ingress", "minPerNode"]) {
      assert.deepEqual(field(name), { "x-kubernetes-int-or-string": true, description: field(name).description }, `${name}: no type, no pattern`);
    }
    assert.deepEqual(parseBudget(budget({ podSelector, egress: 10_000_000 })).budget?.rates, { egress: 10_000_000, ingress: null });
    assert.deepEqual(parseBudget(budget({ podSelector, ingress: "10M" })).budget?.rates, { egress: null, ingress: 10_000_000 });
    assert.match(parseBudget(budget({ podSelector, egress: "10Q" })).problems.join(), /^spec\.egress "10Q" is invalid: /);
  });
});
