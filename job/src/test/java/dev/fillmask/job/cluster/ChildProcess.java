package dev.fillmask.job.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A JVM started by a test, its output in a log file. {@link #stop} asks it to end (SIGTERM) and ends it by force when
 * it does not within the grace period; {@link #kill} ends it at once (SIGKILL), as a crash would. A JVM shutdown hook
 * ends it by force if the test JVM goes away first, so that no process outlives the build.
 */
public final class ChildProcess implements AutoCloseable {
    private static final Duration GRACE = Duration.ofSeconds(20);

    private final String name;
    private final Path log;
    private final Process process;
    private final Thread reaper;

    private ChildProcess(String name, Path log, Process process) {
        this.name = name;
        this.log = log;
        this.process = process;
        this.reaper = new Thread(() -> {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }, "reap-" + name);
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** Starts {@code java [jvmOptions] -cp classpath mainClass [args]}; stdout and stderr go to {@code log}. */
    public static ChildProcess startJava(String name, Path log, List<String> classpath, List<String> jvmOptions,
                                         String mainClass, List<String> args, Map<String, String> env, Path workDir) {
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, classpath));
        command.add(mainClass);
        command.addAll(args);
        return start(name, log, command, env, workDir);
    }

    /** Starts {@code command}; stdout and stderr go to {@code log} (appended: a restart keeps the earlier output). */
    public static ChildProcess start(String name, Path log, List<String> command, Map<String, String> env, Path workDir) {
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "\n==== " + java.time.Instant.now() + " " + String.join(" ", command) + "\n",
                    StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder builder = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(env);
            return new ChildProcess(name, log, builder.start());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + name + ": " + e.getMessage(), e);
        }
    }

    /** Runs {@code java ... mainClass args} to its end; returns its output, or fails with it when the exit code is not 0. */
    public static String runJava(String name, Path log, List<String> classpath, List<String> jvmOptions,
                                 String mainClass, List<String> args, Map<String, String> env, Path workDir,
                                 Duration timeout) {
        long logStart = sizeOf(log);
        ChildProcess child = startJava(name, log, classpath, jvmOptions, mainClass, args, env, workDir);
        try {
            if (!child.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " did not end within " + timeout + ":\n" + child.logTail(40));
            }
            String output = readFrom(log, logStart);
            if (child.process.exitValue() != 0) {
                throw new IllegalStateException(name + " failed (exit code " + child.process.exitValue() + "):\n"
                        + tail(output, 60));
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        } finally {
            child.close();
        }
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public Path log() {
        return log;
    }

    /** Asks the process to end (SIGTERM) and waits; ends it by force if it does not end within the grace period. */
    public void stop() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }
        removeHook();
    }

    /** Ends the process at once (SIGKILL), as a crash of its machine would, and waits until it is gone. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        removeHook();
    }

    private void removeHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(reaper);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    /** The last {@code lines} lines of the process's log, for failure messages. */
    public String logTail(int lines) {
        return tail(readFrom(log, 0), lines);
    }

    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + (process.isAlive() ? "" : ", ended") + ", log " + log + ")";
    }

    static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static long sizeOf(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static String readFrom(Path file, long offset) {
        try {
            byte[] all = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(could not read " + file + ": " + e.getMessage() + ")";
        }
    }

    static String tail(String text, int lines) {
        String[] all = text.split("\n", -1);
        int from = Math.max(0, all.length - lines);
        return String.join("\n", java.util.Arrays.copyOfRange(all, from, all.length));
    }
}
