import Ajv from "ajv";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR } from "../../harness/run-stack";
import { skippedChecks, TOOLS_REQUIRED } from "./tools";

/** Where scripts/install-test-tools.sh unpacks the ObjectStore CRD, values.yaml and values.schema.json of chart plugin-barman-cloud 0.7.0. */
export const BARMAN_CLOUD_CHART_DIR = path.join(PROJECT_DIR, ".test-tools", "plugin-barman-cloud-0.7.0");
export const BARMAN_CLOUD_CRD = path.join(BARMAN_CLOUD_CHART_DIR, "crds.yaml");

function requireChartFiles(ctx: Mocha.Context, file: string): void {
    if (fs.existsSync(file)) return;
    const message = `${file} is not installed: run bash scripts/install-test-tools.sh`;
    if (TOOLS_REQUIRED) throw new Error(`${message}; LLM_PLATFORM_REQUIRE_TOOLS=1 makes this a failure`);
    skippedChecks.append({ check: ctx.currentTest?.fullTitle() ?? ctx.test?.parent?.fullTitle() ?? "(unknown)", tool: "plugin-barman-cloud chart files", install: "bash scripts/install-test-tools.sh" });
    ctx.skip();
}

/** The chart's values.yaml, and a check of given values against its values.schema.json (as Helm checks them at install). */
export function chartValues(ctx: Mocha.Context): { defaults: Record<string, any>; validate(values: unknown): string[] } {
    const schemaFile = path.join(BARMAN_CLOUD_CHART_DIR, "values.schema.json");
    requireChartFiles(ctx, schemaFile);
    const check = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
    return {
        defaults: parse(fs.readFileSync(path.join(BARMAN_CLOUD_CHART_DIR, "values.yaml"), "utf8")),
        validate: (values) => (check(values) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)),
    };
}

/**
 * A validator of ObjectStore objects from the CRD's openAPIV3Schema (what the API server checks
 * structurally; its CEL rules, x-kubernetes-validations, are not run here: ajv ignores them). Skips the
 * test when the CRD is not installed, or fails it when tools are required (CI). Returns the errors.
 */
export function objectStoreValidator(ctx: Mocha.Context): (object: unknown) => string[] {
    requireChartFiles(ctx, BARMAN_CLOUD_CRD);
    const crd = parse(fs.readFileSync(BARMAN_CLOUD_CRD, "utf8"));
    if (crd.spec.names.kind !== "ObjectStore") throw new Error(`${BARMAN_CLOUD_CRD} defines ${crd.spec.names.kind}, not ObjectStore`);
    const version = crd.spec.versions.find((v: any) => v.name === "v1" && v.served);
    // Kubernetes' formats: int32 and int64 bound integers the schema types already; date-time only in status.
    const validate = new Ajv({ strict: false, allErrors: true, formats: { int32: true, int64: true, "date-time": true } }).compile(version.schema.openAPIV3Schema);
    return (object) => (validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));
}
