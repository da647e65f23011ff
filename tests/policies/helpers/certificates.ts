/**
 * Real X.509 certificates made with openssl for the PEM tests. `openssl ca` takes
 * explicit start and end dates, which is how OpenSSL 3.0 makes an expired or a
 * not-yet-valid certificate without faking the clock.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface TestCertificates {
    /** Valid since yesterday, for 90 more days. */
    readonly valid90Days: string;
    /** Valid since 80 days ago, expires in 10 days. */
    readonly expiringIn10Days: string;
    /** Expired yesterday. */
    readonly expired: string;
    /** Valid only from 10 days from now. */
    readonly notYetValid: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** openssl's `YYYYMMDDHHMMSSZ`. */
function opensslDate(offsetDays: number): string {
    return new Date(Date.now() + offsetDays * DAY_MS).toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
}

export function makeTestCertificates(openssl: string): TestCertificates {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-policy-certs-"));
    try {
        const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        // One P-256 key for every certificate: EC keys are instant, RSA would slow the suite.
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "key.pem");
        run("req", "-new", "-key", "key.pem", "-subj", "/CN=proxy.llm-platform.test", "-out", "request.csr");
        fs.writeFileSync(
            path.join(dir, "ca.cnf"),
            ["[ca]", "default_ca = test", "[test]", "database = index.txt", "new_certs_dir = .", "serial = serial", "default_md = sha256",
                "policy = any", "unique_subject = no", "[any]", "commonName = supplied", ""].join("\n"),
        );
        fs.writeFileSync(path.join(dir, "index.txt"), "");
        fs.writeFileSync(path.join(dir, "serial"), "01\n");
        const issue = (file: string, startDays: number, endDays: number) => {
            run("ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "key.pem", "-in", "request.csr", "-notext",
                "-startdate", opensslDate(startDays), "-enddate", opensslDate(endDays), "-out", file);
            return fs.readFileSync(path.join(dir, file), "utf8");
        };
        return {
            valid90Days: issue("valid.pem", -1, 90),
            expiringIn10Days: issue("expiring.pem", -80, 10),
            expired: issue("expired.pem", -100, -1),
            notYetValid: issue("future.pem", 10, 100),
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
