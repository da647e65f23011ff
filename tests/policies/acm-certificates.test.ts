import { strict as assert } from "assert";
import { acmCertificateDnsValidation } from "../../policies/rules/acm-certificates";
import { check, messages, resource } from "./helpers/run";

const acm = (props: Record<string, any>) => resource("aws:acm/certificate:Certificate", "proxy-cert", props, "prod");

describe("policy acm-certificate-dns-validation", () => {
    it("passes a requested certificate validated by DNS", async () => {
        assert.deepEqual(await check(acmCertificateDnsValidation, acm({ domainName: "llm.example.com", subjectAlternativeNames: ["*.llm.example.com"], validationMethod: "DNS" })), []);
    });

    it("fails a requested certificate validated by email, or without a method", async () => {
        const [v] = await check(acmCertificateDnsValidation, acm({ domainName: "llm.example.com", validationMethod: "EMAIL" }));
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /aws:acm\/certificate:Certificate "proxy-cert": validationMethod is EMAIL; required: DNS/);
        assert.match(messages(await check(acmCertificateDnsValidation, acm({ domainName: "llm.example.com" })))[0], /validationMethod is not set/);
    });

    it("leaves imported and private-CA certificates alone", async () => {
        const importedCert = acm({ certificateBody: "-----BEGIN CERTIFICATE-----...", privateKey: "..." });
        const privateCa = acm({ domainName: "llm.internal", certificateAuthorityArn: "arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/abc" });
        assert.deepEqual(await check(acmCertificateDnsValidation, [importedCert, privateCa]), []);
    });
});
