package dev.fillmask.job.bench;

import dev.fillmask.engine.quantize.Int8Options;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The int8 variant names of {@code bench --heads-and-int8}, as the quantizer's options. */
class HeadAndInt8TimingTest {
    @Test
    void sameRoundRatiosAreTheMedianOfEachRoundsRatio() {
        // Round 2 was slowed for both: its ratio is still 2, and the median of (2, 2, 1) is 2.
        double[] old = {100, 300, 100};
        double[] candidate = {50, 150, 100};
        assertEquals(2.0, HeadAndInt8Timing.medianRatio(old, candidate), 1e-9);
    }

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
        Int8Options fused = HeadAndInt8Timing.options("32-g1-s1-u1");
        assertEquals(true, fused.fused());
        assertEquals(true, fused.staticActivations());
        assertEquals(true, fused.unsignedWeights());
        assertEquals(false, fused.reduceRange(), "uint8 weights use all 8 bits");
        assertEquals(true, HeadAndInt8Timing.options("32-w7").reduceRange());
        assertEquals(false, HeadAndInt8Timing.options("32-g0").fused());
        assertThrows(IllegalArgumentException.class, () -> HeadAndInt8Timing.options("32-x1"));
        assertThrows(IllegalArgumentException.class, () -> HeadAndInt8Timing.options("dqmm"));
    }
}
