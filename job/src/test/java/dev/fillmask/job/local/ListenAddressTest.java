package dev.fillmask.job.local;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ListenAddressTest {
    @Test
    void byDefaultEveryServerBindsLoopbackAndNothingIsSaid() {
        ListenAddress listen = ListenAddress.loopback();
        assertTrue(listen.isLoopback());
        assertTrue(listen.exposureWarning(true).isEmpty());
        Map<String, String> flink = listen.flinkConfiguration().toMap();
        for (String key : new String[] {"rest.bind-address", "rest.address", "jobmanager.bind-host",
                "jobmanager.rpc.address", "taskmanager.bind-host", "taskmanager.host"}) {
            assertEquals("127.0.0.1", flink.get(key), key);
        }
        Map<String, String> kafka = listen.kafkaListeners(9092, 9093);
        assertEquals("PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093", kafka.get("listeners"));
        assertEquals("PLAINTEXT://127.0.0.1:9092", kafka.get("advertised.listeners"));
        assertEquals("1@127.0.0.1:9093", kafka.get("controller.quorum.voters"));
        assertEquals("127.0.0.1:9092", listen.clientAddress(9092));
    }

    @Test
    void everyInterfaceBindsThereButTheRunsOwnClientsStayOnLoopback() {
        ListenAddress listen = ListenAddress.of("0.0.0.0");
        assertFalse(listen.isLoopback());
        Configuration flink = listen.flinkConfiguration();
        assertEquals("0.0.0.0", flink.toMap().get("rest.bind-address"));
        assertEquals("0.0.0.0", flink.toMap().get("taskmanager.bind-host"));
        assertEquals("127.0.0.1", flink.toMap().get("taskmanager.host"));
        Map<String, String> kafka = listen.kafkaListeners(9092, 9093);
        assertEquals("PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093", kafka.get("listeners"));
        assertEquals("1@127.0.0.1:9093", kafka.get("controller.quorum.voters"));
        assertEquals("127.0.0.1:9092", listen.clientAddress(9092));
    }

    @Test
    void exposingSaysWhatBecomesReachable() {
        String withBroker = ListenAddress.of("0.0.0.0").exposureWarning(true).orElseThrow();
        assertTrue(withBroker.startsWith("fill-mask: WARNING: --listen 0.0.0.0: listening on every network interface"),
                withBroker);
        assertTrue(withBroker.contains("Kafka broker") && withBroker.contains("REST API and web UI")
                && withBroker.contains("cancel and submit jobs"), withBroker);
        String flinkOnly = ListenAddress.of("0.0.0.0").exposureWarning(false).orElseThrow();
        assertFalse(flinkOnly.contains("Kafka"), "run --bootstrap starts no broker: " + flinkOnly);
    }

    @Test
    void anIpv6LiteralIsBracketedInAddresses() {
        ListenAddress listen = ListenAddress.of("::1");
        assertTrue(listen.isLoopback());
        assertEquals("PLAINTEXT://[::1]:9092,CONTROLLER://[::1]:9093", listen.kafkaListeners(9092, 9093).get("listeners"));
        assertEquals("[::1]:9092", listen.clientAddress(9092));
    }

    @Test
    void aBlankHostIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ListenAddress.of(" "));
    }
}
