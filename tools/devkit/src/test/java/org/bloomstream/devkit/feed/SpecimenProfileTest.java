package org.bloomstream.devkit.feed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SpecimenProfileTest {

    @ParameterizedTest
    @EnumSource(SpecimenProfile.class)
    void fractionsAreProbabilitiesThatSumToOne(SpecimenProfile profile) {
        double sum = 0;
        for (CellKind kind : CellKind.values()) {
            double f = profile.fraction(kind);
            assertThat(f).as("%s %s", profile, kind).isBetween(0.0, 1.0);
            sum += f;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void labelsAreTheMilClassesInOrder() {
        assertThat(SpecimenProfile.labels())
                .containsExactly("CBFB::MYH11", "NPM1", "PML::RARA", "RUNX1::RUNX1T1", "control");
        for (int i = 0; i < SpecimenProfile.values().length; i++) {
            assertThat(SpecimenProfile.values()[i].label())
                    .isEqualTo(SpecimenProfile.labels().get(i));
        }
    }

    @ParameterizedTest
    @EnumSource(SpecimenProfile.class)
    void fromLabelRoundTripsIgnoringCase(SpecimenProfile profile) {
        assertThat(SpecimenProfile.fromLabel(profile.label())).isSameAs(profile);
        assertThat(SpecimenProfile.fromLabel(profile.label().toLowerCase(Locale.ROOT)))
                .isSameAs(profile);
        assertThat(SpecimenProfile.fromLabel(profile.label().toUpperCase(Locale.ROOT)))
                .isSameAs(profile);
    }

    @Test
    void fromLabelRejectsUnknownLabelsNamingTheKnownOnes() {
        assertThatThrownBy(() -> SpecimenProfile.fromLabel("CBFB_MYH11"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CBFB_MYH11")
                .hasMessageContaining("CBFB::MYH11")
                .hasMessageContaining("control");
        assertThatThrownBy(() -> SpecimenProfile.fromLabel(""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SpecimenProfile.fromLabel(null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void controlHasNoBlastsOrPromyelocytes() {
        assertThat(SpecimenProfile.CONTROL.isControl()).isTrue();
        assertThat(SpecimenProfile.CONTROL.fraction(CellKind.BLAST)).isZero();
        assertThat(SpecimenProfile.CONTROL.fraction(CellKind.PROMYELOCYTE)).isZero();
        SplittableRandom random = new SplittableRandom(5);
        for (int i = 0; i < 100_000; i++) {
            assertThat(SpecimenProfile.CONTROL.sample(random))
                    .isNotIn(CellKind.BLAST, CellKind.PROMYELOCYTE);
        }
    }

    @ParameterizedTest
    @EnumSource(value = SpecimenProfile.class, names = "CONTROL", mode = EnumSource.Mode.EXCLUDE)
    void everySubtypeHasBlastsOrPromyelocytes(SpecimenProfile subtype) {
        assertThat(subtype.isControl()).isFalse();
        assertThat(subtype.fraction(CellKind.BLAST) + subtype.fraction(CellKind.PROMYELOCYTE))
                .isPositive();
    }

    @ParameterizedTest
    @EnumSource(SpecimenProfile.class)
    void sampleFollowsTheFractions(SpecimenProfile profile) {
        int n = 200_000;
        SplittableRandom random = new SplittableRandom(profile.ordinal() * 31L + 1);
        Map<CellKind, Integer> counts = new EnumMap<>(CellKind.class);
        for (int i = 0; i < n; i++) {
            counts.merge(profile.sample(random), 1, Integer::sum);
        }
        for (CellKind kind : CellKind.values()) {
            double p = profile.fraction(kind);
            int observed = counts.getOrDefault(kind, 0);
            if (p == 0) {
                assertThat(observed).as("%s never draws %s", profile, kind).isZero();
            } else {
                double tolerance = 5 * Math.sqrt(p * (1 - p) / n);
                assertThat((double) observed / n)
                        .as("%s %s", profile, kind)
                        .isCloseTo(p, within(tolerance));
            }
        }
    }

    @Test
    void sampleIsDeterministicForASeed() {
        SplittableRandom a = new SplittableRandom(77);
        SplittableRandom b = new SplittableRandom(77);
        for (int i = 0; i < 1000; i++) {
            assertThat(SpecimenProfile.NPM1.sample(a)).isEqualTo(SpecimenProfile.NPM1.sample(b));
        }
    }

    @Test
    void cellKindLabelsRoundTrip() {
        for (CellKind kind : CellKind.values()) {
            assertThat(CellKind.fromLabel(kind.label())).isSameAs(kind);
            assertThat(CellKind.fromLabel("  " + kind.label().toUpperCase(Locale.ROOT) + " "))
                    .isSameAs(kind);
        }
        assertThatThrownBy(() -> CellKind.fromLabel("band"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("band")
                .hasMessageContaining("neutrophil");
        assertThatThrownBy(() -> CellKind.fromLabel(null))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
