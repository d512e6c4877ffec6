package dev.fillmask.job;

import dev.fillmask.engine.ExecutionProvider;
import dev.fillmask.job.JobArguments;
import dev.fillmask.job.cluster.JavaOpens;
import dev.fillmask.engine.importer.DefaultModel;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.metrics.KafkaSourceReaderMetrics;
import org.apache.flink.runtime.metrics.MetricNames;
import org.apache.flink.util.TimeUtils;
import org.apache.flink.runtime.util.EnvironmentInformation;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the deployment files in step with the code: docker-compose.yml, deploy/Dockerfile and the Flink Kubernetes
 * Operator manifests in deploy/kubernetes use the images of the pinned Flink and Kafka versions, the job's topic names
 * and options as {@link FillMaskOptions} defines them (every job argument must parse), the model folder where the
 * importer puts it, the class-loading setting for the native libraries, a REST API that is not published beyond
 * the machine or the Kubernetes cluster and a web UI that neither runs jars nor cancels, and have the fields the
 * operator requires. The Java 17 {@code --add-opens} are listed once, in the parent pom, and every JVM gets them
 * from there. What a first deployment would trip over is checked too: FLINK_PROPERTIES values the image's entrypoint
 * would mangle, a storage class the user must name, volumes the Flink user (uid 9999) can write, the GPU image's
 * platform, Prometheus' view of the pods, the topics on Kubernetes, and the README's steps in a working order. (The
 * CUDA version match needs the GPU jar: GpuImageCudaTest, -Pgpu. YAML read with SnakeYAML, which resolves the compose
 * file's anchors.)
 */
class DeploymentFilesTest {
    private static final String PARENT_FIRST = "classloader.parent-first-patterns.additional";
    private static final String JOB_JAR = "fill-mask-flink-job.jar";
    private static final String FLINK_IMAGE = "flink:" + EnvironmentInformation.getVersion() + "-scala_2.12-java17";
    /** The official Flink image's user `flink`: its uid and gid. */
    private static final int FLINK_UID = 9999;
    /** storage.yaml's storage class: not a valid name, so Kubernetes refuses the claims until it is replaced. */
    private static final String STORAGE_CLASS_PLACEHOLDER = "<rwx-storage-class>";

    private static Path root;

    @BeforeAll
    static void findRepository() {
        Path here = Path.of("").toAbsolutePath();
        root = Files.exists(here.resolve("docker-compose.yml")) ? here : here.getParent();
        assertTrue(Files.exists(root.resolve("docker-compose.yml")), "no docker-compose.yml in " + root);
    }

    // ---------------------------------------------------------------- docker-compose.yml

    @Test
    void composeRunsThePinnedImages() {
        Map<String, Object> services = composeServices();
        for (String name : List.of("kafka", "create-topics", "build", "jobmanager", "taskmanager")) {
            assertTrue(services.containsKey(name), "service " + name);
        }
        String kafkaImage = "apache/kafka:" + AppInfoParser.getVersion();
        assertEquals(kafkaImage, map(services, "kafka").get("image"));
        assertEquals(kafkaImage, map(services, "create-topics").get("image"));
        assertEquals(FLINK_IMAGE, map(services, "jobmanager").get("image"));
        assertEquals(FLINK_IMAGE, map(services, "taskmanager").get("image"));
    }

    @Test
    void composeCreatesTheJobsDefaultTopics() {
        String command = String.join(" ", strings(map(composeServices(), "create-topics").get("command")));
        for (ConfigOption<String> topic : topicOptions()) {
            assertTrue(command.contains(topic.defaultValue()), "create-topics makes " + topic.defaultValue());
        }
    }

    @Test
    void composeJobArgumentsAreValidOptionsWithTheDefaultTopicsAndTheImportedModel() {
        Map<String, Object> services = composeServices();
        List<String> command = strings(map(services, "jobmanager").get("command"));
        assertEquals("standalone-job", command.get(0), "application mode");
        assertEquals(List.of("--job-classname", FillMaskJob.class.getName()), command.subList(1, 3));
        Configuration options = JobArguments.parse(command.subList(3, command.size()).toArray(String[]::new));
        for (ConfigOption<String> topic : topicOptions()) {
            assertEquals(topic.defaultValue(), options.get(topic), "--" + FillMaskOptions.flagName(topic));
        }

        // the broker's listener for the other containers
        Map<String, String> kafkaEnv = stringMap(map(services, "kafka").get("environment"));
        assertTrue(kafkaEnv.get("KAFKA_ADVERTISED_LISTENERS").contains("PLAINTEXT://" + options.get(FillMaskOptions.BOOTSTRAP_SERVERS)),
                "--bootstrap-servers is the broker's PLAINTEXT listener");
        assertTrue(kafkaEnv.containsKey("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"), "one broker needs its transaction log at replication 1");

        // the model: where the build service's importer puts it, mounted into both Flink services
        String home = stringMap(map(services, "build").get("environment")).get("FILL_MASK_HOME");
        String model = options.get(FillMaskOptions.MODEL);
        assertEquals(home + "/models/" + DefaultModel.NAME, model);
        String volume = volumeAt(map(services, "build"), home);
        assertEquals(volume, volumeAt(map(services, "jobmanager"), home));
        assertEquals(volume, volumeAt(map(services, "taskmanager"), home));
        assertTrue(String.join(" ", strings(map(services, "build").get("command"))).contains("./fill-mask model"),
                "the project's own importer");
    }

    @Test
    void composeFlinkServicesLoadTheNativeJarsOnceAndReportToPrometheus() {
        for (String name : List.of("jobmanager", "taskmanager")) {
            Map<String, Object> service = map(composeServices(), name);
            Map<String, String> config = flinkProperties(stringMap(service.get("environment")).get("FLINK_PROPERTIES"));
            assertParentFirstNativePackages(config.get(PARENT_FIRST), name);
            assertEquals("org.apache.flink.metrics.prometheus.PrometheusReporterFactory",
                    config.get("metrics.reporter.prom.factory.class"), name);
            assertNotNull(config.get("metrics.reporter.prom.port"), name);
            assertFalse(config.containsKey("env.java.opts.all"), name + ": would drop the image's --add-opens");
            String entrypoint = String.join(" ", strings(service.get("entrypoint")));
            assertTrue(entrypoint.contains("/opt/flink/lib/") && entrypoint.contains("/opt/flink/usrlib/"),
                    name + " links the native jars into lib/ and the job jar into usrlib/");
        }
        String build = String.join(" ", strings(map(composeServices(), "build").get("command")));
        assertTrue(build.contains("job/target/" + JOB_JAR) && build.contains("job/target/cluster-native-lib/"), build);
    }

    /** Every cluster of the deployment files gets what the job needs of its TaskManagers, as the local runs do. */
    @Test
    void everyClusterHasTheSettingsTheJobNeeds() throws IOException {
        Map<String, String> needed = FillMaskJob.clusterSettings().toMap();
        assertFalse(needed.isEmpty());
        Map<String, String> compose = flinkProperties(stringMap(map(composeServices(), "taskmanager")
                .get("environment")).get("FLINK_PROPERTIES"));
        String readme = Files.readString(root.resolve("deploy/README.md"));
        needed.forEach((key, value) -> {
            assertEquals(value, compose.get(key), "docker-compose.yml taskmanager: " + key);
            for (Map<String, Object> deployment : flinkDeployments()) {
                assertEquals(value, map(map(deployment, "spec"), "flinkConfiguration").get(key),
                        map(deployment, "metadata").get("name") + ": " + key);
            }
            assertTrue(readme.contains(key + ": " + value), "deploy/README.md's config.yaml lines: " + key);
        });
    }

    @Test
    void composePublishesEveryPortOnLoopbackOnly() {
        composeServices().forEach((name, service) -> {
            Object ports = asMap(service).get("ports");
            if (ports != null) {
                for (String port : strings(ports)) {
                    assertTrue(port.startsWith("127.0.0.1:"), name + " publishes " + port + " beyond this machine");
                }
            }
        });
    }

    @Test
    void composeWebUiNeitherRunsJarsNorCancels() {
        for (String name : List.of("jobmanager", "taskmanager")) {
            Map<String, String> config = flinkProperties(
                    stringMap(map(composeServices(), name).get("environment")).get("FLINK_PROPERTIES"));
            assertRestLockedDown(config, name);
        }
    }

    @Test
    void composeFlinkPropertiesAreOneSettingALineWithoutSpaces() {
        // the image's entrypoint deletes every space of a FLINK_PROPERTIES line before it splits key and value
        for (String name : List.of("jobmanager", "taskmanager")) {
            String properties = stringMap(map(composeServices(), name).get("environment")).get("FLINK_PROPERTIES");
            for (String line : properties.split("\n")) {
                if (!line.isBlank()) {
                    String[] keyValue = line.split(": ", 2);
                    assertEquals(2, keyValue.length, name + ": `key: value` expected, not " + line);
                    assertFalse(keyValue[0].isBlank() || keyValue[1].isBlank(), name + ": " + line);
                    assertFalse((keyValue[0] + keyValue[1]).matches(".*\\s.*"),
                            name + ": the entrypoint would delete the spaces of " + line);
                }
            }
        }
    }

    @Test
    void composeChownsTheCheckpointsForTheFlinkUser() {
        String build = String.join(" ", strings(map(composeServices(), "build").get("command")));
        assertTrue(build.contains("chown -R " + FLINK_UID + ":" + FLINK_UID + " /flink-checkpoints"), build);
    }

    // ---------------------------------------------------------------- the Java 17 opens

    @Test
    void theJava17OpensComeFromTheOneListInTheParentPom() throws IOException {
        List<String> opens = JavaOpens.fromBuild();
        // the test JVMs' argLine and job/target/jvm-opens.args are both written from fillmask.jvm.opens
        assertTrue(ManagementFactory.getRuntimeMXBean().getInputArguments().containsAll(opens),
                "this JVM was started with " + opens);
        String launcher = Files.readString(root.resolve("fill-mask"), StandardCharsets.UTF_8);
        assertFalse(launcher.contains("--add-opens="), "the launcher keeps no list of its own");
        assertTrue(launcher.contains("opens_file=\"$here/job/target/jvm-opens.args\"")
                && launcher.contains("\"@$opens_file\""), "the launcher passes job/target/jvm-opens.args");
        String docs = Files.readString(root.resolve("docs/operations.md"), StandardCharsets.UTF_8);
        String section = docs.substring(docs.indexOf("## Flink on Java 17"));
        section = section.substring(0, section.indexOf("\n## ", 1));
        for (String open : opens) {
            String pkg = open.substring(open.indexOf('/') + 1, open.lastIndexOf('='));
            String name = pkg.startsWith("java.util.concurrent.") ? pkg.substring("java.util.concurrent.".length()) : pkg;
            assertTrue(section.contains(name), "docs/operations.md does not name " + pkg + " among the opens");
        }
    }

    // ---------------------------------------------------------------- deploy/Dockerfile

    @Test
    void dockerfileBuildsOnTheSameFlinkImageAndPlacesTheJars() throws IOException {
        String dockerfile = Files.readString(root.resolve("deploy/Dockerfile"), StandardCharsets.UTF_8);
        assertTrue(dockerfile.contains("ARG FLINK_IMAGE=" + FLINK_IMAGE + "\n"), "the pinned Flink image");
        assertTrue(dockerfile.contains("cluster-native-lib/ /opt/flink/lib/"), "native-carrying jars in lib/");
        assertTrue(dockerfile.contains("/opt/flink/usrlib/" + JOB_JAR), "the job jar in usrlib/");
        assertTrue(dockerfile.contains("AS gpu") && dockerfile.contains("-Pgpu"), "a GPU target built with -Pgpu");
        assertTrue(dockerfile.contains("AS model-importer"), "the init container's image");
    }

    /**
     * The GPU image holds linux-x64 natives only (onnxruntime_gpu has no others; the CUDA libraries are copied from
     * their x86_64 folders): every stage it is made of, or takes files from, is pinned to linux/amd64, except the
     * Maven build, whose jars are the same on every platform. Without the pin an arm64 builder fails midway.
     */
    @Test
    void dockerfileGpuImageIsPinnedToLinuxAmd64() throws IOException {
        Map<String, String> stages = dockerfileStages();
        assertTrue(stages.get("gpu").startsWith("FROM gpu-amd64 AS gpu\n"), "--target gpu: " + stages.get("gpu"));
        List<String> pinned = new ArrayList<>(List.of("gpu-amd64"));
        Matcher copies = Pattern.compile("COPY --from=([\\w-]+)")
                .matcher(stages.get("gpu-amd64"));
        while (copies.find()) {
            pinned.add(copies.group(1));
        }
        assertTrue(pinned.contains("cuda-amd64") && pinned.contains("build-gpu"), pinned.toString());
        for (String stage : pinned) {
            String from = stages.get(stage).lines().findFirst().orElseThrow();
            String platform = stage.equals("build-gpu") ? "--platform=$BUILDPLATFORM " : "--platform=linux/amd64 ";
            assertTrue(from.startsWith("FROM " + platform), stage + ": " + from);
        }
        assertTrue(stages.get("cuda-amd64").contains("/usr/local/cuda/targets/x86_64-linux/lib/"), "x86-64 CUDA");
    }

    // ---------------------------------------------------------------- deploy/kubernetes

    @Test
    void storageClaimsNameAReadWriteManyClassThatTheReadmeExplains() throws IOException {
        List<Object> claims = load(root.resolve("deploy/kubernetes/storage.yaml"));
        assertEquals(2, claims.size());
        for (Object claim : claims) {
            Map<String, Object> spec = map(asMap(claim), "spec");
            String name = (String) map(asMap(claim), "metadata").get("name");
            assertEquals(List.of("ReadWriteMany"), spec.get("accessModes"), name + ": every Flink pod mounts it");
            // without a class the cluster's default (block storage, ReadWriteOnce, on most clouds) leaves it Pending
            assertEquals(STORAGE_CLASS_PLACEHOLDER, spec.get("storageClassName"), name);
        }
        String readme = Files.readString(root.resolve("deploy/README.md"), StandardCharsets.UTF_8);
        assertTrue(readme.contains("s/" + STORAGE_CLASS_PLACEHOLDER + "/"), "the README replaces the placeholder");
    }

    @Test
    void flinkPodsCanWriteTheirDataVolumeAsTheFlinkUser() {
        for (Map<String, Object> deployment : flinkDeployments()) {
            String name = (String) map(deployment, "metadata").get("name");
            Map<String, Object> spec = map(deployment, "spec");
            Map<String, Object> podSpec = map(map(spec, "podTemplate"), "spec");
            assertEquals(FLINK_UID, map(podSpec, "securityContext").get("fsGroup"), name + ": fsGroup of all pods");

            // where the volume driver ignores fsGroup (NFS, most ReadWriteMany CSI drivers): a root init container
            Map<String, Object> config = map(spec, "flinkConfiguration");
            String checkpoints = ((String) config.get("execution.checkpointing.dir")).replaceFirst("^file://", "");
            String dataMount = mainContainerMountFor(spec, checkpoints);
            assertEquals(dataMount, mainContainerMountFor(spec,
                    ((String) config.get("high-availability.storageDir")).replaceFirst("^file://", "")), name);
            Map<String, Object> owner = initContainers(spec).stream()
                    .filter(init -> String.join(" ", strings(init.get("command")))
                            .contains("chown " + FLINK_UID + ":" + FLINK_UID + " " + dataMount))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(name + ": no init container chowns " + dataMount));
            assertEquals(0, map(owner, "securityContext").get("runAsUser"), name + ": chown needs root");
            assertTrue(list(owner.get("volumeMounts")).stream().map(m -> asMap(m).get("mountPath"))
                    .anyMatch(dataMount::equals), name + ": the init container mounts " + dataMount);
        }
    }

    @Test
    void prometheusScrapesEveryFlinkPodOnItsMetricsPort() {
        Map<String, Object> podMonitor = kubernetesObjects("PodMonitor").get(0);
        Map<String, Object> monitorSpec = map(podMonitor, "spec");
        Map<String, Object> selector = map(map(monitorSpec, "selector"), "matchLabels");
        Map<String, Object> endpoint = asMap(list(monitorSpec.get("podMetricsEndpoints")).get(0));
        for (Map<String, Object> deployment : flinkDeployments()) {
            String name = (String) map(deployment, "metadata").get("name");
            Map<String, Object> spec = map(deployment, "spec");
            Map<String, Object> podMetadata = map(map(spec, "podTemplate"), "metadata");
            // Flink's own label is app: <name>, different for each deployment: the PodMonitor selects a common one
            assertTrue(map(podMetadata, "labels").entrySet().containsAll(selector.entrySet()),
                    name + ": its pods carry the PodMonitor's labels " + selector);
            String port = (String) map(spec, "flinkConfiguration").get("metrics.reporter.prom.port");
            Map<String, Object> containerPort = list(mainContainer(spec).get("ports")).stream().map(p -> asMap(p))
                    .filter(p -> endpoint.get("port").equals(p.get("name"))).findFirst()
                    .orElseThrow(() -> new AssertionError(name + ": no container port " + endpoint.get("port")));
            assertEquals(Integer.parseInt(port), containerPort.get("containerPort"), name);
            assertEquals(port, map(podMetadata, "annotations").get("prometheus.io/port"), name);
            assertEquals("true", map(podMetadata, "annotations").get("prometheus.io/scrape"), name);
        }
    }

    @Test
    void kubernetesCreatesTheJobsTopicsOnItsBroker() {
        Map<String, Object> job = kubernetesObjects("Job").stream()
                .filter(j -> "fill-mask-create-topics".equals(map(j, "metadata").get("name")))
                .findFirst().orElseThrow();
        Map<String, Object> container = asMap(list(map(map(map(job, "spec"), "template"), "spec")
                .get("containers")).get(0));
        assertEquals("apache/kafka:" + AppInfoParser.getVersion(), container.get("image"));
        String command = String.join(" ", strings(container.get("command")));
        for (ConfigOption<String> topic : topicOptions()) {
            assertTrue(command.contains(topic.defaultValue()), "creates " + topic.defaultValue());
        }
        int partitions = Integer.parseInt(command.replaceFirst("(?s).*--partitions (\\d+).*", "$1"));
        for (Map<String, Object> deployment : flinkDeployments()) {
            Map<String, Object> spec = map(deployment, "spec");
            Configuration options = JobArguments.parse(strings(map(spec, "job").get("args")).toArray(String[]::new));
            assertTrue(command.contains("--bootstrap-server " + options.get(FillMaskOptions.BOOTSTRAP_SERVERS) + " "),
                    "the FlinkDeployments' broker");
            assertTrue(partitions >= (Integer) map(spec, "job").get("parallelism"), "a partition per reader at least");
        }
    }


    @Test
    void flinkDeploymentsHaveWhatTheOperatorRequires() {
        List<Map<String, Object>> deployments = flinkDeployments();
        assertEquals(2, deployments.size(), "a CPU and a GPU FlinkDeployment");
        String flinkVersion = "v" + EnvironmentInformation.getVersion().replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2");
        for (Map<String, Object> deployment : deployments) {
            String name = (String) map(deployment, "metadata").get("name");
            assertEquals("flink.apache.org/v1beta1", deployment.get("apiVersion"), name);
            Map<String, Object> spec = map(deployment, "spec");
            assertTrue(spec.get("image") instanceof String s && s.startsWith("fill-mask-flink:"), name + " image");
            assertEquals(flinkVersion, spec.get("flinkVersion"), name + " flinkVersion (operator enum)");
            assertInstanceOf(String.class, spec.get("serviceAccount"), name);
            for (String manager : List.of("jobManager", "taskManager")) {
                Map<String, Object> resource = map(map(spec, manager), "resource");
                assertTrue(resource.get("memory") instanceof String, name + " " + manager + " memory");
                assertTrue(resource.get("cpu") instanceof Number, name + " " + manager + " cpu");
            }
            // the CRD types flinkConfiguration as map<string, string>: a bare number or boolean is rejected
            Map<String, Object> config = map(spec, "flinkConfiguration");
            config.forEach((key, value) -> assertInstanceOf(String.class, value, name + " " + key + " must be quoted"));
            assertParentFirstNativePackages((String) config.get(PARENT_FIRST), name);
            assertTrue(Integer.parseInt((String) config.get("taskmanager.numberOfTaskSlots")) > 0, name);
            assertRestLockedDown(config, name);
            // the REST API has no authentication: a Service inside the cluster only (the operator's default)
            assertEquals("ClusterIP", config.getOrDefault("kubernetes.rest-service.exposed.type", "ClusterIP"), name);

            Map<String, Object> job = map(spec, "job");
            assertEquals("local:///opt/flink/usrlib/" + JOB_JAR, job.get("jarURI"), name);
            assertEquals(FillMaskJob.class.getName(), job.get("entryClass"), name);
            assertTrue(job.get("parallelism") instanceof Integer p && p > 0, name + " parallelism");
            assertTrue(Set.of("stateless", "savepoint", "last-state").contains(job.get("upgradeMode")), name);
            assertEquals("running", job.get("state"), name);
            if ("last-state".equals(job.get("upgradeMode"))) {
                assertEquals("kubernetes", config.get("high-availability.type"), name + ": last-state needs HA");
                assertNotNull(config.get("high-availability.storageDir"), name);
            }
            list(job.get("args")).forEach(a -> assertInstanceOf(String.class, a, name + " args must be quoted: " + a));
            List<String> args = strings(job.get("args"));
            Configuration options = JobArguments.parse(args.toArray(String[]::new));
            assertFalse(options.contains(FillMaskOptions.PARALLELISM), name + ": parallelism is spec.job.parallelism");
            for (ConfigOption<String> topic : topicOptions()) {
                assertEquals(topic.defaultValue(), options.get(topic), name + " --" + FillMaskOptions.flagName(topic));
            }
            String model = options.get(FillMaskOptions.MODEL);
            assertNotNull(model, name + " --model");
            String mount = mainContainerMountFor(spec, model);
            assertEquals(mount + "/models/" + DefaultModel.NAME, model, name + ": the importer's folder in the volume");
            assertImportsTheModelInto(spec, mount, name);
        }
    }

    @Test
    void gpuDeploymentAsksForGpusThroughFlinksExternalResources() {
        Map<String, Object> gpu = flinkDeployments().stream()
                .filter(d -> ((String) map(d, "metadata").get("name")).contains("gpu")).findFirst().orElseThrow();
        Map<String, Object> spec = map(gpu, "spec");
        Map<String, Object> config = map(spec, "flinkConfiguration");
        assertTrue(List.of(((String) config.get("external-resources")).split(";")).contains("gpu"));
        assertEquals("org.apache.flink.externalresource.gpu.GPUDriverFactory",
                config.get("external-resource.gpu.driver-factory.class"));
        assertTrue(Integer.parseInt((String) config.get("external-resource.gpu.amount")) >= 1);
        assertEquals("nvidia.com/gpu", config.get("external-resource.gpu.kubernetes.config-key"));
        assertTrue(((String) config.get("external-resource.gpu.param.discovery-script.path"))
                .endsWith("nvidia-gpu-discovery.sh"));
        Configuration options = JobArguments.parse(strings(map(spec, "job").get("args")).toArray(String[]::new));
        assertEquals(ExecutionProvider.CUDA, options.get(FillMaskOptions.PROVIDER));
        assertEquals(FillMaskOptions.AUTO, options.get(FillMaskOptions.DEVICE), "the GPU Flink assigned");
        assertTrue(((String) spec.get("image")).endsWith("-gpu"), "the GPU image");
    }

    /**
     * The CPU deployment's autoscaler is on with the settings docs/monitoring.md explains, and its bounds fit the
     * input topic: no more subtasks than partitions (a Kafka source reads a partition in one subtask only), and the
     * starting parallelism within the bounds.
     */
    @Test
    void cpuDeploymentAutoscalesWithinTheInputTopicsPartitions() {
        Map<String, Object> cpu = flinkDeployments().stream()
                .filter(d -> "fill-mask".equals(map(d, "metadata").get("name"))).findFirst().orElseThrow();
        Map<String, Object> config = map(map(cpu, "spec"), "flinkConfiguration");
        assertEquals("true", config.get("job.autoscaler.enabled"));
        for (String duration : List.of("job.autoscaler.metrics.window", "job.autoscaler.stabilization.interval",
                "job.autoscaler.catch-up.duration", "job.autoscaler.restart.time")) {
            assertNotNull(config.get(duration), duration);
            assertTrue(TimeUtils.parseDuration((String) config.get(duration)).toSeconds() > 0, duration);
        }
        double target = Double.parseDouble((String) config.get("job.autoscaler.target.utilization"));
        double boundary = Double.parseDouble((String) config.get("job.autoscaler.target.utilization.boundary"));
        assertTrue(target > 0 && target < 1 && boundary >= 0 && target + boundary <= 1,
                "utilization " + target + " +- " + boundary + " within (0, 1]");

        int partitions = inputTopicPartitions();
        int maxParallelism = Integer.parseInt((String) config.get("job.autoscaler.vertex.max-parallelism"));
        int minParallelism = Integer.parseInt((String) config.get("job.autoscaler.vertex.min-parallelism"));
        assertEquals(partitions, maxParallelism, "autoscaler bound = the input topic's partitions");
        assertEquals(String.valueOf(partitions), config.get("pipeline.max-parallelism"),
                "Flink's max parallelism = the input topic's partitions");
        int parallelism = (Integer) map(map(cpu, "spec"), "job").get("parallelism");
        assertTrue(minParallelism >= 1 && minParallelism <= parallelism && parallelism <= maxParallelism,
                minParallelism + " <= " + parallelism + " <= " + maxParallelism);
    }

    /** The partitions create-topics.yaml gives every topic. */
    private static int inputTopicPartitions() {
        Map<String, Object> job = kubernetesObjects("Job").stream()
                .filter(j -> "fill-mask-create-topics".equals(map(j, "metadata").get("name")))
                .findFirst().orElseThrow();
        String command = String.join(" ", strings(asMap(list(map(map(map(job, "spec"), "template"), "spec")
                .get("containers")).get(0)).get("command")));
        return Integer.parseInt(command.replaceFirst("(?s).*--partitions (\\d+).*", "$1"));
    }

    // ---------------------------------------------------------------- deploy/grafana

    /** What Flink's Prometheus reporter names an operator's metric: its logical scope and name joined with `_`. */
    private static final String OPERATOR_SCOPE = "flink_taskmanager_job_task_operator_";
    private static final String JOB_SCOPE = "flink_jobmanager_job_";

    /**
     * The dashboard parses, queries every metric the fill-mask operator registers (their names read from
     * FillMaskMetrics.java), and queries nothing the job does not expose: each other name is one of Flink's, the
     * Kafka source's or its consumer's, spelled as the Prometheus reporter spells them.
     */
    @Test
    void grafanaDashboardQueriesEveryFillMaskMetricAndOnlyMetricsTheJobExposes() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(root.resolve("deploy/grafana/fill-mask-dashboard.json").toFile());
        assertEquals("fill-mask", dashboard.path("uid").asText());
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(target.path("expr").asText());
            }
        }
        assertFalse(queries.isEmpty(), "panels with queries");
        Set<String> queried = new java.util.TreeSet<>();
        Matcher names = Pattern.compile("flink_\\w+").matcher(String.join("\n", queries));
        while (names.find()) {
            queried.add(names.group());
        }

        String metricsSource = Files.readString(
                root.resolve("udf/src/main/java/dev/fillmask/udf/FillMaskMetrics.java"), StandardCharsets.UTF_8);
        Set<String> registered = new java.util.TreeSet<>();
        Matcher registration = Pattern.compile("group\\.(?:counter|gauge|histogram)\\(\"(\\w+)\"").matcher(metricsSource);
        while (registration.find()) {
            registered.add(OPERATOR_SCOPE + "fillMask_" + registration.group(1));
        }
        assertTrue(registered.size() >= 9, "the names FillMaskMetrics registers: " + registered);
        for (String metric : registered) {
            assertTrue(queried.contains(metric), "no dashboard panel queries " + metric);
        }

        Set<String> exposed = new java.util.TreeSet<>(registered);
        exposed.add(OPERATOR_SCOPE + MetricNames.PENDING_RECORDS);
        exposed.add(OPERATOR_SCOPE + MetricNames.CURRENT_EMIT_EVENT_TIME_LAG);
        exposed.add(OPERATOR_SCOPE + MetricNames.CURRENT_FETCH_EVENT_TIME_LAG);
        // the Kafka consumer's own metrics, which the source registers in KafkaSourceReader.KafkaConsumer; the
        // reporter turns the dashes of Kafka's names into underscores
        exposed.add(OPERATOR_SCOPE + KafkaSourceReaderMetrics.KAFKA_SOURCE_READER_METRIC_GROUP + "_"
                + KafkaSourceReaderMetrics.KAFKA_CONSUMER_METRIC_GROUP + "_" + "records-lag-max".replace('-', '_'));
        exposed.add(JOB_SCOPE + MetricNames.NUM_RESTARTS);
        // the checkpoint statistics' names (package-private constants of Flink's DefaultCheckpointStatsTracker)
        for (String checkpoints : List.of("lastCheckpointDuration", "numberOfCompletedCheckpoints",
                "numberOfFailedCheckpoints")) {
            exposed.add(JOB_SCOPE + checkpoints);
        }
        for (String metric : queried) {
            assertTrue(exposed.contains(metric), "the dashboard queries " + metric + ", which the job does not expose");
        }
        // histograms are Prometheus summaries: their quantiles are labels
        assertTrue(queries.stream().anyMatch(q -> q.contains("fillMask_batchSize{") && q.contains("quantile=")));
    }

    /** docker compose starts Prometheus on both Flink services' reporter port and Grafana with the dashboard. */
    @Test
    void composeProvisionsPrometheusAndGrafanaWithTheDashboard() throws IOException {
        Map<String, Object> services = composeServices();
        String port = flinkProperties(stringMap(map(services, "jobmanager").get("environment")).get("FLINK_PROPERTIES"))
                .get("metrics.reporter.prom.port");
        String prometheusConfig = Files.readString(root.resolve("deploy/prometheus/prometheus.yml"), StandardCharsets.UTF_8);
        for (String flink : List.of("jobmanager", "taskmanager")) {
            assertTrue(prometheusConfig.contains("\"" + flink + ":" + port + "\""), "Prometheus scrapes " + flink);
        }
        assertTrue(strings(map(services, "prometheus").get("volumes")).contains(
                "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"));
        List<String> grafanaVolumes = strings(map(services, "grafana").get("volumes"));
        String provider = Files.readString(root.resolve("deploy/grafana/provisioning/dashboards/fill-mask.yml"),
                StandardCharsets.UTF_8);
        String dashboards = provider.replaceFirst("(?s).*path: (\\S+).*", "$1");
        assertTrue(grafanaVolumes.contains("./deploy/grafana/fill-mask-dashboard.json:" + dashboards
                + "/fill-mask-dashboard.json:ro"), "the dashboard where the provider looks: " + grafanaVolumes);
        assertTrue(grafanaVolumes.contains("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro"));
        assertTrue(Files.readString(root.resolve("deploy/grafana/provisioning/datasources/prometheus.yml"),
                StandardCharsets.UTF_8).contains("url: http://prometheus:9090"));
    }

    // ---------------------------------------------------------------- deploy/README.md

    /**
     * The walk-throughs' commands in an order that neither stalls nor fails: `docker compose up -d` blocks until the
     * build has finished, so the build is started alone before its log is followed; on Kubernetes the claims get
     * their storage class, and the topics exist, before the job starts.
     */
    @Test
    void readmeStepsComeInAnOrderThatWorks() throws IOException {
        String readme = Files.readString(root.resolve("deploy/README.md"), StandardCharsets.UTF_8);
        assertInOrder(readme, "docker compose up -d kafka build ", "docker compose logs -f build",
                "docker compose up -d ");
        assertInOrder(readme, "sed 's/" + STORAGE_CLASS_PLACEHOLDER + "/",
                "kubectl apply -f deploy/kubernetes/create-topics.yaml",
                "kubectl wait --for=condition=complete job/fill-mask-create-topics",
                "kubectl apply -f deploy/kubernetes/fill-mask-cpu.yaml");
        assertTrue(readme.contains("kubectl apply -f deploy/kubernetes/pod-monitor.yaml"), "scraping is set up");
        assertTrue(readme.contains("2.1 or newer"), "Kafka 4 clients need brokers of 2.1 or newer");
    }

    private static void assertInOrder(String text, String... steps) {
        int at = -1;
        for (String step : steps) {
            int next = text.indexOf(step, at + 1);
            assertTrue(next > at, "deploy/README.md: `" + step.strip() + "` missing or out of order");
            at = next;
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The job is submitted by the cluster itself (application mode): the web UI need not upload and run jars, nor
     * cancel. (Neither setting stops the REST API from taking a job graph or a cancel request: only the network or
     * REST client certificates do, deploy/README.md.)
     */
    private static void assertRestLockedDown(Map<String, ?> config, String where) {
        assertEquals("false", String.valueOf(config.get("web.submit.enable")), where + ": web.submit.enable");
        assertEquals("false", String.valueOf(config.get("web.cancel.enable")), where + ": web.cancel.enable");
    }

    private static void assertParentFirstNativePackages(String patterns, String where) {
        assertNotNull(patterns, where + ": " + PARENT_FIRST);
        List<String> list = List.of(patterns.split(";"));
        assertTrue(list.contains("ai.djl.") && list.contains("ai.onnxruntime."), where + ": " + patterns);
    }

    /** The mountPath of the main container's volume that holds {@code path}. */
    private static String mainContainerMountFor(Map<String, Object> spec, String path) {
        for (Object m : list(mainContainer(spec).get("volumeMounts"))) {
            String mountPath = (String) asMap(m).get("mountPath");
            if (path.startsWith(mountPath + "/")) {
                return mountPath;
            }
        }
        throw new AssertionError("no volume of flink-main-container holds " + path);
    }

    private static Map<String, Object> mainContainer(Map<String, Object> spec) {
        for (Object c : list(map(map(spec, "podTemplate"), "spec").get("containers"))) {
            if ("flink-main-container".equals(asMap(c).get("name"))) {
                return asMap(c);
            }
        }
        throw new AssertionError("no flink-main-container in the pod template");
    }

    /** The JobManager pod's init containers: they run before any TaskManager exists. */
    private static List<Map<String, Object>> initContainers(Map<String, Object> spec) {
        return list(map(map(map(spec, "jobManager"), "podTemplate"), "spec").get("initContainers")).stream()
                .map(DeploymentFilesTest::asMap).toList();
    }

    private static void assertImportsTheModelInto(Map<String, Object> spec, String mountPath, String name) {
        for (Map<String, Object> init : initContainers(spec)) {
            Map<String, String> env = new LinkedHashMap<>();
            for (Object e : init.get("env") == null ? List.of() : list(init.get("env"))) {
                env.put((String) asMap(e).get("name"), String.valueOf(asMap(e).get("value")));
            }
            if (strings(init.get("command")).equals(List.of("./fill-mask", "model"))
                    && mountPath.equals(env.get("FILL_MASK_HOME"))) {
                return;
            }
        }
        throw new AssertionError(name + ": no init container runs `./fill-mask model` with FILL_MASK_HOME=" + mountPath);
    }

    /** The named volume (or host folder) that {@code service} mounts at {@code path}. */
    private static String volumeAt(Map<String, Object> service, String path) {
        for (String volume : strings(service.get("volumes"))) {
            String[] parts = volume.split(":");
            if (parts.length >= 2 && parts[1].equals(path)) {
                return parts[0];
            }
        }
        throw new AssertionError("nothing mounted at " + path + " in " + service.get("volumes"));
    }

    /** FLINK_PROPERTIES: one {@code key: value} a line. */
    private static Map<String, String> flinkProperties(String text) {
        Map<String, String> config = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (!line.isBlank() && colon > 0) {
                config.put(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
            }
        }
        return config;
    }

    private static List<ConfigOption<String>> topicOptions() {
        return List.of(FillMaskOptions.INPUT_TOPIC, FillMaskOptions.OUTPUT_TOPIC, FillMaskOptions.DEAD_LETTER_TOPIC);
    }

    private static Map<String, Object> composeServices() {
        return map(asMap(load(root.resolve("docker-compose.yml")).get(0)), "services");
    }

    private static List<Map<String, Object>> flinkDeployments() {
        return kubernetesObjects("FlinkDeployment");
    }

    /** The objects of one kind in deploy/kubernetes/*.yaml. */
    private static List<Map<String, Object>> kubernetesObjects(String kind) {
        List<Map<String, Object>> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(root.resolve("deploy/kubernetes"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (Object doc : load(file)) {
                    if (doc != null && kind.equals(asMap(doc).get("kind"))) {
                        objects.add(asMap(doc));
                    }
                }
            }
        } catch (IOException e) {
            throw new AssertionError("cannot list deploy/kubernetes", e);
        }
        assertFalse(objects.isEmpty(), "no " + kind + " in deploy/kubernetes");
        return objects;
    }

    /** deploy/Dockerfile's stages by name, each as its text from its FROM line on. */
    private static Map<String, String> dockerfileStages() throws IOException {
        String dockerfile = Files.readString(root.resolve("deploy/Dockerfile"), StandardCharsets.UTF_8);
        Map<String, String> stages = new LinkedHashMap<>();
        String[] parts = dockerfile.split("(?m)^(?=FROM )");
        for (String part : parts) {
            Matcher from = Pattern.compile("^FROM .* AS ([\\w-]+)\n").matcher(part);
            if (from.lookingAt()) {
                stages.put(from.group(1), part);
            }
        }
        return stages;
    }

    private static List<Object> load(Path file) {
        try {
            List<Object> docs = new ArrayList<>();
            new Yaml().loadAll(Files.readString(file, StandardCharsets.UTF_8)).forEach(docs::add);
            return docs;
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }

    private static Map<String, Object> map(Map<String, Object> parent, String key) {
        Object value = parent.get(key);
        assertNotNull(value, "missing " + key);
        return asMap(value);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object value) {
        assertInstanceOf(Map.class, value);
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        assertInstanceOf(List.class, value);
        return (List<Object>) value;
    }

    /** A YAML list of scalars, or one string (a shell command), as strings. */
    private static List<String> strings(Object value) {
        if (value instanceof String s) {
            return List.of(s);
        }
        return list(value).stream().map(String::valueOf).toList();
    }

    /** A compose environment, as a map or as a list of NAME=value. */
    private static Map<String, String> stringMap(Object value) {
        Map<String, String> result = new LinkedHashMap<>();
        if (value instanceof List<?> entries) {
            for (Object entry : entries) {
                String[] kv = String.valueOf(entry).split("=", 2);
                result.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        } else {
            asMap(value).forEach((k, v) -> result.put(k, String.valueOf(v)));
        }
        return result;
    }
}
