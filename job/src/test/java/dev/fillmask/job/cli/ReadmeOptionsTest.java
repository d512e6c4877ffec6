package dev.fillmask.job.cli;

import dev.fillmask.job.JobArguments;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's options table is the one the options' definitions make: no option undocumented or out of date. */
class ReadmeOptionsTest {
    @Test
    void theReadmeHoldsTheOptionsTableAsTheDefinitionsMakeIt() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"), StandardCharsets.UTF_8);
        String table = JobArguments.markdownTable();
        assertTrue(readme.contains(table), "README.md's options table is out of date; it should read:\n" + table);
    }
}
