package dev.fillmask.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BearerTokensTest {
    @TempDir
    Path dir;

    @Test
    void acceptsEachTokenOfTheFileAndNothingElse() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "# team A\nalpha-123\n\n  beta-456  \n#gamma\n");
        BearerTokens tokens = BearerTokens.read(file);
        assertEquals(2, tokens.count());
        assertTrue(tokens.accepts("Bearer alpha-123"));
        assertTrue(tokens.accepts("bearer beta-456"), "the scheme in any case");
        assertFalse(tokens.accepts("Bearer gamma"), "a commented line is no token");
        assertFalse(tokens.accepts("Bearer alpha-12"));
        assertFalse(tokens.accepts("Bearer alpha-1234"));
        assertFalse(tokens.accepts("Basic alpha-123"));
        assertFalse(tokens.accepts("alpha-123"));
        assertFalse(tokens.accepts("Bearer "));
        assertFalse(tokens.accepts(null));
    }

    @Test
    void aFileWithoutTokensIsAnErrorAndNoSecretIsEverPrinted() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n\n");
        assertThrows(IllegalArgumentException.class, () -> BearerTokens.read(empty));
        assertThrows(IllegalArgumentException.class, () -> BearerTokens.read(dir.resolve("missing")));
        Path file = Files.writeString(dir.resolve("tokens"), "s3cret-token\n");
        assertFalse(BearerTokens.read(file).toString().contains("s3cret"));
        Properties kafka = new Properties();
        kafka.setProperty("sasl.jaas.config", "... password=\"kafka-s3cret\";");
        String settings = GatewaySettings.defaults("broker:9092", new InetSocketAddress("127.0.0.1", 0))
                .withTokens(BearerTokens.read(file)).withClientProperties(kafka).toString();
        assertFalse(settings.contains("s3cret"), settings);
        Path spaced = Files.writeString(dir.resolve("spaced"), "two words\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BearerTokens.read(spaced));
        assertFalse(e.getMessage().contains("two words"), e.getMessage());
    }
}
