package dev.fillmask.job.cli;

import dev.fillmask.job.CommandLine;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HttpOptionsTest {
    @Test
    void aPortAloneListensOnLoopbackAndAHostIsTakenAsGiven() {
        assertEquals(new InetSocketAddress("127.0.0.1", 8080), HttpOptions.address("8080"));
        assertEquals(new InetSocketAddress("0.0.0.0", 80), HttpOptions.address("0.0.0.0:80"));
        assertEquals(new InetSocketAddress("::1", 9000), HttpOptions.address("[::1]:9000"));
        assertEquals(new InetSocketAddress("127.0.0.1", 0), HttpOptions.address(":0"));
        assertThrows(CommandLine.UsageException.class, () -> HttpOptions.address("localhost:http"));
        assertThrows(CommandLine.UsageException.class, () -> HttpOptions.address("70000"));
    }

    @Test
    void everyOptionIsDocumentedWithItsDefaultInDocsGateway() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "gateway.md"), StandardCharsets.UTF_8);
        for (CommandLine.Option option : HttpOptions.OPTIONS) {
            String row = "| `--" + option.name() + " " + option.valueName() + "` | "
                    + (option.defaultValue() == null ? "" : "`" + option.defaultValue() + "`");
            assertTrue(doc.contains(row), "docs/gateway.md's options table has the row starting " + row);
        }
    }
}
