/**
 * TypeScript for the test processes (.mocharc.js), as cheap as it gets: ts-node transpiling
 * with swc (types are checked once, by tsc in scripts/test.sh), and stack traces mapped back
 * to the TypeScript lines by Node's own source maps instead of ts-node's
 * @cspotcode/source-map-support. Pulumi takes a stack trace for every promise it makes
 * (`new Error().stack` in @pulumi/pulumi/runtime/debuggable.js), and mapping each of those
 * frame by frame through that library doubled the CPU of a whole-stack run under mocks.
 */
require("ts-node").register({ swc: true });
Error.prepareStackTrace = undefined;
process.setSourceMapsEnabled(true);
