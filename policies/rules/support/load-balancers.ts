import { asRecord } from "./values";

/** `aws.lb.LoadBalancer` and its `aws.alb` alias. */
export const LOAD_BALANCER_TYPES = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];

/** The prefix of the AWS Load Balancer Controller's Ingress annotations. */
export const ALB_ANNOTATION = "alb.ingress.kubernetes.io/";

/** Whether the AWS Load Balancer Controller turns this Ingress into an ALB: its class, or its annotations. */
export function isAlbIngress(props: Record<string, any>, classNames: readonly string[] = ["alb"]): boolean {
    const annotations = asRecord(asRecord(props.metadata).annotations);
    const className = asRecord(props.spec).ingressClassName ?? annotations["kubernetes.io/ingress.class"];
    return classNames.includes(className) || Object.keys(annotations).some((k) => k.startsWith(ALB_ANNOTATION));
}
