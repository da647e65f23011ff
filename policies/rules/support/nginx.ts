/** Just enough of nginx.conf syntax to judge its TLS settings. */

function withoutComments(conf: string): string {
    return conf
        .split("\n")
        .map((line) => line.replace(/(^|\s)#.*$/, "$1"))
        .join("\n");
}

/** The protocol lists of every `ssl_protocols` directive. */
export function sslProtocolDirectives(conf: string): string[][] {
    return [...withoutComments(conf).matchAll(/(?:^|[\s;{}])ssl_protocols\s+([^;]*);/g)].map((m) =>
        m[1].split(/\s+/).filter((p) => p.length > 0),
    );
}

/** True when the config terminates TLS: an `ssl` listener, `ssl on` or a certificate. */
export function servesTls(conf: string): boolean {
    const text = withoutComments(conf);
    return /(?:^|[\s;{}])listen\s+[^;]*\bssl\b[^;]*;/.test(text) || /(?:^|[\s;{}])(ssl\s+on|ssl_certificate)\s/.test(text);
}
