package dev.fillmask.job.cli;

import dev.fillmask.job.listen.ListeningSockets;
import dev.fillmask.job.listen.ListeningSockets.Listener;
import dev.fillmask.engine.testing.SharedDefaultModel;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code ./fill-mask run --embedded} while it serves, seen from the kernel: every socket it listens on (the broker,
 * its controller, Flink's REST API, RPC, blob server...) is on loopback; with {@code --listen 0.0.0.0} they are on
 * every interface, and the run says so. The run is this JVM's: the sockets compared are those that appeared after
 * its start.
 */
class RunListenITCase {
    private static final Pattern BOOTSTRAP = Pattern.compile("Kafka bootstrap servers: (\\S+):(\\d+)");
    private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

    @Test
    void theEmbeddedRunListensOnLoopbackOnly() throws Exception {
        Serving run = Serving.start();
        try {
            assertTrue(run.opened().size() >= 4, "the broker, its controller, Flink's REST API and blob server at"
                    + " least: " + run.opened());
            for (Listener l : run.opened()) {
                assertTrue(l.isLoopback(), l + " is not on loopback; all: " + run.opened());
            }
            assertTrue(run.opened().stream().anyMatch(l -> l.port() == run.brokerPort()), "the broker's port "
                    + run.brokerPort() + " is one of them: " + run.opened());
            assertFalse(run.log().contains("WARNING"), run.log());
            assertEquals("127.0.0.1", run.brokerHost(), "the bootstrap address it prints");
        } finally {
            run.stop();
        }
    }

    @Test
    void listenOnEveryInterfaceExposesThemAndSaysWhat() throws Exception {
        Serving run = Serving.start("--listen", "0.0.0.0");
        try {
            assertTrue(run.opened().size() >= 4, run.opened().toString());
            for (Listener l : run.opened()) {
                assertTrue(l.isWildcard(), l + " is not on every interface; all: " + run.opened());
            }
            assertTrue(run.opened().stream().anyMatch(l -> l.port() == run.brokerPort()), run.opened().toString());
            assertEquals("127.0.0.1", run.brokerHost(), "this run's own clients stay on loopback");
            String warning = run.log().lines().filter(line -> line.contains("WARNING")).findFirst().orElse("");
            assertTrue(warning.startsWith("fill-mask: WARNING: --listen 0.0.0.0: listening on every network interface"),
                    run.log());
            assertTrue(warning.contains("Kafka broker"), warning);
            assertTrue(warning.contains("REST API and web UI"), warning);
            assertTrue(warning.contains("cancel and submit jobs"), warning);
        } finally {
            run.stop();
        }
    }

    /** A serving run in a thread of this JVM, with what it logged and the sockets that appeared when it started. */
    private record Serving(Thread thread, Log output, List<Listener> opened, String brokerHost, int brokerPort) {
        static Serving start(String... extra) throws Exception {
            String model = SharedDefaultModel.path().toString();
            long pid = ProcessHandle.current().pid();
            List<Listener> before = ListeningSockets.of(pid);
            Log log = new Log();
            String[] args = concat(new String[] {"run", "--embedded", "--model", model}, extra);
            int[] code = {-1};
            Thread thread = new Thread(() -> code[0] = FillMaskCli.run(args, new ByteArrayInputStream(new byte[0]),
                    new PrintStream(OutputStream.nullOutputStream()), new PrintStream(log, true, StandardCharsets.UTF_8)),
                    "fill-mask-run");
            thread.start();
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (!log.text().contains("fill-mask: serving")) {
                if (!thread.isAlive() || System.nanoTime() > deadline) {
                    thread.interrupt();
                    thread.join(Duration.ofMinutes(1).toMillis());
                    throw new AssertionError("the run did not serve (exit code " + code[0] + "):\n" + log.text());
                }
                Thread.sleep(200);
            }
            Matcher bootstrap = BOOTSTRAP.matcher(log.text());
            assertTrue(bootstrap.find(), log.text());
            List<Listener> opened = ListeningSockets.since(before, ListeningSockets.of(pid));
            System.out.println("fill-mask: run " + String.join(" ", extra) + " listens on " + opened);
            return new Serving(thread, log, opened, bootstrap.group(1), Integer.parseInt(bootstrap.group(2)));
        }

        String log() {
            return output.text();
        }

        /** As Ctrl-C would: the run cancels its job and stops its broker. */
        void stop() throws InterruptedException {
            thread.interrupt();
            thread.join(Duration.ofMinutes(2).toMillis());
            assertFalse(thread.isAlive(), "the run did not stop:\n" + output.text());
        }

        private static String[] concat(String[] a, String[] b) {
            String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, all, a.length, b.length);
            return all;
        }
    }

    /** What the run prints on stderr, readable while it runs. */
    private static final class Log extends ByteArrayOutputStream {
        synchronized String text() {
            return toString(StandardCharsets.UTF_8);
        }
    }
}
