package dev.fillmask.schemas;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** readRequest never throws, whatever the bytes; and one codec serves many threads. */
class FillMaskCodecRobustnessTest {

    private static final String GOOD = "{\"inputs\": \"Paris is the [MASK] of France.\", "
            + "\"parameters\": {\"top_k\": 3, \"targets\": [\"capital\", \"heart\", \"caf\u00e9\"]}}";

    private final FillMaskCodec codec = new FillMaskCodec();

    private void assertReadsWithoutThrowing(byte[] value) {
        DecodedRequest decoded = codec.readRequest(value);
        assertNotNull(decoded);
        if (decoded instanceof DecodedRequest.Invalid invalid) {
            assertFalse(invalid.reason().isBlank());
        }
    }

    @Test
    void randomBytesNeverThrow() {
        Random random = new Random(20240501L);
        for (int i = 0; i < 5_000; i++) {
            byte[] value = new byte[random.nextInt(64)];
            random.nextBytes(value);
            assertReadsWithoutThrowing(value);
        }
    }

    @Test
    void mutationsOfAGoodRequestNeverThrow() {
        Random random = new Random(7L);
        byte[] good = GOOD.getBytes(StandardCharsets.UTF_8);
        byte[] alphabet = "{}[]\":,\\ 0123456789.eE-+truefalsnul\u00e9".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < 20_000; i++) {
            byte[] value = good.clone();
            int edits = 1 + random.nextInt(4);
            for (int e = 0; e < edits; e++) {
                int at = random.nextInt(value.length);
                switch (random.nextInt(3)) {
                    case 0 -> value[at] = alphabet[random.nextInt(alphabet.length)];
                    case 1 -> value[at] = (byte) random.nextInt(256);
                    default -> value = java.util.Arrays.copyOf(value, at); // truncate
                }
                if (value.length == 0) {
                    break;
                }
            }
            assertReadsWithoutThrowing(value);
        }
    }

    @Test
    void pathologicalShapesNeverThrow() {
        List<String> values = List.of(
                "[".repeat(1_000_000),
                "{\"a\":".repeat(200_000),
                "{\"inputs\":\"" + "\\".repeat(100_001),
                "{\"inputs\":\"a\",\"parameters\":{\"targets\":[" + "[".repeat(100_000) + "]}}",
                "{\"inputs\":\"a\",\"parameters\":{\"top_k\":" + "1".repeat(2_000) + "}}",
                "{\"inputs\":\"a\",\"parameters\":{\"top_k\":1" + "0".repeat(900) + "e-900}}",
                "{\"inputs\":\"a\",\"parameters\":{\"top_k\":1e999999}}",
                "{\"" + "k".repeat(200_000) + "\":1}",
                "\u0000", "\"", "{\"inputs\"", "{\"inputs\":", "\uFEFF", "\uFEFF\uFEFF{}");
        for (String value : values) {
            assertReadsWithoutThrowing(value.getBytes(StandardCharsets.UTF_8));
            assertNotNull(codec.readRequest(value));
        }
    }

    @Test
    void oneCodecServesManyThreads() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int id = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 2_000; i++) {
                        String inputs = "thread " + id + " item " + i + " [MASK]";
                        FillMaskRequest request = new FillMaskRequest(inputs, 1 + i % 10, i % 2 == 0 ? null : List.of("x"));
                        DecodedRequest decoded = codec.readRequest(codec.writeRequest(request));
                        if (!decoded.equals(new DecodedRequest.Valid(request))) {
                            return false;
                        }
                        FillMaskAnswer answer = new FillMaskAnswer.SingleMask(List.of(new Candidate(inputs, 0.5, i, "x")));
                        if (!codec.readAnswer(codec.writeAnswer(answer)).equals(answer)) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (Future<Boolean> result : results) {
                assertEquals(true, result.get());
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
