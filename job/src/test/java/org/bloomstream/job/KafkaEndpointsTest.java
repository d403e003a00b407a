package org.bloomstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.junit.jupiter.api.Test;

/** The sinks' producer settings: long batches only where no reader can see the wait. */
class KafkaEndpointsTest {
    private static Properties producer(DeliveryGuarantee g) {
        return new KafkaEndpoints(
                        JobConfig.defaults("127.0.0.1:9").toBuilder().guarantee(g).build())
                .producerConfig();
    }

    @Test
    void exactlyOnceSinksLingerAndBatch() {
        Properties p = producer(DeliveryGuarantee.EXACTLY_ONCE);

        assertThat(p.getProperty("linger.ms")).isEqualTo("100");
        assertThat(p.getProperty("batch.size")).isEqualTo(String.valueOf(256 * 1024));
        assertThat(p.getProperty("compression.type")).isEqualTo("lz4");
        assertThat(p.getProperty("transaction.timeout.ms")).isNotNull();
    }

    @Test
    void sinksWhoseRecordsAreVisibleWhenSentKeepTheClientsDefaults() {
        for (DeliveryGuarantee g :
                new DeliveryGuarantee[] {DeliveryGuarantee.AT_LEAST_ONCE, DeliveryGuarantee.NONE}) {
            Properties p = producer(g);

            assertThat(p.getProperty("linger.ms")).as(g.name()).isNull();
            assertThat(p.getProperty("batch.size")).as(g.name()).isNull();
            assertThat(p.getProperty("compression.type")).as(g.name()).isEqualTo("lz4");
        }
    }

    @Test
    void theDefaultJobIsExactlyOnceSoItsSinksBatch() {
        JobConfig c = JobConfig.defaults("127.0.0.1:9");

        assertThat(c.guarantee()).isEqualTo(DeliveryGuarantee.EXACTLY_ONCE);
        assertThat(new KafkaEndpoints(c).producerConfig().getProperty("linger.ms"))
                .isEqualTo("100");
    }
}
