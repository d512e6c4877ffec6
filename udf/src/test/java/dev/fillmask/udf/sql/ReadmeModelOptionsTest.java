package dev.fillmask.udf.sql;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's table of the SQL options is the one their definitions make. */
class ReadmeModelOptionsTest {
    @Test
    void theReadmeHoldsTheSqlOptionsTableAsTheDefinitionsMakeIt() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        String table = FillMaskModelOptions.markdownTable();
        assertTrue(readme.contains(table), "README.md's SQL options table is out of date; it should read:\n" + table);
    }
}
