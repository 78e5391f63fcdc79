/**
 * BandwidthNode on the wire: what wire.ts writes round-trips and validates against the CRD's own schema
 * (deploy/helm/pacer/crds/bandwidthnodes.pacer.dev.yaml, read here), and a malformed object is refused
 * with the place and a way out.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { NodeAllocations, NodeReport } from "./protocol.js";
import { allocationsOf, BANDWIDTH_NODE_API_VERSION, reportOf, specOf, statusOf, type BandwidthNodeObject } from "./wire.js";

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const CRD = parse(readFileSync(join(REPOSITORY, "deploy/helm/pacer/crds/bandwidthnodes.pacer.dev.yaml"), "utf8")) as {
  spec: { group: string; scope: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: Schema } }> };
};

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  maxItems?: number;
}

/** The structural checks the API server makes for this schema: types, required, enums, minimum, unknown fields. */
function validate(schema: Schema, value: unknown, path: string, problems: string[]): void {
  const type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : typeof value;
  if (schema.type && schema.type !== type) return void problems.push(`${path}: ${type}, schema says ${schema.type}`);
  if (schema.enum && !schema.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
  if (Array.isArray(value)) {
    if (schema.maxItems !== undefined && value.length > schema.maxItems) problems.push(`${path}: more than ${schema.maxItems} items`);
    value.forEach((item, index) => schema.items && validate(schema.items, item, `${path}[${index}]`, problems));
  } else if (type === "object" && schema.properties) {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) problems.push(`${path}.${name}: required`);
    for (const [name, field] of Object.entries(object)) {
      const fieldSchema = schema.properties[name];
      if (fieldSchema === undefined) problems.push(`${path}.${name}: not in the schema (the API server would prune it)`);
      else validate(fieldSchema, field, `${path}.${name}`, problems);
    }
  }
}

const report: NodeReport = {
  reportSeq: 12,
  resyncFromSeq: 12,
  budgets: new Map([
    ["shop/crawler/6f1c/Egress", { demandBitsPerSecond: 41_000_000.4, members: 3, heldBack: true, unbounded: true, appliedGeneration: 17 }],
    ["shop/crawler/6f1c/Ingress", { demandBitsPerSecond: 0, members: 0, heldBack: false, unbounded: false, appliedGeneration: 0, released: true }],
  ]),
};
const allocations: NodeAllocations = {
  seenReportSeq: 12,
  allocations: new Map([["shop/crawler/6f1c/Egress", { bitsPerSecond: 38_000_000, generation: 18, claimBitsPerSecond: 40_000_000, acknowledge: true, floorBitsPerSecond: 1_000_000 }]]),
};
const objectOf = (spec: unknown, status?: unknown): BandwidthNodeObject =>
  ({ apiVersion: BANDWIDTH_NODE_API_VERSION, kind: "BandwidthNode", metadata: { name: "node-17" }, spec, ...(status === undefined ? {} : { status }) }) as BandwidthNodeObject;

describe("BandwidthNode wire format", () => {
  it("the CRD is cluster-scoped pacer.dev/v1alpha1 BandwidthNode", () => {
    assert.equal(CRD.spec.group, "pacer.dev");
    assert.equal(CRD.spec.scope, "Cluster");
    assert.equal(CRD.spec.names.kind, "BandwidthNode");
    assert.deepEqual(CRD.spec.versions.map((version) => version.name), ["v1alpha1"]);
  });

  it("what wire.ts writes is valid under the CRD's schema", () => {
    const object = objectOf(specOf(report, new Date("2026-12-01T10:00:00.123Z")), statusOf(allocations));
    const problems: string[] = [];
    validate(CRD.spec.versions[0]!.schema.openAPIV3Schema, object, "", problems);
    assert.deepEqual(problems, []);
    assert.equal(object.spec?.reportedAt, "2026-12-01T10:00:00Z");
  });

  it("round-trips reports and allocations (demand in whole bits per second)", () => {
    const object = objectOf(specOf(report, new Date(0)), statusOf(allocations));
    const back = reportOf(object);
    assert.equal(back?.budgets.get("shop/crawler/6f1c/Egress")?.demandBitsPerSecond, 41_000_000);
    assert.deepEqual(back?.budgets.get("shop/crawler/6f1c/Ingress"), report.budgets.get("shop/crawler/6f1c/Ingress"));
    assert.equal(back?.budgets.get("shop/crawler/6f1c/Egress")?.released, undefined, "absent: not released (an older agent's report)");
    assert.equal(back?.reportSeq, 12);
    assert.deepEqual(allocationsOf(object), allocations);
  });

  it("reads an object without spec or status as no report and no allocations yet", () => {
    assert.equal(reportOf({ ...objectOf(undefined), spec: undefined }), null);
    assert.equal(allocationsOf(objectOf(specOf(report, new Date(0)))), null);
  });

  it("refuses a malformed entry, saying where and what to do", () => {
    const spec = specOf(report, new Date(0)) as unknown as { budgets: Array<Record<string, unknown>> };
    spec.budgets[1]!.members = -2;
    assert.throws(() => reportOf(objectOf(spec)), /BandwidthNode node-17: spec\.budgets\[1\]\.members is -2, not a whole number ≥ 0; delete the object/);
    spec.budgets[1]!.direction = "Sideways";
    assert.throws(() => reportOf(objectOf(spec)), /uid and direction \(Egress or Ingress\)/);
  });
});
