/**
 * How a proxy pod leaves the load balancer without dropping a request (AWS Load Balancer
 * Controller, "Pod readiness gate" and EKS best practices, load balancing): when a pod stops,
 * the controller deregisters its target; the load balancer sends it nothing new but lets
 * requests in flight finish for the target group's deregistration delay. The pod keeps serving
 * (a preStop sleep) longer than that, then NGINX quits gracefully (its image's STOPSIGNAL is
 * SIGQUIT) within the rest of its termination grace period. One number for both sides: the ALB's
 * target group (components/aws/load-balancer.ts) and the NLB's (Service annotation) use it.
 */
export const PROXY_DEREGISTRATION_DELAY_SECONDS = 60;

/** The preStop sleep: the deregistration delay plus the controller's few seconds to notice the pod is going. */
export const PROXY_STOP_DELAY_SECONDS = PROXY_DEREGISTRATION_DELAY_SECONDS + 15;
