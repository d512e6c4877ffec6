package dev.fillmask.job;

import dev.fillmask.engine.EngineOptions;
import dev.fillmask.schemas.RequestLimits;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The job's options reach the engine: each session setting from its option, and the defaults the docs give. */
class EngineSettingsTest {
    @Test
    void byDefaultWeightsAreSharedAndPrepackedAndThreadsSleepWhileTheyWait() {
        EngineOptions engine = EngineSettings.of(new Configuration(), RequestLimits.defaults());
        assertTrue(engine.sharedWeights());
        assertTrue(engine.prepacking());
        assertFalse(engine.spinWait(), "spinning threads take the cores Kafka's and Flink's threads need");
        assertEquals(0, engine.intraOpThreads());
    }

    @Test
    void eachSessionSettingComesFromItsOption() {
        Configuration options = new Configuration();
        options.set(FillMaskOptions.SPIN_WAIT, true);
        options.set(FillMaskOptions.PREPACKING, false);
        options.set(FillMaskOptions.SHARED_WEIGHTS, false);
        options.set(FillMaskOptions.THREADS, 3);
        EngineOptions engine = EngineSettings.of(options, RequestLimits.defaults());
        assertTrue(engine.spinWait());
        assertFalse(engine.prepacking());
        assertFalse(engine.sharedWeights());
        assertEquals(3, engine.intraOpThreads());
    }
}
