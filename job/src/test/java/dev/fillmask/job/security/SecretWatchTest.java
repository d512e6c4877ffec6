package dev.fillmask.job.security;

import org.apache.logging.log4j.LogManager;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The watch SecureKafkaITCase relies on sees a secret wherever it shows, and names it without showing it. */
class SecretWatchTest {
    private static final String SECRET = "not-a-real-secret-5f3a9c";

    @Test
    void findsASecretInAnInfoLogEventADebugEventAStackTraceTheConsoleAndScannedText() {
        var rootLevelBefore = LogManager.getRootLogger().getLevel();
        List<String> findings;
        try (SecretWatch watch = SecretWatch.start(Map.of("test password", SECRET), List.of("marker-line"))) {
            Logger kafkaLike = LoggerFactory.getLogger("org.apache.kafka.clients.SomeClient");
            kafkaLike.info("config: password = {}", SECRET);
            LoggerFactory.getLogger("org.apache.kafka.common.security.SomeLogin").debug("jaas {}", SECRET);
            LoggerFactory.getLogger("org.example.Other").info("failed", new IllegalStateException("cause " + SECRET));
            LoggerFactory.getLogger("org.example.Other").info("marker-line, nothing secret");
            System.err.println("printed " + SECRET);
            watch.scan("a REST answer", "{\"value\": \"" + SECRET + "\"}");
            assertEquals(1, watch.logEventsWith("marker-line"));
            findings = watch.findings();
        }
        assertEquals(5, findings.size(), String.join("\n", findings));
        for (String finding : findings) {
            assertTrue(finding.startsWith("the test password in "), finding);
            assertTrue(!finding.contains(SECRET), "a finding never shows the secret: " + finding);
        }
        assertEquals(rootLevelBefore, LogManager.getRootLogger().getLevel(), "logging is as it was");
    }
}
