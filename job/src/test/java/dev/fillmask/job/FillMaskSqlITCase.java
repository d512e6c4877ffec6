package dev.fillmask.job;

import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.job.cli.CliRun;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code ./fill-mask sql --embedded --input FILE}: the shipped SQL script (a Kafka table of the requests topic,
 * CREATE MODEL with the fill-mask provider, ML_PREDICT, the answers topic under the same key) on a real broker and a
 * local Flink cluster answers a mixed set of request lines (one and several masks, top_k, targets, malformed lines,
 * invalid UTF-8, empty lines) with exactly the lines {@code ./fill-mask predict} prints, in input order.
 */
class FillMaskSqlITCase {

    @Test
    void theSqlScriptAnswersLikePredict(@TempDir Path dir) throws Exception {
        List<byte[]> lines = new ArrayList<>(MixedRequests.of(200).stream().filter(Objects::nonNull).toList());
        Path input = dir.resolve("requests.jsonl");
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        for (byte[] line : lines) {
            file.writeBytes(line);
            file.write('\n');
        }
        Files.write(input, file.toByteArray());
        Path out = dir.resolve("answers.jsonl");
        CliRun sql = CliRun.of("sql", "--embedded", "--model", SharedDefaultModel.path().toString(),
                "--input", input.toString(), "--output", out.toString(), "--checkpoint-interval", "500ms");
        assertEquals(0, sql.exitCode(), sql.err());
        assertEquals(PredictReference.answers(SharedDefaultModel.path(), lines),
                Files.readAllLines(out, StandardCharsets.UTF_8));
    }
}
