/** The control plane's PKI: the serving certificate's names, and a chain openssl verifies (real openssl). */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commandMissing, requirePrerequisites } from "../../src/testing/prerequisites.js";
import { makeControlPlanePki, servingAltNames } from "./pki.js";

describe("control plane PKI", () => {
  it("names each address once, localhost and the kubernetes Service's names", () => {
    assert.equal(servingAltNames(["198.19.0.1", "127.0.0.1", "127.0.0.1"]),
      "IP:198.19.0.1,IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local");
  });

  it("makes a CA whose serving and admin certificates verify, the admin in system:masters", { skip: requirePrerequisites([commandMissing("openssl", "openssl")]) }, async () => {
    const dir = await mkdtemp(join(tmpdir(), `pk-${process.pid}-pki-`));
    try {
      const pki = await makeControlPlanePki(dir, ["127.0.0.1"]);
      for (const cert of [pki.serverCert, pki.adminCert]) assert.match(execFileSync("openssl", ["verify", "-CAfile", pki.caCert, cert], { encoding: "utf8" }), /: OK/);
      assert.match(execFileSync("openssl", ["x509", "-in", pki.adminCert, "-noout", "-subject"], { encoding: "utf8" }), /O ?= ?system:masters/);
      assert.match(execFileSync("openssl", ["x509", "-in", pki.serverCert, "-noout", "-ext", "subjectAltName"], { encoding: "utf8" }), /IP Address:127\.0\.0\.1/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
