import { strict as assert } from "assert";
import { tlsPrivateKeyStrength } from "../../policies/rules/private-keys";
import { check, messages, resource } from "./helpers/run";

const key = (props: Record<string, any>) => resource("tls:index/privateKey:PrivateKey", "tls-server-key", props);

describe("policy tls-private-key-strength", () => {
    it("passes RSA 2048 and 3072, RSA without rsaBits (provider default 2048), ECDSA P256/P384, ED25519", async () => {
        const keys = [
            key({ algorithm: "RSA", rsaBits: 2048 }),
            key({ algorithm: "RSA", rsaBits: 3072 }),
            key({ algorithm: "RSA" }),
            key({ algorithm: "ECDSA", ecdsaCurve: "P256" }),
            key({ algorithm: "ECDSA", ecdsaCurve: "P384" }),
            key({ algorithm: "ED25519" }),
        ];
        assert.deepEqual(await check(tlsPrivateKeyStrength, keys), []);
    });

    it("fails RSA 1024 with the size found and required", async () => {
        const [v] = await check(tlsPrivateKeyStrength, key({ algorithm: "RSA", rsaBits: 1024 }));
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /PrivateKey "tls-server-key": RSA key of 1024 bits; required: at least 2048/);
    });

    it("fails ECDSA P224, and ECDSA without a curve (the provider picks P224)", async () => {
        assert.match(messages(await check(tlsPrivateKeyStrength, key({ algorithm: "ECDSA", ecdsaCurve: "P224" })))[0], /ECDSA curve P224; required: one of P256, P384, P521/);
        assert.match(messages(await check(tlsPrivateKeyStrength, key({ algorithm: "ECDSA" })))[0], /ECDSA curve P224 \(the provider's default\)/);
    });

    it("fails an unknown algorithm", async () => {
        assert.match(messages(await check(tlsPrivateKeyStrength, key({ algorithm: "DSA" })))[0], /algorithm is "DSA"; required: RSA, ECDSA or ED25519/);
    });

    it("uses a configured minimum RSA size", async () => {
        assert.equal((await check(tlsPrivateKeyStrength, key({ algorithm: "RSA", rsaBits: 2048 }), { minRsaBits: 3072 })).length, 1);
    });
});
