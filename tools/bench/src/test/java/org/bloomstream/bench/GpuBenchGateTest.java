package org.bloomstream.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The fp16 parity gate of {@code bench gpu}: one cell below the bound fails the run. */
class GpuBenchGateTest {
    static GpuBench.Cell cell(String provider, int batch, double cosine) {
        return new GpuBench.Cell("raw", "vit", provider, batch, 100, 1, 2, 1, cosine);
    }

    @Test
    void everyCellAtOrAboveTheBoundPasses() {
        var r =
                new GpuBench.Result(
                        List.of(cell("cuda fp32", 1, 1.0), cell("tensorrt fp16", 8, 0.999)),
                        List.of(),
                        0.999);
        assertThat(r.failures()).isEmpty();
    }

    @Test
    void oneCellBelowTheBoundOrNotANumberFailsAndIsNamed() {
        var r =
                new GpuBench.Result(
                        List.of(
                                cell("tensorrt fp16", 1, 0.9995),
                                cell("tensorrt fp16", 64, 0.9981),
                                cell("tensorrt fp16", 128, Double.NaN)),
                        List.of(),
                        0.999);
        assertThat(r.failures())
                .hasSize(2)
                .anySatisfy(f -> assertThat(f).contains("batch 64").contains("0.998100"))
                .anySatisfy(f -> assertThat(f).contains("batch 128"));
    }

    @Test
    void cosineIsOneForEqualDirectionsAndLowerOtherwise() {
        assertThat(GpuBench.cosine(new float[] {1, 2, 3}, new float[] {2, 4, 6}))
                .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(GpuBench.cosine(new float[] {1, 0}, new float[] {0, 1})).isZero();
    }
}
