/**
 * The control plane's certificates and keys, made with openssl for one test run: a CA (EC P-256), the API
 * server's serving certificate (SANs: the addresses it is reached at, and the names of the `kubernetes`
 * Service), an admin client certificate in group system:masters (what kubectl uses), and the RSA key that
 * signs ServiceAccount tokens (RS256). Nothing leaves the directory; the caller removes it.
 */
import { execFile } from "node:child_process";
import { chmod, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ControlPlanePki {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

/** `subjectAltName` for the serving certificate (pure): each IP, plus localhost and the Service's names. */
export function servingAltNames(ips: readonly string[]): string {
  const names = ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"];
  return [...new Set(ips)].map((ip) => `IP:${ip}`).concat(names.map((name) => `DNS:${name}`)).join(",");
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`openssl ${args.slice(0, 2).join(" ")}: ${(stderr ?? (error as Error).message).trim()} (apt-get install openssl)`, { cause: error });
  }
}

async function leaf(dir: string, name: string, subject: string, extensions: string[]): Promise<void> {
  const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(["req", ...ecKey, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
  await writeFile(join(dir, `${name}.ext`), `${extensions.join("\n")}\n`);
  await openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`], dir);
  await rm(join(dir, `${name}.csr`));
  await rm(join(dir, `${name}.ext`));
}

/** Makes the PKI in `dir` (which must exist) for a server reached at `serverIps`. */
export async function makeControlPlanePki(dir: string, serverIps: readonly string[]): Promise<ControlPlanePki> {
  await openssl([
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=pacer-lab-cluster-ca",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
  ], dir);
  await leaf(dir, "apiserver", "/CN=kube-apiserver", [
    `subjectAltName=${servingAltNames(serverIps)}`, "extendedKeyUsage=serverAuth", "keyUsage=critical,digitalSignature",
  ]);
  await leaf(dir, "admin", "/O=system:masters/CN=pacer-lab-admin", ["extendedKeyUsage=clientAuth", "keyUsage=critical,digitalSignature"]);
  await openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key"], dir);
  await openssl(["pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub"], dir);
  for (const key of ["ca.key", "apiserver.key", "admin.key", "sa.key"]) await chmod(join(dir, key), 0o600);
  const at = (file: string) => join(dir, file);
  return {
    dir, caCert: at("ca.crt"), caKey: at("ca.key"), serverCert: at("apiserver.crt"), serverKey: at("apiserver.key"),
    adminCert: at("admin.crt"), adminKey: at("admin.key"), serviceAccountKey: at("sa.key"), serviceAccountPublicKey: at("sa.pub"),
  };
}
