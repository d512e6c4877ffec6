package dev.fillmask.job.sql;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqlScriptTest {

    @Test
    void statementsEndAtSemicolonsOutsideQuotesAndComments() {
        String text = """
                -- a comment; with a semicolon and a ${placeholder} that is never filled in
                SET 'a' = 'x;y';
                CREATE TABLE t (`c;` STRING) WITH ('topic' = '${input-topic}'); -- trailing
                INSERT INTO u SELECT * FROM t
                """;
        assertEquals(List.of("SET 'a' = 'x;y'",
                        "CREATE TABLE t (`c;` STRING) WITH ('topic' = 'requests')",
                        "INSERT INTO u SELECT * FROM t"),
                SqlScript.parse(text, Map.of("input-topic", "requests")).statements());
    }

    @Test
    void aPlaceholderWithoutValueIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SqlScript.parse("SELECT '${nope}'", Map.of("model", "m")));
        assertTrue(e.getMessage().contains("${nope}") && e.getMessage().contains("${model}"), e.getMessage());
    }

    @Test
    void theShippedScriptHasEveryPlaceholderOfTheJobOptions() throws Exception {
        String script;
        try (var in = SqlScriptTest.class.getClassLoader().getResourceAsStream("examples/sql/fill-mask.sql")) {
            script = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        org.apache.flink.configuration.Configuration options = new org.apache.flink.configuration.Configuration();
        options.set(dev.fillmask.job.FillMaskOptions.BOOTSTRAP_SERVERS, "127.0.0.1:9092");
        options.set(dev.fillmask.job.FillMaskOptions.MODEL, "/models/bert");
        List<String> statements = SqlScript.parse(script, SqlScriptJob.placeholders(options)).statements();
        assertEquals("SET 'execution.checkpointing.interval' = '2 s'", statements.get(0));
        assertTrue(statements.stream().anyMatch(s -> s.contains("'topic' = 'fill-mask-requests'")), statements::toString);
        assertTrue(statements.stream().anyMatch(s -> s.contains("'model' = '/models/bert'")), statements::toString);
    }
}
