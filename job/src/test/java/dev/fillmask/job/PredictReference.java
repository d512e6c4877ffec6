package dev.fillmask.job;

import dev.fillmask.job.cli.CliRun;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskAnswer;
import dev.fillmask.schemas.FillMaskCodec;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The answers {@code ./fill-mask predict} gives: what the streaming job must answer for the same requests. */
final class PredictReference {
    private PredictReference() {}

    /** One answer line per value; a tombstone (null) has no line to predict: its error is the job's. */
    static List<String> answers(Path model, List<byte[]> values) {
        ByteArrayOutputStream lines = new ByteArrayOutputStream();
        for (byte[] v : values) {
            if (v != null) {
                lines.writeBytes(v);
                lines.write('\n');
            }
        }
        CliRun predict = CliRun.withInput(lines.toByteArray(), "predict", "--model", model.toString(), "--threads", "1");
        assertEquals(0, predict.exitCode(), "predict failed: " + predict.err());
        List<String> predicted = predict.lines();
        FillMaskCodec codec = new FillMaskCodec();
        String tombstone = codec.writeAnswerAsString(
                FillMaskAnswer.error(((DecodedRequest.Invalid) codec.readRequest((byte[]) null)).reason()));
        List<String> expected = new ArrayList<>(values.size());
        int next = 0;
        for (byte[] v : values) {
            expected.add(v == null ? tombstone : predicted.get(next++));
        }
        return expected;
    }
}
