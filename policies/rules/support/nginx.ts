import { PUBLIC_ROUTE_VARIABLE } from "../../shared/markers";

/**
 * nginx.conf syntax as nginx reads it: directives with arguments, ended by `;` or
 * followed by a `{ ... }` block; quoted strings; `#` comments; `${VAR}` in templates.
 */
export interface Directive {
    readonly name: string;
    readonly args: readonly string[];
    readonly block?: readonly Directive[];
}

export class NginxSyntaxError extends Error {}

type Token = { kind: "word"; text: string } | { kind: "{" | "}" | ";" };

function tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    let i = 0;
    while (i < text.length) {
        const c = text[i];
        if (/\s/.test(c)) {
            i++;
        } else if (c === "#") {
            while (i < text.length && text[i] !== "\n") i++;
        } else if (c === "{" || c === "}" || c === ";") {
            tokens.push({ kind: c });
            i++;
        } else if (c === '"' || c === "'") {
            let word = "";
            i++;
            while (i < text.length && text[i] !== c) {
                if (text[i] === "\\" && i + 1 < text.length) {
                    word += text[i + 1];
                    i += 2;
                } else word += text[i++];
            }
            if (i >= text.length) throw new NginxSyntaxError(`unterminated ${c}-quoted string`);
            i++;
            tokens.push({ kind: "word", text: word });
        } else {
            let word = "";
            while (i < text.length && !/[\s;{}]/.test(text[i])) {
                // `${name}`: a variable (nginx) or an envsubst placeholder (templates), part of the word.
                if (text[i] === "$" && text[i + 1] === "{") {
                    const end = text.indexOf("}", i);
                    if (end < 0) throw new NginxSyntaxError("unterminated ${...}");
                    word += text.slice(i, end + 1);
                    i = end + 1;
                } else if (text[i] === "\\" && i + 1 < text.length) {
                    word += text.slice(i, i + 2);
                    i += 2;
                } else word += text[i++];
            }
            tokens.push({ kind: "word", text: word });
        }
    }
    return tokens;
}

/** The directives of a config file; throws NginxSyntaxError where nginx would refuse the file. */
export function parseNginx(text: string): Directive[] {
    const tokens = tokenize(text);
    let pos = 0;
    const parseBlock = (nested: boolean): Directive[] => {
        const directives: Directive[] = [];
        while (pos < tokens.length) {
            const token = tokens[pos];
            if (token.kind === "}") {
                if (!nested) throw new NginxSyntaxError('unexpected "}"');
                pos++;
                return directives;
            }
            if (token.kind !== "word") throw new NginxSyntaxError(`unexpected "${token.kind}"`);
            const words: string[] = [];
            while (pos < tokens.length && tokens[pos].kind === "word") words.push((tokens[pos++] as { text: string }).text);
            const end = tokens[pos];
            if (!end) throw new NginxSyntaxError(`directive "${words[0]}" is not terminated by ";" or "{"`);
            pos++;
            if (end.kind === ";") directives.push({ name: words[0], args: words.slice(1) });
            else if (end.kind === "{") directives.push({ name: words[0], args: words.slice(1), block: parseBlock(true) });
            else throw new NginxSyntaxError(`directive "${words[0]}" is not terminated by ";" or "{"`);
        }
        if (nested) throw new NginxSyntaxError('unexpected end of file, expecting "}"');
        return directives;
    };
    return parseBlock(false);
}

/** The config, or undefined when it is not nginx syntax. */
export function tryParseNginx(text: string): Directive[] | undefined {
    try {
        return parseNginx(text);
    } catch (e) {
        if (e instanceof NginxSyntaxError) return undefined;
        throw e;
    }
}

/** Every directive, at any depth, in file order. */
export function allDirectives(directives: readonly Directive[]): Directive[] {
    return directives.flatMap((d) => [d, ...(d.block ? allDirectives(d.block) : [])]);
}

/** The protocol lists of every `ssl_protocols` directive. */
export function sslProtocolDirectives(directives: readonly Directive[]): string[][] {
    return allDirectives(directives)
        .filter((d) => d.name === "ssl_protocols")
        .map((d) => [...d.args]);
}

/** True when the config terminates TLS: an `ssl` listener, `ssl on` or a certificate. */
export function servesTls(directives: readonly Directive[]): boolean {
    return allDirectives(directives).some(
        (d) => (d.name === "listen" && d.args.includes("ssl")) || (d.name === "ssl" && d.args[0] === "on") || d.name === "ssl_certificate",
    );
}

const PASS_DIRECTIVES = ["proxy_pass", "grpc_pass", "uwsgi_pass", "fastcgi_pass", "scgi_pass", "memcached_pass"];
const AUTH_STATUSES = ["401", "403"];

export interface UnauthenticatedLocation {
    /** e.g. `server :443 location ~ ^/api/(embed|chat)$` */
    readonly where: string;
    readonly passesTo: string;
}

/** `auth_request`/`auth_basic` set at this level: true (on), false (off), undefined (inherited). */
function authAt(block: readonly Directive[]): boolean | undefined {
    let auth: boolean | undefined;
    for (const d of block) {
        if (d.name === "auth_request" || d.name === "auth_basic") auth = d.args[0] !== "off" && d.args[0] !== undefined;
    }
    return auth;
}

/** An `if (...) { return 401|403; }` directly in the block: refuses requests that fail the check. */
function rejectsUnauthenticated(block: readonly Directive[]): boolean {
    return block.some((d) => d.name === "if" && (d.block ?? []).some((inner) => inner.name === "return" && AUTH_STATUSES.includes(inner.args[0])));
}

/** A pass directive in the location itself or in its `if`/`limit_except` blocks (nested locations are their own). */
function passIn(block: readonly Directive[]): Directive | undefined {
    for (const d of block) {
        if (PASS_DIRECTIVES.includes(d.name)) return d;
        if ((d.name === "if" || d.name === "limit_except") && d.block) {
            const inner = passIn(d.block);
            if (inner) return inner;
        }
    }
    return undefined;
}

/**
 * Locations that pass requests upstream with no authentication: no `auth_request` or
 * `auth_basic` in effect (they inherit from server and http unless set `off`), and no
 * `if (...) { return 401; }` (or 403) in the location or its server.
 */
export function unauthenticatedProxyLocations(directives: readonly Directive[]): UnauthenticatedLocation[] {
    const found: UnauthenticatedLocation[] = [];
    const visitLocation = (d: Directive, path: string, inheritedAuth: boolean, serverRejects: boolean) => {
        const block = d.block ?? [];
        const where = `${path} location ${d.args.join(" ")}`;
        const auth = authAt(block) ?? inheritedAuth;
        const declaredPublic = block.some((x) => x.name === "set" && x.args[0] === PUBLIC_ROUTE_VARIABLE);
        const checked = auth || serverRejects || rejectsUnauthenticated(block) || declaredPublic;
        const pass = passIn(block);
        if (pass && !checked) found.push({ where, passesTo: pass.args.join(" ") });
        for (const inner of block) if (inner.name === "location") visitLocation(inner, where, auth, serverRejects || rejectsUnauthenticated(block));
    };
    const visitServer = (server: Directive, inheritedAuth: boolean) => {
        const block = server.block ?? [];
        const listen = block.filter((d) => d.name === "listen").map((d) => d.args[0]);
        const path = `server ${listen.length > 0 ? `:${listen.join(",:")}` : "(no listen)"}`;
        const auth = authAt(block) ?? inheritedAuth;
        for (const location of block.filter((d) => d.name === "location")) visitLocation(location, path, auth, rejectsUnauthenticated(block));
    };
    for (const http of directives.filter((d) => d.name === "http")) {
        const httpBlock = http.block ?? [];
        for (const server of httpBlock.filter((d) => d.name === "server")) visitServer(server, authAt(httpBlock) ?? false);
    }
    // A file included into http {} (conf.d/*.conf, templates) starts at server level.
    for (const server of directives.filter((d) => d.name === "server")) visitServer(server, false);
    return found;
}
