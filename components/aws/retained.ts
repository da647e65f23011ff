import * as pulumi from "@pulumi/pulumi";

/**
 * What a stack keeps when it is destroyed, and how a later stack gets it back.
 *
 * - `pulumi destroy --exclude-protected` keeps every protected resource and everything it
 *   depends on (its dependencies, provider and parents), in AWS and in the state
 *   (pulumi/pulumi pkg/cmd/pulumi/operations/destroy.go, getProtectedExcludes, with
 *   pkg/resource/graph/dependency_graph.go markAsDependency). A bucket's policy, encryption,
 *   versioning... depend on the bucket, not the other way round: they are protected
 *   themselves, or that destroy strips them.
 * - retainOnDelete skips the provider's Delete whenever the state lets go of the resource
 *   (pkg/resource/deploy/step.go DeleteStep.Apply): after `pulumi state unprotect` and
 *   `pulumi destroy`, or a replacement. The object stays in AWS under its name; a new
 *   stack's create of that name collides, and `aws.adopt` imports it instead (the engine
 *   imports, then diffs and updates what differs: step_generator.go continueStepsFromImport).
 */
export interface Adoption {
    /** `aws.adopt`: import kept objects by the ids the program derives. */
    readonly enabled: boolean;
    /** KMS key ids by alias (`alias/...`): a key's id is not derived from a name, so it is looked up. */
    readonly keyIds: Readonly<Record<string, string>>;
    /** Security group ids by group name (looked up in the VPC). */
    readonly securityGroupIds: Readonly<Record<string, string>>;
}

export const NO_ADOPTION: Adoption = { enabled: false, keyIds: {}, securityGroupIds: {} };

/** The `import` option of a kept object under `aws.adopt`: its id, which must be known. */
export function adopted(adoption: Adoption, importId: string | undefined): pulumi.CustomResourceOptions {
    if (!adoption.enabled) return {};
    if (importId === undefined) throw new Error("aws.adopt: a kept resource has no id to import it by (the lookup in prepareAws is missing)");
    return { import: importId };
}

/** Data and its hardening: a destroy and a replacement stop at it, and AWS keeps it when the state lets go. */
export function guarded(opts: pulumi.CustomResourceOptions, adoption: Adoption, importId: string | undefined): pulumi.CustomResourceOptions {
    return { ...opts, protect: true, retainOnDelete: true, ...adopted(adoption, importId) };
}

/**
 * What guarded data uses and AWS would refuse to delete under it (the database's subnet,
 * parameter and security groups) or what keeps it working (its roles): kept in AWS when the
 * state lets go, but replaceable (a new parameter group family replaces the group).
 */
export function retained(opts: pulumi.CustomResourceOptions, adoption: Adoption, importId: string | undefined): pulumi.CustomResourceOptions {
    return { ...opts, retainOnDelete: true, ...adopted(adoption, importId) };
}
