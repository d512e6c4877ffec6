package dev.fillmask.job.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskCodec;
import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.testing.SharedDefaultModel;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code ./fill-mask predict} in-process: one output line per input line, in order, whatever the input. */
class PredictCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CliRun predict(byte[] stdin, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "predict";
        all[1] = "--model";
        all[2] = SharedDefaultModel.path().toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return CliRun.withInput(stdin, all);
    }

    private static byte[] examples() throws IOException {
        try (InputStream in = PredictCommandTest.class.getResourceAsStream("/examples/requests.jsonl")) {
            return in.readAllBytes();
        }
    }

    @Test
    void theShippedExamplesGetOneAnswerLineEachEqualToTheEnginesAnswers() throws IOException {
        byte[] input = examples();
        String[] requests = new String(input, StandardCharsets.UTF_8).split("\n");
        CliRun run = predict(input, "--batch-size", "3");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(requests.length, run.lines().size());

        FillMaskCodec codec = new FillMaskCodec();
        try (FillMaskEngine engine = FillMaskEngine.open(SharedDefaultModel.path(), EngineOptions.defaults())) {
            for (int i = 0; i < requests.length; i++) {
                DecodedRequest decoded = codec.readRequest(requests[i]);
                String expected = decoded instanceof DecodedRequest.Valid v
                        ? codec.writeAnswerAsString(engine.predict(v.request()))
                        : "{\"error\":" + JSON.writeValueAsString(((DecodedRequest.Invalid) decoded).reason()) + "}";
                assertSameJson(expected, run.lines().get(i));
            }
        }
        assertTrue(run.lines().get(0).contains("\"token_str\":\"capital\""), run.lines().get(0));
    }

    @Test
    void badInputOfEveryKindGetsItsErrorLineAndTheRunGoesOn() throws IOException {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        List<String> expectError = new ArrayList<>();
        in.write("{\"inputs\": \"Paris is the [MASK] of France.\"}\n".getBytes(StandardCharsets.UTF_8));
        expectError.add(null);
        in.write("\n".getBytes(StandardCharsets.UTF_8));
        expectError.add("empty");
        in.write(new byte[] {'{', '"', 'i', '"', ':', (byte) 0xC3, (byte) 0x28, '}', '\n'});
        expectError.add("UTF-8");
        in.write("[1, 2]\r\n".getBytes(StandardCharsets.UTF_8));
        expectError.add("object");
        in.write("{\"inputs\": \"no mask\"}\n".getBytes(StandardCharsets.UTF_8));
        expectError.add("No mask_token ([MASK])");
        in.write("{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 0}}\n".getBytes(StandardCharsets.UTF_8));
        expectError.add("top_k");
        in.write("{\"inputs\": \"The [MASK] is blue.\"}".getBytes(StandardCharsets.UTF_8)); // no final newline
        expectError.add(null);

        CliRun run = predict(in.toByteArray(), "--batch-size", "2");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(expectError.size(), run.lines().size(), () -> String.join("\n", run.lines()));
        for (int i = 0; i < expectError.size(); i++) {
            JsonNode line = JSON.readTree(run.lines().get(i));
            if (expectError.get(i) == null) {
                assertTrue(line.isArray() && line.size() == 5, run.lines().get(i));
            } else {
                assertTrue(line.has("error") && line.get("error").asText().contains(expectError.get(i)),
                        "line " + i + ": " + run.lines().get(i));
            }
        }
    }

    @Test
    void helpAndUsageErrors() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertEquals(0, FillMaskCli.run(new String[] {"predict", "--help"}, InputStream.nullInputStream(), o, e));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("--batch-size N"));
        assertEquals(2, FillMaskCli.run(new String[] {"predict", "--batch-sise", "4"}, InputStream.nullInputStream(), o, e));
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("unknown option --batch-sise"));
        assertEquals(2, FillMaskCli.run(new String[] {"frobnicate"}, InputStream.nullInputStream(), o, e));
    }

    private static void assertSameJson(String expected, String actual) throws IOException {
        assertEquals(JSON.readTree(expected), JSON.readTree(actual));
    }
}
