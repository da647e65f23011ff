import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { ServerTls } from "../platform/types";

export interface CertificatesArgs {
    /** Subject organization, e.g. `llm-platform dev`. */
    readonly organization: string;
    /** Every name clients use to reach the server: service names, localhost, public names. */
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly string[];
    readonly validityDays: number;
    readonly renewBeforeDays: number;
    readonly caValidityDays: number;
}

const HOURS_PER_DAY = 24;

// Part of the platforms' contract (what a ServiceSpec carries): defined there.
export type { ServerTls };

/**
 * The stack's internal CA and the proxy's server certificate, signed by it. Validity
 * and early renewal come from config: once a certificate is within `renewBeforeDays`
 * of expiry, `pulumi up --refresh` issues a new one.
 */
export class Certificates extends pulumi.ComponentResource {
    readonly caCertPem: pulumi.Output<string>;
    readonly certPem: pulumi.Output<string>;
    /** Secret. */
    readonly keyPem: pulumi.Output<string>;
    private readonly caKeyPem: pulumi.Output<string>;
    private readonly validity: { validityDays: number; renewBeforeDays: number; organization: string };

    constructor(name: string, args: CertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("llm-platform:tls:Certificates", name, {}, opts);
        const parent = { parent: this };

        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "RSA", rsaBits: 3072 }, parent);
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                subject: { commonName: `${args.organization} internal CA`, organization: args.organization },
                isCaCertificate: true,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                validityPeriodHours: args.caValidityDays * HOURS_PER_DAY,
                earlyRenewalHours: args.renewBeforeDays * HOURS_PER_DAY,
                setSubjectKeyId: true,
            },
            parent,
        );

        this.caKeyPem = caKey.privateKeyPem;
        this.caCertPem = ca.certPem;
        this.validity = { validityDays: args.validityDays, renewBeforeDays: args.renewBeforeDays, organization: args.organization };
        const server = this.serverCertificate(
            { key: `${name}-server-key`, csr: `${name}-server-csr`, cert: `${name}-server` },
            args.dnsNames,
            args.ipAddresses,
        );
        // Clients that verify the chain get the CA with the leaf.
        this.certPem = server.certPem;
        this.keyPem = server.keyPem;
        this.registerOutputs({ caCertPem: this.caCertPem, certPem: this.certPem });
    }

    /**
     * Another server certificate from the same CA (e.g. Elasticsearch), renewed like the proxy's.
     * `clientAuth`: the server also presents it as a client to its peers, which check it (Qdrant's p2p mutual TLS).
     * `ipAddresses`: addresses clients use as the host name (a published port on 127.0.0.1).
     */
    issue(
        name: string,
        dnsNames: readonly string[],
        options?: { clientAuth?: boolean; ipAddresses?: readonly string[] },
    ): { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> } {
        return this.serverCertificate({ key: `${name}-key`, csr: `${name}-csr`, cert: `${name}-cert` }, dnsNames, options?.ipAddresses ?? [], options?.clientAuth ?? false);
    }

    /** A store's server certificate (as `issue` makes it) with the CA its clients verify it with. */
    serverTls(name: string, dnsNames: readonly string[], options?: { clientAuth?: boolean; ipAddresses?: readonly string[] }): ServerTls {
        return { caCertPem: this.caCertPem, ...this.issue(name, dnsNames, options) };
    }

    /** A key, its request and the leaf signed by the CA; the PEM carries the CA after the leaf. */
    private serverCertificate(names: { key: string; csr: string; cert: string }, dnsNames: readonly string[], ipAddresses: readonly string[], clientAuth = false) {
        const parent = { parent: this };
        const key = new tls.PrivateKey(names.key, { algorithm: "RSA", rsaBits: 2048 }, parent);
        const request = new tls.CertRequest(
            names.csr,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: dnsNames[0], organization: this.validity.organization },
                dnsNames: [...dnsNames],
                ...(ipAddresses.length > 0 ? { ipAddresses: [...ipAddresses] } : {}),
            },
            parent,
        );
        const cert = new tls.LocallySignedCert(
            names.cert,
            {
                certRequestPem: request.certRequestPem,
                caPrivateKeyPem: this.caKeyPem,
                caCertPem: this.caCertPem,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth", ...(clientAuth ? ["client_auth"] : [])],
                validityPeriodHours: this.validity.validityDays * HOURS_PER_DAY,
                earlyRenewalHours: this.validity.renewBeforeDays * HOURS_PER_DAY,
                setSubjectKeyId: true,
            },
            parent,
        );
        return { certPem: pulumi.interpolate`${cert.certPem}${this.caCertPem}`, keyPem: pulumi.secret(key.privateKeyPem) };
    }
}
