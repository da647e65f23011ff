import { createHash } from "crypto";

const digest = (s: string) => createHash("sha256").update(s).digest("hex");
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${Buffer.from(body).toString("base64")}\n-----END ${label}-----\n`;

/** A password of the requested length that meets every composition rule we ask for. */
function mockPassword(name: string, length: number, special: boolean): string {
    const seed = digest(name);
    const base = special ? `Aa1-Bb2_${seed}` : `Aa1Bb2${seed}`;
    return base.repeat(Math.ceil(length / base.length)).slice(0, length);
}

/**
 * The state a provider would return for a resource: its inputs plus the outputs the
 * program reads (image ids, generated secrets, PEMs, exit codes). Deterministic.
 */
export function mockState(type: string, name: string, inputs: Record<string, any>, stepExitCode: number | null): Record<string, any> {
    switch (type) {
        case "docker:index/remoteImage:RemoteImage":
            return { ...inputs, imageId: `sha256:${digest(inputs.name)}`, repoDigest: `${inputs.name}@sha256:${digest(inputs.name)}` };
        case "docker:index/container:Container":
            return inputs.attach ? { ...inputs, exitCode: stepExitCode ?? undefined, containerLogs: inputs.logs ? `step ${name} output\n` : undefined } : inputs;
        case "random:index/randomPassword:RandomPassword":
            return { ...inputs, result: mockPassword(name, inputs.length, inputs.special !== false) };
        case "tls:index/privateKey:PrivateKey":
            return { ...inputs, privateKeyPem: pem("PRIVATE KEY", `mock key ${name}`), publicKeyPem: pem("PUBLIC KEY", `mock ${name}`) };
        case "tls:index/certRequest:CertRequest":
            return { ...inputs, certRequestPem: pem("CERTIFICATE REQUEST", `mock csr ${name}`) };
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert": {
            const start = new Date("2026-01-01T00:00:00Z");
            const end = new Date(start.getTime() + inputs.validityPeriodHours * 3600_000);
            return {
                ...inputs,
                certPem: pem("CERTIFICATE", `mock cert ${name}`),
                validityStartTime: start.toISOString(),
                validityEndTime: end.toISOString(),
                readyForRenewal: false,
            };
        }
        default:
            return inputs;
    }
}
