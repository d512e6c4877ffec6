package dev.fillmask.job.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A TCP port on 127.0.0.1, reserved for a process about to listen on it, that no other process can be handed
 * meanwhile. The processes the tests start must be told their ports before they listen (a KRaft controller's voters,
 * the JobManager RPC port its TaskManagers are configured with, a broker restarted on the port its clients know),
 * so "bind port 0 and read it back" does not fit them. "Bind port 0, close, pass the number on" races: until the
 * child binds, the kernel may hand the same ephemeral port to any other process, another test JVM doing the same, or
 * any outgoing connection (its source port comes from the same range). So instead:
 * <ul>
 *   <li>ports are taken from below the kernel's ephemeral range ({@code net.ipv4.ip_local_port_range}), which the
 *       kernel never hands out by itself, neither for a bind to port 0 nor as a connection's source port;</li>
 *   <li>each port is reserved across processes by an exclusive lock on a file named after it in
 *       {@code java.io.tmpdir/fill-mask-test-ports}, held until this JVM ends (the kernel drops the lock even when the
 *       JVM is killed, so nothing stale stays reserved); the test JVMs of every build on the machine skip locked
 *       ports;</li>
 *   <li>a port must also be bindable at the moment, which skips ports other programs hold.</li>
 * </ul>
 * What is left is a program outside these tests binding a fixed port of that range in the moment between the check
 * and the child's start.
 */
public final class FreePort {
    private static final Path LOCKS = Path.of(System.getProperty("java.io.tmpdir"), "fill-mask-test-ports");
    /** Ports below this are left alone (well-known and registered services cluster there). */
    private static final int LOWEST = 20_000;
    private static final int DEFAULT_EPHEMERAL_START = 32_768;

    /** The reservations of this JVM, kept until it ends. */
    private static final List<FileLock> HELD = new ArrayList<>();
    private static final Set<Integer> RESERVED = new HashSet<>();

    private FreePort() {}

    public static int next() {
        int end = ephemeralStart();
        int start = Math.max(1024, Math.min(LOWEST, end - 1024));
        if (end - start < 64) {
            throw new IllegalStateException("the kernel's ephemeral ports start at " + end + ": too few ports below"
                    + " them to reserve (net.ipv4.ip_local_port_range)");
        }
        return within(start, end);
    }

    /** A port of {@code start} (inclusive) to {@code end} (exclusive), reserved as {@link #next} does. */
    static synchronized int within(int start, int end) {
        int span = end - start;
        int first = ThreadLocalRandom.current().nextInt(span);
        try {
            Files.createDirectories(LOCKS);
            for (int i = 0; i < span; i++) {
                int port = start + (first + i) % span;
                if (!RESERVED.contains(port) && reserve(port)) {
                    return port;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reserve a port under " + LOCKS, e);
        }
        throw new IllegalStateException("no free port in " + start + "-" + (end - 1) + " on 127.0.0.1");
    }

    private static boolean reserve(int port) throws IOException {
        FileChannel channel = FileChannel.open(LOCKS.resolve(port + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null || !bindable(port)) {
            channel.close();
            return false;
        }
        HELD.add(lock);
        RESERVED.add(port);
        return true;
    }

    private static boolean bindable(int port) {
        // With SO_REUSEADDR, as the servers bind: a port whose old connections linger in TIME_WAIT is free to them.
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    /** The first port of the kernel's ephemeral range, which it hands out for port 0 and outgoing connections. */
    static int ephemeralStart() {
        try {
            // Files.readString gets a short read from this procfs file on Java 17 ("3"); a line reader does not.
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException notLinux) {
            return DEFAULT_EPHEMERAL_START;
        }
    }
}
