import type { RegisteredResource } from "../../harness/run-stack";

/** The Pulumi type tokens of the Kubernetes objects the stack tests look at. */
export const STATEFUL_SET = "kubernetes:apps/v1:StatefulSet";
export const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
export const DAEMON_SET = "kubernetes:apps/v1:DaemonSet";
export const JOB = "kubernetes:batch/v1:Job";
export const CRON_JOB = "kubernetes:batch/v1:CronJob";
export const SERVICE = "kubernetes:core/v1:Service";
export const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const PDB = "kubernetes:policy/v1:PodDisruptionBudget";

/** A workload's pod spec. */
export const podSpec = (r: RegisteredResource) => r.inputs.spec.template.spec;
