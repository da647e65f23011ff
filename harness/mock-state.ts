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
        case "kubernetes:batch/v1:Job": {
            // What the Job reports once its pod exited: complete, or failed after every retry.
            // null: no outcome at all, as a Job saved after its create timed out.
            const status =
                stepExitCode === null
                    ? {}
                    : stepExitCode === 0
                      ? { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] }
                      : { failed: (inputs.spec?.backoffLimit ?? 6) + 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] };
            return { ...inputs, status };
        }
        default:
            return inputs;
    }
}

/** What a provider function returns under mocks: the cluster an EKS lookup finds. */
export function mockCall(token: string, inputs: Record<string, any>): Record<string, any> {
    switch (token) {
        case "aws:eks/getCluster:getCluster":
            return {
                ...inputs,
                arn: `arn:aws:eks:eu-west-1:123456789012:cluster/${inputs.name}`,
                endpoint: `https://${digest(inputs.name).slice(0, 32).toUpperCase()}.gr7.eu-west-1.eks.amazonaws.com`,
                certificateAuthorities: [{ data: Buffer.from(pem("CERTIFICATE", `mock cluster CA ${inputs.name}`)).toString("base64") }],
            };
        default:
            return inputs;
    }
}
