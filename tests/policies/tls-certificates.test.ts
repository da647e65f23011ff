import { strict as assert } from "assert";
import { pemCertificateValidity } from "../../policies/rules/pem-certificates";
import { runPolicies } from "../../policies/rules/support/evaluate";
import { tlsCertificateValidity, tlsLeafCertificateUsage } from "../../policies/rules/tls-certificates";
import { secret } from "./helpers/docker-fixtures";
import { check, messages, resource } from "./helpers/run";

const SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert";
const LOCALLY_SIGNED = "tls:index/locallySignedCert:LocallySignedCert";

const ca = (overrides: Record<string, any> = {}) =>
    resource(SELF_SIGNED, "tls-ca", {
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        earlyRenewalHours: 720,
        isCaCertificate: true,
        privateKeyPem: secret("-----BEGIN PRIVATE KEY-----\nbW9jaw==\n-----END PRIVATE KEY-----\n"),
        subject: { commonName: "llm-platform dev internal CA", organization: "llm-platform dev" },
        validityPeriodHours: 87600,
        ...overrides,
    });

const leaf = (overrides: Record<string, any> = {}) =>
    resource(LOCALLY_SIGNED, "tls-server", {
        allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        caCertPem: "-----BEGIN CERTIFICATE-----\nbW9jaw==\n-----END CERTIFICATE-----\n",
        certRequestPem: "-----BEGIN CERTIFICATE REQUEST-----\nbW9jaw==\n-----END CERTIFICATE REQUEST-----\n",
        earlyRenewalHours: 720,
        validityPeriodHours: 2160,
        ...overrides,
    });

describe("policy tls-certificate-validity", () => {
    it("passes the dev CA (10 years, renews 30 days early) and leaf (90 days, renews 30 days early)", async () => {
        assert.deepEqual(await check(tlsCertificateValidity, [ca(), leaf()]), []);
    });

    it("fails a validity under 31 days", async () => {
        const [v] = await check(tlsCertificateValidity, leaf({ validityPeriodHours: 720, earlyRenewalHours: 720 }));
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /LocallySignedCert "tls-server": validityPeriodHours is 720; required: at least 744 \(31 days\)/);
    });

    it("fails a certificate that is never renewed early (earlyRenewalHours missing or 0)", async () => {
        assert.match(messages(await check(tlsCertificateValidity, leaf({ earlyRenewalHours: undefined })))[0], /earlyRenewalHours is 0 \(never renewed before expiry\); required: at least 720 \(30 days\)/);
        assert.equal((await check(tlsCertificateValidity, ca({ earlyRenewalHours: 0 }))).length, 1);
        assert.match(messages(await check(tlsCertificateValidity, leaf({ earlyRenewalHours: 0 }), { minEarlyRenewalDays: 0 }))[0], /required: at least 1 \(0 days\)/);
    });

    it("fails a renewal window under the minimum, and one as long as the validity", async () => {
        assert.match(messages(await check(tlsCertificateValidity, leaf({ earlyRenewalHours: 168 })))[0], /earlyRenewalHours is 168; required: at least 720/);
        assert.match(messages(await check(tlsCertificateValidity, leaf({ earlyRenewalHours: 2160 })))[0], /earlyRenewalHours 2160 is not shorter than validityPeriodHours 2160/);
    });

    it("uses configured minimums", async () => {
        assert.equal((await check(tlsCertificateValidity, leaf(), { minValidityDays: 180 })).length, 1);
        assert.equal((await check(tlsCertificateValidity, leaf(), { minEarlyRenewalDays: 45, minValidityDays: 60 })).length, 1);
    });
});

describe("policy tls-leaf-certificate-usage", () => {
    it("passes a leaf for server_auth and a CA without it", async () => {
        assert.deepEqual(await check(tlsLeafCertificateUsage, [ca(), leaf()]), []);
    });

    it("fails a leaf certificate without server_auth", async () => {
        const [v] = await check(tlsLeafCertificateUsage, leaf({ allowedUses: ["digital_signature", "client_auth"] }));
        assert.match(v.message, /LocallySignedCert "tls-server": allowedUses is \["digital_signature","client_auth"\]; required for a leaf certificate: "server_auth"/);
    });

    it("treats a self-signed certificate that is not a CA as a leaf", async () => {
        assert.equal((await check(tlsLeafCertificateUsage, ca({ isCaCertificate: false }))).length, 1);
    });
});

describe("thresholds that must agree across rules", () => {
    it("refuses a renewal window shorter than the days a PEM must have left, or not shorter than the minimum validity", async () => {
        const both = [tlsCertificateValidity, pemCertificateValidity];
        await assert.rejects(runPolicies(both, [], { "tls-certificate-validity": { minEarlyRenewalDays: 7 } }), /tls-certificate-validity.minEarlyRenewalDays \(7\) must be at least pem-certificate-validity.minValidDays \(30\)/);
        await assert.rejects(runPolicies(both, [], { "pem-certificate-validity": { minValidDays: 45 } }), /must be at least pem-certificate-validity.minValidDays \(45\)/);
        await assert.rejects(runPolicies(both, [], { "tls-certificate-validity": { minValidityDays: 30 } }), /tls-certificate-validity.minValidityDays \(30\) must be greater than tls-certificate-validity.minEarlyRenewalDays \(30\)/);
        assert.deepEqual(await runPolicies(both, [], { "tls-certificate-validity": { minEarlyRenewalDays: 45, minValidityDays: 46 }, "pem-certificate-validity": { minValidDays: 45 } }), []);
    });
});
