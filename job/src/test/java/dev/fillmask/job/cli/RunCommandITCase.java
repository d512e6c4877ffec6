package dev.fillmask.job.cli;

import dev.fillmask.engine.testing.SharedDefaultModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The README's main command, {@code ./fill-mask run --embedded --input FILE --output OUT}: every request of the
 * shipped examples answered through a real broker and a local Flink cluster, one line each, in input order, identical
 * to {@code ./fill-mask predict < FILE}.
 */
class RunCommandITCase {
    private static final Path EXAMPLES = Path.of("src/main/resources/examples/requests.jsonl");

    @Test
    void theEmbeddedRunAnswersLikePredict(@TempDir Path dir) throws Exception {
        Path model = SharedDefaultModel.path();
        Path out = dir.resolve("answers.jsonl");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int code = FillMaskCli.run(new String[] {"run", "--embedded", "--model", model.toString(),
                        "--input", EXAMPLES.toString(), "--output", out.toString(), "--checkpoint-interval", "500ms"},
                new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(0, code, log.toString(StandardCharsets.UTF_8));

        CliRun predict = CliRun.withInput(Files.readAllBytes(EXAMPLES), "predict", "--model", model.toString());
        assertEquals(0, predict.exitCode(), predict.err());
        List<String> expected = predict.lines();
        assertEquals(Files.readAllLines(EXAMPLES).size(), expected.size());
        assertEquals(expected, Files.readAllLines(out));
    }

    @Test
    void embeddedAndBootstrapAreExclusive() {
        CliRun run = CliRun.of("run", "--embedded", "--bootstrap", "127.0.0.1:9");
        assertEquals(2, run.exitCode());
        assertEquals("fill-mask run: give either --embedded or --bootstrap HOST:PORT", run.err().trim());
    }
}
