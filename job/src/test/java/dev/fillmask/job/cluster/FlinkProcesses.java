package dev.fillmask.job.cluster;

import dev.fillmask.job.FillMaskJob;
import dev.fillmask.job.local.ListenAddress;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A standalone Flink session cluster as separate JVM processes, from Maven jars instead of a Flink distribution
 * (flink-dist is not on Maven Central): a JobManager ({@code StandaloneSessionClusterEntrypoint}) and TaskManagers
 * ({@code TaskManagerRunner}), each given the memory settings {@code bin/*.sh} would compute with
 * {@code BashJavaUtils}, all on 127.0.0.1. Jobs are submitted like a user does, with the Flink CLI
 * ({@code CliFrontend run -d}) in a process of its own. TaskManagers can be killed (SIGKILL) and started again.
 */
public final class FlinkProcesses implements AutoCloseable {
    /** DJL must never phone home: in every JVM that may load it. */
    public static final List<String> DJL_OFFLINE = List.of("-DOPT_OUT_TRACKING=true", "-Dai.djl.offline=true");
    public static final Map<String, String> DJL_OFFLINE_ENV = Map.of("OPT_OUT_TRACKING", "true", "DJL_OFFLINE", "true");

    private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
    private static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);

    private final Path home;
    private final Path conf;
    private final Path logs;
    private final List<String> classpath;
    private final int restPort;
    private final FlinkRest rest;
    private ChildProcess jobManager;
    private final List<ChildProcess> taskManagers = new ArrayList<>();
    private int taskManagerCount;

    private FlinkProcesses(Path home, List<Path> libDirs, Map<String, String> configuration) {
        this.home = home.toAbsolutePath();
        this.conf = this.home.resolve("conf");
        this.logs = this.home.resolve("log");
        this.classpath = libDirs.stream().map(d -> d.toAbsolutePath() + "/*").toList();
        this.restPort = FreePort.next();
        this.rest = new FlinkRest("http://127.0.0.1:" + restPort);
        writeConfiguration(configuration);
    }

    /**
     * Writes {@code home/conf/config.yaml} (loopback addresses, free ports, and {@code configuration} on top) and
     * starts a JobManager and one TaskManager; {@link #awaitReady} waits until the TaskManager has registered.
     * {@code libDirs} are the cluster's {@code lib/}: every jar in them is on each process's class path.
     */
    public static FlinkProcesses start(Path home, List<Path> libDirs, Map<String, String> configuration) {
        KafkaProcess.requireJars(libDirs.get(0), "flink-runtime");
        FlinkProcesses flink = new FlinkProcesses(home, libDirs, configuration);
        try {
            flink.startJobManager();
            flink.startTaskManager();
            return flink;
        } catch (RuntimeException | Error e) {
            flink.close();
            throw e;
        }
    }

    public FlinkRest rest() {
        return rest;
    }

    public Path confDir() {
        return conf;
    }

    public Path logDir() {
        return logs;
    }

    public ChildProcess jobManager() {
        return jobManager;
    }

    /** The TaskManagers started so far that still run. */
    public List<ChildProcess> taskManagers() {
        return taskManagers.stream().filter(ChildProcess::isAlive).toList();
    }

    /** Waits until {@code count} TaskManagers have registered with the JobManager. */
    public FlinkProcesses awaitReady(int count) {
        awaitCondition("the cluster to have " + count + " TaskManager(s)", READY_TIMEOUT, () -> {
            JsonNode overview = rest.get("/overview");
            return overview.path("taskmanagers").asInt() >= count;
        });
        return this;
    }

    /** Starts one more TaskManager (its log: {@code log/taskmanager-N.log}). */
    public ChildProcess startTaskManager() {
        int n = ++taskManagerCount;
        String name = "taskmanager-" + n;
        List<String> resources = resourceParams("GET_TM_RESOURCE_PARAMS", name);
        List<String> jvm = new ArrayList<>(jvmOptions(name));
        jvm.addAll(List.of(resources.get(0).trim().split("\\s+")));
        List<String> args = new ArrayList<>(List.of("--configDir", conf.toString()));
        args.addAll(splitDynamicProperties(resources.get(1)));
        args.addAll(List.of("-D", "taskmanager.resource-id=" + name));
        ChildProcess tm = ChildProcess.startJava(name, logs.resolve(name + ".out"), classpath, jvm,
                "org.apache.flink.runtime.taskexecutor.TaskManagerRunner", args, DJL_OFFLINE_ENV, home);
        taskManagers.add(tm);
        return tm;
    }

    /** Kills a TaskManager (SIGKILL), as the loss of its machine would. */
    public void killTaskManager(ChildProcess taskManager) {
        taskManager.kill();
    }

    /**
     * Submits {@code jar} with {@code args} for its main class, as a user does: {@code flink run -d JAR ARGS} (the
     * Flink CLI in a process of its own, with this cluster's conf/ and lib/). Returns the job's id.
     */
    public String submit(Path jar, List<String> args) {
        return submit(jar, List.of(), args);
    }

    /**
     * {@link #submit(Path, List)} with options for {@code flink run} itself before the jar, e.g. {@code -s SAVEPOINT}
     * to start from a savepoint: {@code flink run -d RUN_OPTIONS JAR ARGS}.
     */
    public String submit(Path jar, List<String> runOptions, List<String> args) {
        List<String> cli = new ArrayList<>(List.of("run", "-d"));
        cli.addAll(runOptions);
        cli.add(jar.toAbsolutePath().toString());
        cli.addAll(args);
        Map<String, String> env = new LinkedHashMap<>(DJL_OFFLINE_ENV);
        env.put("FLINK_CONF_DIR", conf.toString());
        String output = ChildProcess.runJava("flink-run", logs.resolve("flink-cli.out"), classpath,
                jvmOptions("flink-cli"), "org.apache.flink.client.cli.CliFrontend", cli, env, home,
                Duration.ofMinutes(3));
        Matcher id = JOB_ID.matcher(output);
        if (!id.find()) {
            throw new IllegalStateException("flink run printed no JobID:\n" + ChildProcess.tail(output, 40));
        }
        return id.group(1);
    }

    /** The job's state (RUNNING, CANCELED, FAILED, ...). */
    public String jobState(String jobId) {
        try {
            return rest.get("/jobs/" + jobId).path("state").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until the job and every one of its tasks run; fails with the job's exception when it fails instead. */
    public void awaitJobRunning(String jobId, Duration timeout) {
        awaitCondition("job " + jobId + " to run", timeout, () -> {
            JsonNode job = rest.get("/jobs/" + jobId);
            String state = job.path("state").asText();
            if (state.equals("FAILED") || state.equals("CANCELED") || state.equals("FINISHED")) {
                throw new IllegalStateException("job " + jobId + " is " + state + failureOf(jobId).map(f -> ": " + f).orElse(""));
            }
            if (!state.equals("RUNNING")) {
                return false;
            }
            for (JsonNode vertex : job.path("vertices")) {
                if (!vertex.path("status").asText().equals("RUNNING")) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Stops the job with a savepoint in {@code directory} ({@code POST /jobs/<id>/stop}, as {@code flink stop
     * --savepointPath} does), waits until the savepoint is complete and the job FINISHED, and returns the savepoint's
     * location (for {@code flink run -s}).
     */
    public String stopWithSavepoint(String jobId, Path directory, Duration timeout) {
        String requestId;
        try {
            String body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                    .put("targetDirectory", directory.toAbsolutePath().toUri().toString())
                    .put("drain", false)
                    .toString();
            requestId = rest.post("/jobs/" + jobId + "/stop", body).path("request-id").asText();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String[] location = new String[1];
        awaitCondition("the savepoint of job " + jobId, timeout, () -> {
            JsonNode status = rest.get("/jobs/" + jobId + "/savepoints/" + requestId);
            if (!status.path("status").path("id").asText().equals("COMPLETED")) {
                return false;
            }
            JsonNode operation = status.path("operation");
            if (operation.hasNonNull("failure-cause")) {
                throw new IllegalStateException("stop-with-savepoint of job " + jobId + " failed: "
                        + operation.path("failure-cause").path("stack-trace").asText(operation.toString()));
            }
            location[0] = operation.path("location").asText();
            return true;
        });
        awaitCondition("job " + jobId + " to finish after its savepoint", timeout,
                () -> jobState(jobId).equals("FINISHED"));
        return location[0];
    }

    /** Cancels the job and waits until it is cancelled. */
    public void cancel(String jobId, Duration timeout) {
        try {
            rest.patch("/jobs/" + jobId + "?mode=cancel");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitCondition("job " + jobId + " to be cancelled", timeout, () -> jobState(jobId).equals("CANCELED"));
    }

    /** The newest exception the job saw (its stack trace), if any. */
    public Optional<String> failureOf(String jobId) {
        try {
            JsonNode exceptions = rest.get("/jobs/" + jobId + "/exceptions?maxExceptions=1");
            JsonNode entries = exceptions.path("exceptionHistory").path("entries");
            if (entries.size() > 0) {
                return Optional.of(entries.get(0).path("stacktrace").asText());
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("(could not read the job's exceptions: " + e.getMessage() + ")");
        }
    }

    /** Everything the processes logged that may explain a failure: the end of each log. */
    public String logTails() {
        StringBuilder text = new StringBuilder();
        try (var files = Files.list(logs)) {
            for (Path file : files.sorted().toList()) {
                text.append("\n---- ").append(file).append(" ----\n")
                        .append(ChildProcess.tail(Files.readString(file, StandardCharsets.UTF_8), 30));
            }
        } catch (IOException e) {
            text.append("(could not read ").append(logs).append(": ").append(e.getMessage()).append(")");
        }
        return text.toString();
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (ChildProcess tm : taskManagers) {
            try {
                tm.stop();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (jobManager != null) {
            jobManager.stop();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void startJobManager() {
        List<String> resources = resourceParams("GET_JM_RESOURCE_PARAMS", "jobmanager");
        List<String> jvm = new ArrayList<>(jvmOptions("jobmanager"));
        jvm.addAll(List.of(resources.get(0).trim().split("\\s+")));
        List<String> args = new ArrayList<>(List.of("--configDir", conf.toString(), "--executionMode", "cluster"));
        args.addAll(splitDynamicProperties(resources.get(1)));
        jobManager = ChildProcess.startJava("jobmanager", logs.resolve("jobmanager.out"), classpath, jvm,
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", args, DJL_OFFLINE_ENV, home);
    }

    /** What bin/jobmanager.sh and bin/taskmanager.sh compute: the JVM's memory flags, and -D settings. */
    private List<String> resourceParams(String command, String name) {
        String output = ChildProcess.runJava("BashJavaUtils " + command, logs.resolve("bash-java-utils.out"),
                classpath, List.of("-Xmx128m", "-Dlog4j.configurationFile=file:" + conf.resolve("log4j-console.properties")),
                "org.apache.flink.runtime.util.bash.BashJavaUtils", List.of(command, "--configDir", conf.toString()),
                Map.of(), home, Duration.ofMinutes(1));
        List<String> results = output.lines().filter(l -> l.startsWith(RESULT_PREFIX))
                .map(l -> l.substring(RESULT_PREFIX.length())).toList();
        if (results.size() < 2) {
            throw new IllegalStateException("BashJavaUtils " + command + " for " + name + " printed no resource "
                    + "settings:\n" + ChildProcess.tail(output, 40));
        }
        return results.subList(results.size() - 2, results.size());
    }

    /** "-D a=1 -D b=2" → ["-D", "a=1", "-D", "b=2"]. */
    private static List<String> splitDynamicProperties(String line) {
        List<String> args = new ArrayList<>();
        for (String token : line.trim().split("\\s+")) {
            if (!token.isEmpty()) {
                args.add(token);
            }
        }
        return args;
    }

    private List<String> jvmOptions(String name) {
        List<String> options = new ArrayList<>(JavaOpens.fromBuild());
        options.addAll(DJL_OFFLINE);
        options.add("-Dlog.file=" + logs.resolve(name + ".log"));
        options.add("-Dlog4j.configurationFile=file:" + conf.resolve(name.equals("flink-cli")
                ? "log4j-cli.properties" : "log4j.properties"));
        return options;
    }

    private void writeConfiguration(Map<String, String> overrides) {
        Map<String, String> config = new LinkedHashMap<>();
        // REST API, RPC, blob server, data and metric query ports: on 127.0.0.1, as a local run's
        config.putAll(ListenAddress.loopback().flinkConfiguration().toMap());
        // what the job needs of its TaskManagers, as the deployment files set it
        config.putAll(FillMaskJob.clusterSettings().toMap());
        config.put("jobmanager.rpc.port", String.valueOf(FreePort.next()));
        config.put("jobmanager.memory.process.size", "1024m");
        config.put("taskmanager.numberOfTaskSlots", "2");
        config.put("taskmanager.memory.process.size", "2048m");
        config.put("rest.port", String.valueOf(restPort));
        config.put("parallelism.default", "2");
        config.put("io.tmp.dirs", home.resolve("tmp").toString());
        config.put("web.tmpdir", home.resolve("tmp/web").toString());
        config.put("blob.storage.directory", home.resolve("tmp/blobs").toString());
        config.put("state.backend.type", "hashmap");
        config.put("execution.checkpointing.dir", home.resolve("checkpoints").toUri().toString());
        config.put("execution.checkpointing.savepoint-dir", home.resolve("savepoints").toUri().toString());
        config.putAll(overrides);
        StringBuilder yaml = new StringBuilder("# written by FlinkProcesses (test): a session cluster on 127.0.0.1\n");
        config.forEach((key, value) -> yaml.append(key).append(": ").append(yamlScalar(value)).append('\n'));
        String log4j = String.join("\n",
                "rootLogger.level = INFO",
                "rootLogger.appenderRef.file.ref = MainAppender",
                "logger.pekko.name = org.apache.pekko",
                "logger.pekko.level = INFO",
                "logger.kafka.name = org.apache.kafka",
                "logger.kafka.level = WARN",
                "appender.main.name = MainAppender",
                "appender.main.type = File",
                "appender.main.fileName = ${sys:log.file}",
                "appender.main.append = true",
                "appender.main.layout.type = PatternLayout",
                "appender.main.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n",
                "");
        String console = String.join("\n",
                "rootLogger.level = WARN",
                "rootLogger.appenderRef.console.ref = ConsoleAppender",
                "appender.console.name = ConsoleAppender",
                "appender.console.type = CONSOLE",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c - %m%n",
                "");
        try {
            Files.createDirectories(conf);
            Files.createDirectories(logs);
            Files.createDirectories(home.resolve("tmp"));
            Files.writeString(conf.resolve("config.yaml"), yaml, StandardCharsets.UTF_8);
            Files.writeString(conf.resolve("log4j.properties"), log4j, StandardCharsets.UTF_8);
            Files.writeString(conf.resolve("log4j-cli.properties"), log4j, StandardCharsets.UTF_8);
            Files.writeString(conf.resolve("log4j-console.properties"), console, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the Flink configuration under " + conf, e);
        }
    }

    private static String yamlScalar(String value) {
        return value.matches("[A-Za-z0-9_./:;=-]+") && !value.contains(": ") ? value : "'" + value.replace("'", "''") + "'";
    }

    /** Something to wait for; it may throw to say the wait is hopeless. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    private void awaitCondition(String what, Duration timeout, Condition condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (true) {
            if (jobManager != null && !jobManager.isAlive()) {
                throw new IllegalStateException("the JobManager ended while waiting for " + what + ":\n"
                        + jobManager.logTail(60));
            }
            try {
                if (condition.holds()) {
                    return;
                }
            } catch (IllegalStateException hopeless) {
                throw hopeless;
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + timeout + " waiting for " + what
                        + (last == null ? "" : " (last error: " + last.getMessage() + ")") + logTails());
            }
            Pause.sleep(250);
        }
    }
}
