/**
 * The Node.js versions this project runs on are package.json's `engines.node`, and nothing
 * else: npm enforces the range on install (`engine-strict` in .npmrc), and this check says it
 * before a script does any other work. Plain JavaScript: it runs before the dependencies are
 * installed. Exits 1 with the message on stdout when the running Node.js is outside the range.
 *
 *   node scripts/check-node.js
 */
const path = require("path");

const projectDir = path.resolve(__dirname, "..");

/** semver from the project, or the copy npm itself runs with (before the first npm ci). */
function loadSemver() {
    const from = [projectDir, process.env.npm_execpath && path.dirname(process.env.npm_execpath)].filter(Boolean);
    for (const dir of from) {
        try {
            return require(require.resolve("semver", { paths: [dir] }));
        } catch {
            // not installed there
        }
    }
    return undefined;
}

/** Why this Node.js version cannot run the project, or undefined when it can. */
function nodeProblem(version, range, semver) {
    if (semver.satisfies(version, range)) return undefined;
    return (
        `Node.js ${version} cannot run this project: it needs Node.js ${range} (package.json "engines"; ` +
        `the floor is set by @pulumi/pulumi and the npm libraries it installs). ` +
        `Install a supported version (e.g. 'nvm install 22', or https://nodejs.org/), open a new shell and try again.`
    );
}

module.exports = { nodeProblem };

if (require.main === module) {
    const range = require(path.join(projectDir, "package.json")).engines.node;
    const semver = loadSemver();
    // Without semver (a fresh clone run outside npm), `npm ci` checks the same range: engine-strict.
    const problem = semver && nodeProblem(process.versions.node, range, semver);
    if (problem) {
        console.log(problem);
        process.exit(1);
    }
}
