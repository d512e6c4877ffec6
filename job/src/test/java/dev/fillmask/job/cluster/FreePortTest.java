package dev.fillmask.job.cluster;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ports reserved by one JVM are never handed out again, by it or by another process, and lie outside the kernel's own range. */
class FreePortTest {
    @Test
    void portsAreDistinctBindableAndBelowTheEphemeralRange() throws IOException {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            int port = FreePort.next();
            assertTrue(port < FreePort.ephemeralStart(), port + " is below the ephemeral range");
            assertTrue(ports.add(port), "port " + port + " handed out twice");
            try (ServerSocket server = new ServerSocket()) {
                server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            }
        }
    }

    @Test
    void anotherProcessCannotBeHandedAPortThisJvmReserved() throws Exception {
        int held = FreePort.next();
        // The other JVM may only choose between the port held here and the one after it.
        String theirs = probe(held, held + 2);
        assertTrue(!theirs.equals(Integer.toString(held)), "the other process got " + theirs + ", held here");
        String none = probe(held, held + 1);
        assertTrue(none.startsWith("none: no free port in " + held + "-" + held), none);
    }

    /** Runs {@link #main} in a JVM of its own: what FreePort there chooses in [start, end). */
    private static String probe(int start, int end) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                FreePortTest.class.getName(), Integer.toString(start), Integer.toString(end)))
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, process.exitValue(), output);
        return output.lines().reduce((a, b) -> b).orElse("");
    }

    public static void main(String[] args) {
        try {
            System.out.println(FreePort.within(Integer.parseInt(args[0]), Integer.parseInt(args[1])));
        } catch (IllegalStateException e) {
            System.out.println("none: " + e.getMessage());
        }
    }
}
