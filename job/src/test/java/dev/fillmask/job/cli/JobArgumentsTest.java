package dev.fillmask.job.cli;

import dev.fillmask.job.JobArguments;
import dev.fillmask.job.CommandLine;
import dev.fillmask.job.FillMaskOptions;

import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JobArgumentsTest {
    @Test
    void flagsBecomeTheOptionsTheyName() {
        Configuration c = JobArguments.parse(new String[] {"--bootstrap", "127.0.0.1:9092", "--batch-size", "32",
                "--batch-max-delay", "50 ms", "--delivery-guarantee", "at-least-once", "--starting-offsets", "latest"});
        assertEquals("127.0.0.1:9092", c.get(FillMaskOptions.BOOTSTRAP_SERVERS));
        assertEquals(32, c.get(FillMaskOptions.BATCH_SIZE));
        assertEquals(Duration.ofMillis(50), c.get(FillMaskOptions.BATCH_MAX_DELAY));
        assertEquals(FillMaskOptions.DeliveryGuarantee.AT_LEAST_ONCE, c.get(FillMaskOptions.DELIVERY_GUARANTEE));
        assertEquals(FillMaskOptions.StartingOffsets.LATEST, c.get(FillMaskOptions.STARTING_OFFSETS));
    }

    @Test
    void unsetOptionsKeepTheirDefaults() {
        Configuration c = JobArguments.parse(new String[0]);
        assertFalse(c.getOptional(FillMaskOptions.BOOTSTRAP_SERVERS).isPresent());
        assertEquals("fill-mask-requests", c.get(FillMaskOptions.INPUT_TOPIC));
        assertEquals(FillMaskOptions.DeliveryGuarantee.EXACTLY_ONCE, c.get(FillMaskOptions.DELIVERY_GUARANTEE));
    }

    @Test
    void aBadValueNamesItsOption() {
        var e = assertThrows(CommandLine.UsageException.class,
                () -> JobArguments.parse(new String[] {"--batch-size", "many"}));
        assertTrue(e.getMessage().startsWith("--batch-size: cannot read 'many'"), e.getMessage());
        var unknown = assertThrows(CommandLine.UsageException.class,
                () -> JobArguments.parse(new String[] {"--batchsize", "4"}));
        assertTrue(unknown.getMessage().contains("unknown option --batchsize"), unknown.getMessage());
    }
}
