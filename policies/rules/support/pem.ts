import { X509Certificate } from "crypto";

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every PEM certificate block in a text (a chain holds several). */
export function certificateBlocks(text: string): string[] {
    return text.match(CERTIFICATE_BLOCK) ?? [];
}

export function parseCertificate(pem: string | Buffer): X509Certificate | undefined {
    try {
        return new X509Certificate(pem);
    } catch {
        return undefined;
    }
}

const DAY_MS = 24 * 3600 * 1000;

/** Why a certificate cannot be relied on for `minValidDays` more days, or undefined when it can. */
export function validityProblem(cert: X509Certificate, minValidDays: number, now = new Date()): string | undefined {
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    const subject = `certificate "${subjectName(cert)}"`;
    if (notBefore.getTime() > now.getTime()) {
        return `${subject} is not valid yet: notBefore ${notBefore.toISOString()} is in the future; required: valid now`;
    }
    if (notAfter.getTime() <= now.getTime()) {
        return `${subject} expired on ${notAfter.toISOString()}; required: valid for at least ${minValidDays} more days`;
    }
    const daysLeft = (notAfter.getTime() - now.getTime()) / DAY_MS;
    if (daysLeft < minValidDays) {
        return `${subject} expires on ${notAfter.toISOString()}, in ${daysLeft.toFixed(1)} days; required: at least ${minValidDays} days`;
    }
    return undefined;
}

function subjectName(cert: X509Certificate): string {
    const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
    return cn ? cn[1] : cert.subject.replace(/\n/g, ", ");
}
