package dev.fillmask.job.listen;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The TCP sockets a process listens on, as the kernel reports them: the LISTEN entries (state 0A) of
 * {@code /proc/net/tcp} and {@code /proc/net/tcp6} whose inode is one of the process's file descriptors
 * ({@code /proc/PID/fd/N -> socket:[inode]}). What {@code ss -ltnp} shows, without depending on {@code ss}.
 */
public final class ListeningSockets {
    private static final String LISTEN = "0A";
    private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)]");

    /** One listening socket: the address and port it is bound to, and its inode. */
    public record Listener(InetAddress address, int port, long inode) {
        /** 127.0.0.0/8, ::1, or ::ffff:127.x (which Java already reads as an IPv4 address). */
        public boolean isLoopback() {
            return address.isLoopbackAddress();
        }

        /** 0.0.0.0 or ::: every interface. */
        public boolean isWildcard() {
            return address.isAnyLocalAddress();
        }

        @Override
        public String toString() {
            String host = address.getHostAddress();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    private ListeningSockets() {}

    /** The sockets {@code pid} listens on. */
    public static List<Listener> of(long pid) {
        Set<Long> inodes = socketInodes(Path.of("/proc", Long.toString(pid), "fd"));
        List<Listener> listeners = new ArrayList<>();
        for (Listener l : all()) {
            if (inodes.contains(l.inode())) {
                listeners.add(l);
            }
        }
        return listeners;
    }

    /** The sockets of {@code now} that are not in {@code before} (compared by inode). */
    public static List<Listener> since(List<Listener> before, List<Listener> now) {
        Set<Long> old = new HashSet<>();
        before.forEach(l -> old.add(l.inode()));
        return now.stream().filter(l -> !old.contains(l.inode())).toList();
    }

    /** Every listening TCP socket of this network namespace. */
    static List<Listener> all() {
        List<Listener> listeners = new ArrayList<>(parse(read(Path.of("/proc/net/tcp"))));
        Path tcp6 = Path.of("/proc/net/tcp6");
        if (Files.exists(tcp6)) {
            listeners.addAll(parse(read(tcp6)));
        }
        return listeners;
    }

    /** The LISTEN entries of a {@code /proc/net/tcp} or {@code /proc/net/tcp6} text (its header line skipped). */
    static List<Listener> parse(String procNetTcp) {
        List<Listener> listeners = new ArrayList<>();
        for (String line : procNetTcp.split("\n")) {
            String[] fields = line.trim().split("\\s+");
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
            if (fields.length < 10 || !fields[0].endsWith(":") || !fields[3].equals(LISTEN)) {
                continue;
            }
            String[] local = fields[1].split(":");
            listeners.add(new Listener(address(local[0]), Integer.parseInt(local[1], 16), Long.parseLong(fields[9])));
        }
        return listeners;
    }

    /**
     * The kernel prints an address as 32-bit words in the machine's byte order: 127.0.0.1 is {@code 0100007F} on
     * x86. On a little-endian machine each word's bytes are reversed back into network order.
     */
    static InetAddress address(String hex) {
        return address(hex, ByteOrder.nativeOrder());
    }

    static InetAddress address(String hex, ByteOrder order) {
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = (word * 4 + b) * 2;
                int to = order == ByteOrder.LITTLE_ENDIAN ? word * 4 + 3 - b : word * 4 + b;
                bytes[to] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an address: " + hex, e);
        }
    }

    private static Set<Long> socketInodes(Path fdDir) {
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                try {
                    Matcher m = SOCKET_LINK.matcher(Files.readSymbolicLink(fd).toString());
                    if (m.matches()) {
                        inodes.add(Long.parseLong(m.group(1)));
                    }
                } catch (IOException closedMeanwhile) {
                    // A descriptor closed while the folder was read: not a socket it listens on.
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + fdDir, e);
        }
        return inodes;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
