package dev.fillmask.job.local;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The one address every server of a local run listens on: the embedded broker's listeners and controller, and the
 * local Flink cluster's REST API / web UI, RPC, blob server and data ports. 127.0.0.1 unless the user asks for another
 * with {@code --listen}: none of these servers authenticates anyone, and Flink's REST API cancels and submits jobs.
 */
public final class ListenAddress {
    public static final String LOOPBACK = "127.0.0.1";

    private final String host;
    private final InetAddress address;

    private ListenAddress(String host, InetAddress address) {
        this.host = host;
        this.address = address;
    }

    public static ListenAddress loopback() {
        return of(LOOPBACK);
    }

    /** {@code host}: an IP address or a name of this machine; {@code 0.0.0.0} or {@code ::} for every interface. */
    public static ListenAddress of(String host) {
        String trimmed = host == null ? "" : host.trim();
        if (trimmed.isEmpty()) {
            throw new IllegalArgumentException("--listen needs a host: an address of this machine, e.g. 127.0.0.1");
        }
        try {
            return new ListenAddress(trimmed, InetAddress.getByName(trimmed));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--listen " + trimmed + ": unknown host", e);
        }
    }

    /** What the servers bind to. */
    public String host() {
        return host;
    }

    public boolean isLoopback() {
        return address.isLoopbackAddress();
    }

    /**
     * Where this process's own clients (the job, the feeder, the answer reader) reach the servers. On every interface,
     * loopback is one of them, and the run's own traffic need not leave it.
     */
    public String clientHost() {
        return address.isAnyLocalAddress() ? LOOPBACK : host;
    }

    /** {@link #clientHost()} and {@code port} as HOST:PORT. */
    public String clientAddress(int port) {
        return bracketed(clientHost()) + ":" + port;
    }

    /**
     * The address the broker gives its clients: the listen address, or for every interface this machine's name, so
     * that clients elsewhere can follow it.
     */
    public String advertisedHost() {
        if (!address.isAnyLocalAddress()) {
            return host;
        }
        try {
            return InetAddress.getLocalHost().getCanonicalHostName();
        } catch (UnknownHostException e) {
            return LOOPBACK;
        }
    }

    /** A port on this address that was free a moment ago, for a server about to bind it. */
    public int freePort() {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(address, 0), 1);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + host + ": " + e.getMessage(), e);
        }
    }

    /**
     * The settings that bind a Flink cluster to this address: REST API and web UI, the JobManager's RPC and blob
     * server, the TaskManager's RPC and data port, and the metric query services, which Flink binds where the RPC
     * services are. Also for the test clusters, in processes of their own.
     */
    public Configuration flinkConfiguration() {
        Configuration config = new Configuration();
        config.set(RestOptions.BIND_ADDRESS, host);
        config.set(RestOptions.ADDRESS, clientHost());
        config.set(JobManagerOptions.BIND_HOST, host);
        config.set(JobManagerOptions.ADDRESS, clientHost());
        config.set(TaskManagerOptions.BIND_HOST, host);
        config.set(TaskManagerOptions.HOST, clientHost());
        return config;
    }

    /**
     * The listener settings of a one-node KRaft broker (broker and controller in one) on this address: clients on
     * {@code port}, the controller quorum on {@code controllerPort}.
     */
    public Map<String, String> kafkaListeners(int port, int controllerPort) {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("listeners", "PLAINTEXT://" + bracketed(host) + ":" + port + ",CONTROLLER://" + bracketed(host) + ":"
                + controllerPort);
        config.put("advertised.listeners", "PLAINTEXT://" + bracketed(advertisedHost()) + ":" + port);
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("controller.quorum.voters", "1@" + bracketed(clientHost()) + ":" + controllerPort);
        return config;
    }

    /**
     * The line printed when a run listens beyond loopback: what anyone who reaches this address can now do.
     * {@code withBroker}: the run also started the embedded broker.
     */
    public Optional<String> exposureWarning(boolean withBroker) {
        if (isLoopback()) {
            return Optional.empty();
        }
        String where = address.isAnyLocalAddress() ? "every network interface (" + host + ")" : host;
        return Optional.of("fill-mask: WARNING: --listen " + host + ": listening on " + where + ", without"
                + " authentication or TLS. Whoever reaches it can "
                + (withBroker ? "read and write every topic of the embedded Kafka broker (and its controller), " : "")
                + "use Flink's REST API and web UI (see, cancel and submit jobs, which runs their code in this process)"
                + " and reach Flink's RPC, blob and data ports. Leave --listen out to keep them on 127.0.0.1.");
    }

    /** An IPv6 literal in a HOST:PORT string needs brackets. */
    private static String bracketed(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {
        return host;
    }
}
