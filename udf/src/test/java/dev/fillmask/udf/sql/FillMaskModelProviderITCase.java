package dev.fillmask.udf.sql;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.engine.FillMaskEngine;
import dev.fillmask.engine.testing.SharedDefaultModel;
import dev.fillmask.schemas.DecodedRequest;
import dev.fillmask.schemas.FillMaskCodec;

import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.ColumnList;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code fill-mask} model provider in SQL and the Table API on a MiniCluster with the real model: every answer is
 * the one {@code predict} gives for the same request line (the engine's batch path with the codec's bounded writer),
 * in both the asynchronous (batching) and the synchronous form, for JSON requests and for requests given as columns;
 * bad rows get their error in a column. A batch-size histogram shows that the asynchronous form runs rows together.
 */
class FillMaskModelProviderITCase {
    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(METRICS.addToConfiguration(loopback()))
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    /** One, two and three masks, top_k, targets (kept, replaced, none left), no mask, malformed lines, a tombstone. */
    static final List<String> LINES = List.of(
            "{\"inputs\": \"Paris is the [MASK] of France.\"}",
            "{\"inputs\": \"Hello I'm a [MASK] model.\", \"parameters\": {\"top_k\": 3}}",
            "{\"inputs\": \"The [MASK] sat on the [MASK].\", \"parameters\": {\"top_k\": 2}}",
            "{\"inputs\": \"[MASK] [MASK] [MASK] went home.\", \"parameters\": {\"top_k\": 1}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [\"capital\", \"heart\"]}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [\"Capital\"]}}",
            "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": []}}",
            "{\"inputs\": \"There is no mask in this sentence.\"}",
            "not json at all",
            "{\"inputs\": 42}",
            "{\"inputs\": \"a [MASK]\", \"parameters\": {\"top_k\": 0}}",
            "{\"inputs\": \"the doctor went to the [MASK] yesterday.\", \"parameters\": {\"top_k\": 4}}",
            "{\"inputs\": \"my friend likes to eat [MASK] for breakfast.\"}",
            "");

    private static FillMaskEngine reference;
    private static final FillMaskCodec CODEC = new FillMaskCodec();

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

    static Configuration loopback() {
        Configuration config = new Configuration();
        config.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        config.set(RestOptions.ADDRESS, "127.0.0.1");
        return config;
    }

    /** What {@code predict} prints for each line; a null line is a tombstone. */
    static List<String> predicted(List<byte[]> lines) {
        List<DecodedRequest> requests = lines.stream().map(CODEC::readRequest).toList();
        return reference.answer(requests).stream()
                .map(a -> new String(CODEC.writeBoundedAnswer(a).json(), StandardCharsets.UTF_8)).toList();
    }

    static StreamTableEnvironment tables() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        tEnv.executeSql("CREATE MODEL fill_mask INPUT (request STRING) "
                + "OUTPUT (answer STRING, error STRING, candidates ARRAY<ROW<mask_index INT, `rank` INT, token INT, "
                + "token_str STRING, score DOUBLE, `sequence` STRING>>) "
                + "WITH ('provider' = 'fill-mask', 'model' = '" + SharedDefaultModel.path() + "', 'threads' = '1', "
                + "'batch-size' = '8', 'batch-max-delay' = '50 ms')");
        return tEnv;
    }

    /** One VALUES (a UNION of rows would scramble their order), rows numbered. */
    static String values(List<String> lines) {
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            rows.add("(" + i + ", " + (line == null ? "CAST(NULL AS STRING)" : "'" + line.replace("'", "''") + "'") + ")");
        }
        return "VALUES " + String.join(", ", rows);
    }

    static List<Row> collect(TableResult result) throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CloseableIterator<Row> it = result.collect()) {
            it.forEachRemaining(rows::add);
        }
        rows.sort((a, b) -> Integer.compare((Integer) a.getField(0), (Integer) b.getField(0)));
        return rows;
    }

    static List<byte[]> bytes(List<String> lines) {
        return lines.stream().map(l -> l == null ? null : l.getBytes(StandardCharsets.UTF_8)).toList();
    }

    @Test
    void asyncBatchedAnswersAreWhatPredictPrints() throws Exception {
        List<String> lines = new ArrayList<>(LINES);
        lines.add(null);
        for (int i = 0; i < 30; i++) {
            lines.add("{\"inputs\": \"the man number " + i + " worked as a [MASK].\", \"parameters\": {\"top_k\": "
                    + (1 + i % 5) + "}}");
        }
        StreamTableEnvironment tEnv = tables();
        tEnv.executeSql("CREATE TEMPORARY VIEW requests (id, request) AS " + values(lines));
        TableResult result = tEnv.executeSql("SELECT id, answer, error, candidates FROM ML_PREDICT(TABLE requests, "
                + "MODEL fill_mask, DESCRIPTOR(request), MAP['max-concurrent-operations', '16'])");
        JobID job = result.getJobClient().orElseThrow().getJobID();
        List<Row> rows = collect(result);

        List<String> expected = predicted(bytes(lines));
        assertEquals(expected, rows.stream().map(r -> (String) r.getField(1)).toList());
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            boolean error = expected.get(i).startsWith("{\"error\"");
            assertEquals(error, row.getField(2) != null, "error column of " + lines.get(i));
            assertEquals(error, row.getField(3) == null, "candidates column of " + lines.get(i));
        }
        // "The [MASK] sat on the [MASK]." with top_k 2: two masks of two candidates, mask by mask, best first.
        Row[] twoMasks = (Row[]) rows.get(2).getField(3);
        assertEquals(List.of("1:1", "1:2", "2:1", "2:2"), Arrays.stream(twoMasks)
                .map(c -> c.getField("mask_index") + ":" + c.getField("rank")).toList());

        List<Long> batchSizes = histograms(job, "fillMask.batchSize").stream().map(h -> h.getStatistics().getMax())
                .toList();
        long batches = histograms(job, "fillMask.batchSize").stream().mapToLong(Histogram::getCount).sum();
        assertTrue(batchSizes.stream().anyMatch(max -> max > 1), "no batch held more than one row: " + batchSizes);
        assertTrue(batches < lines.size(), batches + " engine runs for " + lines.size() + " rows");
    }

    @Test
    void columnsGiveTheSameAnswersAsTheirJsonLineSync() throws Exception {
        StreamTableEnvironment tEnv = tables();
        tEnv.executeSql("CREATE MODEL fill_mask_columns INPUT (inputs STRING, top_k INT, targets ARRAY<STRING>) "
                + "OUTPUT (answer STRING) WITH ('provider' = 'fill-mask', 'model' = '" + SharedDefaultModel.path()
                + "', 'threads' = '1')");
        tEnv.executeSql("CREATE TEMPORARY VIEW requests (id, inputs, top_k, targets) AS VALUES "
                + "(0, 'Paris is the [MASK] of France.', CAST(NULL AS INT), CAST(NULL AS ARRAY<STRING>)), "
                + "(1, 'The [MASK] sat on the [MASK].', 2, CAST(NULL AS ARRAY<STRING>)), "
                + "(2, 'Paris is the [MASK] of France.', 3, ARRAY['capital', 'Heart']), "
                + "(3, 'Paris is the [MASK] of France.', 0, CAST(NULL AS ARRAY<STRING>)), "
                + "(4, 'no mask here', CAST(NULL AS INT), CAST(NULL AS ARRAY<STRING>)), "
                + "(5, CAST(NULL AS STRING), 1, CAST(NULL AS ARRAY<STRING>)), "
                + "(6, 'Paris is the [MASK] of France.', CAST(NULL AS INT), ARRAY[CAST(NULL AS STRING)])");
        List<Row> rows = collect(tEnv.executeSql("SELECT id, answer FROM ML_PREDICT(TABLE requests, "
                + "MODEL fill_mask_columns, DESCRIPTOR(inputs, top_k, targets), MAP['async', 'false'])"));
        List<String> expected = predicted(bytes(List.of(
                "{\"inputs\": \"Paris is the [MASK] of France.\"}",
                "{\"inputs\": \"The [MASK] sat on the [MASK].\", \"parameters\": {\"top_k\": 2}}",
                "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"top_k\": 3, \"targets\": [\"capital\", \"Heart\"]}}",
                "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"top_k\": 0}}",
                "{\"inputs\": \"no mask here\"}",
                "{\"parameters\": {\"top_k\": 1}}",
                "{\"inputs\": \"Paris is the [MASK] of France.\", \"parameters\": {\"targets\": [null]}}")));
        assertEquals(expected, rows.stream().map(r -> (String) r.getField(1)).toList());
    }

    @Test
    void tableApiPredict() throws Exception {
        StreamTableEnvironment tEnv = tables();
        List<String> lines = LINES.subList(0, 4);
        tEnv.executeSql("CREATE TEMPORARY VIEW requests (id, request) AS " + values(lines));
        Table answered = tEnv.fromModel("fill_mask").predict(tEnv.from("requests"), ColumnList.of(List.of("request")))
                .select(org.apache.flink.table.api.Expressions.$("id"), org.apache.flink.table.api.Expressions.$("answer"));
        List<Row> rows = collect(answered.execute());
        assertEquals(predicted(bytes(lines)), rows.stream().map(r -> (String) r.getField(1)).toList());
    }

    @Test
    void aBadColumnIsRefusedWhenTheStatementIsPlanned() {
        StreamTableEnvironment tEnv = tables();
        tEnv.executeSql("CREATE MODEL wrong INPUT (text STRING) OUTPUT (answer STRING) WITH ('provider' = 'fill-mask', "
                + "'model' = '" + SharedDefaultModel.path() + "')");
        tEnv.executeSql("CREATE TEMPORARY VIEW texts (text) AS VALUES ('a [MASK]')");
        Exception e = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> tEnv.executeSql(
                "SELECT * FROM ML_PREDICT(TABLE texts, MODEL wrong, DESCRIPTOR(text))").await());
        String messages = causes(e);
        assertTrue(messages.contains("unknown input column 'text'"), messages);
    }

    private static String causes(Throwable e) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }

    private static List<Histogram> histograms(JobID job, String suffix) {
        Map<String, Metric> metrics = METRICS.getMetricsByIdentifiers(job);
        List<Histogram> found = metrics.entrySet().stream().filter(e -> e.getKey().endsWith(suffix))
                .map(e -> (Histogram) e.getValue()).collect(Collectors.toList());
        assertNotNull(found);
        assertTrue(!found.isEmpty(), "no metric " + suffix + " among " + metrics.keySet());
        return found;
    }
}
