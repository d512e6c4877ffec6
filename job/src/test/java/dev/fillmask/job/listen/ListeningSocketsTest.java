package dev.fillmask.job.listen;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteOrder;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListeningSocketsTest {
    /** Lines as Linux prints them on x86 (little-endian words). */
    private static final String TCP = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1 0 100 0 0 10 0
               1: 00000000:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 102 1 0 100 0 0 10 0
               2: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 103 1 0 20 4 30 10 -1
               3: 0500A8C0:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 104 1 0 100 0 0 10 0
            """;
    private static final String TCP6 = """
              sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 00000000000000000000000001000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 201 1 0 100 0 0 10 0
               1: 00000000000000000000000000000000:1F92 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 202 1 0 100 0 0 10 0
               2: 0000000000000000FFFF00000100007F:1F93 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 203 1 0 100 0 0 10 0
            """;

    @Test
    void readsTheListenEntriesOfTcp() {
        List<ListeningSockets.Listener> listeners = ListeningSockets.parse(TCP);
        assertEquals(List.of(101L, 102L, 104L), listeners.stream().map(ListeningSockets.Listener::inode).toList(),
                "the established connection (state 01) is not a listener");
        assertEquals("127.0.0.1:8080", listeners.get(0).toString());
        assertTrue(listeners.get(0).isLoopback());
        assertEquals("0.0.0.0:9090", listeners.get(1).toString());
        assertTrue(listeners.get(1).isWildcard());
        assertFalse(listeners.get(1).isLoopback());
        assertEquals("192.168.0.5:22", listeners.get(2).toString());
        assertFalse(listeners.get(2).isLoopback());
        assertFalse(listeners.get(2).isWildcard());
    }

    @Test
    void readsTcp6IncludingIpv4MappedLoopback() {
        List<ListeningSockets.Listener> listeners = ListeningSockets.parse(TCP6);
        assertEquals(3, listeners.size());
        assertEquals("[0:0:0:0:0:0:0:1]:8081", listeners.get(0).toString());
        assertTrue(listeners.get(0).isLoopback());
        assertTrue(listeners.get(1).isWildcard());
        assertFalse(listeners.get(1).isLoopback());
        assertEquals("127.0.0.1:8083", listeners.get(2).toString(), "::ffff:127.0.0.1");
        assertTrue(listeners.get(2).isLoopback());
    }

    @Test
    void aBigEndianMachinePrintsNetworkOrder() {
        assertEquals("127.0.0.1", ListeningSockets.address("7F000001", ByteOrder.BIG_ENDIAN).getHostAddress());
        assertEquals("127.0.0.1", ListeningSockets.address("0100007F", ByteOrder.LITTLE_ENDIAN).getHostAddress());
    }

    @Test
    void findsTheSocketsThisProcessListensOnAndOnlyThose() throws Exception {
        long pid = ProcessHandle.current().pid();
        List<ListeningSockets.Listener> before = ListeningSockets.of(pid);
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            // A connected socket of this process is not a listener.
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                 Socket accepted = server.accept()) {
                List<ListeningSockets.Listener> opened = ListeningSockets.since(before, ListeningSockets.of(pid));
                assertEquals(1, opened.size(), opened.toString());
                assertEquals(server.getLocalPort(), opened.get(0).port());
                assertTrue(opened.get(0).isLoopback());
            }
        }
        assertEquals(List.of(), ListeningSockets.since(before, ListeningSockets.of(pid)), "closed, it is gone");
    }
}
