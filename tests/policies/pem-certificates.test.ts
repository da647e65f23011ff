import { strict as assert } from "assert";
import { X509Certificate } from "crypto";
import { pemCertificateValidity } from "../../policies/rules/pem-certificates";
import { makeTestCertificates, TestCertificates } from "./helpers/certificates";
import { container, secret } from "./helpers/docker-fixtures";
import { CONFIG_MAP, NAMESPACE, SECRET } from "./helpers/kubernetes-fixtures";
import { check, messages, resource } from "./helpers/run";
import { requireTool } from "../helpers/tools";

const ACM = "aws:acm/certificate:Certificate";
const PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nbW9jaw==\n-----END PRIVATE KEY-----\n";

const imported = (body: string, chain?: string) =>
    resource(ACM, "proxy-imported", { certificateBody: body, privateKey: secret(PRIVATE_KEY), ...(chain ? { certificateChain: chain } : {}) }, "prod");

const tlsSecret = (crt: string | undefined, encoding: "data" | "stringData" = "data") =>
    resource(SECRET, "proxy-tls", {
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/tls",
        metadata: { name: "proxy-tls", namespace: NAMESPACE },
        [encoding]: {
            ...(crt === undefined ? {} : { "tls.crt": encoding === "data" ? Buffer.from(crt).toString("base64") : crt }),
            "tls.key": encoding === "data" ? Buffer.from(PRIVATE_KEY).toString("base64") : PRIVATE_KEY,
        },
    }, "prod");

describe("policy pem-certificate-validity", function () {
    let certs: TestCertificates;

    before(function () {
        certs = makeTestCertificates(requireTool(this, "openssl", "openssl"));
    });

    it("passes a certificate valid for 90 days in an ACM import, a TLS secret (data and stringData) and a container upload", async () => {
        const resources = [
            imported(certs.valid90Days),
            tlsSecret(certs.valid90Days),
            tlsSecret(certs.valid90Days, "stringData"),
            container("proxy", { uploads: secret([{ file: "/etc/nginx/tls/tls.crt", content: certs.valid90Days }]) }),
        ];
        assert.deepEqual(await check(pemCertificateValidity, resources), []);
    });

    it("fails an expired certificate with its expiry date", async () => {
        const [v] = await check(pemCertificateValidity, imported(certs.expired));
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /Certificate "proxy-imported": certificateBody: certificate "proxy.llm-platform.test" expired on \d{4}-\d\d-\d\dT[\d:.]+Z; required: valid for at least 30 more days/);
    });

    it("fails a certificate expiring in 10 days, saying how long it has left", async () => {
        assert.match(messages(await check(pemCertificateValidity, tlsSecret(certs.expiringIn10Days)))[0], /data\["tls.crt"\]: certificate "proxy.llm-platform.test" expires on .*, in (9|10)\.\d days; required: at least 30 days/);
    });

    it("fails a certificate that is not valid yet", async () => {
        assert.match(messages(await check(pemCertificateValidity, imported(certs.notYetValid)))[0], /is not valid yet: notBefore .* is in the future/);
    });

    it("checks every certificate of a chain and of an uploaded bundle", async () => {
        assert.equal((await check(pemCertificateValidity, imported(certs.valid90Days, certs.expired + certs.valid90Days))).length, 1);
        const bundle = container("proxy", { uploads: secret([{ file: "/etc/nginx/tls/tls.crt", content: certs.valid90Days + certs.expiringIn10Days }]) });
        assert.match(messages(await check(pemCertificateValidity, bundle))[0], /upload \/etc\/nginx\/tls\/tls.crt: .* in (9|10)\.\d days/);
    });

    it("checks ConfigMap data too", async () => {
        const cm = resource(CONFIG_MAP, "ca-bundle", { metadata: { name: "ca-bundle", namespace: NAMESPACE }, data: { "ca.crt": certs.expired } }, "prod");
        assert.equal((await check(pemCertificateValidity, cm)).length, 1);
    });

    it("checks ConfigMap binaryData: a PEM CA bundle or one DER certificate, and ConfigMapPatches", async () => {
        const binary = (binaryData: Record<string, Buffer>, type = CONFIG_MAP) =>
            resource(type, "ca-bundle", { metadata: { name: "ca-bundle", namespace: NAMESPACE }, binaryData: Object.fromEntries(Object.entries(binaryData).map(([k, v]) => [k, v.toString("base64")])) }, "prod");
        const der = (pem: string) => new X509Certificate(pem).raw;
        assert.deepEqual(await check(pemCertificateValidity, binary({ "ca.pem": Buffer.from(certs.valid90Days), "ca.der": der(certs.valid90Days), "logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47]) })), []);
        const found = messages(await check(pemCertificateValidity, binary({ "bundle.pem": Buffer.from(certs.valid90Days + certs.expired), "ca.der": der(certs.expired) })));
        assert.equal(found.length, 2, found.join("\n"));
        assert.match(found[0], /ConfigMap "ca-bundle": binaryData\["bundle.pem"\]: certificate "proxy.llm-platform.test" expired on/);
        assert.match(found[1], /ConfigMap "ca-bundle": binaryData\["ca.der"\] \(DER\): certificate "proxy.llm-platform.test" expired on/);
        assert.equal((await check(pemCertificateValidity, binary({ "ca.der": der(certs.expiringIn10Days) }, "kubernetes:core/v1:ConfigMapPatch"))).length, 1);
    });

    it("uses a configured minimum: 10 days left passes a 7-day minimum", async () => {
        assert.deepEqual(await check(pemCertificateValidity, tlsSecret(certs.expiringIn10Days), { minValidDays: 7 }), []);
    });

    it("fails a certificate-carrying resource whose PEM does not parse or is missing", async () => {
        const garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
        assert.match(messages(await check(pemCertificateValidity, imported(garbage)))[0], /certificateBody is not a parseable X.509 certificate/);
        assert.match(messages(await check(pemCertificateValidity, tlsSecret(undefined)))[0], /data\["tls.crt"\] holds no PEM certificate/);
    });

    it("leaves placeholders in pass-through files to the resources that issue them", async () => {
        const mock = container("sqlserver", { uploads: [{ file: "/var/opt/mssql/security/ca-certificates/ca.crt", content: "-----BEGIN CERTIFICATE-----\nbW9jaw==\n-----END CERTIFICATE-----\n" }] });
        assert.deepEqual(await check(pemCertificateValidity, mock), []);
    });
});
