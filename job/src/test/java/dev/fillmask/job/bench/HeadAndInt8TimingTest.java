package dev.fillmask.job.bench;

import dev.fillmask.engine.quantize.Int8Options;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The int8 variant names of {@code bench --heads-and-int8}, as the quantizer's options. */
class HeadAndInt8TimingTest {
    @Test
    void theDefaultVariantsAreTheQuantizersDefaultsNoOutliersAndTheOlderPerTensorMode() {
        String[] names = HeadAndInt8Timing.DEFAULT_VARIANTS.split(",");
        assertEquals(Int8Options.defaults().withOutlierChannels(32), HeadAndInt8Timing.options(names[0]));
        assertEquals(0, HeadAndInt8Timing.options(names[1]).outlierChannels());
        Int8Options perTensor = HeadAndInt8Timing.options(names[2]);
        assertEquals(0, perTensor.floatLayers());
        assertEquals(false, perTensor.perRowActivations());
    }

    @Test
    void suffixesKeepLayersInFloatAndChooseActivationScales() {
        Int8Options options = HeadAndInt8Timing.options("16-l2-r0");
        assertEquals(16, options.outlierChannels());
        assertEquals(2, options.floatLayers());
        assertEquals(false, options.perRowActivations());
        assertThrows(IllegalArgumentException.class, () -> HeadAndInt8Timing.options("32-x1"));
        assertThrows(IllegalArgumentException.class, () -> HeadAndInt8Timing.options("dqmm"));
    }
}
