import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface DnsValidatedCertificateArgs {
    readonly hostnames: readonly string[];
    readonly route53ZoneId: string;
}

/**
 * An ACM certificate for the hostnames, validated by DNS: one Route 53 record per name,
 * then the validation that waits until ACM has issued it. `certificateArn` comes from the
 * validation, so a listener using it waits for an issued certificate.
 */
export class DnsValidatedCertificate extends pulumi.ComponentResource {
    readonly certificateArn: pulumi.Output<string>;
    readonly validation: aws.acm.CertificateValidation;

    constructor(name: string, args: DnsValidatedCertificateArgs, opts: pulumi.ComponentResourceOptions & { provider: aws.Provider }) {
        super("llm-platform:aws:DnsValidatedCertificate", name, {}, opts);
        const child = { parent: this, provider: opts.provider };
        const [domainName, ...alternatives] = [...new Set(args.hostnames)];
        const certificate = new aws.acm.Certificate(
            name,
            { domainName, subjectAlternativeNames: alternatives, validationMethod: "DNS", keyAlgorithm: "RSA_2048" },
            child,
        );
        // A wildcard and its apex share one record: one per distinct record name.
        const all = [domainName, ...alternatives];
        const names = all.filter((n) => !(n.startsWith("*.") && all.includes(n.slice(2))));
        // Keyed by hostname: reordering or inserting a hostname leaves every other record as it
        // is. `name` is ForceNew (terraform-provider-aws internal/service/route53/record.go
        // schema) and Pulumi creates a replacement before deleting the old one,
        // so records keyed by position swapped names, collided, and deleted a CNAME ACM still
        // renews with. The alias adopts the record a stack made under its old positional name.
        const records = names.map((hostname, i) => {
            const option = certificate.domainValidationOptions.apply((options) => {
                const found = options.find((o) => o.domainName === hostname);
                if (!found) throw new Error(`ACM returned no DNS validation record for ${hostname}`);
                return found;
            });
            return new aws.route53.Record(
                `${name}-validation-${hostname}`,
                {
                    zoneId: args.route53ZoneId,
                    name: option.resourceRecordName,
                    type: option.resourceRecordType,
                    records: [option.resourceRecordValue],
                    ttl: 300,
                    allowOverwrite: true,
                },
                { ...child, aliases: [{ name: `${name}-validation-${i}` }] },
            );
        });
        this.validation = new aws.acm.CertificateValidation(
            `${name}-validation`,
            { certificateArn: certificate.arn, validationRecordFqdns: records.map((r) => r.fqdn) },
            { ...child, dependsOn: records },
        );
        this.certificateArn = this.validation.certificateArn;
        this.registerOutputs({ certificateArn: this.certificateArn });
    }
}
