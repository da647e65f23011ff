import * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi's mocks with error hooks accepted. @pulumi/pulumi 3.270's MockMonitor advertises
 * RESOURCE_MONITOR_FEATURE_ERROR_HOOKS (runtime/mocks.js, getDeploymentInfo) but has no
 * registerErrorHook RPC, so a resource with `hooks.onError` fails under mocks with
 * "this._monitor.registerErrorHook is not a function". The engine only records the hook's
 * name (it calls back on a failed create, update or delete: pulumi pkg/resource/deploy/step.go
 * RunErrorHooks); the mock accepts it the same way. Tests call a hook's callback themselves.
 */
export async function setMocksWithErrorHooks(mocks: pulumi.runtime.Mocks, project: string, stack: string): Promise<void> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { MockMonitor } = require("@pulumi/pulumi/runtime/mocks");
    MockMonitor.prototype.registerErrorHook ??= (_request: unknown, callback: (error: null, response: object) => void) => callback(null, {});
    await pulumi.runtime.setMocks(mocks, project, stack, false);
}
