package dev.fillmask.udf.sql;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.schemas.FillMaskCodec;

import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The plain SQL functions on a MiniCluster with the real model, set up by job parameters: FILL_MASK answers what
 * {@code predict} prints for the same request, and FILL_MASK_CANDIDATES gives the same candidates as rows, or one
 * error row.
 */
class FillMaskFunctionsITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(FillMaskModelProviderITCase.loopback())
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    private static final FillMaskCodec CODEC = new FillMaskCodec();
    private static FillMaskEngine reference;

    @BeforeAll
    static void openReference() {
        reference = FillMaskEngine.open(SharedDefaultModel.path(), EngineOptions.defaults().withIntraOpThreads(1));
    }

    @AfterAll
    static void closeReference() {
        if (reference != null) {
            reference.close();
        }
    }

    private static String predicted(String line) {
        return new String(CODEC.writeBoundedAnswer(reference.answer(List.of(CODEC.readRequest(line))).get(0)).json(),
                StandardCharsets.UTF_8);
    }

    private static StreamTableEnvironment tables() {
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(StreamExecutionEnvironment.getExecutionEnvironment());
        tEnv.getConfig().set(PipelineOptions.GLOBAL_JOB_PARAMETERS, Map.of(
                "fill-mask.model", SharedDefaultModel.path().toString(), "fill-mask.threads", "1"));
        tEnv.executeSql("CREATE TEMPORARY FUNCTION FILL_MASK AS '" + FillMaskFunction.class.getName() + "'");
        tEnv.executeSql("CREATE TEMPORARY FUNCTION FILL_MASK_CANDIDATES AS '"
                + FillMaskCandidatesFunction.class.getName() + "'");
        tEnv.executeSql("CREATE TEMPORARY VIEW requests (id, inputs, top_k, targets) AS VALUES "
                + "(0, 'Paris is the [MASK] of France.', CAST(NULL AS INT), CAST(NULL AS ARRAY<STRING>)), "
                + "(1, 'The [MASK] sat on the [MASK].', 2, CAST(NULL AS ARRAY<STRING>)), "
                + "(2, 'Paris is the [MASK] of France.', 3, ARRAY['capital', 'heart']), "
                + "(3, 'no mask here', CAST(NULL AS INT), CAST(NULL AS ARRAY<STRING>))");
        return tEnv;
    }

    private static final List<String> LINES = List.of(
            "{\"inputs\": \"Paris is the [MASK] of France.\"}",
            "{\"inputs\": \"The [MASK] sat on the [MASK].\", \"parameters\": {\"top_k\": 2}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"top_k\": 3, \"targets\": [\"capital\", \"heart\"]}}",
            "{\"inputs\": \"no mask here\"}");

    @Test
    void fillMaskAnswersWhatPredictPrints() throws Exception {
        List<Row> rows = FillMaskModelProviderITCase.collect(tables().executeSql(
                "SELECT id, FILL_MASK(inputs, top_k, targets), FILL_MASK(inputs) FROM requests"));
        assertEquals(LINES.stream().map(FillMaskFunctionsITCase::predicted).toList(),
                rows.stream().map(r -> (String) r.getField(1)).toList());
        assertEquals(predicted(LINES.get(0)), rows.get(2).getField(2));
    }

    @Test
    void candidatesAreRowsOfTheSameAnswer() throws Exception {
        List<Row> rows = new ArrayList<>(FillMaskModelProviderITCase.collect(tables().executeSql(
                "SELECT id, c.mask_index, c.`rank`, c.token, c.token_str, c.score, c.`sequence`, c.error "
                        + "FROM requests, LATERAL TABLE(FILL_MASK_CANDIDATES(inputs, top_k, targets)) AS c")));
        // Rows of one request keep their order: sort is stable on the id.
        for (int id = 0; id < LINES.size(); id++) {
            int request = id;
            List<Row> own = rows.stream().filter(r -> (Integer) r.getField(0) == request).toList();
            String answer = predicted(LINES.get(id));
            if (answer.startsWith("{\"error\"")) {
                assertEquals(1, own.size());
                assertEquals(CODEC.readAnswer(answer), dev.fillmask.schemas.FillMaskAnswer.error(
                        (String) own.get(0).getField(7)));
                continue;
            }
            List<List<dev.fillmask.schemas.Candidate>> masks = AnswerColumns.rows(CODEC.readAnswer(answer));
            List<String> expected = new ArrayList<>();
            for (int m = 0; m < masks.size(); m++) {
                for (int c = 0; c < masks.get(m).size(); c++) {
                    var candidate = masks.get(m).get(c);
                    expected.add((m + 1) + "|" + (c + 1) + "|" + candidate.token() + "|" + candidate.tokenStr() + "|"
                            + candidate.score() + "|" + candidate.sequence());
                }
            }
            assertEquals(expected, own.stream().map(r -> r.getField(1) + "|" + r.getField(2) + "|" + r.getField(3)
                    + "|" + r.getField(4) + "|" + r.getField(5) + "|" + r.getField(6)).toList());
            own.forEach(r -> assertNull(r.getField(7)));
        }
    }
}
