package dev.fillmask.udf;

import dev.fillmask.engine.testing.TinyMaskedLm;
import dev.fillmask.schemas.FillMaskCodec;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The DataStream builder on any stream, given two functions: one answer per record, in order, errors in place. */
class FillMaskStreamITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(loopback())
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static final FillMaskCodec CODEC = new FillMaskCodec();

    private static Configuration loopback() {
        Configuration config = new Configuration();
        config.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        config.set(RestOptions.ADDRESS, "127.0.0.1");
        return config;
    }

    @Test
    void answersAnyStreamThroughTwoFunctions(@TempDir Path dir) throws Exception {
        Path model = TinyMaskedLm.write(dir.resolve("tiny"));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        List<String> lines = List.of("{\"inputs\": \"the <mask> here.\"}", "not json", "{\"inputs\": \"no mask\"}",
                "{\"inputs\": \"a <mask> and a <mask>.\", \"parameters\": {\"top_k\": 2}}");
        List<String> answered = FillMaskStream.<String, String>builder()
                .setModelFolder(model)
                .setBatchPolicy(new BatchPolicy(3, Duration.ofMillis(10)))
                .setRequests(line -> CODEC.readRequest(line))
                .setAnswers((line, answer) -> line + " => " + CODEC.writeAnswerAsString(answer))
                .setOutputType(Types.STRING)
                .build()
                .applyTo(env.fromData(lines))
                .executeAndCollect(lines.size());
        assertEquals(lines.size(), answered.size());
        for (int i = 0; i < lines.size(); i++) {
            assertTrue(answered.get(i).startsWith(lines.get(i) + " => "), answered.get(i));
        }
        assertTrue(answered.get(0).contains("\"token_str\""), answered.get(0));
        assertTrue(answered.get(1).contains("{\"error\":\"request is not valid JSON"), answered.get(1));
        assertTrue(answered.get(2).contains("{\"error\":\"No mask_token (<mask>) found"), answered.get(2));
        assertTrue(answered.get(3).contains("[["), answered.get(3));
    }

    @Test
    void theBuilderSaysWhatIsMissing() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> FillMaskStream.<String, String>builder()
                .setModelFolder(Path.of("m")).setOutputType(Types.STRING).setRequests(line -> CODEC.readRequest(line)).build());
        assertTrue(e.getMessage().contains("setAnswers"), e.getMessage());
    }
}
