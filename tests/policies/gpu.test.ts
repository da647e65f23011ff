import { strict as assert } from "assert";
import { gpuRequested } from "../../policies/rules/gpu";
import { container, initContainer } from "./helpers/docker-fixtures";
import { DEPLOYMENT, k8sContainer, podSpec, resources, workload } from "./helpers/kubernetes-fixtures";
import { check, messages } from "./helpers/run";

const ollama = (limits: Record<string, any>) =>
    workload(DEPLOYMENT, "ollama", podSpec([k8sContainer("ollama", { image: "ollama/ollama:0.40.2", resources: { requests: { cpu: "2", memory: "4Gi" }, limits: { cpu: "4", memory: "8Gi", ...limits } } })]));
const onGpu = { gpuServices: ["ollama"] };

describe("policy gpu-requested", () => {
    it("asks nothing when no service is listed (the default)", async () => {
        assert.deepEqual(await check(gpuRequested, [container("ollama", { memory: 8192 }), ollama({})]), []);
    });

    it("passes a listed Docker service with gpus \"all\", and its one-shot steps without", async () => {
        assert.deepEqual(await check(gpuRequested, [container("ollama", { gpus: "all" }), initContainer("ollama", "pull-embedding-model")], onGpu), []);
    });

    it("fails a listed Docker service without gpus", async () => {
        const [v] = await check(gpuRequested, container("ollama"), onGpu);
        assert.equal(v.enforcementLevel, "mandatory");
        assert.match(v.message, /Container "ollama": service ollama requests no GPU \(`gpus` is not set\); required: gpus "all"/);
    });

    it("passes a listed Kubernetes service limiting nvidia.com/gpu to 1", async () => {
        assert.deepEqual(await check(gpuRequested, ollama({ "nvidia.com/gpu": 1 }), onGpu), []);
    });

    it("fails a listed Kubernetes service without the GPU limit, or with 0", async () => {
        assert.match(messages(await check(gpuRequested, ollama({}), onGpu))[0], /Deployment "ollama" container "ollama": service ollama has resources.limits\["nvidia.com\/gpu"\] not set; required: at least 1/);
        assert.equal((await check(gpuRequested, ollama({ "nvidia.com/gpu": "0" }), onGpu)).length, 1);
    });

    it("holds a Docker container labelled llm-platform.gpu=required to requesting the GPU, with no config", async () => {
        const labelled = (extra: Record<string, any>) =>
            container("ollama", {
                labels: [
                    { label: "llm-platform.service", value: "ollama" },
                    { label: "llm-platform.role", value: "service" },
                    { label: "llm-platform.gpu", value: "required" },
                ],
                ...extra,
            });
        assert.deepEqual(await check(gpuRequested, labelled({ gpus: "all" })), []);
        assert.match(messages(await check(gpuRequested, labelled({})))[0], /service ollama requests no GPU/);
    });

    it("holds a Kubernetes workload labelled llm-platform.gpu=required to the GPU limit, with no config", async () => {
        const d = ollama({});
        d.props.spec.template.metadata.labels = { ...d.props.spec.template.metadata.labels, "llm-platform.gpu": "required" };
        assert.equal((await check(gpuRequested, d)).length, 1);
        const ok = ollama({ "nvidia.com/gpu": 1 });
        ok.props.spec.template.metadata.labels = { ...ok.props.spec.template.metadata.labels, "llm-platform.gpu": "required" };
        assert.deepEqual(await check(gpuRequested, ok), []);
    });

    it("does not count a GPU request without a limit (Kubernetes schedules GPUs by limit)", async () => {
        const d = workload(DEPLOYMENT, "ollama", podSpec([k8sContainer("ollama", { resources: { ...resources("2", "4Gi", "4", "8Gi"), requests: { cpu: "2", memory: "4Gi", "nvidia.com/gpu": 1 } } })]));
        assert.equal((await check(gpuRequested, d, onGpu)).length, 1);
    });
});
